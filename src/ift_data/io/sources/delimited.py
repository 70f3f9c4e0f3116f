"""CSV and TSV, read strictly: every physical line ends up in the header, a row or a reject (blank lines
aside). A quote that never closes, or a record that runs over several lines with the wrong number of
cells, rejects its first line and the lines after it are read again, so one stray quote costs one row.

``open_delimited`` decodes the whole file (audit and clean, which write kept lines back);
``stream_delimited`` (the build) reads the same lines through a window that holds only the lines from the
current record's first on, so memory stays bounded by the longest record, not the file."""

from __future__ import annotations

import csv
import hashlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ift_data.errors import UserError
from ift_data.io.atomic import atomic_open
from ift_data.io.sources.base import (
    MAX_FIELD_CHARS,
    Item,
    ReadOptions,
    Source,
    column_count,
    decoded_lines,
    is_utf8,
    read_bytes,
    streamed_lines,
)
from ift_data.schema import RawRow, Reject

MAX_REREADS = 1000  # beyond this many stray quotes, the rest of a record's span is one reject
KEEP_LINES = 65_536  # a window drops the lines before the current record once it holds this many more
_FIELD_LIMIT_ERROR = "field larger than field limit"


def _limited(options: ReadOptions) -> ReadOptions:
    """``options`` with the cell limit resolved (its own, else ``MAX_FIELD_CHARS``)."""
    return options if options.max_field_chars is not None else replace(options, max_field_chars=MAX_FIELD_CHARS)


