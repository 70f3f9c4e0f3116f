"""Difficulty: a documented heuristic score in [0, 1], bucketed easy / medium / hard.

score = sum of weighted components, each squashed to [0, 1]:
  length       prompt units (words; characters for unspaced scripts), log-scaled, 200 units -> 1
  reasoning    reasoning markers found (explain, why, compare, prove, step by step ...), 3 -> 1
  constraints  constraint markers found (must, at least, exactly, format, json ...), 3 -> 1
  steps        steps asked: enumerated lines, question marks, "then"/"and then"; 4 -> 1
  readability  mean sentence length in units (25 -> 1) and mean word length (7 chars -> 1), averaged
Weights and bucket bounds come from the rules (``difficulty``). Optional model-based IFD (instruction-
following difficulty = loss(response | instruction) / loss(response)) when ``ifd_model`` is a local
causal LM path.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import unit_count_expr


def _markers_expr(text: pl.Expr, markers: list[str]) -> pl.Expr:
    if not markers:
        return pl.lit(0)
    return text.str.to_lowercase().str.count_matches("|".join(re.escape(m.lower()) for m in markers))


class DifficultySignal:
    name: ClassVar[str] = "difficulty"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        rule = lambda key, default=None: ctx.rule("difficulty", key, default)  # noqa: E731
        weights = rule("weights", {"length": 0.35, "reasoning": 0.25, "constraints": 0.15, "steps": 0.15,
                                   "readability": 0.10})
        prompt = pl.concat_str(["instruction", "input"], separator="\n")
        instruction = pl.col("instruction")
        units = unit_count_expr(prompt)
        sentences = prompt.str.count_matches(r"[.!?。！？]+(\s|$)").clip(lower_bound=1)
        words = prompt.str.count_matches(r"\S+").clip(lower_bound=1)
        comps = table.select(
            ((units + 1).log() / np.log(201)).clip(0, 1).alias("length"),
            (_markers_expr(instruction, rule("reasoning_markers", [])) / 3).clip(0, 1).alias("reasoning"),
            (_markers_expr(instruction, rule("constraint_markers", [])) / 3).clip(0, 1).alias("constraints"),
            ((instruction.str.count_matches(r"(?m)^\s*(\d+[.)]|[-*•])\s") + instruction.str.count_matches(r"[?？]")
              + instruction.str.to_lowercase().str.count_matches(r"\bthen\b")) / 4).clip(0, 1).alias("steps"),
            (((units / sentences) / 25).clip(0, 1) * 0.5
             + ((prompt.str.len_chars() / words) / 7).clip(0, 1) * 0.5).alias("readability"),
        )
        score = sum(comps[k] * float(weights.get(k, 0.0)) for k in comps.columns) / max(sum(weights.values()), 1e-9)
        score = score.round(6)
        medium, hard = rule("medium_from", 0.3), rule("hard_from", 0.55)
        bucket = pl.select(pl.when(score >= hard).then(pl.lit("hard")).when(score >= medium).then(pl.lit("medium"))
                           .otherwise(pl.lit("easy")).alias("b"))["b"]
        columns = {"difficulty_score": score, "difficulty_bucket": bucket}
        summary = {"buckets": {b: int((bucket == b).sum()) for b in ("easy", "medium", "hard")},
                   "mean_score": round(float(score.mean() or 0.0), 6), "weights": weights,
                   "bounds": {"medium_from": medium, "hard_from": hard}}
        model = getattr(ctx.options, "ifd_model", None) if ctx.options is not None else None
        if model:
            ifd = ifd_scores(table, model, rule("ifd_max_tokens", 512), getattr(ctx.options, "device", "auto"))
            columns["difficulty_ifd"] = pl.Series(ifd, dtype=pl.Float64)
            summary["ifd_mean"] = round(float(np.nanmean(ifd)), 6) if len(ifd) else None
        return SignalResult(columns=columns, summary=summary)


def ifd_scores(table: pl.DataFrame, model_path: str, max_tokens: int, device: str = "auto") -> list[float]:
    """IFD per row: mean loss of the response given the prompt divided by its loss alone (Li et al. 2023)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ift_data.errors import UserError

    dev = "cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
    try:  # local files only: nothing downloads at run time
        tok = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        # transformers' decorator on PreTrainedModel.to hides the bound model: .to(device) is right
        lm = AutoModelForCausalLM.from_pretrained(model_path, local_files_only=True).to(dev).eval()  # type: ignore[arg-type]
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot load a causal LM from this local path: {exc}".splitlines()[0],
                        field="ifd_model", file=str(model_path)) from exc

    def loss(prefix: str, target: str) -> float:
        p = tok(prefix, add_special_tokens=False)["input_ids"] if prefix else []
        t = tok(target, add_special_tokens=False)["input_ids"][:max_tokens]
        if not t:
            return float("nan")
        ids = torch.tensor([(p + t)[-max_tokens * 2:]], device=dev)
        labels = ids.clone()
        labels[0, : ids.shape[1] - len(t)] = -100
        with torch.no_grad():
            return float(lm(input_ids=ids, labels=labels).loss)

    out = []
    for row in table.select("instruction", "input", "response").iter_rows():
        prompt = "\n".join(x for x in row[:2] if x)
        alone = loss("", row[2])
        out.append(loss(prompt + "\n", row[2]) / alone if alone and alone == alone else float("nan"))
    return out
