"""Read instruction datasets (JSONL, JSON, Parquet, CSV/TSV, ``datasets.save_to_disk`` folders) into the
normalized audit table (see ``audit/base.py``).

Fast path: polars/pyarrow read the whole file and flat shapes are converted column-wise. When the fast
path fails (a broken line, mixed types, invalid UTF-8, an oversized line) a line-by-line reader takes
over and names the bad line. Every input record ends up either in the table or in ``rejects``.
Extra table columns: ``source_record`` (0-based record index within its file; the cleaner uses it to
write kept rows in the input's own format).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ift_data.errors import UserError
from ift_data.io.instructions_shapes import (
    AUDIT_TEXT_FIELDS,
    CATEGORY_KEYS,
    Mapping_,
    RowError,
    converter_for,
    detect_shape,
    flat_columns_for,
)
from ift_data.io.strict_json import StrictJSONError, find_duplicate, loads_strict
from ift_data.schema import Reject

_REJECTED = object()  # a record already rejected on read (JSON ``null`` is a record, and a bad one)

MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_FIELD_CHARS = 1_000_000
FORMATS = ("jsonl", "json", "parquet", "csv", "tsv", "hf")

TABLE_SCHEMA = {
    "row_id": pl.Int64, "source_file": pl.String, "source_line": pl.Int64, "source_record": pl.Int64,
    "instruction": pl.String, "input": pl.String, "response": pl.String, "system": pl.String,
    "turns": pl.Int64, "category": pl.String,
}


@dataclass
class SourceInfo:
    """One input file: its format, detected shape and row accounting."""

    path: str
    format: str
    shape: str
    records: int  # records in the file (rows in)
    rows: int  # rows that reached the audit table
    rejected: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "shape": self.shape, "records": self.records,
                "rows": self.rows, "rejected": self.rejected}


@dataclass
class InstructionData:
    """The audit table, the rejected records, and per-file information."""

    table: pl.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return sum(s.records for s in self.sources)


def read_instructions(paths: Sequence[str | Path], mapping: str | Mapping_ | None = None, *,
                      max_line_bytes: int = MAX_LINE_BYTES,
                      max_field_chars: int = MAX_FIELD_CHARS, max_rows: int | None = None) -> InstructionData:
    """Read every path into one audit table; ``row_id`` runs in input order across files. With
    ``max_rows``, table rows after the first ``max_rows`` become read rejects (counted, never dropped)."""
    if isinstance(mapping, str):
        mapping = Mapping_.parse(mapping)
    if not paths:
        raise UserError("no input files given")
    frames, rejects, sources = [], [], []
    for path in paths:
        frame, file_rejects, info = _read_one(Path(path), mapping, max_line_bytes, max_field_chars)
        frames.append(frame)
        rejects.extend(file_rejects)
        sources.append(info)
    table = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=TABLE_SCHEMA)
    if max_rows is not None and table.height > max_rows:
        over = table.slice(max_rows)
        rejects.extend(Reject(file, line, f"over --max-rows {max_rows}: not audited")
                       for file, line in zip(over["source_file"], over["source_line"], strict=True))
        for info in sources:
            info.rows -= over.filter(pl.col("source_file") == info.path).height
            info.rejected += over.filter(pl.col("source_file") == info.path).height
        table = table.head(max_rows)
    table = table.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("row_id")).select(list(TABLE_SCHEMA))
    return InstructionData(table, rejects, sources)


def detect_format(path: Path) -> str:
    """The file format from the path (a folder is a ``save_to_disk`` dataset)."""
    if path.is_dir():
        return "hf"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".tsv"):
        return suffix[1:]
    raise UserError(f"unknown file type {suffix or '(none)'!r}: expected one of .jsonl .json .parquet .csv .tsv "
                    "or a datasets.save_to_disk folder", file=str(path))


def _read_one(path: Path, mapping: Mapping_ | None, max_line_bytes: int,
              max_field_chars: int) -> tuple[pl.DataFrame, list[Reject], SourceInfo]:
    name = str(path)
    if not path.exists():
        raise UserError("no such file or folder", file=name)
    fmt = detect_format(path)
    if fmt == "hf":
        frame = _hf_frame(path)
        rows, rejects, shape, n = _from_frame(frame, name, None, mapping)
    elif fmt == "parquet":
        frame = _parquet_frame(path)
        rows, rejects, shape, n = _from_frame(frame, name, None, mapping)
    else:
        data = path.read_bytes()
        if not data.strip():
            raise UserError("file is empty", file=name)
        if fmt == "json" and data.lstrip()[:1] == b"[":
            records, rejects = _json_records(data, name)
            rows, rejects, shape, n = _from_records(records, name, mapping, rejects)
        elif fmt in ("csv", "tsv"):
            rows, rejects, shape, n = _read_csv(data, name, "\t" if fmt == "tsv" else ",", mapping)
        else:
            fmt = "jsonl"
            rows, rejects, shape, n = _read_jsonl(data, name, mapping, max_line_bytes)
    rows, long_rejects = _drop_oversized(rows, name, max_field_chars)
    rejects = sorted(rejects + long_rejects, key=lambda r: r.line)
    info = SourceInfo(name, fmt, shape, n, rows.height, len(rejects))
    return rows.with_columns(pl.lit(name).alias("source_file")), rejects, info


# ---- file formats ---------------------------------------------------------------------------------

def _hf_frame(path: Path) -> pl.DataFrame:
    import datasets

    try:
        ds = datasets.load_from_disk(str(path))
    except Exception as exc:  # noqa: BLE001 - any failure means "not a dataset folder"
        raise UserError(f"not a datasets.save_to_disk folder: {exc}", file=str(path)) from exc
    if isinstance(ds, datasets.DatasetDict):
        raise UserError(f"folder holds several splits ({', '.join(ds)}); give one split's folder",
                        file=str(path))
    return pl.from_arrow(ds.data.table)  # type: ignore[return-value]


def _parquet_frame(path: Path) -> pl.DataFrame:
    import pyarrow.parquet as pq

    try:
        return pl.from_arrow(pq.read_table(path))  # type: ignore[return-value]
    except Exception as exc:  # noqa: BLE001
        raise UserError(f"not a readable Parquet file: {exc}", file=str(path)) from exc


def _json_records(data: bytes, name: str) -> tuple[list[tuple[int, Any]], list[Reject]]:
    """Records of a JSON array (``line`` is the 1-based record number) and the rejected ones."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"invalid UTF-8 at byte {exc.start}", file=name, line=data.count(b"\n", 0, exc.start) + 1) from exc
    try:
        doc = loads_strict(text, duplicates="mark")
    except StrictJSONError as exc:
        raise UserError(f"invalid JSON: {exc.reason}", file=name, line=exc.line) from exc
    if not isinstance(doc, list):
        raise UserError("expected a JSON array of records", file=name)
    if not doc:
        raise UserError("the JSON array holds no records", file=name)
    records, rejects = [], []
    for i, rec in enumerate(doc):
        duplicate = find_duplicate(rec)
        if duplicate is not None:
            rejects.append(Reject(name, i + 1, f"duplicate key {duplicate!r} in one object"))
            rec = _REJECTED
        records.append((i + 1, rec))
    return records, rejects


