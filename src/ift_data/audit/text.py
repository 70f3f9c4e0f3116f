"""Text helpers shared by the signals: normalization and script-aware units (words, or characters for
scripts written without spaces: Chinese, Japanese, Thai ...)."""

from __future__ import annotations

import re

import polars as pl

# Characters of scripts written without spaces between words; each one counts as one unit.
_UNSPACED_RANGES = [(0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x0E00, 0x0EFF),
                    (0x1000, 0x109F), (0x1780, 0x17FF), (0x20000, 0x2FA1F)]
UNSPACED_CLASS_PY = "".join(f"{chr(a)}-{chr(b)}" for a, b in _UNSPACED_RANGES)
UNSPACED_CLASS_RS = "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in _UNSPACED_RANGES)
# one unit = one unspaced character, or a run of other non-space characters
UNIT_PATTERN_RS = f"[{UNSPACED_CLASS_RS}]|[^\\s{UNSPACED_CLASS_RS}]+"
_UNIT_RE = re.compile(f"[{UNSPACED_CLASS_PY}]|[^\\s{UNSPACED_CLASS_PY}]+")
_UNSPACED_RE = re.compile(f"[{UNSPACED_CLASS_PY}]")
# a character that is neither a word character nor a space: its own shingling unit
SYMBOL_RS = r"([^\w\s])"
_SYMBOL_RE = re.compile(SYMBOL_RS)
# Sentence punctuation and quotes that may be added or dropped at either end of a text without changing
# it; every other character (math, code, brackets, symbols; any punctuation inside the text) counts.
EDGE_PUNCTUATION = ".,;:!?¿¡…\"'“”‘’„‚«»‹›。，、；：！？｡､"


def normalize_expr(expr: pl.Expr) -> pl.Expr:
    """Lower case, whitespace collapsed, edge punctuation stripped (for exact-duplicate hashing). A text
    of nothing but edge punctuation keeps it: "?" and "!" stay different."""
    spaced = expr.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    stripped = spaced.str.strip_chars(EDGE_PUNCTUATION + " ")
    return pl.when(stripped == "").then(spaced).otherwise(stripped)


def normalize(text: str) -> str:
    """Python twin of ``normalize_expr`` for single strings."""
    spaced = " ".join(text.lower().split())
    return spaced.strip(EDGE_PUNCTUATION + " ") or spaced


def symbol_units(text: str) -> str:
    """Lower case, each symbol or punctuation mark set apart as its own unit (MinHash's text, see
    ``audit/minhash.py``, which does the same in polars with ``SYMBOL_RS``)."""
    return _SYMBOL_RE.sub(r" \1 ", text.lower())


def symbol_units_expr(expr: pl.Expr) -> pl.Expr:
    """Polars twin of ``symbol_units``."""
    return expr.str.to_lowercase().str.replace_all(SYMBOL_RS, " $1 ")


def units(text: str) -> list[str]:
    """Words, with every character of an unspaced script as its own unit."""
    return _UNIT_RE.findall(text)


def unit_count(text: str) -> int:
    """``len(units(text))``; ASCII text (no unspaced script: every unit is a whitespace-separated word) is
    counted by ``str.split``, which splits where ``\\s`` matches."""
    return len(text.split()) if text.isascii() else len(_UNIT_RE.findall(text))


def unit_count_expr(expr: pl.Expr) -> pl.Expr:
    return expr.str.count_matches(UNIT_PATTERN_RS).cast(pl.Int64)


def unspaced_share(text: str) -> float:
    """Share of non-space characters that belong to an unspaced script."""
    stripped = len(text) - text.count(" ") - text.count("\n")
    return len(_UNSPACED_RE.findall(text)) / stripped if stripped > 0 else 0.0


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    if len(tokens) < n:
        return [tuple(tokens)] if tokens else []
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def shingle_units(text: str, n_words: int, n_chars: int) -> tuple[list[str], int]:
    """MinHash's units of a text and the n-gram size to use: ``n_chars`` for mostly-unspaced text."""
    normalized = symbol_units(text)
    return units(normalized), (n_chars if unspaced_share(normalized) >= 0.5 else n_words)
