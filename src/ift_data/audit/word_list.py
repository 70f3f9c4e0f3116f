"""English words, for telling a word cut in half ("... the current guidance on eating a healt") from a word.

The list is the whole-word part of the vocabulary of the bundled static embedder's tokenizer
(``models/minilm-static-256/tokenizer.json``: bert-base-uncased's WordPiece vocabulary, about 22,500
lower-case ASCII words), so nothing is downloaded and no word list is copied into the project. It lacks
rare words and many inflections, so ``cut_word`` asks more than "not in the list": the token must also
begin a listed word, be no inflection of one, and stand in text whose other lower-case words are mostly
listed (English).
"""

from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache

from ift_data.embed.model import static_model_path

# Two-letter words and units that end sentences; a two-letter token outside this set that begins a listed
# word is a cut ("The horse says to the ba").
_SHORT_WORDS = frozenset(
    "ad ah am an as at aw be by do eh ex go ha he hi hm id if in is it me my no of oh ok on or ox pa pi "
    "so to tv uh um up us vs we yo ya cm mm km kg mg ml lb oz ft yd mi hr pm gb mb kb tb".split())
_UNITS = frozenset("cm mm km kg mg ml lb lbs oz ft yd mi hr hrs min mins sec secs gb mb kb tb mph kph kmh rpm "
                   "etc ie eg vs approx".split())
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "er", "ers", "est", "ness", "ful", "al")
_LAST_WORD = re.compile(r"(?:^|[\s(\"'“‘-])([A-Za-z][a-z]*)$")
# One letter left of a word ("Though the clouds may c"): not a word ("a", "I", "o"), nor a variable or unit
# that ends mathematics ("... for x", "the n", "5 m", "100 g", "e").
_CUT_LETTERS = frozenset("bcdfhjlpqrsuvw")
# A capitalized last word counts only as the first word of its line (a list item: "- Lettu"), not as a name.
_LINE_START_WORD = re.compile(r"(?:^|\n)[ \t]*(?:(?:[-*•+]|\d{1,3}[.)])[ \t]+)?[A-Z][a-z]+$")
_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[list[str], frozenset[str]]:
    """(sorted words, the same as a set) from the bundled tokenizer's vocabulary."""
    path = static_model_path() / "tokenizer.json"
    vocab = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    words = sorted(w for w in vocab if w.isascii() and w.isalpha() and w.islower())
    return words, frozenset(words)


def known(word: str) -> bool:
    """``word`` (lower case) is a listed word or a regular inflection of one."""
    words = _vocabulary()[1]
    if word in words or word in _UNITS:
        return True
    if any(word + s in words for s in ("s", "es", "e")):
        return True
    return any(word.endswith(s) and len(word) - len(s) >= 3 and (word[: -len(s)] in words
                                                                or word[: -len(s)] + "e" in words)
               for s in _SUFFIXES)


def _begins_a_word(fragment: str) -> bool:
    words = _vocabulary()[0]
    i = bisect.bisect_right(words, fragment)
    return i < len(words) and words[i].startswith(fragment)


# A year cut to its century ("... was founded in 20", "as of 20"): Alpaca's answers carry this cut.
_CUT_YEAR = re.compile(r"\b(?:in|of|since|until|from|year|around|circa|early|late|mid)\s+(?:19|20)$", re.IGNORECASE)


def cut_word(text: str, min_known_share: float = 0.8) -> str | None:
    """The end of ``text`` when it is a word cut short: its last word (lower-cased) when that is no word or
    inflection of one but begins a listed word, in English text (at least ``min_known_share`` of its other
    lower-case words of three or more letters are known; a capitalized last word only as the first of its
    line), or a
    year cut to its century ("in 20"). None otherwise."""
    year = _CUT_YEAR.search(text)
    if year is not None:
        return year.group(0)
    match = _LAST_WORD.search(text)
    if match is None or (match.group(1)[0].isupper() and not _LINE_START_WORD.search(text)):
        return None
    fragment = match.group(1).lower()
    if len(fragment) == 1:  # after a word, not an operator ("a + b")
        if fragment not in _CUT_LETTERS or match.group(1).isupper() or not text[: match.start(1)].rstrip()[-1:].isalpha():
            return None
    elif len(fragment) == 2:
        if fragment in _SHORT_WORDS:
            return None
    elif known(fragment):
        return None
    if not _begins_a_word(fragment):
        return None
    # lower-case words only: names and terms are capitalized, and Wikipedia-style answers are full of them
    others = [w for w in _WORD.findall(text[: match.start(1)]) if w.islower()]
    if len(others) < 2 or sum(map(known, others)) < min_known_share * len(others):
        return None
    return fragment
