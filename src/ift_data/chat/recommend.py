"""Recommend a loss-masking mode from the instruction/response length ratio R and the dataset size N.

Rule (thresholds in ``rules/masking.yaml``, from arXiv 2405.14394): instruction modelling when R is
high (>= ~3) or the set is small (<= ~10k); response-only for large sets with R <= ~1; otherwise the
default, with the reason. It never switches the mode; build and audit print it next to the mode in use.

``recommend_mask_mode`` is the only place this is decided: the build (export manifest), the audit
(``summary.json``) and the report (which reads the audit's) all show its ``Recommendation``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ift_data.chat.masking import MASK_MODES
from ift_data.config import Section, load_yaml
from ift_data.errors import SpecError
from ift_data.resources import bundled

RULES_FILE = bundled("rules") / "masking.yaml"
DEFAULT_RULES: dict[str, Any] = {
    "instruction_ratio_min": 3.0,
    "small_dataset_max": 10000,
    "response_ratio_max": 1.0,
    "default_mode": "response",
}
# tokens with a tokenizer, else words (script-aware: each character of a script written without
# spaces, such as Chinese or Thai, counts as one word; ``ift_data.audit.text.units``).
UNITS = ("tokens", "words")


@dataclass(frozen=True)
class Recommendation:
    """The recommended mode, the figures it rests on and a one-line reason (figures rounded to 6 places,
    so what is stored, shown and decided on is the same number)."""

    mode: str
    ratio: float | None  # R = mean instruction length / mean response length; None without response text
    n_examples: int  # N
    unit: str  # one of UNITS
    reason: str
    mean_instruction_length: float
    mean_response_length: float
    rules: dict[str, Any]  # the rules/masking.yaml thresholds it used

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recommendation:
        """The record ``to_json`` wrote; a ``KeyError``/``TypeError`` names what does not match."""
        names = set(cls.__dataclass_fields__)
        if set(data) != names:
            raise KeyError(f"masking recommendation keys {sorted(data)} != {sorted(names)}")
        return cls(**data)


def load_rules(path: str | Path | None = None) -> dict[str, Any]:
    """Thresholds from ``path`` (default ``rules/masking.yaml``; built-in defaults when it is absent)."""
    path = Path(path) if path is not None else RULES_FILE
    if not path.exists():
        if path != RULES_FILE:
            raise SpecError("masking rules file not found", file=str(path))
        return dict(DEFAULT_RULES)
    data = Section(load_yaml(path), tuple(DEFAULT_RULES), file=str(path))
    return {key: data.choice(key, tuple(MASK_MODES), default) if key == "default_mode" else data.number(key, default)
            for key, default in DEFAULT_RULES.items()}


def recommend_mask_mode(instruction_lengths: Sequence[float], response_lengths: Sequence[float], unit: str,
                        rules: Mapping[str, Any] | None = None) -> Recommendation:
    """Recommend a mask mode from per-example lengths in ``unit`` (one of ``UNITS``).

    The instruction length of an example is everything the model reads before the answer (instruction,
    input, earlier turns); the response length is the answer's. N is the number of examples and
    ``R = mean instruction length / mean response length`` over the whole dataset (a ratio of means,
    as arXiv 2405.14394 computes it from each dataset's average instruction and output lengths; not a
    mean or median of per-example ratios, which one-word answers would blow up).
    """
    if len(instruction_lengths) != len(response_lengths):
        raise ValueError(f"{len(instruction_lengths)} instruction lengths but {len(response_lengths)} responses")
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {UNITS}")
    rules = dict(rules) if rules is not None else load_rules()
    n_examples = len(instruction_lengths)
    mean_in = round(math.fsum(instruction_lengths) / n_examples, 6) if n_examples else 0.0
    mean_out = round(math.fsum(response_lengths) / n_examples, 6) if n_examples else 0.0
    ratio = round(mean_in / mean_out, 6) if mean_out > 0 else None
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
    return Recommendation(mode, ratio, n_examples, unit, reason, mean_in, mean_out, rules)


def recommend_for_texts(instructions: Sequence[str], responses: Sequence[str], tokenizer: Any = None,
                        rules: Mapping[str, Any] | None = None) -> Recommendation:
    """``recommend_mask_mode`` on texts: lengths in tokens with a Hugging Face tokenizer, else words."""
    unit = "tokens" if tokenizer is not None else "words"
    return recommend_mask_mode(text_lengths(instructions, unit, tokenizer), text_lengths(responses, unit, tokenizer),
                               unit, rules)


def text_lengths(texts: Sequence[str], unit: str, tokenizer: Any = None) -> list[int]:
    """Length of each text in ``unit``: ``tokens`` (needs a Hugging Face tokenizer, no special tokens) or
    ``words`` (the audit's script-aware units, so build and audit count alike)."""
    if unit == "tokens":
        if tokenizer is None:
            raise ValueError("unit 'tokens' needs a tokenizer")
        if not texts:
            return []
        texts = list(texts)
        return [len(ids) for start in range(0, len(texts), 1024)  # a batch at a time: bounded memory
                for ids in tokenizer(texts[start:start + 1024], add_special_tokens=False)["input_ids"]]
    if unit == "words":
        from ift_data.audit.text import unit_count

        return [unit_count(text) for text in texts]
    raise ValueError(f"unknown unit {unit!r}; use one of {UNITS}")
