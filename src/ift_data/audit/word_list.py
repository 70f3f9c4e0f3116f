"""English words, for telling a word cut in half ("... the current guidance on eating a healt") from a word.

The words are pyspellchecker's English word-frequency dictionary (about 160,000 words with their counts in
a large English corpus, shipped in its wheel) together with the whole-word part of the bundled static
model's WordPiece vocabulary (about 22,500 words, among them newer ones the dictionary lacks: "app",
"wifi"); nothing is downloaded. A last word is cut when it is neither, begins a common dictionary word, and
stands in English text. The vocabulary alone was tried first: it lacks rare words that begin common ones
("mush", "grocer", "broth", "hera") and read them as cuts in CoLA and Alpaca answers.

A name cut after its first part ("New Hampsh") is read against wordfreq's English list (``cut_name``), which
holds names and places, rare surnames among them, that the dictionary lacks.

A cut can also leave a word English has ("the firs" for "the first"). ``cut_odds`` weighs the two readings with
wordfreq's unigram frequencies: the chance that a cut inside a random word leaves this prefix (the frequencies
of the longer words it begins, each over its number of cut points) against the word's own frequency. On
simulated cuts inside the words of Alpaca and Dolly answers, a lower-case word at odds of 50 or more
(``CUT_ODDS``) was a cut in 700 of the 2,391 cut words the other tests missed, and 5 of 46,001 clean texts ending
on a lower-case word reach those odds ("pines or firs", "one ounce of his wit", "a bee"); at 100, 474 cuts
against 2; at 20, 1,076 against 15 ("the bot", "above par"). A predicate noun is left alone ("is called a doe").
Since the fifteenth session the odds are 20: on 91,475 clean texts and sentences that costs 3 flags more than 50
("the bot", "in the stud", "above par"), and it finds 1.6 points more of Alpaca's simulated cuts inside words and
1.2 more of Dolly's.
"""

from __future__ import annotations

import bisect
import itertools
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
_LATER_ITEM = re.compile(r"[^,\n]+,[^,\n]+,\s*$")  # after the second item of a comma list or later
_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
_TWO_LETTER_WORD = re.compile(r"\b[a-z]{2}\b")
# One letter left of a word ("Though the clouds may c"): not a word ("a", "I"), nor a variable or unit that ends
# mathematics ("... for x", "5 m", "100 g").
_CUT_LETTERS = frozenset("bcdfhjlpqrsuvw")
# Letters that also name a variable, a vitamin or a grade: cut letters after a word ("had a population o", "the
# first round of t") only in text with no mathematics and not after a word that labels a letter ("solve for t",
# "vitamin e", "the letter o").
_PLAIN_CUT_LETTERS = frozenset("egimnot")
# Words after which a lower-case "i" is the pronoun written small ("so do i", "you and i", "than i")
_BEFORE_PRONOUN_I = frozenset("and or nor but than as so do did can could will would shall should may might must "
                              "am have had if when then that what who where because before after while how "
                              "neither either me said think".split())
_LETTER_LABELS = frozenset("vitamin letter variable grade type plan option group class point vertex size "
                           "parameter constant function value time for solve index print each element item "
                           "row column".split())
# A capitalized word before a lone letter: a label ("Plan b", "Appendix a"), a case's "v" ("Brown v"), a letter in
# a name that takes one (an exoplanet, "Proxima Centauri b"); otherwise the letter is what a cut left ("the
# Association o"). Capitalized, more words label a letter than in lower case ("Part b", but "a part o")
_CAPITALIZED_LABELS = _LETTER_LABELS | frozenset("part section appendix exhibit schedule chapter book volume act "
                                                 "phase stage step level tier team model series form block zone "
                                                 "wing gate unit".split())
_NAME_BEFORE_LETTER = re.compile(r"(?:^|\s)([A-Z][a-z]+)\s+$")
_LETTER_NAMES = re.compile(r"(?i)\b(?:planet|exoplanet|star|orbit|constellation|galaxy|hepatitis|vitamin)s?\b")
_MATHEMATICS = re.compile(r"[=+^*/<>]|\d\s*[a-z]\b|\b(?:variable|equation|formula|solve|function|integer|"
                          r"matrix|vector|coefficient)s?\b", re.IGNORECASE)
CUT_LETTER_CONTEXT = 300  # characters before a lone letter that may show mathematics
# An instruction about a letter or symbol, whose answer may be one ("Which letter stands for ...", "the symbol of")
ASKS_ABOUT_LETTERS = re.compile(r"(?i)\b(?:letter|symbol|variable|constant|stands? for|notation|denoted|unit)s?\b")
WIDER_PREFIX_LETTERS = 4  # a fragment unknown to both word lists begins a wordfreq word: at least this long
_SYMBOL_LETTER = re.compile(r"(?<![\w'’.-])(?![aAI]\b)[A-Za-z](?![\w'’.-])")  # a letter standing alone, not "a" or "I"
SHORT_CUT_ODDS = 100.0  # the same for the two-letter words of SHORT_WORDS
CUT_ODDS = 20.0  # a rare word that begins far more frequent ones is a cut: the odds at which it counts
NAME_CUT_ODDS = 300.0  # cut_name: a word that begins far more frequent words, at these odds ("United Stat")
# A predicate noun after a copula or a naming verb is the answer's point, not a cut: "is called a doe", "is a con"
_PREDICATE_BEFORE = re.compile(r"(?i)\b(?:is|are|was|were|be|called|named|means|termed|known as)\s+(?:(?:a|an|the|simply a)\s+)?$")
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