def _read_jsonl(data: bytes, name: str, mapping: Mapping_ | None, max_line_bytes: int):
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.split(b"\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if all(len(lines[i]) <= max_line_bytes for i in nonblank) and _all_strict(lines, nonblank):
        try:
            frame = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
        except Exception:  # noqa: BLE001 - any failure sends us to the line-by-line reader
            frame = None
        if frame is not None and frame.height == len(nonblank) and frame.width:
            try:
                return _from_frame(frame, name, [i + 1 for i in nonblank], mapping)
            except UserError:
                pass  # e.g. one odd record hides the shape: the slow path names it
    records: list[tuple[int, Any]] = []
    rejects: list[Reject] = []
    for i in nonblank:
        raw, line = lines[i], i + 1
        if len(raw) > max_line_bytes:
            rejects.append(Reject(name, line, f"line is {len(raw) / 2**20:.1f} MiB, over the "
                                  f"{max_line_bytes / 2**20:.0f} MiB limit"))
            records.append((line, _REJECTED))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            rejects.append(Reject(name, line, f"invalid UTF-8 at byte {exc.start} of the line"))
            records.append((line, _REJECTED))
            continue
        try:
            records.append((line, loads_strict(text)))
        except StrictJSONError as exc:
            rejects.append(Reject(name, line, f"invalid JSON: {exc.reason}"))
            records.append((line, _REJECTED))
    return _from_records(records, name, mapping, rejects)


def _all_strict(lines: list[bytes], nonblank: list[int]) -> bool:
    """Whether every line is strict JSON (no duplicate keys, NaN/Infinity, lone surrogates, deep nesting):
    polars would keep the first of two keys or drop a lone surrogate without a word, so any such line
    sends the file to the line-by-line reader, which rejects it with its reason."""
    try:
        for i in nonblank:
            loads_strict(lines[i].decode("utf-8"))
    except (StrictJSONError, UnicodeDecodeError):
        return False
    return True


def _read_csv(data: bytes, name: str, sep: str, mapping: Mapping_ | None):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"invalid UTF-8 at byte {exc.start}", file=name, line=data.count(b"\n", 0, exc.start) + 1) from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = next(reader, None)
    if not header:
        raise UserError("CSV file has no header line", file=name, line=1)
    records: list[tuple[int, Any]] = []
    rejects: list[Reject] = []
    start = reader.line_num + 1
    for row in reader:
        if not row:
            start = reader.line_num + 1
            continue
        if len(row) != len(header):
            rejects.append(Reject(name, start, f"expected {len(header)} fields, got {len(row)}"))
            records.append((start, _REJECTED))
        else:
            records.append((start, dict(zip(header, row, strict=True))))
        start = reader.line_num + 1
    if not records:
        raise UserError("CSV file has a header but no rows", file=name, line=1)
    return _from_records(records, name, mapping, rejects)


