"""Exact-duplicate groups from 64-bit hashes of the normalized texts, built in batches: texts compared
where hashes are shared, so a collision never joins two different texts."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest


def test_exact_groups_compare_texts_where_hashes_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hash the same (forced collisions): the groups are still those of equal normalized texts, and
    equal to the groups from real hashes, in batches of any size."""
    from ift_data.audit import dedup_exact

    rng = random.Random(5)
    pool = ["Hello there.", "hello  THERE", "Goodbye", "goodbye!", "42", "4 2", "", "?", "!"]
    n = 300
    table = pl.DataFrame({"row_id": list(range(10, 10 + n)),
                          "instruction": [rng.choice(pool) for _ in range(n)],
                          "input": [rng.choice(["", "x", "X."]) for _ in range(n)],
                          "response": [rng.choice(pool) for _ in range(n)]})
    real = dedup_exact.exact_groups(table, batch_rows=7)
    monkeypatch.setattr(dedup_exact, "key_hashes", lambda t, key, batch: np.zeros(t.height, dtype=np.uint64))
    collided = dedup_exact.exact_groups(table, batch_rows=13)
    assert real.equals(collided)
    norm = [(" ".join(i.lower().split()).strip(".!?") or i, x.lower().strip("."), " ".join(r.lower().split()).strip("!.?") or r)
            for i, x, r in zip(table["instruction"], table["input"], table["response"], strict=True)]
    for i in range(n):
        first = next(j for j in range(n) if norm[j] == norm[i])
        assert real["dedup_exact_cluster"][i] == 10 + first
        first_prompt = next(j for j in range(n) if norm[j][:2] == norm[i][:2])
        assert real["dedup_exact_prompt_group"][i] == 10 + first_prompt
