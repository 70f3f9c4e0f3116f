"""Outliers: rows far from every neighbour are flagged by a robust z-score."""

from __future__ import annotations

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext
from ift_data.audit.outliers import OutlierSignal, robust_z
from ift_data.embed.knn import build_knn


def test_far_rows_are_flagged() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 32))
    centres *= 5 / np.linalg.norm(centres, axis=1, keepdims=True)  # equally tight clusters
    x = np.repeat(centres, 40, axis=0) + 0.15 * rng.normal(size=(200, 32))
    x[[17, 123]] = rng.normal(size=(2, 32)) * 3  # two rows in no cluster
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    graph = build_knn(x, 5, method="flat")
    ctx = AuditContext(rules={"outliers": {"distance_factor": 6.0}}, knn=lambda: graph)
    result = OutlierSignal().compute(pl.DataFrame({"row_id": range(200)}), ctx)
    assert np.flatnonzero(result.flags["flag_outlier"]).tolist() == [17, 123]
    z = result.columns["outliers_robust_z"].to_numpy()
    assert z[17] > 3 and abs(np.median(z)) < 1e-9
    assert result.summary["flagged"] == 2


def test_robust_z_degenerate_spread() -> None:
    z, median, scale = robust_z(np.array([0.2, 0.2, 0.2, 0.2]))
    assert scale == 0.0 and z.tolist() == [0.0] * 4
    z, _, _ = robust_z(np.array([0.2, 0.2, 0.2, 0.9]))  # MAD 0 falls back to the mean deviation
    assert z[-1] > 3


def test_no_graph_is_skipped() -> None:
    assert "skipped" in OutlierSignal().compute(pl.DataFrame({"row_id": [0]}), AuditContext(rules={})).summary