class Lines:
    """Every (line number, text) of a file, in a list; what ``_split_lines`` reads."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines = lines

    def has(self, index: int) -> bool:
        return index < len(self.lines)

    def __getitem__(self, index: int) -> tuple[int, str]:
        return self.lines[index]

    def release(self, index: int) -> None:
        """Lines before ``index`` will not be asked for again (a window may drop them)."""


class LineWindow(Lines):
    """(line number, text) of a file's lines as they are read: lines are pulled from ``source`` when first
    asked for, and dropped once ``release`` says they are behind the current record. Rejects that the
    source yields between lines (undecodable or oversized lines) wait in ``rejects``."""

    def __init__(self, source: Iterable[tuple[int, str | Reject]]) -> None:
        super().__init__([])
        self.source = iter(source)
        self.base = 0  # the index of self.lines[0]
        self.rejects: deque[Reject] = deque()
        self.done = False

    def has(self, index: int) -> bool:
        while index - self.base >= len(self.lines) and not self.done:
            self._pull()
        return index - self.base < len(self.lines)

    def __getitem__(self, index: int) -> tuple[int, str]:
        if not self.has(index) or index < self.base:
            raise IndexError(index)
        return self.lines[index - self.base]

    def release(self, index: int) -> None:
        if index - self.base >= KEEP_LINES:
            del self.lines[: index - self.base]
            self.base = index

    def _pull(self) -> None:
        for number, text in self.source:
            if isinstance(text, Reject):
                self.rejects.append(text)
                continue
            self.lines.append((number, text))
            return
        self.done = True


def _indexes(lines: Lines, start: int = 0) -> Iterator[int]:
    index = start
    while lines.has(index):
        yield index
        index += 1


def delimiter_of(options: ReadOptions) -> str:
    return options.delimiter or ("\t" if options.format == "tsv" else ",")


def _split_lines(lines: Lines, start: int, delimiter: str, quoting: str, expected: int | None,
                 field_limit: int | None = None) -> Iterator[tuple[int, int, list[str] | str]]:
    """(first, last) line indices of each record from ``start`` on, with its cells or a reject reason. A cell
    over ``field_limit`` characters (default ``MAX_FIELD_CHARS``) is a reject naming the limit."""
    if quoting == "none":
        for i in _indexes(lines, start):
            text = lines[i][1].rstrip("\r\n")
            lines.release(i)
            yield i, i, ("line contains a NUL byte" if "\x00" in text else text.split(delimiter) if text else [])
        return
    limit = MAX_FIELD_CHARS if field_limit is None else field_limit
    rereads = 0
    while lines.has(start):
        reader = csv.reader((lines[i][1] for i in _indexes(lines, start)), delimiter=delimiter, strict=True)
        consumed, restart = 0, None
        while restart is None:
            first = start + consumed
            too_long = False
            try:
                csv.field_size_limit(limit)  # the csv module's limit is global: set it for this reader's read
                cells: list[str] | str = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                too_long = str(exc).startswith(_FIELD_LIMIT_ERROR)
                cells = (f"a cell is longer than {limit:,} characters (the --max-field-chars limit)" if too_long
                         else f"malformed CSV row: {exc}")
            last = start + reader.line_num - 1
            consumed = reader.line_num
            lines.release(first)
            broken = isinstance(cells, str) or (expected is not None and cells and len(cells) != expected)
            if broken and last > first and rereads < MAX_REREADS:
                rereads += 1
                restart = first + 1
                what = (f"a quoted cell opened on this line is longer than {limit:,} characters (the "
                        f"--max-field-chars limit) by line {lines[last][0]}" if too_long else
                        f"malformed CSV row: a quote opened on this line runs on to line {lines[last][0]}")
                yield first, first, f"{what}; if the text has unbalanced quotes set `quoting: none`"
            elif broken and last > first:  # too many stray quotes to read again: one reject for the span
                what = cells if isinstance(cells, str) else f"a quoted field gives {len(cells)} cells, not {expected}"
                yield first, last, f"{what} (lines {lines[first][0]}-{lines[last][0]})"
            elif too_long:
                yield first, last, str(cells)
            elif isinstance(cells, str):
                yield first, last, f"{cells}; if the text has unbalanced quotes set `quoting: none`"
            else:
                yield first, last, cells
        start = restart


def _lines(data: bytes, name: str, options: ReadOptions) -> tuple[Lines, list[Reject]]:
    lines: list[tuple[int, str]] = []
    rejects: list[Reject] = []
    for number, text in decoded_lines(name, data, options.encoding, options.max_line_bytes):
        if isinstance(text, Reject):
            rejects.append(text)
        else:
            lines.append((number, text))
    return Lines(lines), rejects


def _header(lines: Lines, name: str, options: ReadOptions, line_rejects: Iterable[Reject] = ()
            ) -> tuple[tuple[str, ...], int, int | None]:
    """The column names, the index of the first body line, and the header's line number. A header line that
    cannot be read (not valid in the encoding, too long) is an error: the next line must never be taken for
    it (``line_rejects``: the line rejects so far, a window's growing as its lines are read)."""
    delimiter = delimiter_of(options)
    if not options.header:
        assert options.columns is not None
        _check_unique(options.columns, name, None)
        first_line = next(((n, t) for n, t in (lines[i] for i in _indexes(lines)) if t.strip()), None)
        if first_line is not None and len(options.columns) > 1:
            first_cells = first_line[1].rstrip("\r\n").split(delimiter)
            if len(first_cells) == 1:
                _check_delimiter(first_line[1], (first_cells[0],), delimiter, name, first_line[0], "first line",
                                 len(options.columns))
        return options.columns, 0, None
    for first, last, cells in _split_lines(lines, 0, delimiter, options.quoting, None, options.max_field_chars):
        _unreadable_header(line_rejects, lines[first][0], name)
        if isinstance(cells, str):
            raise UserError(f"cannot read the header line: {cells}", file=name, line=lines[first][0])
        if not cells or cells == [""]:
            continue
        names = tuple(c.strip() for c in cells)
        _check_delimiter(lines[first][1], names, delimiter, name, lines[first][0])
        _check_unique(names, name, lines[first][0])
        if options.columns is not None:
            _check_unique(options.columns, name, None)
        return options.columns or names, last + 1, lines[first][0]
    _unreadable_header(line_rejects, None, name)
    raise UserError("file is empty (no header line)", file=name)


def _unreadable_header(line_rejects: Iterable[Reject], before: int | None, name: str) -> None:
    """A line reject before line ``before`` (any, when None) was the header line: an error naming it."""
    bad = next(iter(line_rejects), None)
    if bad is not None and (before is None or bad.line < before):
        raise UserError(f"cannot read the header line: {bad.reason}", file=name, line=bad.line)


def _check_unique(names: Sequence[str], file: str, line: int | None) -> None:
    twice = {n for n in names if names.count(n) > 1}
    if twice:
        raise UserError(f"duplicate column name(s) {sorted(set(twice))} in {list(names)}", file=file, line=line,
                        field="source.columns" if line is None else None)


def _check_delimiter(text: str, names: tuple[str, ...], delimiter: str, file: str, line: int,
                     what: str = "header line", expected: int | None = None) -> None:
    """``format: csv`` on a tab-separated file (or the reverse) reads every line as one cell: say so.
    ``expected``: the number of declared columns (a headerless file), which the other delimiter must give."""
    if len(names) != 1:
        return
    other, fmt = ("\t", "tsv") if delimiter == "," else (",", "csv")
    cells = [c.strip() for c in text.rstrip("\r\n").split(other)]
    if expected is not None:
        looks = len(cells) == expected
    else:
        looks = len(cells) > 1 and (other == "\t" or all(c and len(c) <= 40 and " " not in c for c in cells))
    if looks:
        shown = cells if expected is None else f"{len(cells)} cells"
        raise UserError(f"the {what} has one column but looks {fmt.upper()}-separated ({shown}): "
                        f"set `format: {fmt}` (or `delimiter`)", file=file, line=line, field="source.format")


def open_delimited(path: Path, options: ReadOptions, name: str) -> Source:
    options = _limited(options)
    data = read_bytes(path, name)
    if not data.strip():
        raise UserError("file is empty", file=name)
    lines, line_rejects = _lines(data, name, options)
    columns, body, header_line = _header(lines, name, options, line_rejects)
    return Source(options.format, path, name, hashlib.sha256(data).hexdigest(),
                  lambda: _items(lines, body, columns, line_rejects, name, options), columns=columns, data=data,
                  header_line=header_line)


def stream_delimited(path: Path, options: ReadOptions, name: str) -> Source:
    """``open_delimited``'s records read through a ``LineWindow`` as they are asked for (``data`` is None:
    nothing to write back); the sha256 (and whether the file is blank) is one streamed pass first, the
    header is read from a window of its own. Encodings other than UTF-8 are decoded whole, as
    ``open_delimited`` does."""
    options = _limited(options)
    if not is_utf8(options.encoding):
        return open_delimited(path, options, name)
    digest, blank = _digest_and_blank(path, name)
    if blank:
        raise UserError("file is empty", file=name)

    def window() -> LineWindow:
        return LineWindow(streamed_lines(path, name, options.max_line_bytes))

    header_window = window()
    columns, body, header_line = _header(header_window, name, options, header_window.rejects)

    def items() -> Iterator[Item]:
        lines = window()
        return _items(lines, body, columns, lines.rejects, name, options)

    return Source(options.format, path, name, digest, items, columns=columns, header_line=header_line)


def _digest_and_blank(path: Path, name: str) -> tuple[str, bool]:
    """The file's sha256 and whether it holds only whitespace (read 1 MiB at a time)."""
    digest, blank = hashlib.sha256(), True
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
                blank = blank and not block.strip()
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", file=name) from exc
    return digest.hexdigest(), blank


def _items(lines: Lines, body: int, columns: tuple[str, ...], line_rejects: Iterable[Reject], name: str,
           options: ReadOptions) -> Iterator[Item]:
    """The records from line index ``body`` on, with the line rejects in line order among them
    (``line_rejects`` may still grow while the records are read: a window's rejects)."""
    pending = line_rejects if isinstance(line_rejects, deque) else deque(line_rejects)
    for first, _, cells in _split_lines(lines, body, delimiter_of(options), options.quoting, len(columns),
                                        options.max_field_chars):
        number = lines[first][0]
        while pending and pending[0].line < number:
            yield pending.popleft()
        if isinstance(cells, str):
            yield Reject(name, number, cells)
        elif not cells or cells == [""]:
            continue  # a blank line
        elif len(cells) != len(columns):
            yield column_count(name, number, len(columns), len(cells))
        else:
            yield RawRow(dict(zip(columns, cells, strict=True)), name, number)
    yield from pending


def write_kept(source: Source, options: ReadOptions, kept_records: Sequence[int], target: Path) -> None:
    """The header and the kept records (by position among the items), each as its original lines."""
    assert source.data is not None
    options = _limited(options)
    lines, _ = _lines(source.data, source.name, options)
    columns, body, _ = _header(lines, source.name, options)
    kept = set(kept_records)
    wanted = {item.line for index, item in enumerate(source.items()) if index in kept and isinstance(item, RawRow)}
    out = [lines[i][1] for i in range(body)] if options.header else []
    for first, last, cells in _split_lines(lines, body, delimiter_of(options), options.quoting, len(columns),
                                           options.max_field_chars):
        if lines[first][0] in wanted and not isinstance(cells, str):
            out.extend(lines[i][1] for i in range(first, last + 1))
    utf8 = options.encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")
    encoding = "utf-8" if utf8 else options.encoding
    text = "".join(t if t.endswith(("\n", "\r")) else t + "\n" for t in out)
    bom = "\ufeff" if utf8 and source.data.startswith(b"\xef\xbb\xbf") else ""
    with atomic_open(target, "wb") as fh:
        fh.write((bom + text).encode(encoding))
