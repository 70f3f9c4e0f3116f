"""Semantic dedup on synthetic vectors: clusters via union-find, lowest row_id kept."""

from __future__ import annotations

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext
from ift_data.audit.dedup_semantic import SemanticDedupSignal
from ift_data.embed.knn import build_knn


def vectors(n: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, 64)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def nudge(v: np.ndarray, amount: float, seed: int) -> np.ndarray:
    w = v + amount * np.random.default_rng(seed).normal(size=v.shape).astype(np.float32)
    return w / np.linalg.norm(w)


def run(x: np.ndarray, row_ids: list[int], threshold: float = 0.95, k: int = 3):
    table = pl.DataFrame({"row_id": row_ids})
    graph = build_knn(x, k, method="flat")
    ctx = AuditContext(rules={"dedup_semantic": {"threshold": threshold}}, knn=lambda: graph)
    return SemanticDedupSignal().compute(table, ctx)


def test_chain_cluster_and_representative() -> None:
    x = vectors(40)
    # rows 5, 12, 20, 25, 33 and 39 form one cluster, larger than k + 1 = 4: joined transitively
    for row, seed in ((12, 4), (20, 1), (25, 5), (33, 2), (39, 3)):
        x[row] = nudge(x[5], 0.01, seed)
    x[7] = nudge(x[30], 0.01, 9)
    row_ids = [100 + i for i in range(40)]
    row_ids[33] = 50  # the lowest row_id, not the lowest position, is kept
    result = run(x, row_ids)
    flags = np.asarray(result.flags["flag_semantic_duplicate"])
    cluster = result.columns["dedup_semantic_cluster"].to_list()
    assert sorted(np.flatnonzero(flags).tolist()) == [5, 12, 20, 25, 30, 39]  # 33 and 7 (107 < 130) kept
    assert {cluster[i] for i in (5, 12, 20, 25, 33, 39)} == {50}
    assert cluster[7] == cluster[30] == 107
    assert cluster[0] is None and result.columns["dedup_semantic_representative"].to_list()[20] == 50
    assert result.summary["clusters"] == 2 and result.summary["largest_cluster"] == 6
    assert result.columns["dedup_semantic_nearest_similarity"].to_list()[20] > 0.95


def test_threshold_controls_edges() -> None:
    x = vectors(10)
    x[1] = nudge(x[0], 0.3, 1)
    sim = float(x[0] @ x[1])
    assert sum(run(x, list(range(10)), threshold=sim - 0.01).flags["flag_semantic_duplicate"]) == 1
    assert sum(run(x, list(range(10)), threshold=sim + 0.01).flags["flag_semantic_duplicate"]) == 0


def test_no_graph_is_skipped() -> None:
    result = SemanticDedupSignal().compute(pl.DataFrame({"row_id": [0]}), AuditContext(rules={}))
    assert "skipped" in result.summary and not result.flags


def test_component_representatives() -> None:
    from ift_data.audit.components import component_representatives

    roots = component_representatives(5, np.array([0, 3]), np.array([1, 4]), np.array([9, 2, 5, 7, 1]))
    assert roots.tolist() == [1, 1, 2, 4, 4]
    chain = component_representatives(6, np.array([5, 4, 3]), np.array([4, 3, 2]), np.arange(6))
    assert chain.tolist() == [0, 1, 2, 2, 2, 2]
    assert component_representatives(0, np.array([]), np.array([]), np.array([])).tolist() == []


def test_pairs_must_share_text_as_well_as_a_direction() -> None:
    """The bundled static model puts unrelated Russian passages at cosine 0.96+: a pair is a duplicate only
    when its texts also share character 3-grams. A near copy still is."""
    from bench_modules import load_benchmark

    from ift_data.embed.knn import knn_provider

    russian = load_benchmark("corruption_harness").FOREIGN["ru"][:5]
    rows = [{"instruction": "Tell me something interesting.", "input": "", "response": text} for text in russian]
    rows += [{"instruction": "Write a short poem about the sea.", "input": "",
              "response": "The sea is wide and deep and blue, it sings of storms and starlight too."},
             {"instruction": "Write a short poem about the sea!", "input": "",
              "response": "The sea is wide and deep and blue; it sings of storms and of starlight too."},
             {"instruction": "Name three primary colours.", "input": "", "response": "Red, yellow and blue."}]
    table = pl.DataFrame(rows).with_row_index("row_id").with_columns(pl.col("row_id").cast(pl.Int64))
    knn = knn_provider(table, {"model": "static", "device": "cpu", "cache_dir": False, "progress": False, "k": 5})
    assert knn() is not None and np.nanmax(knn().similarities[:5]) > 0.95  # the collapse this guards against
    result = SemanticDedupSignal().compute(table, AuditContext(rules={}, knn=knn))
    flags = np.asarray(result.flags["flag_semantic_duplicate"]).tolist()
    assert flags == [False] * 5 + [False, True, False]
    assert result.summary["pairs_without_shared_text"] > 0 and result.summary["min_char_jaccard"] == 0.25


def char_grams(text: str, n: int = 3) -> frozenset[str]:
    """The reference: character n-grams of the lower-cased text with runs of whitespace collapsed."""
    text = " ".join(text.lower().split())
    return frozenset(text[i:i + n] for i in range(max(1, len(text) - n + 1)))


def test_char_gram_codes_give_the_string_sets_jaccard() -> None:
    """The exact integer codes of the 3-grams: as many as the string grams, and the same overlaps, for texts
    of every length (empty and under 3 characters too), spacing, case, CJK and characters beyond the BMP."""
    import random

    from ift_data.audit.dedup_semantic import char_gram_codes

    rng = random.Random(0)
    alphabet = "ab cAB\n\t長城😀é"
    for _ in range(5000):
        a, b = ("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(2))
        x, y = char_grams(a), char_grams(b)
        cx, cy = char_gram_codes(a), char_gram_codes(b)
        assert len(cx) == len(x) and len(cy) == len(y)
        assert len(np.intersect1d(cx, cy)) == len(x & y), (a, b)
