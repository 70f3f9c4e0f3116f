"""Outliers: rows whose neighbours are much farther away than a typical row's.

Each row's kNN distance is the mean cosine distance (1 - cosine) to its k neighbours. Its robust
z-score is ``(d - median) / (1.4826 * MAD)`` over the dataset; rows with a z-score above
``outliers.distance_factor`` are flagged (MAD 0 falls back to the mean absolute deviation).

Rules (``outliers:``): ``distance_factor`` (3.0, robust z-score threshold), ``min_distance`` (0.0:
rows closer than this to their neighbours are never flagged, a floor for very tight datasets).
Columns: ``outliers_knn_distance``, ``outliers_robust_z``. Flag: ``flag_outlier``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult


def robust_z(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``(z, median, scale)``: MAD-based z-scores of the finite ``values`` (NaN stays NaN)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return np.full_like(values, np.nan), float("nan"), float("nan")
    median = float(np.median(finite))
    scale = 1.4826 * float(np.median(np.abs(finite - median)))
    if scale <= 0:
        scale = 1.2533 * float(np.mean(np.abs(finite - median)))
    if scale <= 0:
        return np.where(np.isfinite(values), 0.0, np.nan), median, 0.0
    return (values - median) / scale, median, scale


class OutlierSignal:
    name: ClassVar[str] = "outliers"
    needs_embeddings: ClassVar[bool] = True

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        graph = ctx.knn()
        if graph is None or graph.k == 0:
            return SignalResult(summary={"skipped": "no kNN graph (embeddings off or a single row)"})
        factor = float(ctx.rule(self.name, "distance_factor", 3.0))
        floor = float(ctx.rule(self.name, "min_distance", 0.0))
        distances = 1.0 - graph.similarities.astype(np.float64)
        mean_distance = _nanmean_rows(distances, graph.valid)
        z, median, scale = robust_z(mean_distance)
        flagged = np.nan_to_num(z, nan=-np.inf) > factor
        flagged &= np.nan_to_num(mean_distance, nan=0.0) >= floor
        return SignalResult(
            columns={"outliers_knn_distance": pl.Series(mean_distance, dtype=pl.Float64).fill_nan(None),
                     "outliers_robust_z": pl.Series(z, dtype=pl.Float64).fill_nan(None)},
            flags={"flag_outlier": flagged},
            summary={"distance_factor": factor, "min_distance": floor, "k": graph.k,
                     "median_knn_distance": median, "scale": scale,
                     "p99_knn_distance": float(np.nanpercentile(mean_distance, 99)),
                     "flagged": int(flagged.sum())},
        )


def _nanmean_rows(distances: np.ndarray, valid: np.ndarray) -> np.ndarray:
    counts = valid.sum(axis=1)
    sums = np.where(valid, distances, 0.0).sum(axis=1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