# ---- records -> audit rows ------------------------------------------------------------------------

def _shape(columns: Iterable[str], name: str, mapping: Mapping_ | None) -> str:
    columns = list(columns)
    if mapping is not None:
        missing = [c for c in mapping.fields.values() if c not in columns]
        if missing:
            raise UserError(f"--map names column(s) {missing} that the data lacks (columns: {columns})", file=name)
        return "mapped"
    shape = detect_shape(columns)
    if shape is None:
        raise UserError(f"cannot tell the data's shape from its columns {sorted(columns)}: expected Alpaca "
                        "(instruction/input/output), ShareGPT (conversations), OpenAI (messages) or "
                        "prompt/completion; or give --map instruction=COL,output=COL", file=name)
    return shape


def _from_frame(frame: pl.DataFrame, name: str, lines: list[int] | None, mapping: Mapping_ | None):
    """Audit rows from a whole-file frame: column-wise for flat shapes, per record otherwise."""
    if frame.height == 0:
        raise UserError("no records", file=name)
    shape = _shape(frame.columns, name, mapping)
    line_numbers = lines if lines is not None else list(range(1, frame.height + 1))
    flat = flat_columns_for(shape, mapping, frame.columns)
    text_ok = all(c in frame.columns and (frame.schema[c] == pl.String or frame.schema[c].is_numeric()
                                          or frame.schema[c] == pl.Null) for c in flat.values())
    if not flat or not text_ok or any(frame.schema[c] == pl.Boolean for c in flat.values()):
        records = list(zip(line_numbers, frame.to_dicts(), strict=True))
        return _from_records(records, name, mapping, [], shape=shape)
    required = {"instruction", "response"}
    cols = {f: pl.col(c).cast(pl.String) for f, c in flat.items()}
    out = frame.select(
        pl.Series("source_line", line_numbers, dtype=pl.Int64),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("source_record"),
        *[(cols[f].fill_null("") if f in cols else pl.lit("")).alias(f) for f in AUDIT_TEXT_FIELDS],
        pl.lit(1, dtype=pl.Int64).alias("turns"),
        _category_expr(frame, mapping),
        pl.any_horizontal([cols[f].is_null() for f in required]).alias("_missing"),
    )
    rejects = []
    for row in out.filter("_missing").iter_rows(named=True):
        f = next(f for f in ("instruction", "response") if frame[flat[f]][row["source_record"]] is None)
        rejects.append(Reject(name, row["source_line"], "missing or null field", field=flat[f]))
    return out.filter(~pl.col("_missing")).drop("_missing"), rejects, shape, frame.height


