"""The language of a short comma list ("Flauta, guitarra y cavaquinho."), which the detector leaves ``und``.

A list of names or nouns has too little running text for a detector to be trusted on, yet real answers swapped
into another language are often just that. Two kinds of evidence, each rare in English lists (none in the
901 one-line comma lists of Alpaca 9k, Alpaca t45 and Dolly 3k):

- the word joining its last two items is another language's "and"/"or" ("... Abraham Lincoln y Leonardo da
  Vinci", "6, 12 и 18");
- most of its words are no English words (pyspellchecker's dictionary, ``audit/word_list.py``) and fastText
  reads the list as another language with some confidence ("Zelt, Schlafsäcke, Isomatten, Campingkocher").
"""

from __future__ import annotations

import re

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


def list_items(text: str) -> list[str] | None:
    """The items of a one-line comma list of short items (at least two), or None."""
    line = text.strip().rstrip(".!。")
    if "\n" in line or "," not in line or len(line) > MAX_LIST_CHARS:
        return None
    items = [item.strip() for item in line.split(",")]
    if any(not item or len(item.split()) > MAX_ITEM_WORDS for item in items):
        return None
    return items


def _english_function_words(text: str, lang: str) -> bool:
    """``text`` holds an English function word that is not one of ``lang``'s too ("Smith, Brown et al. wrote
    the paper"): an English sentence, whatever its "and"."""
    return bool(function_word_share(words(text), "en", besides=lang))


def list_language(text: str, detection: Detection) -> str | None:
    """The language a short comma list is written in when the list itself says so (see the module
    docstring), else None. ``detection``: the detector's answer for ``text`` (its fastText ranking)."""
    items = list_items(text)
    if items is None:
        return None
    last = items[-1].split()
    for word in last[1:-1]:
        languages = LIST_CONJUNCTIONS.get(word)
        if languages and not _english_function_words(text, languages[0]):
            return max(languages, key=detection.prob_of)  # fastText's pick among them; a tie: the first
    words = _WORD.findall(text)
    if len(items) < MIN_ITEMS_BY_WORDS or len(words) < 3 or not detection.top:
        return None
    lang, prob = detection.top[0]
    needed = MIN_LIST_PROBABILITY if text.isascii() else MIN_LIST_PROBABILITY_ACCENTED
    if same_language(lang, "en") or prob < needed:
        return None
    unknown = sum(not known(word.lower()) for word in words)
    return lang if unknown >= MIN_FOREIGN_SHARE * len(words) else None
