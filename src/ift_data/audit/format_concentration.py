"""Format concentration: how much of the data answers from a small closed set (yes/no, True/False,
label names) or in one rigid shape. When one format dominates, fine-tuning specializes the model on it
(the "format specialization" risk): the summary then warns and suggests mixing in general data."""

from __future__ import annotations

import re
from collections import Counter
from typing import ClassVar

import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import normalize_expr, unit_count_expr

_LIST_ITEM = re.compile(r"\s*(\d+[.)]|[-*•])\s")


def shape_of(text: str) -> str:
    """A coarse skeleton of a response: its structure, not its words."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if stripped[0] in "{[" and stripped[-1] in "}]":
        return "json"
    if stripped.startswith("```"):
        return "code"
    lines = [line for line in stripped.split("\n") if line.strip()]
    listed = sum(bool(_LIST_ITEM.match(line)) for line in lines)
    if len(lines) > 1 and listed >= 0.6 * len(lines):
        return "list"
    head = re.match(r"^([A-Za-z ]{1,20}):", stripped)
    if head:
        return f"prefix:{head.group(1).strip().lower()}"
    return "prose" if len(lines) == 1 else "paragraphs"


class FormatConcentrationSignal:
    name: ClassVar[str] = "format_concentration"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        rule = lambda key, default=None: ctx.rule("format_concentration", key, default)  # noqa: E731
        closed = {c.lower() for c in rule("closed_set", [])}
        frame = table.select(normalize_expr(pl.col("response")).alias("norm"),
                             unit_count_expr(pl.col("response")).alias("units"))
        short = frame.filter(pl.col("units") <= rule("label_max_units", 3))
        counts = short.group_by("norm").len()
        labels = set(counts.filter(pl.col("len") >= rule("label_min_count", 5))["norm"].to_list()) - {""}
        answer_set = closed | labels
        in_closed = frame["norm"].is_in(pl.Series(sorted(answer_set), dtype=pl.String).implode()) & (frame["norm"] != "")
        shapes = [("closed:" + n) if c else shape_of(t)
                  for n, c, t in zip(frame["norm"].to_list(), in_closed.to_list(), table["response"].to_list(), strict=True)]
        shape_series = pl.Series([s if not s.startswith("closed:") else "closed_set" for s in shapes], dtype=pl.String)
        n = max(table.height, 1)
        closed_share = float(in_closed.sum()) / n
        top_shapes = Counter(shape_series.to_list()).most_common(5)
        rigid = [(s, c) for s, c in top_shapes if s not in ("prose", "paragraphs")]
        top_rigid_share = rigid[0][1] / n if rigid else 0.0
        warnings = []
        if closed_share >= rule("max_closed_share", 0.5):
            warnings.append(f"{closed_share:.0%} of responses come from a small closed set of answers; "
                            "fine-tuning on this alone specializes the model's output format: mix in general data")
        if top_rigid_share >= rule("max_shape_share", 0.6):
            warnings.append(f"{top_rigid_share:.0%} of responses share one rigid shape ({rigid[0][0]}); "
                            "mix in general instruction data to keep free-form ability")
        summary = {
            "closed_set_share": round(closed_share, 6),
            "label_names": sorted(labels)[:50],
            "top_answers": Counter(n for n, c in zip(frame["norm"].to_list(), in_closed.to_list(), strict=True) if c)
            .most_common(10),
            "shapes": [{"shape": s, "share": round(c / n, 6)} for s, c in top_shapes],
            "warnings": warnings,
        }
        return SignalResult(columns={"format_closed_set": in_closed, "format_shape": shape_series}, summary=summary)
