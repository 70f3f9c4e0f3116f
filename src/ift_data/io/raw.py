"""Readers for raw task files (csv, tsv, jsonl, nested json). Each yields ``RawRow``s and, for rows
that cannot be parsed, ``Reject``s naming file and line; a file that cannot be read at all raises."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ift_data.errors import UserError
from ift_data.io.strict_json import StrictJSONError, find_duplicate, loads_strict
from ift_data.schema import RawRow, Reject
from ift_data.tasks.spec import SourceSpec

RawItem = RawRow | Reject
_PATH_PART = re.compile(r"^([^\[\]]*)(\[\])?$")


def read_bytes(path: Path) -> bytes:
    """A raw file's bytes; an unreadable file is a one-line error naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read raw file: {exc.strerror or exc}", file=str(path)) from exc


def read_raw(path: Path, source: SourceSpec, display: str | None = None, data: bytes | None = None
             ) -> Iterator[RawItem]:
    """Rows of one raw file, in file order; ``display`` is the name rows and rejects report
    (e.g. the path relative to the recipe, so outputs do not depend on where the project lives);
    ``data``: the file's bytes when the caller already read them (to hash exactly what was parsed)."""
    if data is None:
        data = read_bytes(path)
    if display is not None:
        path = Path(display)
    if source.format in ("csv", "tsv"):
        yield from _read_delimited(path, data, source)
    elif source.format == "jsonl":
        yield from _read_jsonl(path, data)
    else:
        yield from _read_json(path, data, source.records)


def _decoded_lines(path: Path, data: bytes) -> Iterator[tuple[int, str | Reject]]:
    """(line number, text) for each physical line; undecodable lines become rejects."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw_line in enumerate(data.splitlines(keepends=True), start=1):
        try:
            yield number, raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, Reject(str(path), number, f"invalid UTF-8 at byte {exc.start}")


def _read_delimited(path: Path, data: bytes, source: SourceSpec) -> Iterator[RawItem]:
    delimiter = source.delimiter or ("\t" if source.format == "tsv" else ",")
    lines: list[tuple[int, str]] = []
    for number, text in _decoded_lines(path, data):
        if isinstance(text, Reject):
            yield text
        else:
            lines.append((number, text))
    columns = list(source.columns) if source.columns else None
    rows = _split_none(lines, delimiter) if source.quoting == "none" else _split_csv(lines, delimiter)
    header_seen = not source.header
    for number, cells in rows:
        if isinstance(cells, Reject):
            yield Reject(str(path), number, cells.reason)
            continue
        if not cells or cells == [""]:
            continue  # blank line
        if not header_seen:
            header_seen = True
            names = [c.strip() for c in cells]
            columns = columns or names
            if len(set(names)) != len(names):
                raise UserError(f"duplicate column names in header: {names}", file=str(path), line=number)
            continue
        assert columns is not None
        if len(cells) != len(columns):
            yield Reject(str(path), number, f"expected {len(columns)} columns, found {len(cells)}")
            continue
        yield RawRow(dict(zip(columns, cells, strict=True)), str(path), number)
    if not header_seen:
        raise UserError("file is empty (no header line)", file=str(path))


def _split_none(lines: list[tuple[int, str]], delimiter: str) -> Iterator[tuple[int, list[str] | Reject]]:
    for number, text in lines:
        text = text.rstrip("\r\n")
        if "\x00" in text:
            yield number, Reject("", number, "line contains a NUL byte")
            continue
        yield number, text.split(delimiter)


def _split_csv(lines: list[tuple[int, str]], delimiter: str) -> Iterator[tuple[int, list[str] | Reject]]:
    numbers = [n for n, _ in lines]
    reader = csv.reader((t for _, t in lines), delimiter=delimiter, strict=True)
    consumed = 0
    while True:
        start = numbers[consumed] if consumed < len(numbers) else None
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = numbers[min(reader.line_num, len(numbers)) - 1] if numbers else 0
            consumed = reader.line_num
            span = f"line {start}" if end == start else f"lines {start}-{end}"
            yield (start or 0), Reject("", start or 0, f"malformed CSV row ({span}): {exc}; "
                                       "if the text has unbalanced quotes set `quoting: none`")
            continue
        consumed = reader.line_num
        yield (start or 0), cells


def _read_jsonl(path: Path, data: bytes) -> Iterator[RawItem]:
    for number, text in _decoded_lines(path, data):
        if isinstance(text, Reject):
            yield text
            continue
        if not text.strip():
            continue
        try:
            record = loads_strict(text)
        except StrictJSONError as exc:
            yield Reject(str(path), number, f"broken JSON line: {exc.reason}")
            continue
        if not isinstance(record, dict):
            yield Reject(str(path), number, f"expected a JSON object, found {type(record).__name__}")
            continue
        yield RawRow(record, str(path), number)


def _read_json(path: Path, data: bytes, records: str) -> Iterator[RawItem]:
    try:
        document = loads_strict(data.decode("utf-8-sig"), duplicates="mark")
    except UnicodeDecodeError as exc:
        raise UserError(f"invalid UTF-8 at byte {exc.start}", file=str(path),
                        line=data.count(b"\n", 0, exc.start) + 1) from exc
    except StrictJSONError as exc:
        raise UserError(f"invalid JSON: {exc.reason}", file=str(path), line=exc.line) from exc
    parts = [p for p in records.split(".") if p] or ["[]"]
    yield from _walk(path, document, parts, "", (), [0])


def _walk(path: Path, node: Any, parts: list[str], pointer: str, parents: tuple[dict[str, Any], ...],
          counter: list[int]) -> Iterator[RawItem]:
    if not parts:
        counter[0] += 1
        where = pointer.lstrip(".") or "$"
        duplicate = find_duplicate(node) or next(
            (d for d in (find_duplicate(p, deep=False) for p in parents) if d is not None), None)
        if not isinstance(node, dict):
            yield Reject(str(path), counter[0], f"record {where} is a {type(node).__name__}, not an object")
        elif duplicate is not None:
            yield Reject(str(path), counter[0], f"record {where}: duplicate key {duplicate!r} in one object "
                         "(which value is meant is ambiguous)")
        else:
            yield RawRow(node, str(path), counter[0], pointer=where, parents=parents)
        return
    match = _PATH_PART.match(parts[0])
    if not match:
        raise UserError(f"bad records path part {parts[0]!r}", file=str(path), field="source.records")
    key, iterate = match.group(1), bool(match.group(2))
    child = node
    new_parents = parents
    if key:
        if not isinstance(node, dict) or key not in node:
            raise UserError(f"records path: no key {key!r} at {pointer.lstrip('.') or '$'}", file=str(path),
                            field="source.records")
        child = node[key]
        new_parents = (node, *parents)
        pointer = f"{pointer}.{key}"
    if not iterate:
        yield from _walk(path, child, parts[1:], pointer, new_parents, counter)
        return
    if not isinstance(child, list):
        raise UserError(f"records path: {pointer.lstrip('.') or '$'} is not a list", file=str(path),
                        field="source.records")
    for index, item in enumerate(child):
        yield from _walk(path, item, parts[1:], f"{pointer}[{index}]", new_parents, counter)