def unlisted_word_start(fragment: str) -> bool:
    """``fragment`` (lower case) is in neither word list (the dictionary, wordfreq's English list with its names
    and rare words) yet begins a common word: no word, but the start of one ("octob", "remin")."""
    return not known(fragment) and not frequencies("en").get(fragment) and _begins_a_word(fragment)


def cut_word(text: str, min_known_share: float = 0.8, prompt: str = "", verse: bool = False) -> str | None:
    """The end of ``text`` when it is a word cut short: its last word (lower-cased) when that is no English
    word but begins a common one, in English text (at least ``min_known_share`` of its other lower-case
    words of three or more letters are known, or of all its words when none is lower case, or of its two or
    more two-letter words when it has nothing else but names: "Kansas is kn"; a capitalized
    last word only as the first of its line or after a word that is not capitalized; a lone letter after a word,
    "y" only after a word and a comma, "i" only after an article or a name, others where neither the text nor the
    ``prompt`` shows mathematics or letters used as symbols; after a name on its line, with no other words around
    it too: "Russia i"), a rare word that begins far more frequent ones
    (``rare_word_cut``; not in ``verse``, whose rhymes end on rare words), or a year cut to its century ("in
    20"). None otherwise."""
    if text[-1:].isdigit():
        year = _CUT_YEAR.search(text)
        return year.group(0) if year is not None else None
    match = _LAST_WORD.search(text) if text[-1:].isalpha() else None
    if match is None:
        return None
    fragment, head = match.group(1).lower(), text[: match.start(1)]
    if re.search(r"(?:^|\s)[A-Z][\w'’]*-$", head):
        return None  # the second part of a hyphenated name ("Bong Joon-ho", "Jean-Luc")
    capitalized = match.group(1)[0].isupper()
    # a capitalized word after two earlier items of a comma list, when no word list has it or at far better odds
    # as the start of a word ("Soccer, Racquetball, Volleyb"); a name there is not cut ("Toyota, Honda, Kia")
    listed = capitalized and len(fragment) >= 3 and not verse and _LATER_ITEM.search(head) is not None \
        and (cut_odds(fragment) >= NAME_CUT_ODDS or not (known(fragment) or frequencies("en").get(fragment)))
    if capitalized and not _LINE_START_WORD.search(text) and not listed \
            and (len(fragment) < 3 or head.endswith("-") or _CAPITALIZED_BEFORE.search(head)):
        return None
    if len(fragment) == 1:  # after a word, or a word and a comma ("strawberry, c"), not an operator ("a + b")
        if match.group(1).isupper() or not _cut_letter(fragment, head, prompt):
            return None
    elif len(fragment) == 2:
        if fragment in SHORT_WORDS and (capitalized or verse or cut_odds(fragment) < SHORT_CUT_ODDS):
            return None  # "yo", "ha", "lo" are words, but far likelier the start of "you", "has", "look"
    elif not listed and ((dictionary := known(fragment)) or frequencies("en").get(fragment, 0.0) > 0.0) \
            and (dictionary and (capitalized or verse) or not rare_word_cut(fragment, head)):
        # a word; a rare lower-case one that begins far more frequent words is a cut ("the firs"; not a rhyme
        # in verse), and so is a form only wordfreq has, capitalized too ("- Tomat"; not "Lowes")
        return None
    before = head.split()
    # wordfreq's list has the longer words the dictionary lacks: "underpi", "shiita"
    wider = not capitalized and len(fragment) >= WIDER_PREFIX_LETTERS
    if not (_begins_a_word(fragment) or wider and _begins_a_word(fragment, _common_english())) \
            or (before and before[-1].lower() in _NAME_PARTICLES):
        return None
    # lower-case words only: names and terms are capitalized, and Wikipedia-style answers are full of them;
    # a list of capitalized items ("- Carrots\n- Tomatoes\n- Lettu") by all its words, when it has three
    words = _WORD.findall(head)
    others = [w for w in words if w.islower()]
    if not others and len(fragment) >= 3 and len(words) >= 3:
        others = [w.lower() for w in words]
    if not others and head.rstrip(" \t")[-1:] not in ("", "\n") and len(short := _TWO_LETTER_WORD.findall(head)) >= 2:
        others = short  # names and two-letter words ("Cassoday, KS in Butler County, Kansas is kn"; not "ls -la")
    if len(fragment) == 1 and not others and _NAME_BEFORE_LETTER.search(head) \
            and not re.search(r"\n\s*$", head):
        return fragment  # a letter after a name, which _cut_letter let through ("Russia i", "Tom Robbins c")
    if not others or sum(map(known, others)) < min_known_share * len(others):
        return None
    return fragment


