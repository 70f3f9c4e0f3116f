"""Rule sets (``rules/*.yaml``): load, resolve ``extends``, check sections and keys against ``default.yaml``.

``default.yaml`` is the single list of what a rules file may say: every signal section with every setting
its signal reads, each with the default whose type a user's value must have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ift_data.config import Section, brief, line_of, load_yaml_hashed, plain
from ift_data.config.yaml_loader import YamlMap
from ift_data.errors import SpecError
from ift_data.resources import bundled

# Every flag a signal writes (the columns ``flag_*`` of signals.parquet): what ``clean.remove`` may name.
FLAGS = ("flag_too_long", "flag_exact_duplicate", "flag_near_duplicate", "flag_semantic_duplicate",
         "flag_language_mismatch", "flag_empty_instruction", "flag_empty_response", "flag_unbalanced_code_fence",
         "flag_template_leftover", "flag_html_debris", "flag_refusal", "flag_repeats_instruction",
         "flag_nonprintable", "flag_repetition", "flag_url_heavy", "flag_truncated_response", "flag_conflict",
         "flag_label_noise", "flag_outlier")

# The range of a numeric setting beyond its type (a number >= 0): (minimum, maximum, above), ``above``
# meaning strictly greater than the minimum. A value outside it crashes a signal (``num_perm: 0``), asks for
# petabytes (``num_perm: 100000000``) or quietly changes what the signal means (a Jaccard threshold of 7,
# word 0-grams).
SHARE = (0, 1, False)
POSITIVE_SHARE = (0, 1, True)
AT_LEAST_1 = (1, None, False)
RANGES: dict[str, tuple[float, float | None, bool]] = {
    "read.max_line_bytes": AT_LEAST_1, "read.max_field_chars": AT_LEAST_1,
    "length.max_chars": AT_LEAST_1,
    "dedup_minhash.threshold": POSITIVE_SHARE, "dedup_minhash.num_perm": (1, 1024, False),
    "dedup_minhash.ngram_words": AT_LEAST_1, "dedup_minhash.ngram_chars": AT_LEAST_1,
    "language.min_confidence": SHARE, "language.min_function_word_share": SHARE, "language.min_probability": SHARE,
    "language.max_prompt_probability": SHARE,
    "noise.truncation_fragment_ratio": SHARE, "noise.truncation_list_punctuated_share": SHARE,
    "noise.truncation_max_bare_end_share": SHARE, "noise.max_repetition": SHARE, "noise.repetition_ngram": AT_LEAST_1,
    "noise.max_url_share": SHARE,
    "consistency.near_threshold": POSITIVE_SHARE, "consistency.ngram_words": AT_LEAST_1,
    "difficulty.medium_from": SHARE, "difficulty.hard_from": SHARE, "difficulty.ifd_max_tokens": AT_LEAST_1,
    "format_concentration.label_max_units": AT_LEAST_1, "format_concentration.label_min_count": AT_LEAST_1,
    "format_concentration.max_closed_share": SHARE, "format_concentration.max_shape_share": SHARE,
    "dedup_semantic.threshold": SHARE, "dedup_semantic.min_char_jaccard": SHARE,
    "label_noise.min_precision": SHARE, "label_noise.min_found_share": SHARE, "label_noise.min_skill": SHARE,
    "label_noise.review_min_skill": SHARE, "label_noise.folds": (2, None, False), "label_noise.embedding_c": (0, None, True),
    "label_noise.tfidf_c": (0, None, True), "label_noise.anchor_quantile": SHARE, "label_noise.key_words": AT_LEAST_1,
    "label_noise.max_label_chars": AT_LEAST_1, "label_noise.max_label_units": AT_LEAST_1,
    "label_noise.min_class_count": AT_LEAST_1, "label_noise.min_rows": AT_LEAST_1, "label_noise.max_classes": (2, None, False),
    "label_noise.min_coverage": SHARE,
    "outliers.min_distance": (0, 2, False),
    "diversity.clusters": AT_LEAST_1, "diversity.kmeans_iterations": AT_LEAST_1,
}
NULLABLE_NUMBERS = ("consistency.near_threshold",)  # null (the default: off) or a number in its range


@dataclass(frozen=True)
class Rules:
    path: str
    values: dict[str, Any]
    sha256: str = ""  # of the named file's bytes, as read


def rules_dir() -> Path:
    """The bundled ``rules/`` (never the working directory's: a user rule file is used only when named)."""
    return bundled("rules")


def resolve(name_or_path: str | None) -> Path:
    if name_or_path is None:
        return rules_dir() / "default.yaml"
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return rules_dir() / f"{name_or_path}.yaml"


def _read(path: Path) -> dict[str, Any]:
    return _read_hashed(path)[0]


def _read_hashed(path: Path) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        raise SpecError("rules file not found", file=str(path))
    doc, sha256 = load_yaml_hashed(path)
    if doc is None:
        return {}, sha256
    if not isinstance(doc, dict):
        raise SpecError("a rules file is a mapping of signal family -> settings", file=str(path), line=line_of(doc))
    return doc, sha256


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _expected(default: Any) -> str:
    if isinstance(default, list):
        return "a list of strings" if all(isinstance(v, str) for v in default) else "a list"
    return {bool: "true or false", str: "a string", int: "a whole number >= 0",
            float: "a finite number >= 0"}.get(type(default), type(default).__name__)


def _range_text(minimum: float, maximum: float | None, above: bool) -> str:
    if maximum is None:
        return f"{'above' if above else 'at least'} {minimum:g}"
    return f"above {minimum:g} and at most {maximum:g}" if above else f"from {minimum:g} to {maximum:g}"


def _check_range(section: Section, key: str, value: Any) -> None:
    bounds = RANGES.get(section.path(key) or key)
    if bounds is None:
        return
    minimum, maximum, above = bounds
    if value < minimum or (above and value == minimum) or (maximum is not None and value > maximum):
        raise section.fail(f"must be {_range_text(minimum, maximum, above)}, not {brief(value)}", key)


def _check_value(section: Section, key: str, value: Any, default: Any) -> None:
    """A setting must have its default's type (an int where the default is an int, a finite number >= 0,
    a list of strings ...) and, for the numbers in ``RANGES``, lie in its range: a wrong value would otherwise
    surface as a crash deep inside a signal, or quietly change its results."""
    if isinstance(default, dict):
        _check_settings(section.nested(value, default, section.path(key) or key, line=section.line_of(key)),
                        default)
        return
    if default is None:
        if value is not None and (section.path(key) or key) in NULLABLE_NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise section.fail(f"must be null or a number, not {brief(value)}", key)
            _check_range(section, key, value)
        return
    if isinstance(default, bool | str):
        ok = type(value) is type(default)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    elif isinstance(default, list):
        strings = all(isinstance(v, str) for v in default)
        ok = isinstance(value, list) and (not strings or all(isinstance(v, str) for v in value))
    else:
        ok = True
    if not ok:
        raise section.fail(f"must be {_expected(default)}, not {brief(value)}", key)
    if isinstance(default, int | float):
        _check_range(section, key, value)


def _check_settings(section: Section, default: dict[str, Any]) -> None:
    for key, value in section.data.items():
        _check_value(section, key, value, default[key])
    if section.field == "clean" and "remove" in section.data:
        _check_remove(section)


def _check_remove(section: Section) -> None:
    """``clean.remove`` names flags a signal writes (a typo would keep every row it meant to remove)."""
    for field, name, line in section.items("remove", nonempty=False):
        if name not in FLAGS:
            hint = f" (did you mean 'flag_{name}'?)" if f"flag_{name}" in FLAGS else ""
            raise SpecError(f"unknown flag {brief(name)}{hint}; valid flags: {', '.join(FLAGS)}", file=section.file,
                            line=line, field=field)


def _check_weights(values: dict[str, Any], doc: dict[str, Any], path: Path) -> None:
    """MinHash's band/row choice weighs false positives against false negatives: both 0 weighs nothing (any
    choice is as good, so the signal would run with an arbitrary one)."""
    minhash = values.get("dedup_minhash", {})
    if minhash.get("false_positive_weight", 0.1) + minhash.get("false_negative_weight", 0.9) > 0:
        return
    own = doc.get("dedup_minhash")
    key = next((k for k in ("false_negative_weight", "false_positive_weight") if isinstance(own, dict) and k in own),
               "false_negative_weight")
    line = own.line_of(key) if isinstance(own, YamlMap) else None
    raise SpecError("false_positive_weight and false_negative_weight are both 0: give one of them a weight above 0",
                    file=str(path), line=line, field=f"dedup_minhash.{key}")


def _check(doc: dict[str, Any], default: dict[str, Any], path: Path) -> str | None:
    """Check one file's own sections and settings against ``default.yaml`` (the one list of valid
    families and keys, each with the type of its default); returns the rule set it extends."""
    top = Section(doc, (*default, "extends"), file=str(path))
    for family, settings in doc.items():
        if family != "extends":
            _check_value(top, family, settings, default[family])
    return top.text("extends", nonempty=True)


def load_rules(name_or_path: str | None = None, _chain: tuple[str, ...] = ()) -> Rules:
    """Load a rule set; sections and keys must exist in ``default.yaml`` (a typo never passes silently)."""
    path = resolve(name_or_path)
    key = str(path.resolve())
    if key in _chain:
        raise SpecError("`extends` loops back to this file", file=str(path), field="extends")
    doc, sha256 = _read_hashed(path)
    default_path = rules_dir() / "default.yaml"
    default = plain(_read(default_path) if path.resolve() != default_path.resolve() else doc)
    parent = _check(doc, default, path)
    values = {family: settings for family, settings in plain(doc).items() if family != "extends"}
    if parent is not None:
        base = load_rules(str(path.parent / f"{parent}.yaml") if (path.parent / f"{parent}.yaml").is_file()
                          else parent, (*_chain, key)).values
        values = _merge(base, values)
    _check_weights(values, doc, path)
    return Rules(str(path), values, sha256)
