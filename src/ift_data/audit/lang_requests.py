"""Does a prompt ask for an answer in another language?

A translation request ("translate", "traduire", "翻译" ...) or a request about languages in general
("in another language", "what language is this") allows any answer language. Naming a language
("in French", "a Spanish proverb", "用中文回答") allows that language only. The word "language" by
itself allows nothing: "As an AI language model", "programming language", "body language".
"""

from __future__ import annotations

import re
from functools import lru_cache

# ISO 639-1 code -> names a prompt may use for the language (English names, adjectives, native names).
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("english", "anglais", "inglés", "ingles", "englisch", "inglese", "英语", "英文", "英語", "영어", "английск"),
    "zh": ("chinese", "mandarin", "cantonese", "pinyin", "中文", "汉语", "漢語", "普通话", "华语", "國語", "中国語",
           "chinois", "chino", "chinesisch", "китайск"),
    "ja": ("japanese", "日本語", "日语", "日文", "japonais", "japonés", "japanisch", "hiragana", "katakana",
           "kanji", "японск"),
    "ko": ("korean", "한국어", "韩语", "韓国語", "coréen", "coreano", "koreanisch", "hangul"),
    "de": ("german", "deutsch", "allemand", "alemán", "aleman", "tedesco", "德语", "ドイツ語", "немецк"),
    "fr": ("french", "français", "francais", "francés", "frances", "französisch", "francese", "法语", "フランス語",
           "французск"),
    "es": ("spanish", "español", "espanol", "castellano", "espagnol", "spanisch", "spagnolo", "西班牙语",
           "スペイン語", "испанск"),
    "it": ("italian", "italiano", "italien", "italienisch", "意大利语", "итальянск"),
    "pt": ("portuguese", "português", "portugues", "portugais", "portugiesisch", "葡萄牙语", "португальск"),
    "nl": ("dutch", "flemish", "nederlands", "néerlandais", "holandés", "niederländisch"),
    "ru": ("russian", "русск", "russe", "ruso", "russisch", "俄语", "ロシア語"),
    "uk": ("ukrainian", "українськ", "украинск"),
    "pl": ("polish", "polski", "polsk"),
    "cs": ("czech", "češtin", "česk"),
    "sv": ("swedish", "svenska"),
    "da": ("danish", "dansk"),
    "no": ("norwegian", "norsk", "bokmål"),
    "fi": ("finnish", "suomi", "suomeksi"),
    "el": ("greek", "ελληνικ"),
    "tr": ("turkish", "türkçe", "turkce"),
    "ar": ("arabic", "العربية", "عربي", "arabe", "árabe", "arabisch", "阿拉伯语", "арабск"),
    "he": ("hebrew", "עברית"),
    "fa": ("persian", "farsi", "فارسی"),
    "hi": ("hindi", "हिन्दी", "हिंदी"),
    "ur": ("urdu", "اردو"),
    "bn": ("bengali", "bangla", "বাংলা"),
    "ta": ("tamil", "தமிழ்"),
    "th": ("thai", "ภาษาไทย"),
    "vi": ("vietnamese", "tiếng việt"),
    "id": ("indonesian", "bahasa", "malay"),
    "tl": ("tagalog", "filipino"),
    "sw": ("swahili", "kiswahili"),
    "la": ("latin",),
    "eo": ("esperanto",),
    "ro": ("romanian", "română"),
    "hu": ("hungarian", "magyar"),
    "ca": ("catalan", "català"),
}
# Named languages that are groups of codes for fastText.
_ALIASES = {"hr": "sr", "sr": "sr", "bs": "sr", "sh": "sr"}
LANGUAGE_NAMES["sr"] = ("serbian", "croatian", "bosnian", "serbo-croatian", "hrvatski", "srpski", "српски")

