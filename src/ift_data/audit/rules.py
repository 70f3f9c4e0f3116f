"""Rule sets (``rules/*.yaml``): load, resolve ``extends``, check keys against the default set."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ift_data.errors import SpecError
from ift_data.resources import bundled
from ift_data.templates.pack import UniqueKeyLoader

# Families whose keys are owned by the embeddings helper's signals: any key is accepted there.
OPEN_FAMILIES = {"dedup_semantic", "label_noise", "outliers", "diversity"}


@dataclass(frozen=True)
class Rules:
    path: str
    values: dict[str, Any]


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
    if not path.is_file():
        raise SpecError("rules file not found", file=str(path))
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader) or {}  # noqa: S506 - safe
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read rules file: {exc}", file=str(path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(f"invalid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                        line=mark.line + 1 if mark else None) from exc
    if not isinstance(doc, dict):
        raise SpecError("a rules file is a mapping of signal family -> settings", file=str(path))
    return doc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _check_value(value: Any, default: Any, path: Path, field: str) -> None:
    """A setting must have its default's type (an int where the default is an int, a finite number >= 0,
    a list of strings ...): a wrong type would otherwise surface as a crash deep inside a signal."""
    if default is None:
        return
    if isinstance(default, bool | str):
        ok = type(value) is type(default)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value) \
            if all(isinstance(v, str) for v in default) else isinstance(value, list)
    elif isinstance(default, dict):
        ok = isinstance(value, dict)
    else:
        ok = True
    if not ok:
        kind = {bool: "true or false", str: "a string", int: "a whole number >= 0", float: "a finite number >= 0",
                list: "a list" + (" of strings" if isinstance(default, list) and all(isinstance(v, str) for v in default) else ""),
                dict: "a mapping"}.get(type(default), type(default).__name__)
        raise SpecError(f"must be {kind}, not {value!r}", file=str(path), field=field)


def load_rules(name_or_path: str | None = None, _chain: tuple[str, ...] = ()) -> Rules:
    """Load a rule set; keys must exist in ``default.yaml`` (a typo never passes silently)."""
    path = resolve(name_or_path)
    key = str(path.resolve())
    if key in _chain:
        raise SpecError("`extends` loops back to this file", file=str(path), field="extends")
    doc = _read(path)
    default_path = rules_dir() / "default.yaml"
    default = _read(default_path) if path.resolve() != default_path.resolve() else doc
    parent = doc.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise SpecError(f"extends names a rule set, not {parent!r}", file=str(path), field="extends")
        base = load_rules(str(path.parent / f"{parent}.yaml") if (path.parent / f"{parent}.yaml").is_file()
                          else parent, (*_chain, key)).values
        doc = _merge(base, doc)
    for family, settings in doc.items():
        if family not in default:
            raise SpecError(f"unknown rule family (known: {', '.join(sorted(default))})", file=str(path),
                            field=family)
        if not isinstance(settings, dict):
            raise SpecError("expected a mapping of settings", file=str(path), field=family)
        if family in OPEN_FAMILIES:
            continue
        for key in settings:
            if key not in default[family]:
                raise SpecError(f"unknown setting (known: {', '.join(sorted(default[family]))})",
                                file=str(path), field=f"{family}.{key}")
            _check_value(settings[key], default[family][key], path, f"{family}.{key}")
    return Rules(str(path), doc)
