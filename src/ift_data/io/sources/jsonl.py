"""JSON Lines: one strict-JSON object per line; a line that is not one is a reject naming it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from ift_data.errors import UserError
from ift_data.io.atomic import atomic_open
from ift_data.io.sources.base import (
    Item,
    ReadOptions,
    Source,
    decoded_lines,
    file_sha256,
    invalid_json,
    is_utf8,
    not_an_object,
    read_bytes,
    streamed_lines,
    strip_bom,
)
from ift_data.io.strict_json import StrictJSONError, loads_strict
from ift_data.schema import RawRow, Reject


def open_jsonl(path: Path, options: ReadOptions, name: str) -> Source:
    data = read_bytes(path, name)

    def items() -> Iterator[Item]:
        for number, text in decoded_lines(name, data, options.encoding, options.max_line_bytes):
            if isinstance(text, Reject):
                yield text
            elif text.strip():
                yield parse_line(text, name, number)

    return Source(options.format, path, name, hashlib.sha256(data).hexdigest(), items, data=data)


def stream_jsonl(path: Path, options: ReadOptions, name: str) -> Source:
    """``open_jsonl``'s records read from the file as they are asked for, never the whole file in memory
    (``data`` is None: nothing to write back); the sha256 is one streamed pass first. Encodings other than
    UTF-8 are decoded whole, as ``open_jsonl`` does."""
    if not is_utf8(options.encoding):
        return open_jsonl(path, options, name)
    digest = file_sha256(path, name)

    def items() -> Iterator[Item]:
        for number, text in streamed_lines(path, name, options.max_line_bytes):
            if isinstance(text, Reject):
                yield text
            elif text.strip():
                yield parse_line(text, name, number)

    return Source(options.format, path, name, digest, items)


def range_items(path: Path, options: ReadOptions, name: str, start: int, stop: int, lines_before: int
                ) -> Iterator[Item]:
    """``stream_jsonl``'s items of the lines that start in bytes ``start:stop`` of a UTF-8 file (``start``
    just after a newline; ``lines_before``: the lines before it), numbered as in the whole file."""
    for number, text in streamed_lines(path, name, options.max_line_bytes, start=start, stop=stop,
                                       lines_before=lines_before):
        if isinstance(text, Reject):
            yield text
        elif text.strip():
            yield parse_line(text, name, number)


def parse_line(text: str, name: str, number: int) -> Item:
    """One JSONL line as a row, or the reject saying why it is not one (a column is within the line: its
    line ending is not parsed, so a line cut short is not reported at column 1 of the next)."""
    try:
        record = loads_strict(text.rstrip("\r\n"))
    except StrictJSONError as exc:
        return invalid_json(name, number, exc.reason)
    if not isinstance(record, dict):
        return not_an_object(name, number, record)
    return RawRow(record, name, number)


def write_kept(source: Source, options: ReadOptions, kept_records: Sequence[int], target: Path) -> None:
    """The kept records (by position among the items: one per non-blank or rejected line), each as its
    original line."""
    if source.data is None:
        raise UserError("nothing to write back", file=source.name)
    item_lines = [number for number, text in decoded_lines(source.name, source.data, options.encoding,
                                                           options.max_line_bytes)
                  if isinstance(text, Reject) or text.strip()]
    lines = strip_bom(source.data).splitlines()
    with atomic_open(target, "wb") as fh:
        for index in sorted(set(kept_records)):
            fh.write(lines[item_lines[index] - 1] + b"\n")