# Requests that allow any answer language: translation in many languages, and questions about languages.
_ANY_LANGUAGE_RE = re.compile(
    r"translat|traduc|traduz|tradui|übersetz|uebersetz|перев[оеё]д|翻译|翻譯|翻訳|번역|ترجم|अनुवाद|"
    r"\b(?:another|other|different|foreign|native|target|source|original|local|second|multiple|several|two|three|"
    r"both|any|each|various|these|those|following|your)\s+languages?\b|"
    r"\b(?:what|which)\s+(?:\w+\s+){0,2}languages?\b|"
    r"\b(?:identify|detect|determine|recogni[sz]e|classify|guess)\s+(?:\w+\s+){0,3}languages?\b|"
    r"\blanguages?\s+(?:of|is|used|spoken)\b|\bbilingual|\bmultilingual|\bpolyglot|\bnon-english|\bromani[sz]|"
    r"\btransliterat|\b(?:in|into)\s+(?:its|their|the)\s+(?:own|original)\s+(?:language|tongue)\b|"
    r"\bhow\s+(?:do|would|to|can)\s+(?:you|i|one|we)?\s*say\b",
    re.I)
# "language" in these phrases is not about the answer's language.
_OTHER_LANGUAGE_RE = re.compile(
    r"\b(?:programming|coding|computer|scripting|markup|query|modeling|body|sign|formal|figurative|natural|"
    r"descriptive|persuasive|inclusive|offensive|strong|plain|simple|technical|legal)\s+languages?\b|"
    r"\blanguage\s+(?:models?|processing|learning|skills?|acquisition|barriers?)\b", re.I)


@lru_cache(maxsize=1)
def _name_patterns() -> dict[str, re.Pattern[str]]:
    out = {}
    for code, names in LANGUAGE_NAMES.items():
        parts = []
        for name in names:
            if name.isascii():
                parts.append(rf"\b{re.escape(name)}")
            else:  # native names: no word boundary in scripts without spaces; Cyrillic stems are prefixes
                parts.append(re.escape(name))
        out[code] = re.compile("|".join(parts), re.I)
    return out


def asks_for_any_language(prompt: str) -> bool:
    """A translation request or a question about languages: any answer language may be right."""
    return bool(_ANY_LANGUAGE_RE.search(_OTHER_LANGUAGE_RE.sub(" ", prompt)))


def names_language(prompt: str, lang: str) -> bool:
    """The prompt names ``lang`` ("in French", "a Spanish proverb", "用中文")."""
    code = _ALIASES.get(lang, lang)
    if code in ("zh", "yue", "wuu"):
        code = "zh"
    pattern = _name_patterns().get(code)
    return bool(pattern and pattern.search(prompt))


# A gloss in brackets names a language without asking for it: "Osama bin Laden (Arabic: أسامة بن لادن, romanized:
# Usāmah ibn Lādin; 10 March 1957 ...)", "Munich (German: München [ˈmʏnçn̩]; Austro-Bavarian: Minga)", as
# Wikipedia passages in inputs write it. Its label: a language's name (and a word: "Simplified Chinese", "Old
# English") or a romanization's.
_ROMANIZED = r"(?:romani[sz]ed|romani[sz]ation|transliterated|transliteration|pronounced|pronunciation|lit\.?)"


@lru_cache(maxsize=1)
def _gloss_pattern() -> re.Pattern[str]:
    names = sorted({name for names in LANGUAGE_NAMES.values() for name in names if name.isascii()}, key=len,
                   reverse=True)
    name = rf"(?:[\w-]+\s+)?(?:{'|'.join(map(re.escape, names))})\w*"
    label = rf"(?:{name}|{_ROMANIZED})"
    inside = r"(?:[^()\[\]]|\[[^\[\]]*\])*"  # a transcription's square brackets may stand inside
    return re.compile(rf"\(\s*{label}\s*:{inside}\)", re.I)


def without_glosses(prompt: str) -> str:
    """``prompt`` without bracketed glosses whose labels name a language ("(Arabic: ..., romanized: ...)")."""
    return _gloss_pattern().sub(" ", prompt) if ":" in prompt else prompt


def allows(prompt: str, lang: str) -> bool:
    """The prompt asks for (or about) an answer in ``lang`` (a bracketed gloss, "(Arabic: ...)", asks for
    nothing)."""
    prompt = without_glosses(prompt)
    return asks_for_any_language(prompt) or names_language(prompt, lang)
