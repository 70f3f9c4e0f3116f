"""Format concentration: how much of the data answers from a small closed set (yes/no, True/False,
label names) or in one rigid shape. When one format dominates, fine-tuning specializes the model on it
(the "format specialization" risk): the summary then warns and suggests mixing in general data.

Two phases (``audit/row_phase.py``), so that it runs over row batches like the other per-row families:
``row_features`` gives each row's shape, whether its normalized response is in the rules' closed set, and
the normalized response itself only where it could be a label name (at most ``label_max_units`` units);
``finalize`` counts the short answers into label names (``label_min_count``) and marks the rows answering
from the closed set or a label. A label is the normalized text of a short response, and normalizing never
adds units, so every row whose answer equals a label keeps its normalized text: the result is that of
judging the whole table at once.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import normalize_expr, unit_count_expr

_LIST_ITEM = re.compile(r"\s*(\d+[.)]|[-*•])\s")
ROW_CHUNK = 65_536  # rows whose Python texts are held at once while shaping a batch


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


def _most_common(values: pl.Series, k: int) -> list[tuple[Any, int]]:
    """``collections.Counter(values).most_common(k)``: by count, ties in order of first appearance."""
    counts = values.to_frame("v").group_by("v", maintain_order=True).len()
    return [(v, int(n)) for v, n in counts.sort("len", descending=True, maintain_order=True).head(k).iter_rows()]


class FormatConcentrationSignal:
    name: ClassVar[str] = "format_concentration"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        return self.finalize(self.row_features(table, ctx), table, ctx)

    def row_features(self, batch: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame:
        """Per row: ``_format_shape``, ``_format_in_rule`` (the normalized response is in ``closed_set``),
        ``_format_short`` (the response has at most ``label_max_units`` units) and ``_format_norm`` (the
        normalized response where it has at most that many units or is in the closed set, else null)."""
        rule = lambda key, default=None: ctx.rule("format_concentration", key, default)  # noqa: E731
        max_units = rule("label_max_units", 3)
        closed = pl.Series(sorted({c.lower() for c in rule("closed_set", [])}), dtype=pl.String)
        parts = []
        for start in range(0, max(batch.height, 1), ROW_CHUNK):
            responses = batch["response"].slice(start, ROW_CHUNK)
            frame = pl.DataFrame({"r": responses}).select(
                normalize_expr(pl.col("r")).alias("norm"),
                (unit_count_expr(pl.col("r")) <= max_units).alias("short"),
            ).with_columns(pl.col("norm").is_in(closed.implode()).alias("in_rule"))
            keep = pl.col("short") | pl.col("in_rule") | (unit_count_expr(pl.col("norm")) <= max_units)
            parts.append(frame.select(
                pl.Series("_format_shape", [shape_of(t) for t in responses.to_list()], dtype=pl.String),
                pl.col("in_rule").alias("_format_in_rule"),
                pl.col("short").alias("_format_short"),
                pl.when(keep).then(pl.col("norm")).otherwise(None).alias("_format_norm"),
            ))
        return pl.concat(parts) if len(parts) > 1 else parts[0]

    def finalize(self, features: pl.DataFrame, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        """The label names from the gathered short answers, then each row's closed-set mark and shape,
        and the dataset's shares and warnings."""
        rule = lambda key, default=None: ctx.rule("format_concentration", key, default)  # noqa: E731
        norm = features["_format_norm"]
        counts = features.filter(pl.col("_format_short")).group_by("_format_norm").len()
        labels = set(counts.filter(pl.col("len") >= rule("label_min_count", 5))["_format_norm"].to_list()) - {""}
        in_closed = ((features["_format_in_rule"] | norm.is_in(pl.Series(sorted(labels), dtype=pl.String).implode()))
                     & (norm != "")).fill_null(False).alias("format_closed_set")
        shapes = pl.select(pl.when(in_closed).then(pl.lit("closed_set")).otherwise(features["_format_shape"])
                           .alias("format_shape"))["format_shape"]
        n = max(table.height, 1)
        closed_share = float(in_closed.sum()) / n
        top_shapes = _most_common(shapes, 5)
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
            "top_answers": _most_common(norm.filter(in_closed), 10),
            "shapes": [{"shape": s, "share": round(c / n, 6)} for s, c in top_shapes],
            "warnings": warnings,
        }
        return SignalResult(columns={"format_closed_set": in_closed, "format_shape": shapes}, summary=summary)
