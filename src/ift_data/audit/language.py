"""Language of instruction (+input) and response, a mismatch flag, and the share of each language.

langdetect (seeded, so deterministic) is slow (~450 texts/s) and unreliable on short text, so:
texts shorter than ``min_detect_chars`` letters are "und"; a cheap path answers without langdetect for
scripts that name their language (kana: ja, hangul: ko, han only: zh) and for ASCII-letter text with
many English function words (en); everything else goes to langdetect. A mismatch needs both texts long
and confidently detected, and no translation / language request in the instruction.
"""

from __future__ import annotations

import os
import re
import signal
from collections import Counter
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult

ENGLISH_FUNCTION_WORDS = frozenset(
    "the and is are of to you that this with for what how it be was on your an by from which can have not or at "
    "will their they we there were has been would should could these those its who into than a in as i he "
    "she his her if but so about when".split()
)
# Function words of languages written with Latin letters: running text in a language is full of them,
# while a list of names or dishes that a detector mislabels as that language has none.
FUNCTION_WORDS = {
    "en": ENGLISH_FUNCTION_WORDS,
    "de": frozenset("der die das und ist nicht ein eine einen zu mit sich auf für von den dem des im ich sie es "
                    "wir auch als wie bei oder aus nach wird sind noch nur".split()),
    "fr": frozenset("le la les et est un une des du de pas que qui dans pour sur avec ce il elle nous vous sont "
                    "au aux par plus ne se son sa ses".split()),
    "es": frozenset("el la los las y es un una de del que en por con para no se su sus al lo como más pero "
                    "muy son está".split()),
    "it": frozenset("il lo la gli le e è un una di del della che in per con non si sono al come più ma".split()),
    "pt": frozenset("o a os as e é um uma de do da que em para com não se por mais como são ao".split()),
    "nl": frozenset("de het een en is van dat die in op te met voor niet zijn er aan ook als".split()),
}
_WORD_ANY_RE = re.compile(r"[^\W\d_]+")
_WORD_RE = re.compile(r"[a-z]+")
_LETTER_RE = re.compile(r"[^\W\d_]")
_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
MAX_DETECT_CHARS = 400  # langdetect's cost grows with length; 400 characters settle the language


def cheap_language(text: str, letters: int, english_share: float) -> tuple[str, float] | None:
    """(language, probability) when the script or English function words settle it, else None."""
    if _KANA_RE.search(text):
        return "ja", 0.99
    if _HANGUL_RE.search(text):
        return "ko", 0.99
    han = len(_HAN_RE.findall(text))
    if han and han >= 0.5 * letters:
        return "zh-cn", 0.99
    ascii_letters = sum(1 for c in text if c.isascii() and c.isalpha())
    if ascii_letters >= 0.98 * letters:
        words = _WORD_RE.findall(text.lower())
        hits = [w for w in words if w in ENGLISH_FUNCTION_WORDS]
        if len(words) >= 5 and len(hits) >= max(2, english_share * len(words)) and len(set(hits)) >= 2:
            return "en", 0.99
    return None


_CODE_CHARS = frozenset("{}()[];=<>_|#$\\/*+")


