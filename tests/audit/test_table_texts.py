"""``TableTexts``: a table's texts made a slice at a time behave as the list of them would, and MinHash
gives the same clusters from them as from lists."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest

from ift_data.audit import table_texts
from ift_data.audit.dedup_minhash import example_texts, short_field_keys
from ift_data.audit.minhash import near_duplicate_clusters
from ift_data.audit.table_texts import TableTexts, values_at


def _table(n: int) -> pl.DataFrame:
    return pl.DataFrame({"a": [f"t{i}" for i in range(n)], "b": [str(i % 3) if i % 4 else None for i in range(n)]})


def test_slices_items_gathers_and_iteration_match_the_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_texts, "CHUNK_ROWS", 4)
    table = _table(11)
    texts = TableTexts(table, pl.col("a"))
    plain = table["a"].to_list()
    assert len(texts) == 11 and list(texts) == plain
    assert texts[3] == plain[3] and texts[-1] == plain[-1]
    for key in (slice(0, 5), slice(5, 100), slice(9, 3), slice(1, 10, 3), slice(-3, None)):
        assert texts[key] == plain[key]
    assert texts.take([7, 2, 7]) == ["t7", "t2", "t7"] and texts.take([]) == []
    assert values_at(texts, [10, 0]) == values_at(plain, [10, 0]) == ["t10", "t0"]
    with pytest.raises(IndexError):
        texts[11]
    pairs = TableTexts(table, pl.col("a"), pl.col("b"))
    assert list(pairs) == list(zip(plain, table["b"].to_list(), strict=True))
    assert texts.arrow().to_pylist() == plain
    with pytest.raises(ValueError):
        pairs.arrow()


def test_minhash_clusters_are_the_same_from_table_texts_as_from_lists() -> None:
    rng = random.Random(3)
    words = "the cat sat on a mat while dogs ran past quickly over hills and far away".split()
    rows = []
    for i in range(600):
        base = [rng.choice(words) for _ in range(12)]
        rows.append(base)
        if i % 5 == 0:
            copy = base[:]
            copy[rng.randrange(12)] = rng.choice(words)
            rows.append(copy)
    table = pl.DataFrame({"instruction": [" ".join(r[:6]) for r in rows], "input": [""] * len(rows),
                          "response": [" ".join(r[6:]) if i % 7 else "ok" for i, r in enumerate(rows)]})
    lazy_texts, lazy_keys = example_texts(table), short_field_keys(table, 5)
    eager = near_duplicate_clusters(list(lazy_texts), threshold=0.7, keys=list(lazy_keys), batch_rows=97)
    lazy = near_duplicate_clusters(lazy_texts, threshold=0.7, keys=lazy_keys, batch_rows=97)
    assert np.array_equal(eager.representative, lazy.representative)
    assert np.array_equal(eager.jaccard, lazy.jaccard, equal_nan=True)
    assert (eager.representative >= 0).sum() > 0

