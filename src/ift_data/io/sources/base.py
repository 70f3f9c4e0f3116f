"""The contract every source format fills: what it is asked to read (``ReadOptions``), what it gives back
(``Source``: records in file order as ``RawRow``s, unreadable ones as ``Reject``s), and the one wording of
read rejects and row errors shared by build, audit and clean."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ift_data.errors import UserError
from ift_data.schema import RawRow, Reject

Item = RawRow | Reject
MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_FIELD_CHARS = 1_000_000  # --max-field-chars' default


class RowError(Exception):
    """One record (or one of its fields) cannot be used; ``field`` names the field. Becomes a reject."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to parse one input. ``split``: for Hugging Face sources, the split to read; ``dataset`` and
    ``config``: a hub dataset's name and configuration."""

    format: str
    header: bool = True
    columns: tuple[str, ...] | None = None
    quoting: str = "standard"  # csv/tsv: standard (RFC 4180) | none (split on the delimiter only)
    encoding: str = "utf-8"  # utf-8 | utf-8-sig
    records: str = "[]"  # json: path to the records
    delimiter: str | None = None
    dataset: str | None = None
    config: str | None = None
    split: str | None = None
    max_line_bytes: int | None = MAX_LINE_BYTES  # None: no cap (the build bounds values with --max-field-chars)
    max_instances: int | None = None  # superni: the first N instances of each task (the rest: "limit" rejects)
    # csv/tsv: the longest cell the CSV parser reads (a longer one is a reject naming the limit); None:
    # MAX_FIELD_CHARS (the build passes its --max-field-chars)
    max_field_chars: int | None = None


@dataclass
class Source:
    """One opened input. ``columns``: the columns the input declares (csv/tsv header or ``columns``, a
    Parquet/Arrow schema), None where records carry their own keys (jsonl, json). ``class_labels``: label
    names of ``ClassLabel`` columns. ``table``: the Arrow table of Arrow-backed formats; ``data``: the
    bytes that were parsed (``sha256`` is of exactly those, or of the Arrow files)."""

    format: str
    path: Path
    name: str
    sha256: str
    read_items: Callable[[], Iterator[Item]]
    columns: tuple[str, ...] | None = None
    class_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    table: Any = None
    data: bytes | None = None
    header_line: int | None = None  # csv/tsv: the line the column names came from
    info: dict[str, Any] = field(default_factory=dict)  # format-specific provenance (superni: task metadata)

    def items(self) -> Iterator[Item]:
        """Every record of the input, in order: a ``RawRow`` or a ``Reject`` (stage "read")."""
        return self.read_items()


# ---- the one wording of read rejects ---------------------------------------------------------------

def invalid_utf8(name: str, line: int, byte: int) -> Reject:
    return Reject(name, line, f"invalid UTF-8 at byte {byte} of the line")


def invalid_json(name: str, line: int, reason: str) -> Reject:
    return Reject(name, line, f"invalid JSON: {reason}")


def json_kind(value: Any) -> str:
    """What ``value`` is, in JSON's words (null, a boolean, a number, a string, an array, an object): for
    messages, where Python's type names (NoneType, list) mean nothing to a user; other types (a Parquet
    timestamp, bytes) by their type name."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def not_an_object(name: str, line: int, value: Any, where: str = "") -> Reject:
    what = f"record {where} is" if where else "found"
    return Reject(name, line, f"expected a JSON object, {what} {json_kind(value)}",
                  raw=json.dumps(value, ensure_ascii=False, default=str))


def duplicate_key(name: str, line: int, key: str) -> Reject:
    return Reject(name, line, f"duplicate key {key!r} in one object (which value is meant is ambiguous)")


def _bytes(size: int) -> str:
    """A size as people read it: bytes under 1 MiB (``read.max_line_bytes: 10`` read "0 MiB"), else MiB."""
    if size < 2**20:
        return f"{size:,} bytes"
    mib = size / 2**20
    return f"{mib:.0f} MiB" if mib.is_integer() else f"{mib:.1f} MiB"


def line_too_long(name: str, line: int, size: int, limit: int) -> Reject:
    return Reject(name, line, f"line is {_bytes(size)}, over the {_bytes(limit)} limit")


def column_count(name: str, line: int, expected: int, found: int) -> Reject:
    return Reject(name, line, f"expected {expected} columns, found {found}")


# ---- shared helpers --------------------------------------------------------------------------------

def _check_regular(path: Path, shown: str) -> None:
    if not path.is_file():
        raise UserError("cannot read: " + ("no such file" if not path.exists() else "not a regular file"),
                        file=shown)


def read_bytes(path: Path, name: str | None = None) -> bytes:
    """A regular file's bytes; anything else (missing, a folder, a FIFO, unreadable) is a one-line error."""
    shown = name or str(path)
    try:
        _check_regular(path, shown)
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", file=shown) from exc


