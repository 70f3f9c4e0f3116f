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
_PUNCT_RE = re.compile(r"[^\w\s]|_")


def normalize_expr(expr: pl.Expr) -> pl.Expr:
    """Lower case, punctuation and symbols removed, whitespace collapsed (for exact-duplicate hashing)."""
    return (expr.str.to_lowercase().str.replace_all(r"[\p{P}\p{S}]", "")
            .str.replace_all(r"\s+", " ").str.strip_chars())


def normalize(text: str) -> str:
    """Python twin of ``normalize_expr`` for single strings (shingling, comparisons)."""
    return " ".join(_PUNCT_RE.sub(" ", text.lower()).split())


def units(text: str) -> list[str]:
    """Words, with every character of an unspaced script as its own unit."""
    return _UNIT_RE.findall(text)


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
    """Normalized units of a text and the n-gram size to use: ``n_chars`` for mostly-unspaced text."""
    normalized = normalize(text)
    return units(normalized), (n_chars if unspaced_share(normalized) >= 0.5 else n_words)
