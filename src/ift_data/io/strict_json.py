"""Strict JSON parsing for untrusted input: what ``json.loads`` lets through silently is an error here.

- duplicate keys in one object (``json.loads`` keeps the last value and drops the first without a word);
- the non-standard constants ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON; they would turn into the
  text "nan"/"inf" or a float no JSON writer may emit);
- lone UTF-16 surrogates written as escapes (``"\\ud800"``): valid JSON syntax, but not Unicode text,
  so no UTF-8 writer can write them out again;
- nesting deeper than Python's recursion limit;
- an integer of more than 4,300 digits (Python refuses to convert it) or a number too large for a float
  (it would become ``inf``).

``StrictJSONError`` carries a one-line reason; callers turn it into a reject (a row) or a user error
(a whole document).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class StrictJSONError(ValueError):
    """The text is not strict JSON; ``reason`` says why, ``line``/``column`` where when known."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


class DuplicateKeys(dict):
    """An object that had a duplicate key (``duplicates="mark"``); ``duplicate`` names the first one."""

    duplicate: str = ""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise StrictJSONError(f"duplicate key {key!r} in one object")
        out[key] = value
    return out


def _marking_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    duplicate = None
    for key, value in pairs:
        if key in out and duplicate is None:
            duplicate = key
        out[key] = value
    if duplicate is None:
        return out
    marked = DuplicateKeys(out)
    marked.duplicate = duplicate
    return marked


def find_duplicate(node: Any, *, deep: bool = True) -> str | None:
    """The first duplicate key marked in ``node`` (and, with ``deep``, anywhere inside it)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, DuplicateKeys):
            return item.duplicate
        if not deep:
            return None
        if isinstance(item, dict):
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))
    return None


MAX_INT_DIGITS = 4300  # Python's own limit for int <-> str conversion


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise StrictJSONError(f"integer with {digits:,} digits (over {MAX_INT_DIGITS:,})")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise StrictJSONError(f"number {text[:20]}{'...' if len(text) > 20 else ''} is too large for a float")
    return value


def _constant(name: str) -> Any:
    raise StrictJSONError(f"non-standard JSON constant {name} (JSON has no NaN or Infinity)")


def _lone_surrogate(node: Any) -> str | None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                return f"\\u{ord(item[exc.start]):04x}"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


_DECODERS = {mode: json.JSONDecoder(object_pairs_hook=hook, parse_constant=_constant, parse_int=_integer,
                                    parse_float=_float)
             for mode, hook in (("raise", _pairs), ("mark", _marking_pairs))}


def loads_strict(text: str, duplicates: str = "raise") -> Any:
    """Parse ``text`` as strict JSON; raises ``StrictJSONError`` (a ``ValueError``) with a reason.

    ``duplicates="mark"`` (for whole documents holding many records) does not raise on a duplicate key
    but returns that object as a ``DuplicateKeys``, so the caller can reject just the record holding it
    (see ``find_duplicate``)."""
    decoder = _DECODERS["mark" if duplicates == "mark" else "raise"]
    try:
        if not isinstance(text, str) or text.startswith("\ufeff"):  # json.loads' own checks and wording
            value = json.loads(text, object_pairs_hook=decoder.object_pairs_hook, parse_constant=_constant,
                               parse_int=_integer, parse_float=_float)
        else:
            value = decoder.decode(text)  # what json.loads does with these hooks, without a decoder per call
    except StrictJSONError:
        raise
    except json.JSONDecodeError as exc:
        at = "column" if exc.msg.endswith(" at") else "at column"  # "Unterminated string starting at"
        raise StrictJSONError(f"{exc.msg} {at} {exc.colno}", exc.lineno, exc.colno) from exc
    except RecursionError as exc:
        raise StrictJSONError("JSON nested too deeply") from exc
    if _SURROGATE_ESCAPE.search(text):
        bad = _lone_surrogate(value)
        if bad is not None:
            raise StrictJSONError(f"lone surrogate {bad} in a string (not valid Unicode text)")
    return value
