"""CSV and TSV, read strictly: every physical line ends up in the header, a row or a reject (blank lines
aside). A quote that never closes, or a record that runs over several lines with the wrong number of
cells, rejects its first line and the lines after it are read again, so one stray quote costs one row."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from ift_data.errors import UserError
from ift_data.io.atomic import atomic_open
from ift_data.io.sources.base import Item, ReadOptions, Source, column_count, decoded_lines, read_bytes
from ift_data.schema import RawRow, Reject

MAX_REREADS = 1000  # beyond this many stray quotes, the rest of a record's span is one reject
Lines = list[tuple[int, str]]


def delimiter_of(options: ReadOptions) -> str:
    return options.delimiter or ("\t" if options.format == "tsv" else ",")


def _split_lines(lines: Lines, start: int, delimiter: str, quoting: str, expected: int | None
                 ) -> Iterator[tuple[int, int, list[str] | str]]:
    """(first, last) line indices of each record from ``start`` on, with its cells or a reject reason."""
    if quoting == "none":
        for i in range(start, len(lines)):
            text = lines[i][1].rstrip("\r\n")
            yield i, i, ("line contains a NUL byte" if "\x00" in text else text.split(delimiter) if text else [])
        return
    rereads = 0
    while start < len(lines):
        reader = csv.reader((lines[i][1] for i in range(start, len(lines))), delimiter=delimiter, strict=True)
        consumed, restart = 0, None
        while restart is None:
            first = start + consumed
            try:
                cells: list[str] | str = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                cells = f"malformed CSV row: {exc}"
            last = start + reader.line_num - 1
            consumed = reader.line_num
            broken = isinstance(cells, str) or (expected is not None and cells and len(cells) != expected)
            if broken and last > first and rereads < MAX_REREADS:
                rereads += 1
                restart = first + 1
                yield first, first, (f"malformed CSV row: a quote opened on this line runs on to line "
                                     f"{lines[last][0]}; if the text has unbalanced quotes set `quoting: none`")
            elif broken and last > first:  # too many stray quotes to read again: one reject for the span
                what = cells if isinstance(cells, str) else f"a quoted field gives {len(cells)} cells, not {expected}"
                yield first, last, f"{what} (lines {lines[first][0]}-{lines[last][0]})"
            elif isinstance(cells, str):
                yield first, last, f"{cells}; if the text has unbalanced quotes set `quoting: none`"
            else:
                yield first, last, cells
        start = restart


def _lines(data: bytes, name: str, options: ReadOptions) -> tuple[Lines, list[Reject]]:
    lines: Lines = []
    rejects: list[Reject] = []
    for number, text in decoded_lines(name, data, options.encoding, options.max_line_bytes):
        if isinstance(text, Reject):
            rejects.append(text)
        else:
            lines.append((number, text))
    return lines, rejects


def _header(lines: Lines, name: str, options: ReadOptions) -> tuple[tuple[str, ...], int, int | None]:
    """The column names, the index of the first body line, and the header's line number."""
    delimiter = delimiter_of(options)
    if not options.header:
        assert options.columns is not None
        _check_unique(options.columns, name, None)
        first_line = next(((n, t) for n, t in lines if t.strip()), None)
        if first_line is not None and len(options.columns) > 1:
            first_cells = first_line[1].rstrip("\r\n").split(delimiter)
            if len(first_cells) == 1:
                _check_delimiter(first_line[1], (first_cells[0],), delimiter, name, first_line[0], "first line",
                                 len(options.columns))
        return options.columns, 0, None
    for first, last, cells in _split_lines(lines, 0, delimiter, options.quoting, None):
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
    raise UserError("file is empty (no header line)", file=name)


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
    data = read_bytes(path, name)
    if not data.strip():
        raise UserError("file is empty", file=name)
    lines, line_rejects = _lines(data, name, options)
    columns, body, header_line = _header(lines, name, options)

    def items() -> Iterator[Item]:
        pending = iter(line_rejects)
        waiting = next(pending, None)
        for first, _, cells in _split_lines(lines, body, delimiter_of(options), options.quoting, len(columns)):
            number = lines[first][0]
            while waiting is not None and waiting.line < number:
                yield waiting
                waiting = next(pending, None)
            if isinstance(cells, str):
                yield Reject(name, number, cells)
            elif not cells or cells == [""]:
                continue  # a blank line
            elif len(cells) != len(columns):
                yield column_count(name, number, len(columns), len(cells))
            else:
                yield RawRow(dict(zip(columns, cells, strict=True)), name, number)
        if waiting is not None:
            yield waiting
        yield from pending

    return Source(options.format, path, name, hashlib.sha256(data).hexdigest(), items, columns=columns,
                  data=data, header_line=header_line)


def write_kept(source: Source, options: ReadOptions, kept_records: Sequence[int], target: Path) -> None:
    """The header and the kept records (by position among the items), each as its original lines."""
    assert source.data is not None
    lines, _ = _lines(source.data, source.name, options)
    columns, body, _ = _header(lines, source.name, options)
    kept = set(kept_records)
    wanted = {item.line for index, item in enumerate(source.items()) if index in kept and isinstance(item, RawRow)}
    out = [text for _, text in lines[:body]] if options.header else []
    for first, last, cells in _split_lines(lines, body, delimiter_of(options), options.quoting, len(columns)):
        if lines[first][0] in wanted and not isinstance(cells, str):
            out.extend(text for _, text in lines[first:last + 1])
    utf8 = options.encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")
    encoding = "utf-8" if utf8 else options.encoding
    text = "".join(t if t.endswith(("\n", "\r")) else t + "\n" for t in out)
    bom = "\ufeff" if utf8 and source.data.startswith(b"\xef\xbb\xbf") else ""
    with atomic_open(target, "wb") as fh:
        fh.write((bom + text).encode(encoding))
