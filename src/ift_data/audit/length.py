"""Length: characters, units (words; one unit per character in unspaced scripts such as Chinese) and,
with a tokenizer, tokens of instruction, input and response; the ratio R = prompt / response length
(arXiv 2405.14394) and the loss-masking advice that follows from R and the dataset size."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import unit_count_expr

FIELDS = ("instruction", "input", "response")


class LengthSignal:
    name: ClassVar[str] = "length"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        frame = table.select(
            *[pl.col(f).str.len_chars().cast(pl.Int64).alias(f"length_{f}_chars") for f in FIELDS],
            *[unit_count_expr(pl.col(f)).alias(f"length_{f}_words") for f in FIELDS],
        )
        unit = "words"
        if ctx.tokenizer is not None:
            unit = "tokens"
            for f in FIELDS:
                encoded = ctx.tokenizer.encode_batch(table[f].to_list(), add_special_tokens=False)
                frame = frame.with_columns(pl.Series(f"length_{f}_tokens", [len(e.ids) for e in encoded], pl.Int64))
        prompt = frame[f"length_instruction_{unit}"] + frame[f"length_input_{unit}"]
        ratio = (prompt / frame[f"length_response_{unit}"].clip(lower_bound=1)).cast(pl.Float64)
        frame = frame.with_columns(ratio.alias("length_ratio"))
        total_chars = sum(frame[f"length_{f}_chars"] for f in FIELDS)
        too_long = total_chars > ctx.rule("length", "max_chars", 50000)
        return SignalResult(columns={c: frame[c] for c in frame.columns}, flags={"flag_too_long": too_long},
                            summary=self._summary(frame, unit, ctx))

    @staticmethod
    def _summary(frame: pl.DataFrame, unit: str, ctx: AuditContext) -> dict[str, Any]:
        n = frame.height
        stats = {}
        for f in FIELDS:
            for what in ("chars", unit):
                values = frame[f"length_{f}_{what}"].to_numpy()
                stats[f"{f}_{what}"] = _describe(values)
        ratio = frame["length_ratio"].to_numpy()
        median_r = float(np.median(ratio)) if n else 0.0
        mode, why = masking_advice(median_r, n, ctx.rule("length", "instruction_modelling_ratio", 3.0),
                                   ctx.rule("length", "small_dataset_rows", 10000))
        return {"unit": unit, "rows": n, "stats": stats, "ratio": _describe(ratio),
                "masking": {"recommended": mode, "median_ratio": round(median_r, 4), "rows": n, "why": why}}


def masking_advice(median_ratio: float, rows: int, ratio_threshold: float, small_rows: int) -> tuple[str, str]:
    """Loss-masking mode suggested by arXiv 2405.14394: instruction modelling helps when R is large
    or the dataset is small; response-only loss otherwise."""
    if median_ratio >= ratio_threshold:
        return "instruction", f"median R {median_ratio:.2f} >= {ratio_threshold}: long instructions, short outputs"
    if rows <= small_rows:
        return "instruction", f"{rows} rows <= {small_rows}: small dataset, loss on instructions helps"
    return "response", f"median R {median_ratio:.2f} < {ratio_threshold} and {rows} rows > {small_rows}"


def _describe(values: np.ndarray) -> dict[str, float]:
    if values.size == 0:
        return {"mean": 0.0, "median": 0.0, "p90": 0.0, "max": 0.0}
    return {"mean": round(float(values.mean()), 4), "median": round(float(np.median(values)), 4),
            "p90": round(float(np.percentile(values, 90)), 4), "max": round(float(values.max()), 4)}
