"""Turn a raw row into a task row: slot values by field path, replacements, label id -> index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ift_data.schema import RawRow, Reject
from ift_data.tasks.spec import TaskSpec


@dataclass(frozen=True, slots=True)
class TaskRow:
    """Slot values of one source row, ready for templates; ``label`` (when present) is an index."""

    slots: dict[str, Any]
    location: str
    file: str
    line: int


class _Missing(Exception):
    pass


def _lookup(row: RawRow, field_path: str) -> Any:
    """Read ``name``, ``a.b``, ``../name`` (parent record) or ``list[].key`` (projection)."""
    node: Any = row.fields
    path = field_path
    depth = 0
    while path.startswith("../"):
        path = path[3:]
        depth += 1
    if depth:
        if depth > len(row.parents):
            raise _Missing(field_path)
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
            raise _Missing(field_path)
        return [_descend(item, rest, field_path) for item in items]
    if not isinstance(node, dict) or part not in node:
        raise _Missing(field_path)
    return _descend(node[part], rest, field_path)


def _label_index(value: Any, spec: TaskSpec) -> int | str:
    """The label's index, or a reject reason (str)."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return f"label must be a scalar, found {type(value).__name__}"
    if isinstance(value, float):
        if value != value or not value.is_integer():
            return f"label {value!r} is not an integer id"
        value = int(value)
    text = str(value).strip()
    if spec.labels is None:
        try:
            return int(text)
        except ValueError:
            return f"label {text!r} is not an integer index (the spec defines no label names)"
    names = spec.label_names
    for raw, name in spec.labels:
        if raw == text:
            return names.index(name)
    if text in names:
        return names.index(text)
    return f"unknown label {text!r} (known: {', '.join(raw for raw, _ in spec.labels)})"


def to_task_row(row: RawRow, spec: TaskSpec) -> TaskRow | Reject:
    """Map a raw row onto the spec's slots; a missing field or an unknown label becomes a reject."""
    slots: dict[str, Any] = {}
    for slot, field_path in spec.fields:
        try:
            value = _lookup(row, field_path)
        except _Missing:
            return Reject(row.file, row.line, f"missing field {field_path!r}", field=field_path,
                          dataset=spec.name)
        if slot == "label":
            index = _label_index(value, spec)
            if isinstance(index, str):
                return Reject(row.file, row.line, index, field=field_path, dataset=spec.name)
            value = index
        elif isinstance(value, list):
            if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
                return Reject(row.file, row.line, "list values must be strings", field=field_path,
                              dataset=spec.name)
            value = [str(v) for v in value]
        elif isinstance(value, dict | bool) or value is None:
            return Reject(row.file, row.line, f"expected text, found {type(value).__name__}",
                          field=field_path, dataset=spec.name)
        elif isinstance(value, float) and value != value:
            return Reject(row.file, row.line, "value is NaN", field=field_path, dataset=spec.name)
        else:
            value = str(value)
        slots[slot] = value
    for slot, pairs in spec.replace:
        value = slots[slot]
        for old, new in pairs:
            value = [v.replace(old, new) for v in value] if isinstance(value, list) else value.replace(old, new)
        slots[slot] = value
    return TaskRow(slots, row.location, row.file, row.line)
