"""A conflict is the same prompt answered differently, not a duplicate pair re-reported (issue 11: 180 conflict
flags on planted near-duplicate pairs with short answers, none real)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
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


def test_answers_that_differ_only_in_case_spacing_punctuation_or_order_are_not_a_conflict(ctx):
    rows = [("Name the primary colors.", "", "Red, blue and yellow."), ("Name the primary colors.", "", "red, YELLOW  and blue"),
            ("Which sign goes between 3 and 5?", "", "<"), ("Which sign goes between 3 and 5?", "", ">"),
            ("What is 2 and 2 combined?", "", "2+2"), ("What is 2 and 2 combined?", "", "2*2"),
            ("天空是蓝色的吗？", "", "是的。"), ("天空是蓝色的吗？", "", "是的")]
    assert _conflicts(rows, ctx) == [False, False, True, True, True, True, False, False]


def test_near_same_prompts_join_only_when_the_rules_ask(ctx):
    long = "Read the following paragraph about the water cycle carefully and then answer whether it mentions rain at all"
    rows = [(long + " please.", "", "Yes"), (long + " now.", "", "No")]
    assert _conflicts(rows, ctx) == [False, False]  # default: the same prompt after normalization only
    ctx.rules = {**ctx.rules, "consistency": {**ctx.rules["consistency"], "near_threshold": 0.7}}
    assert _conflicts(rows, ctx) == [True, True]


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "instructions" / "alpaca_random_9k.json"


def _swap_words(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) < 2:
        return text.upper()
    j = rng.randrange(len(words) - 1)
    words[j], words[j + 1] = words[j + 1], words[j]
    return " ".join(words)


@pytest.mark.skipif(not SHARED.is_file(), reason="shared Alpaca data not present")
def test_planted_duplicate_pairs_of_real_rows_raise_no_conflict(ctx):
    """Alpaca rows with short answers and a planted copy each (answer's adjacent words swapped, case and spacing
    changed, the prompt case- or spacing-mangled): 0 conflict flags on the copies and their originals."""
    rng = random.Random(0)
    data = [r for r in json.loads(SHARED.read_text(encoding="utf-8"))[:3000] if 2 <= len(r["output"].split()) <= 15]
    rows = [(r["instruction"], r["input"], r["output"]) for r in data]
    copies = []
    for i, (instruction, input_, output) in enumerate(rows[:300]):
        mangle = i % 3
        answer = _swap_words(output, rng) if mangle == 0 else output.upper() if mangle == 1 else "  " + output + " "
        copies.append((instruction.upper() if i % 2 else "  ".join(instruction.split()), input_, answer))
    flags = _conflicts(rows + copies, ctx)
    assert sum(flags[:300]) == 0 and sum(flags[len(rows):]) == 0
    assert sum(flags) <= 0.01 * len(flags), sum(flags)  # real conflicts among the clean rows stay rare
