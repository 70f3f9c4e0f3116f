"""lang_text's counting shortcuts give what the regexes they replace give (issue 12)."""

from __future__ import annotations

import random

from ift_data.audit.lang_text import _CAPITALIZED_RE, _LETTER_RE, SCRIPTS, _capitalized, _script_counts, shape

SAMPLES = ["Eggs, Milk, Flour", "Los Angeles San Francisco", '"Hello" (World) «Élan» “Quote” ¿Qué?',
           "Привет, как дела? Это тест.", "这是一个测试。カタカナとひらがな。한국어 문장입니다.", "Ελληνικά και עברית",
           "ภาษาไทย ქართული Հայերեն हिन्दी العربية", "x² ½ ① ٣ 𝔘𝔫𝔦 😀 e\u0301", "", "   ", "\u00d7\u00de\u00df\u00c0",
           "A\u2028B\x1cC\u3000D \"'E"]


def _random_texts(count: int) -> list[str]:
    rng = random.Random(11)
    pool = "aZé É«“\"'( \n\t\u3000я中カ한ά\u05d0\u0e01²_1😀"
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def test_script_counts_match_findall() -> None:
    for text in SAMPLES + _random_texts(2000):
        expected = {name: k for name, rx in SCRIPTS.items() if (k := len(rx.findall(text)))}
        assert _script_counts(text) == (expected, len(_LETTER_RE.findall(text))), repr(text)


def test_capitalized_matches_findall() -> None:
    for text in SAMPLES + _random_texts(2000):
        assert _capitalized(text) == len(_CAPITALIZED_RE.findall(text)), repr(text)


def test_shape_of_mixed_text() -> None:
    # 6 han characters weigh 18 letters: fewer than 20 Latin letters, more than 11
    found = shape("这是一个测试 with some English words")
    assert (found.script, found.counts, found.letters) == ("latin", {"latin": 20, "han": 6}, 26)
    assert shape("这是一个测试 with English").script == "han"
