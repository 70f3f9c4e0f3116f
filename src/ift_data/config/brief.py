"""Short, bounded text for values quoted in error messages (never the repr of a huge value)."""

from __future__ import annotations

import reprlib
from typing import Any

LIMIT = 80


class _Brief(reprlib.Repr):
    """``reprlib`` that dispatches on isinstance (dict/list subclasses included) and never converts a huge
    integer to text."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxtuple, self.maxset = 2, 4, 6, 6, 6
        self.maxstring, self.maxother = 60, 60

    def repr1(self, x: Any, level: int) -> str:
        if isinstance(x, bool) or x is None:
            return repr(x)
        if isinstance(x, int):
            return repr(x) if x.bit_length() <= 256 else f"<integer of {x.bit_length():,} bits>"
        if isinstance(x, str):
            return self.repr_str(x, level)
        if isinstance(x, bytes | bytearray):
            return repr(bytes(x[: self.maxstring])) + ("..." if len(x) > self.maxstring else "")
        if isinstance(x, dict):
            return self.repr_dict(x, level)
        if isinstance(x, list):
            return self.repr_list(x, level)
        if isinstance(x, tuple):
            return self.repr_tuple(x, level)
        if isinstance(x, set | frozenset):
            return self.repr_set(x, level) if isinstance(x, set) else self.repr_frozenset(x, level)
        return self.repr_instance(x, level)

    def repr_dict(self, x: Any, level: int) -> str:
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = []
        for index, (key, value) in enumerate(x.items()):
            if index == self.maxdict:
                items.append("...")
                break
            items.append(f"{self.repr1(key, level - 1)}: {self.repr1(value, level - 1)}")
        return "{" + ", ".join(items) + "}"


_BRIEF = _Brief()


def brief(value: Any, limit: int = LIMIT) -> str:
    """``repr(value)`` cut to about ``limit`` characters, built without the full repr."""
    text = _BRIEF.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
