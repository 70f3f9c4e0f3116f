"""A short answer's language from how common its words are in each language ("Muratore edile.", "Drink de
hele dag genoeg water.", "Ayam, bebek, elang, merak, burung kolibri."), where fastText alone is not sure enough.

A word-unigram likelihood ratio against English, from wordfreq's word frequencies (bundled in its wheel, 26
languages written in Latin letters besides English; nothing is downloaded): each lower-case word that the
prompt does not hold (and a capitalized first word before a lower-case one: a sentence's start) adds the log
of its frequency in that language over its frequency in English, clipped to ``±WORD_CLIP`` so one word never
decides; a word neither list has (a name, a typo, a Japanese dish) adds nothing, and neither do short
lower-case words between capitalized ones ("Ludwig Mies van der Rohe"). The language counts when its sum
reaches ``MIN_EVIDENCE`` (about two words the language has and English lacks; ``MIN_LIST_EVIDENCE`` for a
one-line comma list, whose items are often borrowed names: "Veni, vidi, vici.") and fastText gives it at
least ``MIN_DETECTOR_PROBABILITY``; of several such languages (Spanish and Portuguese share many words),
fastText's pick.

Left alone, because English borrows such words whole: code, links and markup (identifiers read as any
language); one line in Title Case (a name or a title: "Bayerische Motoren Werke"; in German, which capitalizes
its nouns, only when 80 % of the words are); an answer holding an English function word of three letters or
more ("A pain au chocolat and a café au lait"); answers to a prompt that asks for a name, a title, a term, a
phrase or a greeting ("What do you say before a meal?" "Bon appétit!") or names a place where the language is
spoken ("How do you greet someone in Indonesia?" "selamat pagi"). A decimal comma ("34,4") makes no list.

pyspellchecker's counts (Spanish, French, Portuguese, German, Italian and Dutch only) were measured side by
side first: on the development plants 686 of 710 swaps against wordfreq's 688 at the same settings, 0 new
flags on 52,798 clean texts for both (docs/benchmarks.md).
"""

from __future__ import annotations

import math
import re

from ift_data.audit.lang_detect import MODEL_CLIP, UND, Detection
from ift_data.audit.lang_lists import english_function_words, list_items
from ift_data.audit.truncation import looks_like_code
from ift_data.audit.word_frequencies import frequencies

# fastText's codes of the languages judged here; wordfreq names three of them otherwise.
LEXICON_LANGUAGES = ("ca", "cs", "da", "de", "es", "fi", "fr", "hr", "hu", "id", "is", "it", "lt", "lv", "ms", "nl",
                     "no", "pl", "pt", "ro", "sk", "sl", "sv", "tl", "tr", "vi")
_WORDFREQ_CODE = {"no": "nb", "tl": "fil", "hr": "sh"}
WORD_CLIP = 5.0  # one word's log-ratio is clipped to this (a factor of about 150 either way)
MIN_EVIDENCE = 8.0  # the summed log-ratio a language needs
MIN_LIST_EVIDENCE = 16.0  # ... in a one-line comma list
MIN_DETECTOR_PROBABILITY = 0.05  # ... and fastText's probability for it
COMMON_ENGLISH_FREQUENCY = 1e-5  # a word at least this frequent in English is a common English word ...
MAX_COMMON_ENGLISH_SHARE = 0.8  # ... and a text whose words are more than this share of them is left alone
MIN_WORD_FREQUENCY = 3e-7  # another language's words rarer than this are not kept (a sixth of the list's memory)
FREQUENCY_FLOOR = 1e-8  # a word one list lacks counts as this frequent there (wordfreq's lists stop near it)
TITLE_CASE_SHARE = 0.5  # a line with more of its words capitalized is a name or a title ...
GERMAN_TITLE_CASE_SHARE = 0.8  # ... in German, which capitalizes its nouns, this many
_WORD = re.compile(r"[^\W\d_]+")
_NOT_TEXT = re.compile(r"://|www\.|<")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_ASKS_FOR_A_PHRASE = re.compile(r"(?i)\b(?:name of|names? (?:is|was|are|were)|call|called|(?<!in )terms?|words?|titles?|phrases?|mottos?|"
                                r"expressions?|sayings?|say|said|quotes?|quotations?|idioms?|slogans?|proverbs?|"
                                r"greet|greets|greeting|greetings|shout|shouted|exclaim|exclaimed|toast)\b")
