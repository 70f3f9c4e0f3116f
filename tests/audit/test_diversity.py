"""Diversity figures: distinct-n (characters for Chinese), verb-object pairs, dispersion, clusters."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from ift_data.audit.base import AuditContext
from ift_data.audit.diversity import DiversitySignal, distinct_n, verb_object
from ift_data.audit.text import units
from ift_data.embed.knn import build_knn


def test_distinct_n_words_and_chinese_characters() -> None:
    assert distinct_n([units("write a poem"), units("write a song")], 1) == pytest.approx(4 / 6)
    assert distinct_n([units("写一首诗"), units("写一首歌")], 1) == pytest.approx(5 / 8)
    assert distinct_n([units("写一首诗"), units("写一首歌")], 2) == pytest.approx(4 / 6)


@pytest.mark.parametrize(("text", "pair"), [
    ("Give three tips for staying healthy.", ("give", "tips")),
    ("Please write a short poem about the sea.", ("write", "poem")),
    ("Can you rewrite the following sentence?", ("rewrite", "sentence")),
    ("What is the capital of France?", None),
    ("请写一首诗", None),
])
def test_verb_object(text: str, pair: tuple[str, str] | None) -> None:
    assert verb_object(text) == pair


def test_dataset_figures() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    graph = build_knn(x, 5, method="flat")
    table = pl.DataFrame({"row_id": range(200),
                          "instruction": ["Write a poem about cats." if i % 2 else "Summarize the article." for i in range(200)],
                          "category": ["poetry" if i % 2 else None for i in range(200)]})
    ctx = AuditContext(rules={"diversity": {"clusters": 8}}, seed=0, knn=lambda: graph)
    result = DiversitySignal().compute(table, ctx)
    s = result.summary
    pairwise = (x @ x.T)[~np.eye(200, dtype=bool)].mean()
    assert s["dispersion"] == pytest.approx(1 - pairwise, abs=1e-6)
    assert s["verb_object"]["distinct_pairs"] == 2 and s["verb_object"]["share_with_pair"] == 1.0
    assert s["clusters"]["k"] == 8 and 0.8 < s["clusters"]["normalized_entropy"] <= 1.0
    assert s["task_types"] == {"count": 1, "rows_with_type": 100, "normalized_entropy": 0.0, "shares": {"poetry": 1.0}}
    assert result.columns["diversity_cluster"].len() == 200
    again = DiversitySignal().compute(table, ctx)
    assert again.columns["diversity_cluster"].to_list() == result.columns["diversity_cluster"].to_list()
    assert math.isclose(again.summary["clusters"]["entropy"], s["clusters"]["entropy"])


def test_lexical_figures_without_embeddings() -> None:
    table = pl.DataFrame({"row_id": [0, 1], "instruction": ["Write a poem.", "写一首诗"]})
    s = DiversitySignal().compute(table, AuditContext(rules={})).summary
    assert "dispersion" not in s and s["distinct_1"] > 0


def test_dispersion_in_batches_equals_the_whole_array_formula() -> None:
    import numpy as np

    from ift_data.audit.diversity import dispersion

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    whole = x.astype(np.float64)
    cosines = whole @ whole.T
    expected = 1.0 - (cosines.sum() - np.trace(cosines)) / (1000 * 999)
    for batch in (1, 7, 999, 5000):
        assert abs(dispersion(x, batch) - expected) < 1e-12