def is_prose(text: str) -> bool:
    """Running text rather than code, tables, lists of names or numbers (where detectors go wrong)."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return False
    letters = sum(c.isalpha() for c in chars)
    if letters < 0.75 * len(chars) or sum(c in _CODE_CHARS for c in chars) > 0.02 * len(chars):
        return False
    words = text.split()
    if _HAN_RE.search(text) or _KANA_RE.search(text) or len(words) < 3:
        return True
    return sum(w[:1].isupper() for w in words) < 0.4 * len(words)


def function_word_share(text: str, language: str) -> float | None:
    """Share of the words that are function words of ``language`` (None when we have no list for it)."""
    vocabulary = FUNCTION_WORDS.get(language.split("-")[0])
    if vocabulary is None:
        return None
    words = _WORD_ANY_RE.findall(text.lower())
    return sum(w in vocabulary for w in words) / len(words) if words else 0.0


def reads_as_running_text(text: str, language: str, min_share: float) -> bool:
    """Prose in the detected language: its function words prove it (a German answer whose nouns are all
    capitalized passes; an English list of dishes that langdetect calls Italian does not); languages we
    have no list for fall back to the shape test ``is_prose``, and only outside the Latin script."""
    share = function_word_share(text, language)
    if share is None:
        # No list for this language: trust the detector only off the Latin script, where English short
        # lists are not mistaken for it (langdetect calls them af, ca, tl, so ...).
        return is_prose(text) and not _mostly_latin(text)
    return share >= min_share and not _looks_like_code(text)


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c < "\u0250" for c in letters) >= 0.8 * len(letters)


def _looks_like_code(text: str) -> bool:
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and sum(c in _CODE_CHARS for c in chars) > 0.02 * len(chars)


class Detector:
    """Seeded langdetect behind cheap paths, a memo, and a process pool for large batches.

    langdetect reseeds its generator on every call, so a text gets the same answer in any process and
    in any order: fanning the calls out over workers keeps the output byte-identical."""

    def __init__(self, seed: int, min_chars: int, english_share: float, workers: int = 0,
                 parallel_from: int = 400) -> None:
        self.seed, self.min_chars, self.english_share = seed, min_chars, english_share
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.parallel_from = parallel_from
        self.memo: dict[str, tuple[str, float]] = {}
        self.langdetect_calls = 0

    def __call__(self, text: str) -> tuple[str, float]:
        return self.detect_many([text])[0]

    def detect_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """(language, probability) per text; "und" for texts too short to tell."""
        clipped = [t[:MAX_DETECT_CHARS] for t in texts]
        pending: list[str] = []
        for text in dict.fromkeys(clipped):
            if text in self.memo:
                continue
            letters = len(_LETTER_RE.findall(text))
            if letters < self.min_chars:
                self.memo[text] = ("und", 0.0)
                continue
            cheap = cheap_language(text, letters, self.english_share) or cheap_latin_language(text)
            if cheap is not None:
                self.memo[text] = cheap
            else:
                pending.append(text)
        self.langdetect_calls += len(pending)
        for text, result in zip(pending, self._langdetect_all(pending), strict=True):
            self.memo[text] = result
        return [self.memo[t] for t in clipped]

    def _langdetect_all(self, texts: list[str]) -> list[tuple[str, float]]:
        import multiprocessing

        _seed_langdetect(self.seed)  # also imports langdetect here, before any fork
        if len(texts) < self.parallel_from or self.workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return [_langdetect(t) for t in texts]
        # fork, not spawn: spawn re-runs the caller's __main__, which breaks scripts without a main guard;
        # the children run pure-Python langdetect only.
        # Ctrl-C reaches every process of the terminal's group: the workers ignore it and the main
        # process, on KeyboardInterrupt (or SIGTERM turned into one), leaves the ``with``, which
        # terminates them. A worker that took Ctrl-C itself would print a traceback and lose its task,
        # and ``map`` would wait for that task forever. The main thread waits in short steps: a signal
        # delivered to one of the pool's threads runs its handler only when the main thread wakes.
        chunk = max(64, len(texts) // (self.workers * 8))
        with multiprocessing.get_context("fork").Pool(self.workers, initializer=_worker_signals) as pool:
            pending = pool.map_async(_langdetect, texts, chunksize=chunk)
            while not pending.ready():
                pending.wait(0.2)
            return pending.get()


def _worker_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def _seed_langdetect(seed: int) -> None:
    from langdetect import DetectorFactory

    DetectorFactory.seed = seed


def _langdetect(text: str) -> tuple[str, float]:
    from langdetect import detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return "und", 0.0
    return best.lang, round(float(best.prob), 4)


def cheap_latin_language(text: str, min_share: float = 0.2, min_words: int = 8) -> tuple[str, float] | None:
    """A Latin-script text whose words are, to ``min_share``, the function words of one listed language and
    at most half as much of any other (French ``le la les et``, German ``der die und``...)."""
    words = _WORD_ANY_RE.findall(text.lower())
    if len(words) < min_words:
        return None
    scored = []
    for lang, vocab in FUNCTION_WORDS.items():
        hits = [w for w in words if w in vocab]
        scored.append((len(hits) / len(words), len(set(hits)), lang))
    scored.sort(reverse=True)
    (best, distinct, language), (second, _, _) = scored[0], scored[1]
    # several distinct function words: one short word ("a", "de", "e") is shared by too many languages
    if best >= min_share and distinct >= 3 and best >= 2 * second and _mostly_latin(text):
        return language, 0.99
    return None


class LanguageSignal:
    name: ClassVar[str] = "language"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        rule = lambda key, default: ctx.rule("language", key, default)  # noqa: E731
        detect = Detector(ctx.seed, rule("min_detect_chars", 20), rule("english_stopword_share", 0.12),
                          workers=int(rule("workers", 0)))
        prompts: list[str] = (table.select(pl.concat_str(["instruction", "input"], separator="\n").str.strip_chars())
                              .to_series().to_list())
        responses: list[str] = table["response"].to_list()
        found = detect.detect_many([*prompts, *responses])
        inst, resp = found[:len(prompts)], found[len(prompts):]
        min_len, min_prob = rule("min_mismatch_chars", 60), rule("min_probability", 0.9)
        min_share = rule("min_function_word_share", 0.08)
        markers = [m.lower() for m in rule("translation_markers", [])]
        instructions: list[str] = table["instruction"].to_list()
        mismatch: list[bool] = []
        for instruction, text, response, (li, pi), (lr, pr) in zip(instructions, prompts, responses, inst, resp,
                                                                  strict=True):
            long_enough = _long_enough(text, min_len) and _long_enough(response, min_len)
            # The prompt's language is the instruction's: its input may be code, a table or a list of names.
            long_enough = (long_enough and (reads_as_running_text(instruction, li, min_share) or is_prose(text))
                           and reads_as_running_text(response, lr, min_share))
            confident = pi >= min_prob and pr >= min_prob and "und" not in (li, lr)
            differ = li.split("-")[0] != lr.split("-")[0]
            asked = differ and any(m in text.lower() for m in markers)
            mismatch.append(long_enough and confident and differ and not asked)
        columns: dict[str, pl.Series | np.ndarray | list[Any]] = {
            "language_instruction": pl.Series([x[0] for x in inst], dtype=pl.String),
            "language_instruction_prob": pl.Series([x[1] for x in inst], dtype=pl.Float64),
            "language_response": pl.Series([x[0] for x in resp], dtype=pl.String),
            "language_response_prob": pl.Series([x[1] for x in resp], dtype=pl.Float64),
        }
        n = max(table.height, 1)
        summary = {
            "instruction_shares": _shares(x[0] for x in inst),
            "response_shares": _shares(x[0] for x in resp),
            "mismatches": sum(mismatch),
            "langdetect_calls": detect.langdetect_calls,
            "cheap_path_share": round(1 - detect.langdetect_calls / (2 * n), 4),
        }
        return SignalResult(columns=columns, flags={"flag_language_mismatch": mismatch}, summary=summary)


def _long_enough(text: str, min_chars: int) -> bool:
    """At least ``min_chars`` characters; a third of that for Chinese/Japanese (denser scripts)."""
    size = len(text.strip())
    return size >= min_chars or (size >= min_chars / 3 and len(_HAN_RE.findall(text)) >= 0.5 * size)


def _shares(langs: Iterable[str]) -> dict[str, float]:
    counts = Counter(langs)
    total = sum(counts.values()) or 1
    return {k: round(v / total, 6) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}