# Places where each language is spoken (prefixes: "brazil" holds "Brazilian"); a prompt naming one makes the
# words weak evidence (a greeting, a dish, a sign from there).
_PLACES: dict[str, tuple[str, ...]] = {
    "ca": ("catalonia", "barcelona", "andorra", "valencia"), "cs": ("czech", "prague"),
    "da": ("denmark", "danish", "copenhagen"), "de": ("german", "austria", "switzerland", "swiss", "berlin", "vienna"),
    "es": ("spain", "mexic", "argentin", "colombia", "peru", "chile", "cuba", "venezuela", "latin america", "madrid",
           "hispanic", "latino"),
    "fi": ("finland", "helsinki"), "fr": ("france", "paris", "quebec", "belgi", "french"),
    "hr": ("croatia", "serbia", "bosnia", "zagreb", "belgrade"), "hu": ("hungar", "budapest"),
    "id": ("indonesia", "bali", "jakarta"), "is": ("iceland", "reykjav"), "it": ("italy", "rome", "italian"),
    "lt": ("lithuania", "vilnius"), "lv": ("latvia", "riga"), "ms": ("malaysia", "kuala lumpur", "brunei"),
    "nl": ("netherlands", "holland", "amsterdam", "belgi", "dutch"), "no": ("norw", "oslo"),
    "pl": ("poland", "polish", "warsaw"), "pt": ("portugal", "brazil", "lisbon", "angola", "mozambique"),
    "ro": ("romania", "moldova", "bucharest"), "sk": ("slovakia", "bratislava"), "sl": ("slovenia", "ljubljana"),
    "sv": ("swed", "stockholm"), "tl": ("philippine", "manila", "filipino"), "tr": ("turkey", "türkiye", "istanbul"),
    "vi": ("vietnam", "hanoi", "saigon"),
}
_PLACE_PATTERNS = {lang: re.compile(r"(?i)\b(?:" + "|".join(map(re.escape, places)) + ")")
                   for lang, places in _PLACES.items()}


def _frequencies(lang: str) -> dict[str, float]:
    """wordfreq's word frequencies for ``lang`` (a fastText code, or ``en``: all its words)."""
    return frequencies(_WORDFREQ_CODE.get(lang, lang), 0.0 if lang == "en" else MIN_WORD_FREQUENCY)


def _particles(tokens: list[str]) -> set[int]:
    """Indexes of one or two short lower-case words between capitalized ones ("Mies van der Rohe")."""
    found: set[int] = set()
    i = 0
    while i < len(tokens):
        if not tokens[i].islower():
            i += 1
            continue
        j = i
        while j < len(tokens) and tokens[j].islower():
            j += 1
        if i > 0 and j < len(tokens) and j - i <= 2 and tokens[i - 1][0].isupper() and tokens[j][0].isupper() \
                and all(len(token) <= 3 for token in tokens[i:j]):
            found.update(range(i, j))
        i = j
    return found


def _scored_words(text: str, prompt: str) -> list[str]:
    """The lower-case words of ``text`` the prompt does not hold, outside names, with a capitalized first word
    before a lower-case one lower-cased."""
    asked = {word.lower() for word in _WORD.findall(prompt)}
    tokens = _WORD.findall(text[:MODEL_CLIP])
    particles = _particles(tokens)
    found = []
    for i, word in enumerate(tokens):
        lower = word.lower()
        if len(word) < 2 or lower in asked or i in particles:
            continue
        if word.islower() or (i == 0 and word.istitle() and len(tokens) > 1 and tokens[1].islower()):
            found.append(lower)
    return found


def _capital_share(text: str) -> float:
    """The share of capitalized words among the words of three letters or more after the first (which a sentence
    capitalizes) of a one-line text with at least two such words; 0 otherwise."""
    if "\n" in text.strip():
        return 0.0
    long_words = [word for word in _WORD.findall(text[:MODEL_CLIP])[1:] if len(word) >= 3]
    return sum(word[0].isupper() for word in long_words) / len(long_words) if len(long_words) >= 2 else 0.0


