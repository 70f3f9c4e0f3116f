"""Read instruction datasets (JSONL, JSON, Parquet, CSV/TSV, ``datasets.save_to_disk`` folders) into the
normalized audit table (see ``audit/base.py``).

Records come from the shared source layer (``io/sources``), so parsing and reject wording are the
build's. Fast paths: Arrow-backed inputs (Parquet, save_to_disk) and clean JSONL files are converted
column-wise with polars when their shape is flat; anything else goes record by record. Every input
record ends up either in the table or in ``rejects``. Extra table columns: ``source_line`` (the record's
line, or record number; the cleaner writes kept rows back by it) and ``source_record`` (0-based record
index within its file).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from ift_data.errors import UserError
from ift_data.io.instructions_shapes import (
    AUDIT_TEXT_FIELDS,
    CATEGORY_KEYS,
    CHAT_KEYS,
    FLAT_COLUMNS,
    SHAPES,
    Mapping_,
    ShapeChoice,
    choose_shape,
    converter_for,
    count_shapes,
    detect_shape,
    family_of,
    flat_columns_for,
    user_field,
)
from ift_data.io.sources import ReadOptions, Source, detect_format, open_source
from ift_data.io.sources.base import MAX_FIELD_CHARS, MAX_LINE_BYTES, Item, RowError, json_kind, strip_bom
from ift_data.io.strict_json import StrictJSONError, loads_strict
from ift_data.schema import Reject

Converted = tuple[pl.DataFrame, list[Reject], ShapeChoice, int]  # audit rows, rejects, shape, records in
RECORD_BATCH = 65_536  # records of a JSON array or CSV file converted to rows at a time
SHAPE_RECORDS = 1_000  # good records the shape (the row format) is read off
_REJECTED = object()  # a record already rejected on read (JSON ``null`` is a record, and a bad one)

FORMATS = ("jsonl", "json", "parquet", "csv", "tsv", "hf_disk")

TABLE_SCHEMA = {
    "row_id": pl.Int64, "source_file": pl.String, "source_line": pl.Int64, "source_record": pl.Int64,
    "instruction": pl.String, "input": pl.String, "response": pl.String, "system": pl.String,
    "context": pl.String, "turns": pl.Int64, "category": pl.String, "id": pl.String,
}
ID_TYPES_HELP = "a string or a number"


def _order(reject: Reject) -> tuple[int, int]:
    return reject.line, reject.record or 0


@dataclass
class SourceInfo:
    """One input file: its format, detected shape and row accounting; ``options`` is what it was read with
    and ``reopened()`` the source the cleaner writes kept rows back through. A text source that held the
    file's bytes (JSONL, CSV, TSV) lets them go once the table is built (``source`` None): the audit does not
    hold the input twice; clean reads the file again."""

    path: str
    format: str
    shape: str
    records: int  # records in the file (rows in)
    rows: int  # rows that reached the audit table
    rejected: int
    source: Source | None = field(repr=False, compare=False)
    options: ReadOptions = field(repr=False, compare=False)
    digest: str = ""  # the sha256 of exactly the bytes (or Arrow files) that were read

    @property
    def sha256(self) -> str:
        """Of exactly the bytes (or Arrow files) that were read."""
        return self.digest

    def reopened(self) -> Source:
        """The source again, as read (its bytes read again where they were let go); a file that changed since
        is an error."""
        if self.source is None:
            source = open_source(Path(self.path), self.options, self.path)
            if source.sha256 != self.digest:
                raise UserError("the file changed after it was read for this audit: clean it again as it is now",
                                file=self.path)
            self.source = source
        return self.source

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "shape": self.shape, "records": self.records,
                "rows": self.rows, "rejected": self.rejected}


@dataclass
class InstructionData:
    """The audit table, the rejected records, and per-file information."""

    table: pl.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)
    id_field: str | None = None  # the field the ``id`` column came from (None: no ids, the column is null)

    @property
    def rows_in(self) -> int:
        return sum(s.records for s in self.sources)


def read_instructions(paths: Sequence[str | Path], mapping: str | Mapping_ | None = None, *,
                      max_line_bytes: int = MAX_LINE_BYTES,
                      max_field_chars: int = MAX_FIELD_CHARS, max_rows: int | None = None,
                      id_field: str | None = None) -> InstructionData:
    """Read every path into one audit table; ``row_id`` runs in input order across files. With
    ``max_rows``, table rows after the first ``max_rows`` become read rejects (counted, never dropped).

    ``id_field`` (``--id``, or ``id=FIELD`` in the mapping): the top-level field holding the dataset's own
    row id, carried as the ``id`` column (text: numbers as Python writes them). Every audited row must have one
    (a string or a number, not empty, NaN or infinite) and no two rows of the inputs may share one: either is a
    ``UserError`` naming the file, line and field."""
    if isinstance(mapping, str):
        mapping = Mapping_.parse(mapping)
    id_field = _id_field(mapping, id_field)
    if mapping is not None and not mapping.maps_text:
        mapping = None  # only id=FIELD: the shape is detected as without --map
    if not paths:
        raise UserError("no input files given")
    frames, rejects, sources = [], [], []
    for path in paths:
        frame, file_rejects, info = _read_one(Path(path), mapping, max_line_bytes, max_field_chars, id_field)
        frames.append(frame)
        rejects.extend(file_rejects)
        sources.append(info)
    table = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=TABLE_SCHEMA)
    if id_field is not None:
        _check_unique_ids(table, id_field)
    if max_rows is not None and table.height > max_rows:
        over = table.slice(max_rows)
        rejects.extend(Reject(file, line, f"over --max-rows {max_rows}: not audited", record=record, id=row_id)
                       for file, line, record, row_id in zip(over["source_file"], over["source_line"],
                                                             over["source_record"], over["id"], strict=True))
        for info in sources:
            info.rows -= over.filter(pl.col("source_file") == info.path).height
            info.rejected += over.filter(pl.col("source_file") == info.path).height
        table = table.head(max_rows)
    table = table.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("row_id")).select(list(TABLE_SCHEMA))
    return InstructionData(table, rejects, sources, id_field)


def _id_field(mapping: Mapping_ | None, id_field: str | None) -> str | None:
    mapped = mapping.id_field if mapping is not None else None
    if mapped is not None and id_field is not None and mapped != id_field:
        raise UserError(f"--id {id_field!r} and --map id={mapped} name different id fields", field="--id")
    chosen = id_field if id_field is not None else mapped
    if chosen is not None and not chosen.strip():
        raise UserError("--id needs a field name", field="--id")
    return chosen


def _check_unique_ids(table: pl.DataFrame, id_field: str) -> None:
    """No two rows (of all inputs) share an id; the first repeat is named with both places."""
    repeated = table.select("id", "source_file", "source_line").filter(pl.col("id").is_duplicated())
    if not repeated.height:
        return
    value = repeated["id"][0]
    first, *rest = repeated.filter(pl.col("id") == value).iter_rows(named=True)
    again = rest[0]
    where = f"line {again['source_line']}" + ("" if again["source_file"] == first["source_file"]
                                              else f" of {again['source_file']}")
    raise UserError(f"duplicate id {value!r}: also at {where} ({len(rest) + 1} rows share it; --id values must "
                    f"be unique across the inputs)", file=first["source_file"], line=first["source_line"],
                    field=id_field)


def _id_value(record: dict[str, Any], id_field: str, name: str, line: int) -> str:
    """One record's id as text, or a ``UserError`` naming the file, line and field."""
    if id_field not in record or record[id_field] is None:
        what = "missing" if id_field not in record else "null"
        raise UserError(f"the id field is {what} (--id {id_field})", file=name, line=line, field=id_field)
    value = record[id_field]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UserError(f"the id must be {ID_TYPES_HELP}, got {json_kind(value)}", file=name, line=line,
                        field=id_field)
    if isinstance(value, float) and not math.isfinite(value):
        raise UserError(f"the id is {value} (--id {id_field})", file=name, line=line, field=id_field)
    text = str(value)
    if not text.strip():
        raise UserError("the id is empty", file=name, line=line, field=id_field)
    return text


