"""Duplicate detection keeps math, code and symbols significant: exact duplicates normalize case,
whitespace and edge punctuation only; MinHash shingles keep each symbol as a unit; a short prompt or
answer that differs makes two examples, not a near duplicate."""

from __future__ import annotations

import polars as pl
from audit_tables import make_table

from ift_data.audit.dedup_exact import DedupExactSignal
from ift_data.audit.dedup_minhash import DedupMinhashSignal
from ift_data.audit.minhash import near_duplicate_clusters, shingle_hashes
from ift_data.audit.text import normalize, normalize_expr, shingle_units

LONG = ("Read the following description of two quantities carefully and decide how they compare. The first "
        "quantity is the number of days in a leap year and the second is the number of days in a common year; "
        "answer with a single comparison sign placed between them.")


def _norm(texts: list[str]) -> list[str]:
    return pl.select(normalize_expr(pl.Series(texts, dtype=pl.String).alias("t"))).to_series().to_list()


def test_normalization_keeps_symbols_and_inner_punctuation() -> None:
    texts = ["Evaluate 2+2", "evaluate 2*2", "Evaluate 2^2", "<", ">", "a // b", "a / b", "i++", "++i", "?", "!",
             "Hello, world", "Hello world"]
    assert len(set(_norm(texts))) == len(texts)
    for text in texts:
        assert normalize(text) == _norm([text])[0]


def test_normalization_still_merges_case_spacing_and_edge_punctuation() -> None:
    variants = ["Name a fruit.", "  name a   FRUIT ", "name a fruit!", "\"Name a fruit\"", "Name a fruit?!",
                "name\ta fruit…"]
    assert set(_norm(variants)) == {"name a fruit"}
    assert set(_norm(["列出水果。", "列出水果"])) == {"列出水果"}
    assert _norm(["...", "  ...  "]) == ["...", "..."]  # nothing but edge punctuation: kept


def test_exact_duplicates_of_symbol_variants_are_distinct(ctx) -> None:
    table = make_table([("Evaluate 2+2", "", "4"), ("Evaluate 2*2", "", "4"), ("Evaluate 2^2", "", "4"),
                        ("Compare 3 and 5.", "", "<"), ("Compare 3 and 5.", "", ">"),
                        ("Evaluate 2+2.", "", "4."), ("EVALUATE 2+2", "", " 4 ")])
    result = DedupExactSignal().compute(table, ctx)
    assert list(pl.Series(result.flags["flag_exact_duplicate"])) == [False] * 5 + [True, True]
    assert list(result.columns["dedup_exact_cluster"]) == [0, None, None, None, None, 0, 0]
    assert list(result.columns["dedup_exact_response_group"]) == [0, 0, 0, 3, 4, 0, 0]


def test_shingles_keep_symbols() -> None:
    plus, times, less, more = shingle_hashes(["Evaluate 2+2 = 4", "Evaluate 2*2 = 4", "<", ">"], 3, 5, 1)
    assert len(plus) == len(times) == 4 and len(set(plus) & set(times)) == 1  # only ("2", "=", "4") is shared
    assert len(less) == len(more) == 1 and less[0] != more[0]
    assert shingle_units("Evaluate 2+2", 3, 5) == (["evaluate", "2", "+", "2"], 3)


def test_near_duplicates_need_the_same_short_prompt_and_answer(ctx) -> None:
    edited = LONG.replace("carefully", "very carefully")
    table = make_table([(LONG, "", "<"), (LONG, "", ">"), (LONG, "", "<."), (edited, "", "<"),
                        ("Evaluate 2+2 and explain each step of the computation in full sentences.", "",
                         "Adding two and two gives four, because counting two more after two reaches four."),
                        ("Evaluate 2*2 and explain each step of the computation in full sentences.", "",
                         "Adding two and two gives four, because counting two more after two reaches four.")])
    result = DedupMinhashSignal().compute(table, ctx)
    # one symbol changed in a long prompt is still an edit: rows 4 and 5 are near duplicates
    assert list(pl.Series(result.flags["flag_near_duplicate"])) == [False, False, True, True, False, True]
    assert list(result.columns["dedup_minhash_cluster"]) == [0, None, 0, 0, 4, 4]


def test_keys_only_narrow_clusters() -> None:
    texts = [LONG + " <", LONG + " >"]
    assert list(near_duplicate_clusters(texts, threshold=0.8).representative) == [0, 0]
    assert list(near_duplicate_clusters(texts, threshold=0.8, keys=["<", ">"]).representative) == [-1, -1]
