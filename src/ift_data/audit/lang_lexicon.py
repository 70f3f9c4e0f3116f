"""A short answer's language from how common its words are in each language ("Muratore edile.", "Drink de
hele dag genoeg water.", "Snape hield stiekem van Lily Potter."), where fastText alone is not sure enough.

A word-unigram likelihood ratio against English, from the word counts that pyspellchecker ships in its wheel
for Spanish, French, Portuguese, German, Italian and Dutch (nothing is downloaded): each lower-case word that
the prompt does not hold (and the text's first word, capitalized as a sentence's start) adds the log of its
frequency in that language over its frequency in English, clipped to ``±WORD_CLIP`` so one word never decides;
a word neither dictionary has (a name, a typo, a Japanese dish) adds nothing. The language counts when its
sum reaches ``MIN_EVIDENCE`` (about two words the language has and English lacks) and fastText gives it at
least ``MIN_DETECTOR_PROBABILITY``; of several such languages (Spanish and Portuguese share many words),
fastText's pick. Code, links and markup are left alone: their identifiers read as any language ("def
product(num1, num2)" scores as Portuguese); so are one-line comma lists of short items, which
``audit/lang_lists.py`` judges on stronger evidence (a famous quotation, "Veni, vidi, vici.", reads as Italian),
text in Title Case (a name), and answers to a prompt that asks for a name, a title or a phrase, which English
borrows whole ("Bon appétit!", "Der Himmel über Berlin").
"""

from __future__ import annotations

import gzip
import json
import math
import re
from functools import lru_cache
from importlib import resources

from ift_data.audit.lang_detect import MODEL_CLIP, UND, Detection
from ift_data.audit.lang_lists import list_items
from ift_data.audit.truncation import looks_like_code
from ift_data.audit.word_list import english_counts

LEXICON_LANGUAGES = ("es", "fr", "pt", "de", "it", "nl")  # pyspellchecker's Latin-script dictionaries besides English
WORD_CLIP = 5.0  # one word's log-ratio is clipped to this (a factor of about 150 either way)
MIN_EVIDENCE = 8.0  # the summed log-ratio a language needs
MIN_DETECTOR_PROBABILITY = 0.2  # ... and fastText's probability for it
SMOOTHING = 0.5  # added to each count
_WORD = re.compile(r"[^\W\d_]+")
_NOT_TEXT = re.compile(r"://|www\.|<")
# A prompt that asks for a name, a title or a phrase, which English borrows whole ("What do you say before a
# meal?" "Bon appétit!"; "What's the film's title?" "Der Himmel über Berlin"): the words are weak evidence there.
_ASKS_FOR_A_PHRASE = re.compile(r"(?i)\b(?:name of|names? (?:is|was|are|were)|called|titles?|phrases?|mottos?|"
                                r"expressions?|sayings?|say|said|quotes?|quotations?|idioms?|slogans?|proverbs?)\b")


@lru_cache(maxsize=len(LEXICON_LANGUAGES))
def _counts(lang: str) -> tuple[dict[str, int], int]:
    """pyspellchecker's word counts for ``lang`` and their total: its resource file read directly (a third of
    the time ``SpellChecker(language=...)`` takes to build the same dictionary), else through its API."""
    resource = resources.files("spellchecker") / "resources" / f"{lang}.json.gz"
    if resource.is_file():
        counts: dict[str, int] = json.loads(gzip.decompress(resource.read_bytes()))
    else:
        from spellchecker import SpellChecker

        counts = dict(SpellChecker(language=lang, distance=1).word_frequency.dictionary)
    return counts, sum(counts.values())


@lru_cache(maxsize=1)
def _english() -> tuple[dict[str, int], int]:
    counts = english_counts()
    return counts, sum(counts.values())


def _scored_words(text: str, prompt: str) -> list[str]:
    """The lower-case words of ``text`` the prompt does not hold, with a capitalized first word lower-cased."""
    asked = {word.lower() for word in _WORD.findall(prompt)}
    found = []
    for i, word in enumerate(_WORD.findall(text[:MODEL_CLIP])):
        lower = word.lower()
        if len(word) < 2 or lower in asked:
            continue
        if word.islower() or (i == 0 and word[0].isupper() and word[1:].islower()):
            found.append(lower)
    return found


def _title_case(text: str) -> bool:
    """One line whose words of three letters or more are more than half capitalized: a name or a title."""
    if "\n" in text.strip():
        return False
    long_words = [word for word in _WORD.findall(text[:MODEL_CLIP]) if len(word) >= 3]
    return 2 * sum(word[0].isupper() for word in long_words) > len(long_words)


def evidence(words: list[str], lang: str) -> float:
    """The summed, clipped log-ratio of the ``words``' frequencies in ``lang`` and in English."""
    counts, total = _counts(lang)
    english, english_total = _english()
    score = 0.0
    for word in words:
        own, other = counts.get(word, 0), english.get(word, 0)
        if own == 0 and other == 0:
            continue
        ratio = math.log(((own + SMOOTHING) / total) / ((other + SMOOTHING) / english_total))
        score += max(-WORD_CLIP, min(WORD_CLIP, ratio))
    return score


def lexicon_says(text: str, prompt: str, lang: str) -> bool:
    """``text``'s words say it is in ``lang`` (one of ``LEXICON_LANGUAGES``) rather than English, by the module
    docstring's test without fastText's part."""
    if lang not in LEXICON_LANGUAGES or _NOT_TEXT.search(text) or _ASKS_FOR_A_PHRASE.search(prompt) \
            or _title_case(text) or looks_like_code(text) or list_items(text) is not None:
        return False
    words = _scored_words(text, prompt)
    return bool(words) and evidence(words, lang) >= MIN_EVIDENCE


def lexicon_language(text: str, detection: Detection, prompt: str) -> str | None:
    """The language (one of ``LEXICON_LANGUAGES``) a text the detector left ``und`` is written in by its words
    (``lexicon_says``), among those fastText gives ``MIN_DETECTOR_PROBABILITY``; of several, fastText's pick
    ("Unos ocho minutos": Spanish and Portuguese words both). None otherwise. ``detection``: the detector's
    answer for ``text``."""
    if detection.lang != UND:
        return None  # running text the detector read: language._other_language asks lexicon_says, with the prior
    supported = [lang for lang in LEXICON_LANGUAGES
                 if detection.prob_of(lang) >= MIN_DETECTOR_PROBABILITY and lexicon_says(text, prompt, lang)]
    return max(supported, key=detection.prob_of) if supported else None