def _id_if_any(value: Any) -> str | None:
    """A rejected record's id value as text where it is a usable one, else None (a reject is never an error)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value).strip():
        return None
    return str(value)


def _id_column(frame: pl.DataFrame, id_field: str | None, name: str, lines: list[int],
               keep: pl.Series | None = None) -> pl.Series:
    """The ``id`` column of a whole-file frame (null without an id field)."""
    if id_field is None:
        return pl.Series("id", [None] * frame.height, dtype=pl.String)
    if id_field not in frame.columns:
        raise UserError(f"the id field is missing (--id {id_field}; columns: {frame.columns})", file=name,
                        line=lines[0] if lines else None, field=id_field)
    column = frame[id_field]
    if not (column.dtype == pl.String or column.dtype.is_numeric() or column.dtype == pl.Null):
        raise UserError(f"the id must be {ID_TYPES_HELP}, got {column.dtype}", file=name,
                        line=lines[0] if lines else None, field=id_field)
    values = column.cast(pl.String).alias("id")
    bad = values.is_null() | (values.str.strip_chars() == "")
    if column.dtype.is_float():
        bad |= (column.is_nan() | column.is_infinite()).fill_null(False)
    if keep is not None:
        bad &= keep
    if bad.any():
        i = int(bad.arg_true()[0])
        what = "null or missing" if values[i] is None else "empty" if not values[i].strip() else values[i]
        raise UserError(f"the id is {what} (--id {id_field})", file=name, line=lines[i], field=id_field)
    return values


def _peek(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(4096)
    except OSError:
        return b""


def _read_one(path: Path, mapping: Mapping_ | None, max_line_bytes: int,
              max_field_chars: int, id_field: str | None = None) -> tuple[pl.DataFrame, list[Reject], SourceInfo]:
    name = str(path)
    if not path.exists():
        raise UserError("no such file or folder", file=name)
    fmt = detect_format(path)
    if fmt == "json" and strip_bom(_peek(path)).lstrip()[:1] != b"[":
        fmt = "jsonl"  # a .json file holding one object, or JSON lines
    # TSV text keeps its quotes: a quote in a tab-separated file is text, not syntax.
    options = ReadOptions(format=fmt, quoting="none" if fmt == "tsv" else "standard", max_line_bytes=max_line_bytes,
                          max_field_chars=max_field_chars)
    # a JSON array is streamed (its records converted a batch at a time): it is never held whole, as text or as
    # Python objects; clean reads its records again through the same source
    source = open_source(path, options, name, stream=fmt == "json")
    if source.data is not None and not source.data.strip():
        raise UserError("file is empty", file=name)
    if source.table is not None:
        rows, rejects, shape, n = _from_frame(pl.from_arrow(source.table), name, None, mapping,  # type: ignore[arg-type]
                                              id_field)
    elif fmt == "jsonl" and (fast := _jsonl_fast(source, mapping, max_line_bytes, id_field)) is not None:
        rows, rejects, shape, n = fast
    else:
        converted = _from_items(source.items(), name, mapping, id_field)
        if converted is None:
            what = {"json": "the JSON array holds no records", "csv": "CSV file has a header but no rows",
                    "tsv": "TSV file has a header but no rows"}.get(fmt, "no records")
            raise UserError(what, file=name, line=source.header_line)
        rows, rejects, shape, n = converted
    rows, long_rejects = _drop_oversized(rows, name, max_field_chars, lambda f: user_field(shape.name, mapping, f))
    rejects = sorted(rejects + long_rejects, key=_order)
    info = SourceInfo(name, fmt, shape.name, n, rows.height, len(rejects), None if source.data is not None else source,
                      options, source.sha256)
    return rows.with_columns(pl.lit(name).alias("source_file")), rejects, info


def _jsonl_fast(source: Source, mapping: Mapping_ | None, max_line_bytes: int,
                id_field: str | None = None) -> Converted | None:
    """Polars reads a clean JSONL file column-wise; None sends it to the shared line-by-line reader
    (any line that is not strict JSON, is too long or is not UTF-8, or a shape one odd record hides).
    The file's bytes are checked a line at a time and, when every line holds a record and ends in ``\n``
    alone, handed to polars as they are: no list of lines, no joined copy (reading 1M rows: peak 1,995 -> 1,699 MiB)."""
    assert source.data is not None
    data = strip_bom(source.data)
    if b"\r" in data:  # \r and \r\n end lines too (as in the line-by-line reader): split them the same way
        lines = data.splitlines()
        numbers = [i + 1 for i, line in enumerate(lines) if line.strip()]
        body = b"\n".join(lines[n - 1] for n in numbers)
        del lines
    else:
        numbers = []
        for number, line in enumerate(io.BytesIO(data), 1):  # shares ``data``; one line object at a time
            if line.strip():
                numbers.append(number)
        body = data if len(numbers) == data.count(b"\n") + (not data.endswith(b"\n")) else \
            b"".join(line if line.endswith(b"\n") else line + b"\n" for line in io.BytesIO(data) if line.strip())
    nested: set[tuple[str, ...]] = set()
    read_keys = _READ_KEYS | (set(mapping.fields.values()) if mapping is not None else set())
    if not _all_strict(io.BytesIO(body), max_line_bytes, id_field, nested, read_keys):
        return None
    try:
        frame = pl.read_ndjson(body, infer_schema_length=None)
    except Exception:  # noqa: BLE001 - any failure sends us to the line-by-line reader
        return None
    if frame.height != len(numbers) or not frame.width:
        return None
    if any(not _nested_at(frame.schema.get(path[0]), path[1:]) for path in nested):
        return None  # polars wrote a list or object as its JSON text into a text column: reject it per line
    try:
        return _from_frame(frame, source.name, numbers, mapping, id_field)
    except UserError:  # the line-by-line reader tells the same problem, or the record that has it
        return None


def _containers(value: Any, path: tuple[str, ...], out: set[tuple[str, ...]]) -> None:
    """The paths (keys, ``[]`` for a list's items) of the lists and objects inside ``value`` (at ``path``)."""
    if isinstance(value, dict):
        out.add(path)
        for key, item in value.items():
            if isinstance(item, list | dict):
                _containers(item, (*path, key), out)
    elif isinstance(value, list):
        out.add(path)
        for item in value:
            if isinstance(item, list | dict):
                _containers(item, (*path, "[]"), out)


# the fields any shape reads text from: a float in one sends the file to the line-by-line reader
_READ_KEYS = frozenset(set(CHAT_KEYS.values()) | {c for columns in FLAT_COLUMNS.values() for c in columns.values()}
                       | {"system", "source", *CATEGORY_KEYS})


def _holds_float(value: Any) -> bool:
    """``value`` is a float or holds one, at any depth."""
    if isinstance(value, dict):
        return any(_holds_float(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_float(item) for item in value)
    return isinstance(value, float)


def _nested_at(dtype: Any, path: tuple[str, ...]) -> bool:
    """Whether polars kept a list or object at ``path`` under ``dtype`` as one (not as its JSON text in a
    String, which it does where another record holds text there: an OpenAI message's content as a string in
    one record and a list of parts in another)."""
    for step in path:
        if step == "[]" and isinstance(dtype, pl.List):
            dtype = dtype.inner
        elif isinstance(dtype, pl.Struct) and step in (fields_ := {f.name: f.dtype for f in dtype.fields}):
            dtype = fields_[step]
        else:
            return False
    return isinstance(dtype, pl.List | pl.Struct | pl.Array)


def _all_strict(lines: Iterable[bytes], max_line_bytes: int, id_field: str | None = None,
                nested: set[tuple[str, ...]] | None = None, text_keys: AbstractSet[str] = frozenset()) -> bool:
    """Whether every line (none blank) is strict JSON of at most ``max_line_bytes`` bytes (no duplicate
    keys, NaN/Infinity, lone surrogates, deep nesting): polars would keep the first of two keys or drop a
    lone surrogate without a word, so any such line sends the file to the line-by-line reader, which
    rejects it with its reason. So does an id (``id_field``) that is not a string or an integer: polars
    would turn a list into its JSON text. So does a float under one of ``text_keys`` (the fields read as
    text): polars gives a field one type, so beside a float 5 would read "5.0" and, beside a text, 1.0 "1".
    ``nested`` collects the paths (a key, then keys and ``[]`` within) that hold a list or an object in some
    record (the caller checks polars kept them as such)."""
    try:
        for line in lines:
            line = line.rstrip(b"\n")
            if len(line) > max_line_bytes:
                return False
            record = loads_strict(line.decode("utf-8"))
            if not isinstance(record, dict):
                return False
            if id_field is not None and (isinstance(record.get(id_field), bool)
                                         or not isinstance(record.get(id_field), str | int)):
                return False
            for key, value in record.items():
                if isinstance(value, str):
                    continue  # a text holds no float, list or object
                if key in text_keys and _holds_float(value):
                    return False
                if nested is not None and isinstance(value, list | dict):
                    _containers(value, (key,), nested)
    except (StrictJSONError, UnicodeDecodeError):
        return False
    return True


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


def _from_frame(frame: pl.DataFrame, name: str, lines: list[int] | None, mapping: Mapping_ | None,
                id_field: str | None = None) -> Converted:
    """Audit rows from a whole-file frame: column-wise for flat shapes, per record otherwise."""
    if frame.height == 0:
        raise UserError("no records", file=name)
    choice, other = _frame_shape(frame, name, mapping)
    shape = choice.name
    line_numbers = lines if lines is not None else list(range(1, frame.height + 1))
    flat = flat_columns_for(shape, mapping, frame.columns)
    text_ok = all(c in frame.columns and (frame.schema[c] == pl.String or frame.schema[c].is_numeric()
                                          or frame.schema[c] == pl.Null) for c in flat.values())
    # booleans and floats read as Python writes them ("true", "1e-05"), not as polars casts them ("0.00001")
    if not flat or not text_ok or any(frame.schema[c] == pl.Boolean or frame.schema[c].is_float() for c in flat.values()):
        records = list(zip(line_numbers, frame.to_dicts(), strict=True))
        return _from_records(records, name, mapping, [], shape=choice, id_field=id_field)
    required = {"instruction", "response"}
    cols = {f: pl.col(c).cast(pl.String) for f, c in flat.items()}
    out = frame.select(
        pl.Series("source_line", line_numbers, dtype=pl.Int64),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("source_record"),
        *[(cols[f].fill_null("") if f in cols else pl.lit("")).alias(f) for f in AUDIT_TEXT_FIELDS],
        pl.lit("").alias("context"),
        pl.lit(1, dtype=pl.Int64).alias("turns"),
        _category_expr(frame, mapping),
        pl.any_horizontal([cols[f].is_null() for f in required]).alias("_missing"),
        other.alias("_other"),
    )
    out = out.with_columns(pl.col("_missing") | pl.col("_other"))
    out = out.with_columns(_id_column(frame, id_field, name, line_numbers, ~out["_missing"]))
    rejects = []
    for row in out.filter("_missing").iter_rows(named=True):
        row_id = _id_if_any(frame[id_field][row["source_record"]]) if id_field in frame.columns else None
        misfit = choice.misfit(frame.row(row["source_record"], named=True)) if row["_other"] else None
        if misfit is not None:
            rejects.append(Reject(name, row["source_line"], misfit.reason, field=misfit.field,
                                  record=row["source_record"], id=row_id))
            continue
        f = next(f for f in ("instruction", "response") if frame[flat[f]][row["source_record"]] is None)
        rejects.append(Reject(name, row["source_line"], "missing or null field", field=flat[f],
                              record=row["source_record"], id=row_id))
    return out.filter(~pl.col("_missing")).drop("_missing", "_other"), rejects, choice, frame.height


def _frame_shape(frame: pl.DataFrame, name: str, mapping: Mapping_ | None) -> tuple[ShapeChoice, pl.Expr]:
    """The shape of a whole-file frame (as ``choose_shape`` decides it from its rows' non-null fields) and the
    rows of another shape (an expression over ``frame``: each is a reject, see ``ShapeChoice.misfit``)."""
    if mapping is not None:
        return ShapeChoice(_shape(frame.columns, name, mapping), frame.height, frame.height), pl.lit(False)
    fits = {s: pl.all_horizontal([pl.col(k).is_not_null() for k in keys]) if set(keys) <= set(frame.columns)
            else pl.lit(False) for s, (keys, _) in SHAPES.items()}
    families = {f: pl.any_horizontal([fits[s] for s in SHAPES if family_of(s) == f])
                for f in dict.fromkeys(map(family_of, SHAPES))}
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    counts = frame.select(*[fit.sum().alias(s) for s, fit in fits.items()],
                          *[fit.sum().alias(f"family:{f}") for f, fit in families.items()],
                          *[index.filter(fit).min().alias(f"first:{f}") for f, fit in families.items()]
                          ).row(0, named=True)
    choice = choose_shape({s: counts[s] for s in fits}, {f: counts[f"family:{f}"] for f in families}, frame.height,
                          {f: counts[f"first:{f}"] for f in families if counts[f"first:{f}"] is not None})
    if choice is None:
        return ShapeChoice(_shape(frame.columns, name, None), 0, frame.height), pl.lit(False)
    return choice, ~families[family_of(choice.name)] & pl.any_horizontal(list(fits.values()))


def _category_expr(frame: pl.DataFrame, mapping: Mapping_ | None) -> pl.Expr:
    """A row's category as the records path reads it (``_category``): the first of the keys holding a text or
    an integer in that row, then ``source.task``."""
    mapped = mapping is not None and "category" in mapping.fields
    keys = [mapping.fields["category"]] if mapping is not None and mapped else list(CATEGORY_KEYS)
    parts = [pl.col(key).cast(pl.String) for key in keys
             if key in frame.columns and (frame.schema[key] == pl.String or frame.schema[key].is_integer())]
    source = frame.schema.get("source")
    if not mapped and isinstance(source, pl.Struct) and any(f.name == "task" and f.dtype == pl.String
                                                            for f in source.fields):
        parts.append(pl.col("source").struct.field("task"))
    return (pl.coalesce(parts) if parts else pl.lit(None, dtype=pl.String)).alias("category")


def _from_items(items: Iterable[Item], name: str, mapping: Mapping_ | None, id_field: str | None
                ) -> Converted | None:
    """Audit rows from a source's items, converted ``RECORD_BATCH`` records at a time (the rows of the whole
    input are held as tables, its records only a batch at a time): the rows and rejects ``_from_records``
    gives for all the records at once, in the same order. The shape is read off the first 1,000 good
    records, as there. None when there is no record at all."""
    frames: list[pl.DataFrame] = []
    read_rejects: list[Reject] = []
    later_rejects: list[Reject] = []  # conversion rejects (after every read reject, as for all at once)
    pending: list[tuple[int, Any]] = []
    shape: ShapeChoice | None = None
    good = done = 0
    for item in items:
        if isinstance(item, Reject):
            read_rejects.append(replace(item, record=done + len(pending)))
            pending.append((item.line, _REJECTED))
        else:
            pending.append((item.line, item.fields))
            good += isinstance(item.fields, dict)
        if len(pending) >= RECORD_BATCH and (shape is not None or good >= SHAPE_RECORDS):
            frame, _, shape, _ = _from_records(pending, name, mapping, later_rejects, shape, id_field, done)
            frames.append(frame)
            done += len(pending)
            pending = []
    if not done and not pending:
        return None
    if not frames:  # everything in one call, as before batches (the shape may still be unknown)
        return _from_records(pending, name, mapping, read_rejects, shape, id_field)
    if pending:
        frames.append(_from_records(pending, name, mapping, later_rejects, shape, id_field, done)[0])
    assert shape is not None
    return pl.concat(frames, how="vertical").rechunk(), read_rejects + later_rejects, shape, done + len(pending)


def _from_records(records: list[tuple[int, Any]], name: str, mapping: Mapping_ | None,
                  rejects: list[Reject], shape: ShapeChoice | None = None, id_field: str | None = None,
                  offset: int = 0) -> Converted:
    """Audit rows from (line, record) pairs; a record ``_REJECTED`` was already rejected. ``offset``: the
    position of the first record among the input's records. The shape, unless given, is decided by the first
    ``SHAPE_RECORDS`` good records (``choose_shape``); a record of another shape is a reject saying so."""
    good = [r for _, r in records if isinstance(r, dict)]
    if shape is None:
        if not good:
            first = rejects[0] if rejects else None
            reason = f"no readable record (first problem: line {first.line}: {first.reason})" if first else "no records"
            raise UserError(reason, file=name, line=first.line if first else None)
        sample = good[:SHAPE_RECORDS]
        shape = None if mapping is not None else choose_shape(*count_shapes(sample))
        if shape is None:  # --map, or no record has any shape's fields: the union of the fields tells
            keys: dict[str, None] = {}
            for rec in sample:
                keys.update(dict.fromkeys(rec))
            shape = ShapeChoice(_shape(keys, name, mapping), 0, len(sample))
    convert = converter_for(shape.name, mapping)
    rows: list[dict[str, Any]] = []
    for index, (line, record) in enumerate(records):
        if record is _REJECTED:
            continue
        if not isinstance(record, dict):
            rejects.append(Reject(name, line, f"expected a JSON object, got {json_kind(record)}",
                                        record=offset + index))
            continue
        row_id = _id_if_any(record.get(id_field)) if id_field else None  # for a reject
        misfit = shape.misfit(record)
        if misfit is not None:
            rejects.append(Reject(name, line, misfit.reason, field=misfit.field, record=offset + index, id=row_id))
            continue
        try:
            row = convert(record)
        except RowError as exc:
            rejects.append(Reject(name, line, exc.reason, field=exc.field, record=offset + index, id=row_id))
            continue
        row["source_line"], row["source_record"] = line, offset + index
        row["id"] = _id_value(record, id_field, name, line) if id_field is not None else None
        rows.append(row)
    schema = {k: v for k, v in TABLE_SCHEMA.items() if k not in ("row_id", "source_file")}
    frame = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    return frame, rejects, shape, len(records)


def _drop_oversized(rows: pl.DataFrame, name: str, max_chars: int,
                    column: Callable[[str], str] = str) -> tuple[pl.DataFrame, list[Reject]]:
    """Rows with a text field over ``max_chars`` characters, as rejects naming the user's ``column`` for it."""
    lengths = rows.select([pl.col(f).str.len_chars().alias(f) for f in AUDIT_TEXT_FIELDS])
    too_long = pl.any_horizontal([pl.col(f) > max_chars for f in AUDIT_TEXT_FIELDS])
    bad = lengths.with_row_index("_i").filter(too_long)
    if bad.height == 0:
        return rows, []
    rejects = []
    for row in bad.iter_rows(named=True):
        f = next(f for f in AUDIT_TEXT_FIELDS if row[f] > max_chars)
        rejects.append(Reject(name, rows["source_line"][row["_i"]],
                              f"field {column(f)!r} has {row[f]:,} characters, over the {max_chars:,} limit",
                              field=column(f), record=rows["source_record"][row["_i"]], id=rows["id"][row["_i"]]))
    keep = pl.Series([True] * rows.height)
    keep[bad["_i"].to_list()] = False
    return rows.filter(keep), rejects
