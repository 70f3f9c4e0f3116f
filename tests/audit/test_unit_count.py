"""``unit_count`` is ``len(units(text))`` on every kind of text: its ASCII shortcut (``str.split``) counts the
same words as the unit regex."""

from __future__ import annotations

import random

from ift_data.audit.text import unit_count, units

PIECES = ["word", " ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "  ", "-", "'s", "3.14", "<|im_end|>",
          "日本語", "漢", "ไทย", "한국어", "é", "\u00a0", "\u2003", "\u3000", "😀", "naïve", "x" * 40, ""]


def test_unit_count_equals_the_unit_regex() -> None:
    rng = random.Random(7)
    texts = ["", " ", "one", "two words", " lead and trail ", "tab\tand\nnewline", "日本語のテキスト", "mixed 中文 text"]
    texts += ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25))) for _ in range(5_000)]
    texts += ["".join(chr(rng.randrange(0, 128)) for _ in range(rng.randint(0, 40))) for _ in range(5_000)]
    for text in texts:
        assert unit_count(text) == len(units(text)), repr(text)