def _title_case(capital_share: float, lang: str) -> bool:
    """A line in Title Case, a name or a title: more than half its words capitalized, or, in German, which
    capitalizes its nouns ("Ungefähr 2,5 Kilometer zu Fuß durch den Stadtpark."), more than 80 %."""
    return capital_share > (GERMAN_TITLE_CASE_SHARE if lang == "de" else TITLE_CASE_SHARE)


def english_grammar(text: str, lang: str) -> bool:
    """``text`` holds an English function word of three letters or more that is not one of ``lang``'s ("a pain au
    chocolat and a café au lait", "Who wrote Il nome della rosa?"): English around borrowed names. (Shorter
    ones, "a", "in", "to", are words of many languages.)"""
    return english_function_words(text[:MODEL_CLIP], lang, min_letters=3)


def evidence(weighed: list[str], lang: str) -> float:
    """The summed, clipped log-ratio of the ``weighed`` words' frequencies in ``lang`` and in English."""
    own_frequencies, english = _frequencies(lang), _frequencies("en")
    score = 0.0
    for word in weighed:
        own, other = own_frequencies.get(word, 0.0), english.get(word, 0.0)
        if own == 0.0 and other == 0.0:
            continue
        ratio = math.log(max(own, FREQUENCY_FLOOR) / max(other, FREQUENCY_FLOOR))
        score += max(-WORD_CLIP, min(WORD_CLIP, ratio))
    return score


def lexicon_says(text: str, prompt: str, lang: str) -> bool:
    """``text``'s words say it is in ``lang`` (a fastText code) rather than English, by the module docstring's
    test without fastText's part."""
    if lang not in _PLACE_PATTERNS or _PLACE_PATTERNS[lang].search(prompt) or _title_case(_capital_share(text), lang) \
            or english_grammar(text, lang):
        return False
    weighed = _weighed_words(text, prompt)
    return bool(weighed) and evidence(weighed, lang) >= _needed(text)


def asks_for_a_phrase(prompt: str) -> bool:
    """The prompt asks for a name, a title, a term, a phrase or a greeting: English borrows the answer whole."""
    return _ASKS_FOR_A_PHRASE.search(prompt) is not None


def _weighed_words(text: str, prompt: str) -> list[str]:
    """The words the test weighs (``_scored_words``), or none where it leaves the text alone, or where more than
    ``MAX_COMMON_ENGLISH_SHARE`` of them are common English words (no other language's list need be read)."""
    if _NOT_TEXT.search(text) or asks_for_a_phrase(prompt) or looks_like_code(text):
        return []
    scored = _scored_words(text, prompt)
    english = _frequencies("en")
    common = sum(english.get(word, 0.0) >= COMMON_ENGLISH_FREQUENCY for word in scored)
    return [] if common > MAX_COMMON_ENGLISH_SHARE * len(scored) else scored


def _needed(text: str) -> float:
    """The evidence ``text`` needs: more for a one-line comma list (a decimal comma, "34,4", lists nothing)."""
    return MIN_LIST_EVIDENCE if list_items(_DECIMAL_COMMA.sub(".", text)) is not None else MIN_EVIDENCE


def lexicon_language(text: str, detection: Detection, prompt: str) -> str | None:
    """The language (one of ``LEXICON_LANGUAGES``) a text the detector left ``und`` is written in by its words
    (``lexicon_says``), among those fastText gives ``MIN_DETECTOR_PROBABILITY``; of several, fastText's pick
    ("Unos ocho minutos": Spanish and Portuguese words both), and None when the prompt names a place of it.
    None otherwise. ``detection``: the detector's answer for ``text``."""
    if detection.lang != UND:
        return None  # running text the detector read: language._other_language asks lexicon_says, with the prior
    candidates = [lang for lang in LEXICON_LANGUAGES if detection.prob_of(lang) >= MIN_DETECTOR_PROBABILITY]
    weighed = _weighed_words(text, prompt) if candidates else []
    if not weighed:
        return None
    needed, capital_share = _needed(text), _capital_share(text)
    # fastText's most likely language first: the first the words support is the answer (and later lists
    # need not be read)
    best = next((lang for lang in sorted(candidates, key=detection.prob_of, reverse=True)
                 if not _title_case(capital_share, lang) and not english_grammar(text, lang)
                 and evidence(weighed, lang) >= needed), None)
    return None if best is None or _PLACE_PATTERNS[best].search(prompt) else best
