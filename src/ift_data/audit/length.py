"""Length: characters, words (script-aware: one word per character in unspaced scripts such as Chinese)
and, with a tokenizer, tokens of instruction, input and response; each example's ratio
``length_ratio`` = (instruction + input) / response, for the histogram. The dataset's R and the
loss-masking recommendation come from ``masking_recommendation`` (``chat.recommend``, the one rule)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import unit_count_expr
from ift_data.chat.recommend import Recommendation, recommend_mask_mode

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
                            summary=self._summary(frame, unit))

    @staticmethod
    def _summary(frame: pl.DataFrame, unit: str) -> dict[str, Any]:
        stats = {}
        for f in FIELDS:
            for what in ("chars", unit):
                stats[f"{f}_{what}"] = _describe(frame[f"length_{f}_{what}"].to_numpy())
        return {"unit": unit, "rows": frame.height, "stats": stats,
                "per_example_ratio": _describe(frame["length_ratio"].to_numpy())}


def masking_recommendation(signals: pl.DataFrame, rules: Mapping[str, Any] | None = None) -> Recommendation | None:
    """The masking recommendation from this signal's columns in ``signals`` (tokens when they were
    counted, else words); None when the length signal did not run."""
    unit = "tokens" if "length_response_tokens" in signals.columns else "words"
    if f"length_response_{unit}" not in signals.columns:
        return None
    prompt = signals[f"length_instruction_{unit}"] + signals[f"length_input_{unit}"]
    return recommend_mask_mode(prompt.to_list(), signals[f"length_response_{unit}"].to_list(), unit, rules)


def _describe(values: np.ndarray) -> dict[str, float]:
    if values.size == 0:
        return {"mean": 0.0, "median": 0.0, "p90": 0.0, "max": 0.0}
    return {"mean": round(float(values.mean()), 4), "median": round(float(np.median(values)), 4),
            "p90": round(float(np.percentile(values, 90)), 4), "max": round(float(values.max()), 4)}
