"""A JSON document holding records at a path: ``[]`` (a top-level array), ``data[].paragraphs[].qas[]``
(SQuAD). A record can read its enclosing records with ``../field``. Rows are numbered by record (line =
1-based record index) and carry their pointer (``data[0].paragraphs[2].qas[1]``)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ift_data.errors import UserError
from ift_data.io.atomic import write_json
from ift_data.io.sources.base import Item, ReadOptions, Source, duplicate_key, not_an_object, read_bytes
from ift_data.io.strict_json import StrictJSONError, find_duplicate, loads_strict
from ift_data.schema import RawRow

_PATH_PART = re.compile(r"^([^\[\]]*)(\[\])?$")


def parse_document(data: bytes, name: str, encoding: str = "utf-8") -> Any:
    """The whole document; a file that is not strict JSON is a one-line error naming its line."""
    utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")
    try:
        text = data.decode("utf-8-sig" if utf8 else encoding)
    except UnicodeDecodeError as exc:
        raise UserError(f"invalid {'UTF-8' if utf8 else encoding} at byte {exc.start}", file=name,
                        line=data.count(b"\n", 0, exc.start) + 1) from exc
    try:
        return loads_strict(text, duplicates="mark")
    except StrictJSONError as exc:
        raise UserError(f"invalid JSON: {exc.reason}", file=name, line=exc.line) from exc


def open_json(path: Path, options: ReadOptions, name: str) -> Source:
    data = read_bytes(path, name)
    document = parse_document(data, name, options.encoding)
    parts = [p for p in options.records.split(".") if p] or ["[]"]

    def items() -> Iterator[Item]:
        yield from _walk(name, document, parts, "", (), [0])

    return Source(options.format, path, name, hashlib.sha256(data).hexdigest(), items, data=data)


def _walk(name: str, node: Any, parts: list[str], pointer: str, parents: tuple[dict[str, Any], ...],
          counter: list[int]) -> Iterator[Item]:
    if not parts:
        counter[0] += 1
        where = pointer.lstrip(".") or "$"
        duplicate = find_duplicate(node) or next(
            (d for d in (find_duplicate(p, deep=False) for p in parents) if d is not None), None)
        if not isinstance(node, dict):
            yield not_an_object(name, counter[0], node, where)
        elif duplicate is not None:
            yield duplicate_key(name, counter[0], duplicate)
        else:
            yield RawRow(node, name, counter[0], pointer=where, parents=parents)
        return
    match = _PATH_PART.match(parts[0])
    if not match:
        raise UserError(f"bad records path part {parts[0]!r}", file=name, field="source.records")
    key, iterate = match.group(1), bool(match.group(2))
    child, new_parents = node, parents
    if key:
        if not isinstance(node, dict) or key not in node:
            raise UserError(f"records path: no key {key!r} at {pointer.lstrip('.') or '$'}", file=name,
                            field="source.records")
        child, new_parents, pointer = node[key], (node, *parents), f"{pointer}.{key}"
    if not iterate:
        yield from _walk(name, child, parts[1:], pointer, new_parents, counter)
        return
    if not isinstance(child, list):
        raise UserError(f"records path: {pointer.lstrip('.') or '$'} is not a list", file=name,
                        field="source.records")
    for index, item in enumerate(child):
        yield from _walk(name, item, parts[1:], f"{pointer}[{index}]", new_parents, counter)


def write_kept(source: Source, options: ReadOptions, kept_lines: Sequence[int], target: Path) -> None:
    """The kept records (by record number) as one JSON array."""
    wanted = set(kept_lines)
    write_json(target, [row.fields for row in source.items() if isinstance(row, RawRow) and row.line in wanted])
