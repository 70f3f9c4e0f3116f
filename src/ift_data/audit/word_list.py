"""English words, for telling a word cut in half ("... the current guidance on eating a healt") from a word.

The words are pyspellchecker's English word-frequency dictionary (about 160,000 words with their counts in
a large English corpus, shipped in its wheel) together with the whole-word part of the bundled static
model's WordPiece vocabulary (about 22,500 words, among them newer ones the dictionary lacks: "app",
"wifi"); nothing is downloaded. A last word is cut when it is neither, begins a common dictionary word, and
stands in English text. The vocabulary alone was tried first: it lacks rare words that begin common ones
("mush", "grocer", "broth", "hera") and read them as cuts in CoLA and Alpaca answers.

A name cut after its first part ("New Hampsh") is read against wordfreq's English list (``cut_name``), which
holds names and places, rare surnames among them, that the dictionary lacks.
"""

from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache

from ift_data.audit.word_frequencies import frequencies
from ift_data.embed.model import static_model_path

COMMON_COUNT = 1_000  # a word a cut fragment may begin: counted at least this often
# Two-letter words and units that end sentences; another two-letter token that begins a common word is a cut
# ("The most suitable ve").
SHORT_WORDS = frozenset(
    "ad ah am an as at aw be by do eh ex go ha he hi hm id if in is it me my no of oh ok on or ox pa pi "
    "so to tv uh um up us vs we yo ya cm mm km kg mg ml lb oz ft yd mi hr pm gb mb kb tb".split())
