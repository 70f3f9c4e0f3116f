"""A JSON array of records (records path ``[]``) read as a stream: the file is decoded block by block and
each element is cut out by a small scanner (strings, escapes, bracket nesting) and parsed on its own with
the strict parser, so memory holds the largest record and about two blocks, never the document.

The items are ``open_json``'s, record for record (pointers ``[0]``, ``[1]``, ...; each row's line is the
physical line where its element starts). A broken document is the same kind of error, ``invalid JSON: ...``
naming the file, line and column of the fault, but it is raised when the reader gets there: the records
before it have been yielded by then (a build that reads the file fails with that error all the same). Where
``open_json`` finds the fault only by parsing the whole document (a ``NaN``, a lone surrogate escape, a
huge integer or too deep a nesting inside a record), the error names the line where that record starts.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ift_data.errors import UserError
from ift_data.io.sources.base import (
    Item,
    ReadOptions,
    Source,
    duplicate_key,
    file_sha256,
    is_utf8,
    not_an_object,
)
from ift_data.io.sources.json_records import open_json
from ift_data.io.strict_json import StrictJSONError, find_duplicate, loads_strict
from ift_data.schema import RawRow

BLOCK_BYTES = 1 << 20  # read this much of the file at a time
_BOM = b"\xef\xbb\xbf"
_SPACE_BYTES = b" \t\n\r"  # JSON's whitespace
_SPACE = re.compile(r"[ \t\n\r]*+")
# Everything up to the next bracket, comma or unterminated string (complete strings are skipped whole);
# possessive, so a run cut off by the end of the text never backtracks.
_RUN_TOP = re.compile(r'(?:[^"{}\[\],]++|"(?:[^"\\]++|\\[\s\S])*+")*+')
_RUN_INSIDE = re.compile(r'(?:[^"{}\[\]]++|"(?:[^"\\]++|\\[\s\S])*+")*+')  # commas inside containers
_STRING_REST = re.compile(r'(?:[^"\\]++|\\[\s\S])*+')  # the rest of a string cut off by a block's end
_CLOSER = {"{": "}", "[": "]"}
# The common case in one match: space, an object holding no container, space, and the comma or bracket after it.
_FLAT = re.compile(r'[ \t\n\r]*+(\{(?:[^"{}\[\]]++|"(?:[^"\\]++|\\[\s\S])*+")*+\})[ \t\n\r]*+[,\]]')


def stream_json(path: Path, options: ReadOptions, name: str) -> Source:
    """``open_json``'s records of a UTF-8 JSON array read as they are asked for (``data`` is None: nothing to
    write back); the sha256 is one streamed pass first. Any other records path or encoding, or a document
    whose first value is not an array, is read whole by ``open_json`` (its results and errors)."""
    parts = [p for p in options.records.split(".") if p] or ["[]"]
    if parts != ["[]"] or not is_utf8(options.encoding):
        return open_json(path, options, name)
    digest = file_sha256(path, name)  # also the errors for what is not a readable regular file
    if not _starts_with_array(path, name):
        return open_json(path, options, name)

    def items() -> Iterator[Item]:
        try:
            with path.open("rb") as handle:
                yield from _records(_Text(handle, name), name)
        except OSError as exc:
            raise UserError(f"cannot read: {exc.strerror or exc}", file=name) from exc

    return Source(options.format, path, name, digest, items)


def _starts_with_array(path: Path, name: str) -> bool:
    """Whether the first character after a BOM and whitespace is ``[`` (read only as far as that)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_BOM))
            rest = head[len(_BOM):] if head == _BOM else head
            while True:
                rest = rest.lstrip(_SPACE_BYTES)
                if rest:
                    return rest.startswith(b"[")
                rest = handle.read(BLOCK_BYTES)
                if not rest:
                    return False
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", file=name) from exc


