"""A task spec checked against the source it reads: every mapped column exists (else a one-line spec
error naming the spec's file, line and field), and ``ClassLabel`` columns give label names when the spec
gives none."""

from __future__ import annotations

import dataclasses
import re

from ift_data.errors import SpecError
from ift_data.io.sources.base import Source
from ift_data.schema import RawRow
from ift_data.tasks.spec import TaskSpec

KEY_SAMPLE = 1000  # jsonl/json carry no schema: a mapped key must appear in one of the first KEY_SAMPLE records
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|\.\d+)([eE][+-]?\d+)?$")


def column_of(field_path: str) -> str | None:
    """The top-level column a field path reads (None for a parent record's field, ``../name``)."""
    if field_path.startswith("../"):
        return None
    head = field_path.split(".", 1)[0]
    return head[:-2] if head.endswith("[]") else head


def available_columns(source: Source) -> tuple[str, ...] | None:
    """The columns a source declares, or (jsonl, json) every key of its first ``KEY_SAMPLE`` good records
    (a key that only some records carry is a column; the records without it become map rejects)."""
    if source.columns is not None:
        return source.columns
    keys: dict[str, None] = {}
    seen = 0
    for item in source.items():
        if isinstance(item, RawRow):
            keys.update(dict.fromkeys(item.fields))
            seen += 1
            if seen >= KEY_SAMPLE:
                break
    return tuple(keys) if seen else None


def looks_like_data(names: tuple[str, ...]) -> bool:
    """Whether header cells look like a data row (numbers, empty cells, sentences) rather than names."""
    return any(not n or _NUMBER.match(n) or len(n) > 40 or n.count(" ") >= 3 for n in names)


def check_fields(spec: TaskSpec, source: Source) -> None:
    """Refuse a spec whose ``fields`` name a column the source does not have."""
    columns = available_columns(source)
    if columns is None:
        return  # no readable record: the rejects say why
    for slot, field_path in spec.fields:
        column = column_of(field_path)
        if column is None or column in columns:
            continue
        shown = ", ".join(columns[:20]) + (" ..." if len(columns) > 20 else "")
        where = f"its first {KEY_SAMPLE:,} records have the keys" if source.columns is None else "its columns are"
        hint = ""
        if source.header_line is not None and spec.source.columns is None and looks_like_data(columns):
            hint = (f"; the header line ({source.name}:{source.header_line}) looks like data: set "
                    f"`header: false` and `columns: [...]`")
        raise SpecError(f"column {column!r} is not in {source.name} ({where}: {shown}){hint}",
                        file=spec.path, line=spec.field_line(slot), field=f"fields.{slot}")


def with_class_labels(spec: TaskSpec, source: Source) -> TaskSpec:
    """The spec with label names from the label column's ``ClassLabel`` feature, when it gives none."""
    if spec.labels is not None:
        return spec
    field_path = dict(spec.fields).get("label") or ("label" if spec.record_fields else None)
    names = source.class_labels.get(column_of(field_path) or "") if field_path else None
    if not names:
        return spec
    return dataclasses.replace(spec, labels=tuple((str(i), name) for i, name in enumerate(names)))


def resolve(spec: TaskSpec, source: Source) -> TaskSpec:
    """``check_fields`` then ``with_class_labels``."""
    check_fields(spec, source)
    return with_class_labels(spec, source)
