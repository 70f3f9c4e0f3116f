"""Recommend a loss-masking mode from the instruction/response length ratio R and the dataset size N.

Rule (thresholds in ``rules/masking.yaml``, from arXiv 2405.14394): instruction modelling when R is
high (>= ~3) or the set is small (<= ~10k); response-only for large sets with R <= ~1; otherwise the
default, with the reason. It never switches the mode; build and audit print it next to the mode in use.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from ift_data.errors import SpecError
from ift_data.resources import bundled

RULES_FILE = bundled("rules") / "masking.yaml"
DEFAULT_RULES: dict[str, Any] = {
    "instruction_ratio_min": 3.0,
    "small_dataset_max": 10000,
    "response_ratio_max": 1.0,
    "default_mode": "response",
}
UNITS = ("tokens", "words", "characters")


@dataclass(frozen=True)
class Recommendation:
    """The recommended mode, the figures it rests on and a one-line reason."""

    mode: str
    ratio: float | None  # R; None when there is no response text
    n_examples: int
    unit: str
    reason: str
    mean_instruction_length: float
    mean_response_length: float
    rules: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = None if self.ratio is None else round(self.ratio, 4)
        data["mean_instruction_length"] = round(self.mean_instruction_length, 4)
        data["mean_response_length"] = round(self.mean_response_length, 4)
        return data


def load_rules(path: str | Path | None = None) -> dict[str, Any]:
    """Thresholds from ``path`` (default ``rules/masking.yaml``; built-in defaults when it is absent)."""
    path = Path(path) if path is not None else RULES_FILE
    if not path.exists():
        if path != RULES_FILE:
            raise SpecError("masking rules file not found", file=str(path))
        return dict(DEFAULT_RULES)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"cannot read masking rules: {exc}", file=str(path)) from exc
    if not isinstance(data, dict):
        raise SpecError("masking rules must be a mapping", file=str(path))
    for key in sorted(set(data) - set(DEFAULT_RULES), key=str):
        raise SpecError(f"unknown key (allowed: {', '.join(DEFAULT_RULES)})", file=str(path), field=str(key))
    rules = {**DEFAULT_RULES, **data}
    for key in ("instruction_ratio_min", "small_dataset_max", "response_ratio_max"):
        if not isinstance(rules[key], int | float) or isinstance(rules[key], bool) or rules[key] < 0:
            raise SpecError("must be a non-negative number", file=str(path), field=key)
    if rules["default_mode"] not in ("response", "instruction", "boilerplate", "last-turn", "full"):
        raise SpecError("must be a mask mode", file=str(path), field="default_mode")
    return rules


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def recommend_mask_mode(instruction_lengths: Sequence[float], response_lengths: Sequence[float],
                        n_examples: int, unit: str, rules: dict[str, Any] | None = None) -> Recommendation:
    """Recommend a mask mode. Lengths are per example, in ``unit`` (tokens, words or characters)."""
    rules = rules if rules is not None else load_rules()
    mean_in, mean_out = _mean(instruction_lengths), _mean(response_lengths)
    ratio = mean_in / mean_out if mean_out > 0 else None
    r_min, n_max, r_max = rules["instruction_ratio_min"], rules["small_dataset_max"], rules["response_ratio_max"]
    shown = "n/a" if ratio is None else f"{ratio:.2f}"
    if n_examples == 0:
        mode, reason = rules["default_mode"], "no examples: keeping the default"
    elif ratio is not None and ratio >= r_min:
        mode, reason = "instruction", (f"R = {shown} >= {r_min:g}: instructions are long next to responses, "
                                       "where loss over instructions helped most (arXiv 2405.14394)")
    elif n_examples <= n_max:
        mode, reason = "instruction", (f"N = {n_examples:,} <= {n_max:,}: small sets gained from loss over "
                                       "instructions (Alpaca-5k, Dolly-3k/9k; arXiv 2405.14394)")
    elif ratio is None or ratio <= r_max:
        mode, reason = "response", (f"N = {n_examples:,} > {n_max:,} and R = {shown} <= {r_max:g}: loss over "
                                    "instructions helped little on large sets with short instructions (Tülu-V2)")
    else:
        mode, reason = rules["default_mode"], (f"R = {shown} is between {r_max:g} and {r_min:g} with N = "
                                               f"{n_examples:,} > {n_max:,}: no clear evidence, keeping the default")
    return Recommendation(mode, ratio, n_examples, unit, reason, mean_in, mean_out, dict(rules))


_NO_SPACE_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")


def _no_space_char(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(_NO_SPACE_SCRIPTS)


def length_unit(texts: Iterable[str], tokenizer: Any = None, sample: int = 2000) -> str:
    """``tokens`` with a tokenizer; else ``characters`` when most letters (in a sample) belong to scripts
    written without spaces (Chinese, Japanese, Thai, ...); else ``words``."""
    if tokenizer is not None:
        return "tokens"
    letters = no_space = 0
    for index, text in enumerate(texts):
        if index >= sample:
            break
        for char in text:
            if char.isalpha():
                letters += 1
                no_space += _no_space_char(char)
    return "characters" if letters and no_space / letters > 0.5 else "words"


def text_lengths(texts: Sequence[str], unit: str, tokenizer: Any = None) -> list[int]:
    """Length of each text in ``unit``; ``tokens`` needs a Hugging Face tokenizer."""
    if unit == "tokens":
        if tokenizer is None:
            raise ValueError("unit 'tokens' needs a tokenizer")
        if not texts:
            return []
        return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]
    if unit == "characters":
        return [sum(1 for c in text if not c.isspace()) for text in texts]
    if unit == "words":
        return [len(text.split()) for text in texts]
    raise ValueError(f"unknown unit {unit!r}; use one of {UNITS}")