class _Text:
    """The file's text, decoded one block at a time into ``text`` (a window starting at character ``base``
    of the document, BOM dropped), with the physical line (``\\n``, ``\\r\\n`` or ``\\r``) of a position."""

    def __init__(self, handle: BinaryIO, name: str) -> None:
        self.handle = handle
        self.name = name
        self.text = ""
        self.base = 0  # the document's character offset of text[0]
        head = handle.read(len(_BOM))
        self.pending = b"" if head == _BOM else head  # bytes read but not decoded yet
        self.decoded = 0  # bytes decoded so far, BOM not counted (decode_document's byte numbers)
        self.failure: str | None = None  # an undecodable byte: raised once the text before it is used up
        self.done = False
        self.counted = 0  # lines are counted up to text[counted]
        self.line = 1  # the line of text[counted]
        self.has_cr = False  # a \r was seen: count \r and \r\n line ends too
        self.last_break = -1  # the document's offset of the last line break before text[0]

    def more(self) -> bool:
        """Append the next block's text; False at the end of the file. An undecodable byte raises
        ``decode_document``'s error when the text before it has been asked for (or straight away)."""
        while not self.done:
            block = self.handle.read(BLOCK_BYTES)
            data = self.pending + block
            try:
                text, used = codecs.utf_8_decode(data, "strict", not block)
            except UnicodeDecodeError as exc:
                text, used = data[:exc.start].decode("utf-8"), exc.start
                self._add(text)
                self.failure, self.done = f"invalid UTF-8 at byte {self.decoded + used}", True
                return bool(text) or self.more()
            self.pending, self.decoded = data[used:], self.decoded + used
            self.done = not block
            if text:
                self._add(text)
                return True
        if self.failure is not None:  # decode_document's words; the line the byte is on
            raise UserError(self.failure, file=self.name, line=self.line_at(len(self.text)))
        return False

    def _add(self, text: str) -> None:
        self.has_cr = self.has_cr or "\r" in text
        self.text += text

    def drop(self, keep: int) -> None:
        """Forget the text before ``text[keep]`` (lines counted up to it first)."""
        text = self.text
        self.line_at(keep)
        last = max(text.rfind("\n", 0, keep), text.rfind("\r", 0, keep))
        if last >= 0:
            self.last_break = self.base + last
        self.text, self.base, self.counted = text[keep:], self.base + keep, 0

    def line_at(self, at: int) -> int:
        """The line of ``text[at]`` (counted on from the last position asked for)."""
        if at >= self.counted:
            self.line += self._breaks(self.counted, at)
        else:
            self.line -= self._breaks(at, self.counted)
        self.counted = at
        return self.line

    def _breaks(self, start: int, stop: int) -> int:
        """The line ends that end in ``text[start + 1:stop + 1]`` (a \r\n ends after its \n)."""
        text = self.text
        breaks = text.count("\n", start, stop)
        if self.has_cr:
            breaks += text.count("\r", start, stop) - text.count("\r\n", start, stop + 1)
        return breaks

    def column_at(self, at: int) -> int:
        """The 1-based column of ``text[at]`` (as ``json`` counts it, with ``\\r`` ending a line too)."""
        last = max(self.text.rfind("\n", 0, at), self.text.rfind("\r", 0, at))
        return at - last if last >= 0 else self.base + at - self.last_break


def _records(reader: _Text, name: str) -> Iterator[Item]:
    """Each element of the top-level array as ``open_json``'s ``_walk`` makes it."""
    at = _skip_space(reader, 0)
    if not reader.text.startswith("[", at):  # checked when opened
        raise UserError("the file changed while it was read: it no longer starts with '['", file=name)
    at += 1
    comma: int | None = None  # where the comma before the current element is (None: the first element)
    index = 0
    while True:
        keep = at if comma is None else comma
        if keep > BLOCK_BYTES:  # the text before the current element is no longer needed
            reader.drop(keep)
            at, comma = at - keep, None if comma is None else comma - keep
        text = reader.text
        flat = _FLAT.match(text, at)
        if flat:
            start, end = flat.start(1), flat.end() - 1
            stop = text[end]
        else:
            start = _skip_space(reader, at)
            end, stop = _element_end(reader, start)
            text = reader.text
        if stop == "]" and start == end and comma is None:  # an empty array
            _finish(reader, end)
            return
        if stop not in (",", "]") or start == end:  # a truncated file, an unexpected bracket or a missing value
            raise _syntax_error(reader, "[" if comma is None else "[0", start if comma is None else comma,
                                len(text) if stop == "" else end + 1)
        try:
            value = loads_strict(text[start:end], duplicates="mark")
        except StrictJSONError as exc:
            if exc.line is None:  # a strict rule (NaN, a lone surrogate, ...): no position in the text
                raise UserError(f"invalid JSON: {exc.reason}", file=name, line=reader.line_at(start)) from exc
            raise _syntax_error(reader, "[" if comma is None else "[0", start if comma is None else comma,
                                end + 1) from exc
        line = reader.line_at(start)
        where = f"[{index}]"
        duplicate = find_duplicate(value)
        if not isinstance(value, dict):
            yield not_an_object(name, line, value, where)
        elif duplicate is not None:
            yield duplicate_key(name, line, duplicate)
        else:
            yield RawRow(value, name, line, pointer=where, parents=())
        index += 1
        if stop == "]":
            _finish(reader, end)
            return
        comma, at = end, end + 1


