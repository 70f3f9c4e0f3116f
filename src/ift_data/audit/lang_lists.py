"""The language of a short list ("Flauta, guitarra y cavaquinho.", "1. Mercimek çorbası\n2. Etli kuru fasulye"),
which the detector leaves ``und``.

A list of names or nouns has too little running text for a detector to be trusted on, yet real answers swapped
into another language are often just that. Two kinds of evidence, each rare in English lists (none in the
901 one-line comma lists of Alpaca 9k, Alpaca t45 and Dolly 3k):

- the word joining its last two items is another language's "and"/"or" ("... Abraham Lincoln y Leonardo da
  Vinci", "6, 12 и 18", "Islandia, Norwegia, Peru, dan Jepang");
- most of its words are no English words (pyspellchecker's dictionary, ``audit/word_list.py``) and fastText
  reads the list as another language with some confidence ("Zelt, Schlafsäcke, Isomatten, Campingkocher").
"""

from __future__ import annotations

import re
import unicodedata

from ift_data.audit.lang_detect import Detection, function_word_share, same_language
from ift_data.audit.lang_text import words
from ift_data.audit.word_list import known

# "and" / "or" of languages whose word is no English word; the first language is the guess without fastText.
# Not Polish and Catalan "i": lower-cased English has it ("... and finished i have").
LIST_CONJUNCTIONS: dict[str, tuple[str, ...]] = {
    "y": ("es",), "o": ("es", "it", "pt"), "und": ("de",), "oder": ("de",), "et": ("fr",), "ou": ("fr", "pt"),
    "e": ("it", "pt"), "en": ("nl",), "och": ("sv",), "eller": ("sv", "da", "no"), "og": ("da", "no"),
    "ve": ("tr",), "veya": ("tr",), "ja": ("fi",), "tai": ("fi",), "lub": ("pl",),
    "și": ("ro",), "sau": ("ro",), "и": ("ru", "uk", "bg"), "или": ("ru", "bg"), "і": ("uk",), "dan": ("id", "ms"),
    "atau": ("id", "ms"), "và": ("vi",), "hoặc": ("vi",), "και": ("el",), "ή": ("el",),
}
MAX_ITEM_WORDS = 6  # a list item has at most this many words
MAX_LIST_CHARS = 400
MIN_ITEMS_BY_WORDS = 3  # a list judged by its words has this many items ("overstylized , puréed mélange": 2)
MIN_FOREIGN_SHARE = 0.5  # ... of the list's words unknown to the English dictionary
MIN_LIST_PROBABILITY = 0.7  # fastText's confidence in the list's language ("Kimchi, bibimbap, bulgogi": fi 0.60)
MIN_LIST_PROBABILITY_ACCENTED = 0.5  # ... when the list has letters beyond ASCII ("Künstliche Intelligenz, ...")
_WORD = re.compile(r"[^\W\d_]+")
_LINE_MARKER = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")


def list_items(text: str) -> list[str] | None:
    """The items of a one-line comma list of short items (at least two), or None."""
    line = text.strip().rstrip(".!。")
    if "\n" in line or "," not in line or len(line) > MAX_LIST_CHARS:
        return None
    items = [item.strip() for item in line.split(",")]
    if any(not item or len(item.split()) > MAX_ITEM_WORDS for item in items):
        return None
    return items


def line_items(text: str) -> list[str] | None:
    """The items of a numbered or bulleted list, one short item a line and nothing else (at least two), or None
    ("1. Mercimek çorbası\n2. Etli kuru fasulye")."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if len(lines) < 2 or len(text) > MAX_LIST_CHARS or not all(_LINE_MARKER.match(line) for line in lines):
        return None
    items = [_LINE_MARKER.sub("", line, count=1).strip().rstrip(".;") for line in lines]
    if any(not item or len(item.split()) > MAX_ITEM_WORDS or "," in item for item in items):
        return None
    return items


def _english_word(word: str) -> bool:
    """``word`` (any case) is an English word, also when written with accents it lost in English ("mélange",
    "puréed", "naïve"): a short answer's loanwords. Not for lists, whose cognates would pass for English
    ("déforestation, pollution, érosion des sols", "Venecia, Nueva York, Dubái")."""
    lower = word.lower()
    if known(lower):
        return True
    plain = "".join(c for c in unicodedata.normalize("NFKD", lower) if not unicodedata.combining(c))
    return plain != lower and known(plain)


def english_function_words(text: str, lang: str, min_letters: int = 1) -> bool:
    """``text`` holds an English function word (of at least ``min_letters`` letters) that is not one of
    ``lang``'s too ("Smith, Brown et al. wrote the paper"): an English sentence, whatever its "and"."""
    found = words(text)
    return bool(function_word_share([w for w in found if len(w) >= min_letters] if min_letters > 1 else found,
                                    "en", besides=lang))


