"""One validator for config mappings: the keys a mapping may hold are declared once, unknown keys are
refused with the list of valid ones, and typed reads check types and ranges. Every error is one line
naming the file, the line and the dotted field (``label_noise.max_clases``)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ift_data.config.brief import brief
from ift_data.config.yaml_loader import YamlList, YamlMap, line_of
from ift_data.errors import SpecError, UserError

MAX_NUMBER = 1e12
WHOLE = object()  # "no key": an error about the section itself (None is a valid YAML key)


def kind(value: Any) -> str:
    """The YAML word for a value's type, for messages."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def _expected(what: str, minimum: float | None, maximum: float | None, above: bool) -> str:
    """``a positive integer <= 64``, ``a non-negative number``, ``a number >= 0.1`` ..."""
    parts = []
    if minimum == 0:
        what = f"{'a positive' if above else 'a non-negative'} {what}"
    else:
        what = f"{'an' if what[0] in 'aeiou' else 'a'} {what}"
        if minimum is not None:
            parts.append(f"{'>' if above else '>='} {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    return " ".join([what, " and ".join(parts)]).strip()


# A number in exponent notation that YAML 1.1 (PyYAML) reads as text: ``1e1``, ``5e-1`` (no dot), ``1.5e1``
# (no exponent sign). Other numeric text (``'3'``) was quoted on purpose and stays a string.
_EXPONENT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d+")


def _numeric_text(value: Any) -> Any:
    """A string YAML read from an exponent number (``1e1``) as that float; anything else as is."""
    if isinstance(value, str) and len(value) <= 64 and _EXPONENT.fullmatch(value.strip()):
        number = float(value.strip())
        if math.isfinite(number):
            return number
    return value


def _exponent_hint(value: Any, *, whole: bool) -> str:
    """For a string YAML read from an exponent number (``1e4``): how to write it as a number."""
    number = _numeric_text(value)
    if not isinstance(value, str) or not isinstance(number, float):
        return ""
    if whole and number.is_integer():
        return f" ({brief(value)} is read as text by YAML; write {int(number)})"
    return f" ({brief(value)} is read as text by YAML; write {number!r})"


class Section:
    """A YAML mapping checked against the keys it may hold (``keys``) and must hold (``required``).

    ``field`` is its dotted path in the file ("" for the top level); reads name ``field.key``. ``line``
    is where the mapping is named (its key's line in the parent), by default where it starts.
    """

    def __init__(self, data: Any, keys: Iterable[str], *, file: str, field: str = "",
                 required: Iterable[str] = (), error: type[UserError] = SpecError, line: int | None = None) -> None:
        self.file, self.field, self.error = file, field, error
        self.keys = tuple(keys)
        self.line = line if line is not None else line_of(data)
        self.data: dict[Any, Any] = data if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            raise self.fail(f"must be a mapping, not {kind(data)}")
        for key in data:
            if key not in self.keys:
                where = f" in {field}" if field else ""
                valid = ", ".join(sorted(self.keys)) or "(none)"
                raise self.fail(f"unknown key {brief(key)}{where}; valid keys: {valid}", key)
        for key in required:
            if key not in data:
                raise self.fail("required key is missing", key)

    # -- where things are ------------------------------------------------------------------------

    def path(self, key: Any = WHOLE) -> str | None:
        """The dotted field of ``key`` (or of this section)."""
        if key is WHOLE:
            return self.field or None
        name = key if isinstance(key, str) and key.isprintable() and len(key) <= 80 else brief(key, 60)
        return f"{self.field}.{name}" if self.field else name

    def line_of(self, key: Any = WHOLE) -> int | None:
        if key is not WHOLE and isinstance(self.data, YamlMap):
            return self.data.line_of(key)
        return self.line

    def fail(self, message: str, key: Any = WHOLE) -> UserError:
        """The error to raise for ``key`` (or for the whole section)."""
        return self.error(message, file=self.file, line=self.line_of(key), field=self.path(key))

    def nested(self, value: Any, keys: Iterable[str], field: str, *, line: int | None = None,
               required: Iterable[str] = ()) -> Section:
        """Another mapping of the same file (e.g. an item of a list), checked against ``keys``."""
        return Section(value, keys, file=self.file, field=field, required=required, error=self.error,
                       line=line if line is not None else (line_of(value) or self.line))

    # -- typed reads -----------------------------------------------------------------------------

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def section(self, key: str, keys: Iterable[str], *, required: Iterable[str] = ()) -> Section:
        """The mapping under ``key`` (absent or empty means ``{}``)."""
        value = self.data.get(key)
        value = {} if value is None else value
        return self.nested(value, keys, self.path(key) or key, line=self.line_of(key), required=required)

    def items(self, key: str, *, nonempty: bool = True) -> list[tuple[str, Any, int | None]]:
        """(field, value, line) of each item of the list under ``key``."""
        value = self.data.get(key)
        if not isinstance(value, list):
            raise self.fail(f"must be a list, not {kind(value)}", key)
        if nonempty and not value:
            raise self.fail("must be a non-empty list", key)
        lines = value.item_lines if isinstance(value, YamlList) else []
        return [(f"{self.path(key)}[{i}]", item, lines[i] if i < len(lines) else self.line_of(key))
                for i, item in enumerate(value)]

    def text(self, key: str, default: str | None = None, *, nonempty: bool = False) -> str | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or (nonempty and not value.strip()):
            raise self.fail(f"must be a {'non-empty ' if nonempty else ''}string, not {brief(value)}", key)
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"must be true or false, not {brief(value)}", key)
        return value

    def choice(self, key: str, options: Sequence[str], default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or value not in options:
            raise self.fail(f"must be one of {', '.join(options)}, not {brief(value)}", key)
        return value

    def names(self, key: str, default: tuple[str, ...] = (), *, one: bool = True) -> tuple[str, ...]:
        """A list of non-empty strings; with ``one``, one string is a list of one (never its characters)."""
        value = self.data.get(key, default)
        if value is None:
            return ()
        value = [value] if one and isinstance(value, str) else value
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"must be a list of names, not {brief(value)}", key)
        return tuple(value)

    def integer(self, key: str, default: int | None, *, minimum: int | None = 0, maximum: float | None = MAX_NUMBER,
                above: bool = False) -> int | None:
        """An integer in range (``above``: strictly greater than ``minimum``); a float is refused (with a
        hint when it is YAML 1.1's text for an exponent number, ``1e4``)."""
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"must be {_expected('integer', minimum, maximum, above)}, not {brief(value)}"
                            f"{_exponent_hint(value, whole=True)}", key)
        self._check_range(key, value, minimum, maximum, above, "integer")
        return value

    def number(self, key: str, default: float | None, *, minimum: float | None = 0,
               maximum: float | None = MAX_NUMBER, above: bool = False) -> float | None:
        """A finite number in range (``above``: strictly greater than ``minimum``). A number in exponent
        notation that YAML 1.1 reads as a string (``1e1``, ``5e-1``: no dot, or no exponent sign) is read as
        that number."""
        value = self.data.get(key, default)
        if value is None:
            return None
        value = _numeric_text(value)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(f"must be {_expected('finite number', minimum, maximum, above)}, not {brief(value)}",
                            key)
        self._check_range(key, value, minimum, maximum, above, "finite number")
        return value

    def _check_range(self, key: str, value: float, minimum: float | None, maximum: float | None, above: bool,
                     what: str) -> None:
        low = minimum is not None and (value <= minimum if above else value < minimum)
        if low or (maximum is not None and value > maximum):
            raise self.fail(f"must be {_expected(what, minimum, maximum, above)}, not {brief(value)}", key)
