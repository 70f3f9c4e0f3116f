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
from ift_data.errors import SpecError
from ift_data.resources import bundled


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


def _check_value(section: Section, key: str, value: Any, default: Any) -> None:
    """A setting must have its default's type (an int where the default is an int, a finite number >= 0,
    a list of strings ...): a wrong type would otherwise surface as a crash deep inside a signal."""
    if isinstance(default, dict):
        _check_settings(section.nested(value, default, section.path(key) or key, line=section.line_of(key)),
                        default)
        return
    if default is None:
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


def _check_settings(section: Section, default: dict[str, Any]) -> None:
    for key, value in section.data.items():
        _check_value(section, key, value, default[key])


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
    return Rules(str(path), values, sha256)
