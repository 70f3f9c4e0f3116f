"""A JSON document holding records at a path: ``[]`` (a top-level array), ``data[].paragraphs[].qas[]``
(SQuAD). A record can read its enclosing records with ``../field``. A row's line is the physical line
where its record starts (its opening ``{``; several records of a one-line file share line 1), and it
carries its pointer (``data[0].paragraphs[2].qas[1]``), which is unique."""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ift_data.errors import UserError
from ift_data.io.atomic import atomic_open, write_json
from ift_data.io.sources.base import Item, ReadOptions, Source, duplicate_key, not_an_object, read_bytes
from ift_data.io.strict_json import StrictJSONError, find_duplicate, loads_strict
from ift_data.schema import RawRow

_PATH_PART = re.compile(r"^([^\[\]]*)(\[\])?$")


def decode_document(data: bytes, name: str, encoding: str = "utf-8") -> str:
    """The document's text (a UTF-8 BOM dropped); undecodable bytes are a one-line error naming the line."""
    utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")
    try:
        return data.decode("utf-8-sig" if utf8 else encoding)
    except UnicodeDecodeError as exc:
        raise UserError(f"invalid {'UTF-8' if utf8 else encoding} at byte {exc.start}", file=name,
                        line=data.count(b"\n", 0, exc.start) + 1) from exc
    except (UnicodeError, LookupError) as exc:  # a codec that cannot decode files (punycode), or none
        raise UserError(f"cannot decode the file as {encoding}: {exc}", file=name, field="source.encoding") from exc


def parse_document(data: bytes, name: str, encoding: str = "utf-8") -> Any:
    """The whole document; a file that is not strict JSON is a one-line error naming its line."""
    return _parse_text(decode_document(data, name, encoding), name)


def _parse_text(text: str, name: str) -> Any:
    try:
        return loads_strict(text, duplicates="mark")
    except StrictJSONError as exc:
        raise UserError(f"invalid JSON: {exc.reason}", file=name, line=exc.line) from exc


def open_json(path: Path, options: ReadOptions, name: str) -> Source:
    data = read_bytes(path, name)
    text = decode_document(data, name, options.encoding)
    document = _parse_text(text, name)
    parts = record_parts(options)

    starts: list[int] = []  # each record's first line, found on the first read

    def items() -> Iterator[Item]:
        if not starts:
            starts.extend(record_lines(text, parts))
        yield from _walk(name, document, parts, "", (), iter(starts))

    return Source(options.format, path, name, hashlib.sha256(data).hexdigest(), items, data=data)


def _walk(name: str, node: Any, parts: list[str], pointer: str, parents: tuple[dict[str, Any], ...],
          lines: Iterator[int]) -> Iterator[Item]:
    if not parts:
        line = next(lines)
        where = pointer.lstrip(".") or "$"
        duplicate = find_duplicate(node) or next(
            (d for d in (find_duplicate(p, deep=False) for p in parents) if d is not None), None)
        if not isinstance(node, dict):
            yield not_an_object(name, line, node, where)
        elif duplicate is not None:
            yield duplicate_key(name, line, duplicate)
        else:
            yield RawRow(node, name, line, pointer=where, parents=parents)
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
        yield from _walk(name, child, parts[1:], pointer, new_parents, lines)
        return
    if not isinstance(child, list):
        raise UserError(f"records path: {pointer.lstrip('.') or '$'} is not a list", file=name,
                        field="source.records")
    for index, item in enumerate(child):
        yield from _walk(name, item, parts[1:], f"{pointer}[{index}]", new_parents, lines)


# ---- where each record starts ----------------------------------------------------------------------

