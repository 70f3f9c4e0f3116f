"""Turn a raw row into a task row: slot values by field path (types kept), replacements, label -> index."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ift_data.io.sources.base import RowError
from ift_data.schema import RawRow, Reject
from ift_data.tasks.spec import TaskSpec


@dataclass(frozen=True, slots=True)
class TaskRow:
    """Slot values of one source row, ready for templates; values keep their types (str, int, float, bool,
    list, dict); ``label`` (when present) is an index."""

    slots: dict[str, Any]
    location: str
    file: str
    line: int


def lookup(row: RawRow, field_path: str) -> Any:
    """Read ``name``, ``a.b``, ``../name`` (parent record) or ``list[].key`` (projection)."""
    node: Any = row.fields
    path = field_path
    depth = 0
    while path.startswith("../"):
        path = path[3:]
        depth += 1
    if depth:
        if depth > len(row.parents):
            raise RowError(f"missing field {field_path!r}", field_path)
        node = row.parents[depth - 1]
    return _descend(node, [p for p in path.split(".") if p], field_path)


def _descend(node: Any, parts: list[str], field_path: str) -> Any:
    if not parts:
        return node
    part, rest = parts[0], parts[1:]
    if part.endswith("[]"):
        key = part[:-2]
        items = node.get(key) if isinstance(node, dict) else None
        if not isinstance(items, list):
            raise RowError(f"missing field {field_path!r}", field_path)
        return [_descend(item, rest, field_path) for item in items]
    if not isinstance(node, dict) or part not in node:
        raise RowError(f"missing field {field_path!r}", field_path)
    return _descend(node[part], rest, field_path)


def _label_index(value: Any, spec: TaskSpec) -> int:
    """The label's index; a value that is not one raises ``RowError``."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise RowError(f"label must be an integer or a string, found {type(value).__name__}")
    if isinstance(value, float):
        if value != value or not value.is_integer():
            raise RowError(f"label {value!r} is not an integer id")
        value = int(value)
    text = str(value).strip()
    if spec.labels is None:
        try:
            return int(text)
        except ValueError:
            raise RowError(f"label {text!r} is not an integer index (the spec defines no label names)") from None
    names = spec.label_names
    for raw, name in spec.labels:
        if raw == text:
            return names.index(name)
    if text in names:
        return names.index(text)
    raise RowError(f"unknown label {text!r} (known: {', '.join(raw for raw, _ in spec.labels)})")


def _value(value: Any) -> Any:
    """A slot value as templates see it: types kept; null, NaN and empty text are row errors."""
    if value is None:
        raise RowError("value is null")
    if isinstance(value, float) and not math.isfinite(value):
        raise RowError(f"value is {value}")
    if isinstance(value, str) and not value.strip():
        raise RowError("empty text value")
    return value


def _replace(value: Any, pairs: tuple[tuple[str, str], ...]) -> Any:
    if isinstance(value, str):
        for old, new in pairs:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace(v, pairs) for v in value]
    return value


def text_size(value: Any) -> int:
    """Characters of text in a value, nested lists and dicts included (for the field-size limit)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(text_size(v) for v in value)
    if isinstance(value, dict):
        return sum(len(str(k)) + text_size(v) for k, v in value.items())
    return 0


def to_task_row(row: RawRow, spec: TaskSpec) -> TaskRow | Reject:
    """Map a raw row onto the spec's slots; a missing or empty field, an unknown label, or a list or dict
    in one of the spec's ``text_slots`` becomes a reject (stage "map"); numbers and booleans stay as they
    are. A ``record_fields`` spec passes the whole record as it is; only a missing slot rejects."""
    if spec.record_fields:
        return _record_row(row, spec)
    slots: dict[str, Any] = {}
    for slot, field_path in spec.fields:
        try:
            value = lookup(row, field_path)
            slots[slot] = _label_index(value, spec) if slot == "label" else _value(value)
            if slot in spec.text_slots and isinstance(value, list | dict):
                raise RowError(f"{field_path}: expected a string, got {type(value).__name__} (the templates "
                               "write this slot as text)")
        except RowError as exc:
            return Reject(row.file, row.line, exc.reason, field=field_path, stage="map", dataset=spec.name)
    for slot, pairs in spec.replace:
        slots[slot] = _replace(slots[slot], pairs)
        if isinstance(slots[slot], str) and not slots[slot].strip():
            return Reject(row.file, row.line, "empty text value (after replace)", field=dict(spec.fields)[slot],
                          stage="map", dataset=spec.name)
    return TaskRow(slots, row.location, row.file, row.line)


def _record_row(row: RawRow, spec: TaskSpec) -> TaskRow | Reject:
    """Every field of the record, values untouched (None, empty text and raw labels included, as
    promptsource gives them to its templates); a slot the pack needs that the record lacks is a reject."""
    for _slot, field_path in spec.fields:
        try:
            lookup(row, field_path)
        except RowError as exc:
            return Reject(row.file, row.line, exc.reason, field=field_path, stage="map", dataset=spec.name)
    return TaskRow(dict(row.fields), row.location, row.file, row.line)