def file_sha256(path: Path, name: str | None = None) -> str:
    """sha256 of a regular file, read 1 MiB at a time (``read_bytes``'s errors for what is not one)."""
    shown = name or str(path)
    try:
        _check_regular(path, shown)
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        return digest.hexdigest()
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", file=shown) from exc


def streamed_lines(path: Path, name: str, max_line_bytes: int | None = MAX_LINE_BYTES, *, start: int = 0,
                   stop: int | None = None, lines_before: int = 0) -> Iterator[tuple[int, str | Reject]]:
    """``decoded_lines`` of a UTF-8 file read as it goes, never held whole: the same lines and rejects
    (``\\n``, ``\\r\\n`` and ``\\r`` end a line; a leading BOM is dropped). ``start``/``stop``: only the lines
    that start in those bytes (``start`` just after a ``\\n``; ``lines_before``: the lines before it)."""
    number = lines_before
    position = start
    try:
        with path.open("rb", buffering=1 << 20) as handle:
            if start:
                handle.seek(start)
            for chunk in handle:  # split on \n; a \r\n stays in one chunk, a lone \r is split below
                if stop is not None and position >= stop:
                    break
                position += len(chunk)
                if position == len(chunk) and start == 0:
                    chunk = strip_bom(chunk)
                for raw in chunk.splitlines(keepends=True) if b"\r" in chunk else (chunk,):
                    if not raw:  # a file that is only a BOM
                        continue
                    number += 1
                    if max_line_bytes is not None and len(raw) > max_line_bytes:
                        yield number, line_too_long(name, number, len(raw), max_line_bytes)
                        continue
                    try:
                        yield number, raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        yield number, invalid_utf8(name, number, exc.start)
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", file=name, line=number + 1) from exc


def is_utf8(encoding: str) -> bool:
    return encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")


def strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def decoded_lines(name: str, data: bytes, encoding: str = "utf-8", max_line_bytes: int | None = MAX_LINE_BYTES
                  ) -> Iterator[tuple[int, str | Reject]]:
    """(line number, text with its line ending) for each physical line (``\\n``, ``\\r\\n`` or ``\\r``);
    an undecodable or oversized line is a reject instead. UTF-8 is decoded line by line (a bad byte
    rejects its line; a leading BOM is dropped); another ``encoding`` decodes the whole file at once."""
    if encoding.replace("_", "-").lower() not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UserError(f"not valid {encoding} at byte {exc.start}", file=name,
                            line=data.count(b"\n", 0, exc.start) + 1, field="source.encoding") from exc
        except (UnicodeError, LookupError) as exc:  # a codec that cannot decode files (punycode), or none
            raise UserError(f"cannot decode the file as {encoding}: {exc}", file=name,
                            field="source.encoding") from exc
        for number, match in enumerate(_LINE.finditer(text.removeprefix("\ufeff")), start=1):
            yield number, match.group()
        return
    for number, raw in enumerate(strip_bom(data).splitlines(keepends=True), start=1):
        if max_line_bytes is not None and len(raw) > max_line_bytes:
            yield number, line_too_long(name, number, len(raw), max_line_bytes)
            continue
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, invalid_utf8(name, number, exc.start)