def list_language(text: str, detection: Detection) -> str | None:
    """The language a short comma list, or a numbered or bulleted list of short items one a line, is written in
    when the list itself says so (see the module docstring; a line list only by its words), else None.
    ``detection``: the detector's answer for ``text`` (its fastText ranking)."""
    items = list_items(text)
    if items is not None:
        last = items[-1].split()
        # the "and" inside the last item ("Abraham Lincoln y Leonardo"), or opening it after three or more
        # items ("Islandia, Norwegia, Peru, dan Jepang")
        for word in last[0 if len(items) >= 3 else 1:-1]:
            languages = LIST_CONJUNCTIONS.get(word)
            if languages and not english_function_words(text, languages[0]):
                return max(languages, key=detection.prob_of)  # fastText's pick among them; a tie: the first
    else:
        items = line_items(text)
        if items is None:
            return None
    words = _WORD.findall(" ".join(items))
    if len(items) < MIN_ITEMS_BY_WORDS or len(words) < 3 or not detection.top:
        return None
    lang, prob = detection.top[0]
    needed = MIN_LIST_PROBABILITY if text.isascii() else MIN_LIST_PROBABILITY_ACCENTED
    if same_language(lang, "en") or prob < needed:
        return None
    if english_function_words(text, lang):
        return None  # joined by an English "or"/"and": an English list of foreign names ("Mochi, Biscotti, or Chouchou.")
    unknown = sum(not known(word.lower()) for word in words)
    return lang if unknown >= MIN_FOREIGN_SHARE * len(words) else None


SHORT_ANSWER_LETTERS = 40  # a short answer (or any text the detector does not read as prose) is judged by its words
MIN_FOREIGN_WORDS = 3  # ... its lower-case words that the prompt does not hold
MIN_FOREIGN_WORD_SHARE = 2 / 3  # ... of which this share are no English words
# Two such words suffice when both are written with letters English lacks and fastText is this sure ("Puanım: 5
# üzerinden 5 yıldız.": tr 0.99)
MIN_ACCENTED_WORDS = 2
ACCENTED_WORDS_PROBABILITY = 0.95
_IPA = re.compile(r"[\u0250-\u02ff]")  # a phonetic transcription ("ˈmæɹi hæd ə ˈlɪtl ˈlæm") is no language


def short_answer_language(text: str, detection: Detection, prompt: str) -> str | None:
    """The language of a short answer that is not a list ("Hulu artık tamamen Disney'e ait.", "Kareta obrovská
    žije, Hovasaurus vyhynul."), read from its lower-case words: names are capitalized and the prompt's own
    words are the prompt's. At least ``MIN_FOREIGN_WORDS`` of them (``MIN_ACCENTED_WORDS`` written with letters
    English lacks, at ``ACCENTED_WORDS_PROBABILITY``), ``MIN_FOREIGN_WORD_SHARE`` no English words, and fastText
    names another language as for a list. None otherwise."""
    if (detection.prose and detection.letters >= SHORT_ANSWER_LETTERS) or not detection.top or _IPA.search(text):
        return None
    asked = {word.lower() for word in _WORD.findall(prompt)}
    lower = [word for word in _WORD.findall(text) if word.islower() and len(word) >= 2 and word not in asked]
    foreign = [word for word in lower if not _english_word(word)]
    if len(foreign) < MIN_FOREIGN_WORD_SHARE * len(lower):
        return None
    lang, prob = detection.top[0]
    if len(lower) < MIN_FOREIGN_WORDS and not (len(lower) >= MIN_ACCENTED_WORDS and prob >= ACCENTED_WORDS_PROBABILITY
                                               and not any(word.isascii() for word in foreign)):
        return None
    needed = MIN_LIST_PROBABILITY if all(word.isascii() for word in foreign) else MIN_LIST_PROBABILITY_ACCENTED
    return None if same_language(lang, "en") or prob < needed else lang