def rare_word_cut(fragment: str, head: str) -> bool:
    """``fragment``, a word (lower case) after ``head``, is likelier a longer word cut short: ``cut_odds`` at
    least ``CUT_ODDS``, and not a predicate noun ("A female deer is called a doe")."""
    return cut_odds(fragment) >= CUT_ODDS and _PREDICATE_BEFORE.search(head[-40:]) is None


def _cut_letter(letter: str, head: str, prompt: str = "") -> bool:
    """A lone lower-case ``letter`` after ``head`` is what a cut left of a word: not where the ``prompt`` asks
    about a letter or symbol ("Which letter is used for ..."), nor after a capitalized word that labels a letter
    ("Plan b"), in a case's name ("Brown v") or near a planet ("Proxima Centauri b")."""
    if ASKS_ABOUT_LETTERS.search(prompt):
        return False
    if (name := _NAME_BEFORE_LETTER.search(head)) is not None \
            and (letter == "v" or name.group(1).lower() in _CAPITALIZED_LABELS
                 or _LETTER_NAMES.search(head[-CUT_LETTER_CONTEXT:])):
        return False
    place = _LETTER_PLACES.get(letter)
    if place is not None and place.search(head) is not None:
        return True
    if letter in _CUT_LETTERS:
        return _WORD_BEFORE.search(head) is not None
    if letter not in _PLAIN_CUT_LETTERS:
        return False
    before = re.search(r"(?:([^\W\d_]+)\s+)?([^\W\d_]+),?\s+$", head)  # the two words before it
    if before is None or not _LETTER_LABELS.isdisjoint(w.lower() for w in before.groups() if w) or (
            letter == "i" and before.group(2).lower() in _BEFORE_PRONOUN_I):
        return False  # "vitamin e", "a grade of e", "so do i"
    context = head[-CUT_LETTER_CONTEXT:]
    # mathematics, or other letters standing alone as symbols ("E is energy, c is the speed of light ... m")
    return _MATHEMATICS.search(context) is None and _MATHEMATICS.search(prompt) is None \
        and _SYMBOL_LETTER.search(context) is None


@lru_cache(maxsize=1)
def _prefix_mass() -> tuple[list[str], list[float]]:
    """wordfreq's lower-case English words, sorted, and the running sum of frequency / (letters - 1): the
    chance that a cut inside a random word of English text leaves a given prefix, summed over the words."""
    english = frequencies("en")
    words = sorted(w for w in english if w.isascii() and w.isalpha() and w.islower() and len(w) > 1)
    return words, [0.0, *itertools.accumulate(english[w] / (len(w) - 1) for w in words)]


def cut_odds(fragment: str) -> float:
    """How much likelier ``fragment`` (lower case) is as the start of a longer English word cut short than as a
    word of its own: the prefix mass of the longer words that begin with it over its own frequency ("firs":
    549, "wit": 276, "thin": 20; "know": 0.09, "pot": 1.3). Unigram frequencies from wordfreq."""
    words, mass = _prefix_mass()
    lo = bisect.bisect_left(words, fragment)
    hi = bisect.bisect_left(words, fragment + "{", lo)  # "{" sorts after every lower-case letter
    longer = mass[hi] - mass[lo + 1 if lo < len(words) and words[lo] == fragment else lo]
    return longer / max(frequencies("en").get(fragment, 0.0), 1e-8)


COMMON_NAME_FREQUENCY = 1e-6  # cut_name: the longer word a cut name begins is at least this frequent in English
_NAME_AFTER_NAME = re.compile(r"(?:^|\s)[A-Z][\w'’.&-]*[ \t]+([A-Z][a-z]{2,})$")


@lru_cache(maxsize=1)
def _common_english() -> list[str]:
    """wordfreq's English words of at least ``COMMON_NAME_FREQUENCY``, sorted (for the prefix search)."""
    return sorted(w for w, f in frequencies("en").items() if f >= COMMON_NAME_FREQUENCY and w.isalpha())


def cut_name(text: str) -> str | None:
    """The last word of ``text`` when it is the second part of a name cut short ("... Massachusetts, New
    Hampsh"): capitalized after a capitalized word, and either at ``cut_odds`` of ``NAME_CUT_ODDS`` ("the United
    Stat") or no word English has (not in wordfreq's English list, which holds rare surnames too, "Frankl",
    "Princip", nor ``known``), yet the start of a word of that list that is at least two letters longer and
    ``COMMON_NAME_FREQUENCY`` frequent. None otherwise."""
    match = _NAME_AFTER_NAME.search(text)
    if match is None:
        return None
    fragment = match.group(1).lower()
    if cut_odds(fragment) >= NAME_CUT_ODDS:
        return fragment
    if frequencies("en").get(fragment, 0.0) > 0.0 or known(fragment):
        return None
    return fragment if _begins_a_word(fragment, _common_english(), longer_by=2) else None