def _category_expr(frame: pl.DataFrame, mapping: Mapping_ | None) -> pl.Expr:
    keys = [mapping.fields["category"]] if mapping and "category" in mapping.fields else list(CATEGORY_KEYS)
    for key in keys:
        if key in frame.columns and frame.schema[key] in (pl.String, pl.Int64, pl.Int32):
            return pl.col(key).cast(pl.String).alias("category")
    return pl.lit(None, dtype=pl.String).alias("category")


def _from_records(records: list[tuple[int, Any]], name: str, mapping: Mapping_ | None,
                  rejects: list[Reject], shape: str | None = None):
    """Audit rows from (line, record) pairs; a record ``_REJECTED`` was already rejected."""
    good = [r for _, r in records if isinstance(r, dict)]
    if shape is None:
        if not good:
            first = rejects[0] if rejects else None
            reason = f"no readable record (first problem: line {first.line}: {first.reason})" if first else "no records"
            raise UserError(reason, file=name, line=first.line if first else None)
        keys: dict[str, None] = {}
        for rec in good[:1000]:
            keys.update(dict.fromkeys(rec))
        shape = _shape(keys, name, mapping)
    convert = converter_for(shape, mapping)
    rows: list[dict[str, Any]] = []
    for index, (line, record) in enumerate(records):
        if record is _REJECTED:
            continue
        if not isinstance(record, dict):
            rejects.append(Reject(name, line, f"expected a JSON object, got {type(record).__name__}"))
            continue
        try:
            row = convert(record)
        except RowError as exc:
            rejects.append(Reject(name, line, exc.reason, field=exc.field))
            continue
        row["source_line"], row["source_record"] = line, index
        rows.append(row)
    schema = {k: v for k, v in TABLE_SCHEMA.items() if k not in ("row_id", "source_file")}
    frame = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    return frame, rejects, shape, len(records)


def _drop_oversized(rows: pl.DataFrame, name: str, max_chars: int) -> tuple[pl.DataFrame, list[Reject]]:
    lengths = rows.select([pl.col(f).str.len_chars().alias(f) for f in AUDIT_TEXT_FIELDS])
    too_long = pl.any_horizontal([pl.col(f) > max_chars for f in AUDIT_TEXT_FIELDS])
    bad = lengths.with_row_index("_i").filter(too_long)
    if bad.height == 0:
        return rows, []
    rejects = []
    for row in bad.iter_rows(named=True):
        f = next(f for f in AUDIT_TEXT_FIELDS if row[f] > max_chars)
        rejects.append(Reject(name, rows["source_line"][row["_i"]],
                              f"{row[f]:,} characters, over the {max_chars:,} limit", field=f))
    keep = pl.Series([True] * rows.height)
    keep[bad["_i"].to_list()] = False
    return rows.filter(keep), rejects
