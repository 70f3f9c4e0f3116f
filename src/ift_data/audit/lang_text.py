"""What a text is made of, for language detection: its script, its letters outside code and links, and
whether it reads as running text rather than code, a list or a row of names.

Everything here is cheap (a few compiled regexes per text) so the language signal can look at every
field of a large dataset.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

# Letters of the scripts that matter for instruction data. CJK characters carry about a word each, so
# they weigh CJK_WEIGHT letters when scripts are compared: Chinese prose with English terms is Chinese.
SCRIPTS: dict[str, re.Pattern[str]] = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "kana": re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u31f0-\u31ff\uff66-\uff9d]"),
    "hangul": re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3131-\u318e]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff\u0500-\u052f]"),
    "arabic": re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"),
    "greek": re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]"),
    "hebrew": re.compile(r"[\u05d0-\u05ea\u05f0-\u05f2]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "thai": re.compile(r"[\u0e01-\u0e4e]"),
    "georgian": re.compile(r"[\u10a0-\u10ff]"),
    "armenian": re.compile(r"[\u0531-\u0587]"),
}
CJK_WEIGHT = 3
# Scripts that name their language: no statistical detector needed.
SCRIPT_LANGUAGE = {"hangul": "ko", "greek": "el", "hebrew": "he", "thai": "th", "georgian": "ka", "armenian": "hy"}
# The CJK scripts (``shape``'s names: Han alone, Han with kana, Hangul) and the language each is read as;
# a character carries about a word, so fewer of them settle the language.
CJK_LANGUAGE = {"han": "zh", "ja": "ja", "hangul": "ko"}

_LETTER_RE = re.compile(r"[^\W\d_]")
_WORD_RE = re.compile(r"[^\W\d_]+")
# Code and links are not language: fenced blocks, inline code, URLs, e-mail addresses, HTML tags.
_STRIP_RE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]{1,200}`|\b(?:https?://|www\.)[^\s\u3000-\u303f\uff00-\uffef"
                       r"\u3400-\u9fff]*|[\w.+-]+@[\w-]+\.[\w.]+|</?[A-Za-z][^<>]{0,200}>", re.S)
_CODE_LINE_RE = re.compile(
    r"[;{}]\s*$|^\s*(?:def |class |import |from \S+ import|return\b|#include|public |private |function\b|var |"
    r"let |const |SELECT |print\(|console\.|for \(|while \(|if \(|<\?|\$ )|^\s*[\w.\[\]]+\s*[-+*/]?=\s*\S|"
    r"\w\([^()]*\)\s*:?\s*$", re.I)
_CODE_HINT_RE = re.compile(r"[;{}=()$<]|\b(?:def|class|import|return|function|var|let|const|SELECT|print)\b")
# Items of a list: separated by commas, semicolons, slashes, bars, or one per line (with bullets/numbers).
_ITEM_SPLIT_RE = re.compile(r"\s*(?:[,;/|•·]|\n+|\s-\s|(?:^|\s)\d{1,2}[.)]\s|(?:^|\n)\s*[-*]\s)\s*")


_SEPARATOR_RE = re.compile(r"[,;/|•·\n]|\s-\s|\d[.)]\s")
_CAPITALIZED_RE = re.compile(r"(?<!\S)[\"'(«“]?[A-Z\u00c0-\u00de]")
_UPPER_RE = re.compile(r"[A-Z\u00c0-\u00de\u0410-\u042f]")
_CAPITAL_START = frozenset(chr(c) for c in [*range(ord("A"), ord("Z") + 1), *range(0xC0, 0xDF)])
_OPENING_MARKS = frozenset("\"'(«“")
_ASCII_BYTES = bytes(range(128))
_NOT_ASCII_LETTER = bytes(b for b in _ASCII_BYTES if not chr(b).isalpha())
_NOT_ASCII_UPPER = bytes(b for b in _ASCII_BYTES if not chr(b).isupper())


def mostly_upper(text: str, letters: int) -> bool:
    """SHOUTED TEXT (which fastText reads as another language)."""
    if text.isascii():
        upper = len(text.encode().translate(None, _NOT_ASCII_UPPER))
    else:
        upper = len(_UPPER_RE.findall(text))
    return upper > 0.6 * letters


@dataclass(frozen=True, slots=True)
class TextShape:
    """The letters of a text outside code and links, by script."""

    cleaned: str          # the text with code, URLs, addresses and tags removed
    letters: int          # letters in ``cleaned``
    script: str           # dominant script ("" without letters); "ja" for kana with han, "han" without kana
    script_letters: int   # letters of the dominant script (han and kana together for "ja")
    script_share: float   # its weighted share of all letters
    counts: dict[str, int]


def shape(text: str, clip: int = 1000) -> TextShape:
    """Script counts of ``text`` (its first ``clip`` characters after removing code and links)."""
    cleaned = _STRIP_RE.sub(" ", text[: 3 * clip])[:clip] if ("`" in text or "/" in text or "@" in text
                                                             or "<" in text) else text[:clip]
    if cleaned.isascii():
        n = len(cleaned.encode().translate(None, _NOT_ASCII_LETTER))
        counts = {"latin": n} if n else {}
        return TextShape(cleaned, n, "latin" if n else "", n, 1.0 if n else 0.0, counts)
    counts, letters = _script_counts(cleaned)
    if not letters:
        return TextShape(cleaned, 0, "", 0, 0.0, counts)
    weighted = {name: k * (CJK_WEIGHT if name in ("han", "kana", "hangul") else 1) for name, k in counts.items()}
    if counts.get("latin") and (counts.get("han", 0) + counts.get("kana", 0) + counts.get("hangul", 0)) >= 2:
        weighted["latin"] = _latin_weight(cleaned, counts["latin"])
    cjk = weighted.pop("han", 0) + weighted.pop("kana", 0)
    if cjk:
        kana = counts.get("kana", 0)
        weighted["ja" if kana >= 0.1 * (kana + counts.get("han", 0)) else "han"] = cjk
    other = letters - sum(counts.values())  # letters of scripts not listed (Bengali, Tamil, ...)
    if other > 0:
        weighted["other"] = other
    total = sum(weighted.values())
    script = max(sorted(weighted), key=lambda s: weighted[s])
    raw = counts.get("han", 0) + counts.get("kana", 0) if script in ("ja", "han") else counts.get(script, other)
    return TextShape(cleaned, letters, script, raw, round(weighted[script] / total, 4), counts)


_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LATIN_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f'’-]*")
_BRACKETED = re.compile(r"[(（\[【「『][^)）\]】」』]*[)）\]】」』]")
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3041-\u3096\u30a1-\u30fa\uac00-\ud7af]")


def _latin_weight(cleaned: str, latin: int) -> int:
    """The weight of the Latin letters of a text with CJK characters: when every Latin word is a name (a
    capitalized, upper-case or camelCase token: "Berkeley", "MDN", "freeCodeCamp") and CJK characters stand
    outside brackets, each name weighs one letter:
    "从 Berkeley 出发, 2 小时内可以开车到 Napa, San Francisco 和 Marin." is Chinese with names in it, while
    "Beijing (北京)" stays a Latin answer with a gloss."""
    outside = _BRACKETED.sub(" ", cleaned)
    if len(_CJK_CHAR.findall(outside)) < 2:
        return latin
    # a gloss in brackets after the CJK text weighs a letter a word: "大腸菌（Escherichia coli）" is Japanese
    brackets = "".join(_BRACKETED.findall(cleaned))
    glossed, inside = len(_LATIN_TOKEN.findall(brackets)), len(_LATIN_LETTER.findall(brackets))
    tokens = _LATIN_TOKEN.findall(outside)
    if any(token.islower() for token in tokens):  # English words among them: "这是一个测试 with some English words"
        return latin - inside + glossed
    return len(tokens) + glossed


# Per character: the scripts whose letters it is, and whether it is a letter (``_LETTER_RE``).
_CHAR_CLASS: dict[str, tuple[tuple[str, ...], bool]] = {}


def _char_class(ch: str) -> tuple[tuple[str, ...], bool]:
    found = _CHAR_CLASS.get(ch)
    if found is None:
        if len(_CHAR_CLASS) > 200_000:  # bounded: a text of random code points cannot grow it for ever
            _CHAR_CLASS.clear()
        found = _CHAR_CLASS[ch] = (tuple(name for name, rx in SCRIPTS.items() if rx.match(ch)),
                                   bool(_LETTER_RE.match(ch)))
    return found


def _script_counts(text: str) -> tuple[dict[str, int], int]:
    """Letters of each script in ``text`` (in ``SCRIPTS`` order, scripts without letters left out) and
    all its letters: what ``len(rx.findall(text))`` gives for each, counted once per distinct character."""
    by_script: dict[str, int] = {}
    letters = 0
    for ch, k in Counter(text).items():
        names, letter = _char_class(ch)
        if letter:
            letters += k
        for name in names:
            by_script[name] = by_script.get(name, 0) + k
    return {name: by_script[name] for name in SCRIPTS if name in by_script}, letters


def _capitalized(text: str) -> int:
    """``len(_CAPITALIZED_RE.findall(text))``: words that start with a capital, after an opening mark or not."""
    return sum(1 for t in text.split() if t[0] in _CAPITAL_START or (t[0] in _OPENING_MARKS and t[1:2] in _CAPITAL_START))


def words(text: str) -> list[str]:
    """Lower-cased words (letter runs: French "l'eau" gives "l" and "eau")."""
    return _WORD_RE.findall(text.lower())


def looks_like_code(text: str) -> bool:
    """A third of the non-empty lines look like code (statements, assignments, calls, braces)."""
    if not _CODE_HINT_RE.search(text):
        return False
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return False
    return sum(bool(_CODE_LINE_RE.search(line)) for line in lines) >= max(1, len(lines) / 3)


def looks_like_list(text: str) -> bool:
    """Short items separated by commas, lines, bullets or numbers ("Eggs, Milk, Flour"), or a row of
    capitalized names ("Los Angeles San Francisco") rather than sentences."""
    tokens = len(text.split())
    # capitalized words beyond the first (which starts a sentence anyway)
    if tokens >= 2 and _capitalized(text) - 1 >= 0.6 * (tokens - 1):
        return True
    # Most of the text in items of at most 3 words needs about one separator per 5 words.
    if len(_SEPARATOR_RE.findall(text)) < 0.15 * tokens:
        return False
    items = [item for item in _ITEM_SPLIT_RE.split(text.strip()) if _LETTER_RE.search(item)]
    if len(items) < 2:
        return False
    short = sum(len(item) for item in items if len(item.split()) <= 3)
    return short >= 0.6 * sum(len(item) for item in items)  # most of the text is in short items