def _skip_space(reader: _Text, at: int) -> int:
    """The position of the next non-space character at or after ``at`` (or the end of the file)."""
    while True:
        match = _SPACE.match(reader.text, at)
        at = match.end() if match else at
        if at < len(reader.text) or not reader.more():
            return at


def _element_end(reader: _Text, at: int) -> tuple[int, str]:
    """Where the element starting at ``at`` ends and why: ``(i, ",")`` or ``(i, "]")`` for a comma or the
    array's ``]`` at ``text[i]``, ``(i, "}")``-like for a bracket that closes nothing open (``text[i]``), or
    ``(len(text), "")`` at the end of the file."""
    open_brackets: list[str] = []  # the closers expected, innermost last
    text = reader.text
    while True:
        match = (_RUN_INSIDE if open_brackets else _RUN_TOP).match(text, at)
        at = match.end() if match else at
        if at == len(text):
            if not reader.more():
                return at, ""
            text = reader.text
            continue
        char = text[at]
        if char == '"':  # a string running past the text read so far
            after = _string_end(reader, at)
            text = reader.text
            if after is None:
                return len(text), ""
            at = after
        elif char in "{[":
            open_brackets.append(_CLOSER[char])
            at += 1
        elif char == ",":  # only seen outside every container
            return at, char
        elif open_brackets and open_brackets[-1] == char:
            open_brackets.pop()
            at += 1
        else:
            return at, char if char == "]" and not open_brackets else "!"


def _string_end(reader: _Text, at: int) -> int | None:
    """The position just after the string whose quote is at ``at``, reading more text as needed (None: the
    file ends inside it)."""
    at += 1
    while True:
        match = _STRING_REST.match(reader.text, at)
        at = match.end() if match else at
        if reader.text.startswith('"', at):
            return at + 1
        if not reader.more():
            return None


def _finish(reader: _Text, end: int) -> None:
    """After the array's ``]`` at ``end`` only whitespace may follow."""
    at = _skip_space(reader, end + 1)
    if at < len(reader.text):
        raise _syntax_error(reader, "[0", end, at + 1)


def _syntax_error(reader: _Text, prefix: str, start: int, end: int) -> UserError:
    """The error the whole-document parser gives for the fault in ``text[start:end]``: found by parsing
    ``prefix + text[start:end]`` (``prefix`` puts the parser where it is at ``start``: ``"["`` before the
    first element, ``"[0"`` before a comma), its position moved back into the document."""
    sample = prefix + reader.text[start:end]
    try:
        loads_strict(sample, duplicates="mark")
    except StrictJSONError as exc:
        if exc.line is None or exc.column is None:
            return UserError(f"invalid JSON: {exc.reason}", file=reader.name, line=reader.line_at(start))
        offset = sum(len(line) for line in sample.split("\n")[:exc.line - 1]) + exc.line - 1 + exc.column - 1
        at = start + max(offset - len(prefix), 0)
        reason = exc.reason.removesuffix(f" at column {exc.column}")
        return UserError(f"invalid JSON: {reason} at column {reader.column_at(at)}", file=reader.name,
                         line=reader.line_at(at))
    return UserError("invalid JSON: unexpected end of the document", file=reader.name,  # not reached
                     line=reader.line_at(start))
