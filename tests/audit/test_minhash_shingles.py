"""MinHash shingling on the batch's bytes: the same units as the polars regex definition, stable hash
values, and signatures that do not depend on how texts are batched or passed."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ift_data.audit import minhash
from ift_data.audit.minhash import (
    _units,
    shingle_hashes,
    shingles_flat,
    signatures,
    signatures_flat,
    text_signatures,
)
from ift_data.audit.text import UNIT_PATTERN_RS, UNSPACED_CLASS_RS, symbol_units_expr

TRICKY = [
    "", None, "a", "Evaluate 2+2 = 4, then 2*2!", "  leading\tand\ntrailing  ", "cm² and x³ (superscripts)",
    "日本語の文章です。日本語の文章です。", "ภาษาไทยไม่มีช่องว่าง", "混合 mixed 中文 and English words here",
    "nb\u00a0sp\u2028ls\u0085nel\u3000wide space", "e\u0301te cafe\u0301 (combining marks)", "zw\u200dj\u200bx a b",
    "👍🏽 ❤️ emoji 𠀀𠀁 ext-b", "İstanbul ǅ ß ΣΑΣ Straße", "ctrl\x01x\x1fy\x7fz a b", "a,b;c.d!e...",
    "x" * 8 + " " + "y" * 9 + " " + "z" * 64 + " " + "w" * 65 + " " + "v" * 300, "“quoted” — dashes – and ‘single’",
]


def _reference_units(texts: list[str | None]) -> tuple[list[list[str]], list[bool]]:
    """Units by the regex definition (``UNIT_PATTERN_RS`` over ``symbol_units_expr``) and whether at
    least half of each text's non-space characters are unspaced-script characters."""
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.Utf8}).select(
        symbol_units_expr(pl.col("t").fill_null("")).alias("n"))
    frame = frame.select(pl.col("n").str.extract_all(UNIT_PATTERN_RS).alias("units"),
                         pl.col("n").str.count_matches(f"[{UNSPACED_CLASS_RS}]").alias("unspaced"),
                         (pl.col("n").str.len_chars() - pl.col("n").str.count_matches(r"\s")).alias("visible"))
    mostly = [v > 0 and u >= 0.5 * v for u, v in zip(frame["unspaced"], frame["visible"], strict=True)]
    return [units or [] for units in frame["units"].to_list()], mostly


def test_units_match_the_regex_definition() -> None:
    hashes, counts, mostly = _units(TRICKY)
    expected, expected_mostly = _reference_units(TRICKY)
    assert counts.tolist() == [len(units) for units in expected]
    assert mostly.tolist() == expected_mostly
    assert mostly[TRICKY.index("日本語の文章です。日本語の文章です。")]
    bounds = np.concatenate([[0], np.cumsum(counts)])
    by_unit: dict[str, int] = {}
    for i, units in enumerate(expected):
        for unit, value in zip(units, hashes[bounds[i]:bounds[i + 1]].tolist(), strict=True):
            assert by_unit.setdefault(unit, value) == value  # equal units, equal hashes
    assert len(set(by_unit.values())) == len(by_unit)  # distinct units (short, 8-byte, long, 300-byte), distinct
    assert {"cm", "²", "x", "³", "v" * 300, "w" * 65, "z" * 64} <= set(by_unit)


def test_long_units_differ_by_any_byte() -> None:
    base = "v" * 300
    variants = [base, base[:-1] + "w", "w" + base[1:], base[:150] + "w" + base[151:], base + "v"]
    hashes, counts, _ = _units(variants)
    assert counts.tolist() == [1] * 5 and len(set(hashes.tolist())) == 5


def test_ngram_sizes() -> None:
    values, bounds = shingles_flat(["one two three four five", "one two", "日本語の文章です", "日本語"], 3, 5, 2)
    assert np.diff(bounds).tolist() == [3, 1, 4, 1]  # word 3-grams; one shingle of all units when fewer
    values, bounds = shingles_flat(["one two", ""], 3, 5, 3)
    assert np.diff(bounds).tolist() == [0, 0] and len(values) == 0  # under min_units: none


def test_hash_values_are_pinned() -> None:
    """Signature values are part of the outputs (byte-identical across runs and platforms): a change here
    changes which pairs LSH proposes, so it must be deliberate."""
    sets = shingle_hashes(["The quick brown fox jumps over the lazy dog", "2+2 = 4"], 3, 5, 1)
    assert sets[0].tolist()[:3] == PINNED_SHINGLES and len(sets[0]) == 7 and len(sets[1]) == 3
    assert text_signatures(["The quick brown fox jumps over the lazy dog"], 8, 0)[0][0].tolist() == PINNED_SIGNATURE


PINNED_SHINGLES = [635325412, 1131185835, 1345199449]
PINNED_SIGNATURE = [95604866, 294782056, 192240975, 254377533, 679944728, 754425074, 647951129, 725719708]


def test_signatures_agree_across_paths_and_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "delta", "+", "=", "日", "本", "naïve", "x" * 70]
    texts = [" ".join(rng.choice(words, size=rng.integers(0, 40))) for _ in range(300)] + TRICKY
    whole, has = text_signatures(texts, 64, 7)
    sets = shingle_hashes(texts, 3, 5, 3)
    assert np.array_equal(signatures(sets, 64, 7), whole)  # repeats in a text never change a minimum
    assert has.tolist() == [len(s) > 0 for s in sets]
    parts = np.vstack([text_signatures(texts[i:i + 37], 64, 7)[0] for i in range(0, len(texts), 37)])
    assert np.array_equal(parts, whole)
    values, bounds = shingles_flat(texts, 3, 5, 3)
    for block in (1, 5, 64, 100_000):  # a row longer than the block gets its own buffer
        assert np.array_equal(signatures_flat(values, bounds, 64, 7, block=block), whole)
    assert (whole[~has] == np.iinfo(np.uint32).max).all()
    monkeypatch.setattr(minhash, "_CHUNK_CHARS", 50)  # texts shingled a few at a time (each alone when long)
    assert np.array_equal(text_signatures(texts, 64, 7)[0], whole)
    assert all(np.array_equal(x, y) for x, y in zip(shingle_hashes(texts, 3, 5, 3), sets, strict=True))
