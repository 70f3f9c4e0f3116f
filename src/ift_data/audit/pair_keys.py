"""What two rows must share, besides similar texts, to be near duplicates (MinHash, semantic) of each other.

- **The same setting**: the same normalized system prompt and conversation context (``dedup_exact.setting_groups``):
  one question asked of a pirate and of a butler, or after two different conversations, is two examples.
- **Answers whose numbers agree** (rule ``same_numbers`` of ``dedup_minhash`` / ``dedup_semantic``, on by default):
  the set of digit runs of one row's response holds the other's (or the other way round). An embedding, and the
  shingles of a long shared template, hardly see numbers: "Ben has 57 stickers and gets 42 more" and "Ben has 53
  stickers and gets 44 more" are two problems with two answers ("... = 99", "... = 97"), each with numbers the
  other lacks; a short answer with another number ("42" / "43") is a conflict, not a copy. A copy that repeats,
  reorders or drops a number still agrees (as does a stray placeholder such as ``{0}``); one that changes a number
  does not. Only the answers count: two questions whose numbers differ ("... in the 19th century", "... in the
  17th and 18th centuries") answered with the same pasted passage are still copies of one example.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from ift_data.audit.minhash import PairFilter
from ift_data.audit.table_texts import TableTexts

DIGIT_RUN_RS = r"\d+"
PARTS = ("response",)  # the parts whose numbers must agree (a prompt join reads "prompt")


def digit_runs_expr(expr: pl.Expr) -> pl.Expr:
    """The digit runs of a text, as a list."""
    return expr.fill_null("").str.extract_all(DIGIT_RUN_RS)


def _part_expr(part: str) -> pl.Expr:
    if part == "prompt":
        return pl.concat_str([pl.col("instruction").fill_null(""), pl.col("input").fill_null("")], separator="\n")
    return pl.col("response")


def numbers_agree(table: pl.DataFrame, left: np.ndarray, right: np.ndarray,
                  parts: Sequence[str] = PARTS) -> np.ndarray:
    """For each pair of row positions (``left[i]``, ``right[i]``): do their numbers agree (see the module
    docstring) in each of ``parts``? Digit runs are read for the rows of the pairs only."""
    out = np.ones(len(left), dtype=bool)
    if not len(left):
        return out
    rows = np.unique(np.concatenate([left, right]))
    values = TableTexts(table, *[digit_runs_expr(_part_expr(p)) for p in parts]).take(rows.tolist())
    sets = [tuple(frozenset(runs) for runs in (v if len(parts) > 1 else (v,))) for v in values]
    a, b = np.searchsorted(rows, left).tolist(), np.searchsorted(rows, right).tolist()
    for k, (i, j) in enumerate(zip(a, b, strict=True)):
        out[k] = all(x <= y or y <= x for x, y in zip(sets[i], sets[j], strict=True))
    return out


def alike_pairs(table: pl.DataFrame, left: np.ndarray, right: np.ndarray, settings: np.ndarray,
                numbers: bool, parts: Sequence[str] = PARTS) -> tuple[np.ndarray, np.ndarray]:
    """For each pair of row positions: do the two rows share their setting (``settings``: ``setting_groups``),
    and (with ``numbers``; else always) do their numbers (in ``parts``) agree? The numbers of pairs in two
    settings are not read."""
    same_setting = settings[left] == settings[right]
    agree = np.ones(len(left), dtype=bool)
    if numbers:
        agree[same_setting] = numbers_agree(table, left[same_setting], right[same_setting], parts)
    return same_setting, agree


def pair_filter(table: pl.DataFrame, settings: np.ndarray, numbers: bool,
                parts: Sequence[str] = PARTS) -> PairFilter | None:
    """MinHash's ``pairs_ok`` for ``table``: the pairs of one setting whose numbers (in ``parts``, with
    ``numbers``) agree. None where it would let every pair through (one setting, numbers not compared)."""
    one_setting = not len(settings) or bool((settings == settings[0]).all())
    if one_setting and not numbers:
        return None

    def ok(pairs: np.ndarray) -> np.ndarray:
        same_setting, agree = alike_pairs(table, pairs[:, 0], pairs[:, 1], settings, numbers, parts)
        return same_setting & agree

    return ok