_LAST_WORD = re.compile(r"(?:^|[\s(\"'“‘-])([A-Za-z][a-z]*)$")
# A capitalized last word counts as the first word of its line (a list item: "- Tomat"), or after a word that
# is neither capitalized nor followed by a comma ("Scandinavia and Centr", "2018 Bos"): not as the second part
# of a name ("Viktor Frankl") nor as a place after its town ("Carson, Calif").
_LINE_START_WORD = re.compile(r"(?:^|\n)[ \t]*(?:(?:[-*•+]|\d{1,3}[.)])[ \t]+)?[A-Z][a-z]+$")
_CAPITALIZED_BEFORE = re.compile(r"(?:^|\s)[A-Z][^\s,;:]*\s+$|,\s*$")
_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
# One letter left of a word ("Though the clouds may c"): not a word ("a", "I", "o"), nor a variable or unit
# that ends mathematics ("... for x", "the n", "5 m", "100 g", "e").
_CUT_LETTERS = frozenset("bcdfhjlpqrsuvw")
_WORD_BEFORE = re.compile(r"(?:[^\W\d_]|[^\W\d_]{3},)\s*$")  # a word, or a word of three letters or more and a comma
# Letters cut from a word only in these places: "y" after a word and a comma ("red, blue, y"; not "x, y" nor "and
# y"), "i" after an article ("the fixed rate and the i": not the pronoun)
_LETTER_PLACES = {"y": re.compile(r"[^\W\d_]{3},\s*$"), "i": re.compile(r"\b(?:the|an?)\s+$", re.IGNORECASE)}
# Particles a surname follows, in lower-cased text too ("lady de bourg", "ludwig van beethoven").
_NAME_PARTICLES = frozenset("de du da di del della der den van von le la al el bin ibn st saint mc mac".split())
# A year cut to its century ("... was founded in 20", "as of 20"): Alpaca's answers carry this cut.
_CUT_YEAR = re.compile(r"\b(?:in|of|since|until|from|year|around|circa|early|late|mid)\s+(?:19|20)$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _counts() -> dict[str, int]:
    """pyspellchecker's English words and their counts."""
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """The lower-case whole words of the bundled static model's tokenizer vocabulary."""
    vocab = json.loads((static_model_path() / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(w for w in vocab if w.isascii() and w.isalpha() and w.islower())


@lru_cache(maxsize=1)
def _common() -> list[str]:
    """The common words, sorted (for the prefix search)."""
    return sorted(w for w, n in _counts().items() if n >= COMMON_COUNT and w.isascii() and w.isalpha())


def known(word: str) -> bool:
    """``word`` (lower case) is an English word: in the dictionary or the vocabulary."""
    return word in _counts() or word in _vocabulary()


def _begins_a_word(fragment: str, words: list[str] | None = None, longer_by: int = 1) -> bool:
    """``fragment`` begins a word of ``words`` (sorted; default ``_common()``) at least ``longer_by`` letters
    longer than it."""
    words = _common() if words is None else words
    i = bisect.bisect_right(words, fragment)
    return i < len(words) and words[i].startswith(fragment) and len(words[i]) >= len(fragment) + longer_by


def cut_word(text: str, min_known_share: float = 0.8) -> str | None:
    """The end of ``text`` when it is a word cut short: its last word (lower-cased) when that is no English
    word but begins a common one, in English text (at least ``min_known_share`` of its other lower-case
    words of three or more letters are known, or of all its words when none is lower case; a capitalized
    last word only as the first of its line or after a word that is not capitalized; a lone letter after a word,
    "y" only after a word and a comma, "i" only after an article), or a year cut to its century ("in 20"). None
    otherwise."""
    if text[-1:].isdigit():
        year = _CUT_YEAR.search(text)
        return year.group(0) if year is not None else None
    match = _LAST_WORD.search(text) if text[-1:].isalpha() else None
    if match is None:
        return None
    fragment, head = match.group(1).lower(), text[: match.start(1)]
    if match.group(1)[0].isupper() and not _LINE_START_WORD.search(text) \
            and (len(fragment) < 3 or head.endswith("-") or _CAPITALIZED_BEFORE.search(head)):
        return None
    if len(fragment) == 1:  # after a word, or a word and a comma ("strawberry, c"), not an operator ("a + b")
        place = _LETTER_PLACES.get(fragment)
        if match.group(1).isupper() or not (place.search(head) if place is not None
                                            else fragment in _CUT_LETTERS and _WORD_BEFORE.search(head)):
            return None
    elif len(fragment) == 2:
        if fragment in SHORT_WORDS:
            return None
    elif known(fragment):
        return None
    before = head.split()
    if not _begins_a_word(fragment) or (before and before[-1].lower() in _NAME_PARTICLES):
        return None
    # lower-case words only: names and terms are capitalized, and Wikipedia-style answers are full of them;
    # a list of capitalized items ("- Carrots\n- Tomatoes\n- Lettu") by all its words, when it has three
    words = _WORD.findall(head)
    others = [w for w in words if w.islower()]
    if not others and len(fragment) >= 3 and len(words) >= 3:
        others = [w.lower() for w in words]
    if not others or sum(map(known, others)) < min_known_share * len(others):
        return None
    return fragment


COMMON_NAME_FREQUENCY = 1e-6  # cut_name: the longer word a cut name begins is at least this frequent in English
_NAME_AFTER_NAME = re.compile(r"(?:^|\s)[A-Z][\w'’.&-]*[ \t]+([A-Z][a-z]{2,})$")


@lru_cache(maxsize=1)
def _common_english() -> list[str]:
    """wordfreq's English words of at least ``COMMON_NAME_FREQUENCY``, sorted (for the prefix search)."""
    return sorted(w for w, f in frequencies("en").items() if f >= COMMON_NAME_FREQUENCY and w.isalpha())


def cut_name(text: str) -> str | None:
    """The last word of ``text`` when it is the second part of a name cut short ("... Massachusetts, New
    Hampsh"): capitalized after a capitalized word, no word English has (not in wordfreq's English list, which
    holds rare surnames too, "Frankl", "Princip", nor ``known``), yet the start of a word of that list that is
    at least two letters longer and ``COMMON_NAME_FREQUENCY`` frequent. None otherwise."""
    match = _NAME_AFTER_NAME.search(text)
    if match is None:
        return None
    fragment = match.group(1).lower()
    if frequencies("en").get(fragment, 0.0) > 0.0 or known(fragment):
        return None
    return fragment if _begins_a_word(fragment, _common_english(), longer_by=2) else None
