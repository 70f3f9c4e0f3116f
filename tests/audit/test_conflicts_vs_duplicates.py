"""A conflict is the same prompt answered differently, not a duplicate pair re-reported (issue 11: 180 conflict
flags on planted near-duplicate pairs with short answers, none real)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl
from audit_tables import make_table

from ift_data.audit.consistency import ConsistencySignal
from ift_data.audit.dedup_exact import DedupExactSignal


def _conflicts(rows, ctx) -> list[bool]:
    table = make_table(rows)
    DedupExactSignal().compute(table, ctx)  # fills ctx.cache as in a real run
    return list(pl.Series(ConsistencySignal().compute(table, ctx).flags["flag_conflict"]))


PAINT = "Name the three primary colors that are traditionally used by painters when they mix their paints."
ANSWER = "The traditional primary colors used in mixing paint are red, blue and yellow, as every painter knows."
SWAPPED = "The traditional primary colors used in mixing paint are red, blue and yellow, as every knows painter."


def test_near_duplicate_pair_with_short_answers_is_not_a_conflict(ctx):
    """A MinHash near-duplicate pair (adjacent words swapped) and an exact pair (edge punctuation)."""
    rows = [(PAINT, "", ANSWER), (PAINT, "", SWAPPED),
            ("Give me a word that rhymes with cat.", "", "Hat is a word that rhymes with cat, and so is bat."),
            ("Give me a word that rhymes with cat.", "", "Hat is a word that rhymes with cat, and so is bat!")]
    assert _conflicts(rows, ctx) == [False] * 4


def test_semantic_duplicate_pair_is_not_a_conflict(ctx):
    rows = [("Name the primary colors.", "", "Red, blue and yellow."),
            ("Name the primary colors.", "", "The primary colors are red, blue and yellow."),
            ("Is the sky blue on a clear day?", "", "Yes"), ("Is the sky blue on a clear day?", "", "No")]
    # The shared kNN graph: rows 0 and 1 are each other's nearest neighbour at cosine 0.98, rows 2 and 3 at 0.6.
    graph = SimpleNamespace(k=1, indices=np.array([[1], [0], [3], [2]]), valid=np.ones((4, 1), dtype=bool),
                            similarities=np.array([[0.98], [0.98], [0.6], [0.6]], dtype=np.float32))
    ctx.knn = lambda: graph
    assert _conflicts(rows, ctx) == [False, False, True, True]
    ctx.knn = lambda: None
    assert _conflicts(rows, ctx) == [True] * 4


def test_different_answers_to_one_prompt_are_still_a_conflict(ctx):
    rows = [("Is the sky blue on a clear day?", "", "Yes"), ("Is the sky blue on a clear day?", "", "No"),
            (PAINT, "", ANSWER), (PAINT, "", SWAPPED), (PAINT, "", "Green, orange and purple are the primary colors.")]
    assert _conflicts(rows, ctx) == [True] * 5