_SPACE = re.compile(r"[ \t\n\r]*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SKIP = json.JSONDecoder()  # only skips values of a document already parsed strictly


class _Scan:
    """Offsets of the values a records path reaches, in document order, found by descending only the
    containers on the path (every other value is skipped by the C JSON scanner)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: list[int] = []

    def space(self, at: int) -> int:
        match = _SPACE.match(self.text, at)
        return match.end() if match else at

    def skip(self, at: int) -> int:
        return _SKIP.raw_decode(self.text, at)[1]

    def value(self, at: int, parts: list[str]) -> int:
        """Walk the value at ``at`` (no leading space) along ``parts``; return where it ends."""
        if not parts:
            self.found.append(at)
            return self.skip(at)
        match = _PATH_PART.match(parts[0])
        key, iterate = (match.group(1), bool(match.group(2))) if match else ("", False)
        if key:
            return self.member(at, key, [parts[0][len(key):], *parts[1:]] if iterate else parts[1:])
        if iterate and self.text.startswith("[", at):
            return self.items(at, parts[1:])
        return self.skip(at)

    def member(self, at: int, key: str, rest: list[str]) -> int:
        """An object: walk the value of ``key`` (its last occurrence, as the parsed document holds it)."""
        if not self.text.startswith("{", at):
            return self.skip(at)
        starts: list[int] = []
        at = self.space(at + 1)
        while not self.text.startswith("}", at):
            name, at = _SKIP.raw_decode(self.text, at)
            at = self.space(self.space(at) + 1)  # past the colon
            if name == key:
                starts.append(at)
            at = self.space(self.skip(at))
            if self.text.startswith(",", at):
                at = self.space(at + 1)
        end = at + 1
        if starts:
            mark = len(self.found)
            for start in starts:  # a duplicate key: only the last value's records count
                del self.found[mark:]
                self.value(start, rest)
        return end

    def items(self, at: int, rest: list[str]) -> int:
        at = self.space(at + 1)
        while not self.text.startswith("]", at):
            at = self.space(self.value(at, rest))
            if self.text.startswith(",", at):
                at = self.space(at + 1)
        return at + 1


def record_parts(options: ReadOptions) -> list[str]:
    """The records path (``--records``) as its parts; a top-level array is ``["[]"]``."""
    return [p for p in options.records.split(".") if p] or ["[]"]


def _scanned(text: str, parts: list[str]) -> _Scan:
    """``text`` scanned for the records of the records path ``parts`` (their offsets in ``found``)."""
    scan = _Scan(text)
    scan.value(scan.space(0), parts)
    return scan


def record_lines(text: str, parts: list[str]) -> list[int]:
    """The physical line (1-based; ``\n``, ``\r\n`` or ``\r`` ends a line) where each record of the
    records path ``parts`` starts, in document order."""
    breaks = [m.end() for m in _LINE_BREAK.finditer(text)]
    return [bisect.bisect_right(breaks, offset) + 1 for offset in _scanned(text, parts).found]


def write_kept(source: Source, options: ReadOptions, kept_records: Sequence[int], target: Path) -> None:
    """The kept records (by position among the items) as one JSON array. A top-level array's records are
    written as their original text (``1E5``, ``2.50``, ``"\\u00e9"`` and the key order stay as they were),
    one a line; a deeper records path writes each record parsed again."""
    wanted = set(kept_records)
    parts = record_parts(options)
    if parts == ["[]"]:
        data = source.data if source.data is not None else read_bytes(source.path, source.name)
        if hashlib.sha256(data).hexdigest() != source.sha256:  # a streamed source: the file read again
            raise UserError("the file changed after it was read: read it again as it is now", file=source.name)
        text = decode_document(data, source.name, options.encoding)
        scan = _scanned(text, parts)
        spans = [text[start:scan.skip(start)] for index, start in enumerate(scan.found) if index in wanted]
        with atomic_open(target) as fh:
            fh.write("[\n" + ",\n".join(spans) + "\n]\n" if spans else "[]\n")
        return
    write_json(target, [row.fields for index, row in enumerate(source.items())
                        if isinstance(row, RawRow) and index in wanted])
