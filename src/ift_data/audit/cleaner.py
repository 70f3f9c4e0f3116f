"""``ift-data clean``: keep the rows no removal flag fires on, written in the input's own format, and
write every removed row (audit flags or read rejects) to ``rejected.jsonl`` with its reasons, cluster id
and the kept copy: ``representative_id`` (its row_id) and, with ``--id``, ``id`` and ``kept_id`` (the
dataset's own ids). The kept copy of a duplicate cluster is its best row by the keep order of
``audit/kept_copy.py``; when that row was removed too (another cluster, a noise flag), the chain of clusters
is followed to a row that was kept (null when none was). Rows in = kept + rejected = rows written + rejected, always (checked
before returning). Nothing is read or written when ``--out`` is, holds or lies inside an input, or when an
input is given twice; kept files never take the name of an output (see ``audit/out_paths.py``)."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from ift_data.audit.kept_copy import DUPLICATE_FAMILIES
from ift_data.audit.options import AuditOptions
from ift_data.audit.out_paths import (
    check_clean_out,
    check_paths,
    check_signals_match,
    check_signals_settings,
    clean_owned,
    kept_names,
)
from ift_data.audit.rules import FLAGS, load_rules
from ift_data.audit.runner import SIGNALS_FILE, SUMMARY_FILE, AuditResult, audit_into, read_inputs
from ift_data.audit.summary import AuditSummary, SignalRun
from ift_data.builder.outdir import discard, replace_dir, work_dir
from ift_data.errors import UserError
from ift_data.io.atomic import atomic_open, dumps_json_line, write_json
from ift_data.io.instructions import SourceInfo
from ift_data.io.paths import real_path
from ift_data.io.sources import write_kept
from ift_data.io.sources.base import strip_bom
from ift_data.schema import RawRow, Reject

REJECTED_FILE = "rejected.jsonl"
CLEAN_FILE = "clean.json"
MAX_RAW_CHARS = 10_000


@dataclass
class CleanResult:
    rows_in: int
    kept: int
    rejected: int
    outputs: list[Path] = field(default_factory=list)
    rejected_path: Path | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    audit: AuditResult | None = None
    # flags of the rules' clean.remove that the signals lack (a signal skipped), each with why: not applied
    not_applied: dict[str, str] = field(default_factory=dict)


def run_clean(paths: Sequence[str | Path], out_dir: str | Path, options: AuditOptions | None = None,
              console: Any = None, signals: str | Path | None = None,
              remove: Sequence[str] | None = None) -> CleanResult:
    """Audit (or reuse ``signals``: an audit folder or its signals.parquet), then write kept and rejected rows.
    ``remove``: the flags to remove (None: the rules' ``clean.remove``; []: none).

    Everything is written into a fresh folder beside ``out_dir`` and swapped in at the end: the folder then
    holds this run's files only (an earlier clean's kept files, listed in its ``clean.json``, are gone; an
    audit's files stay only when they are this run's ``signals``), and a failed run leaves it as it was. An
    ``out_dir`` holding anything else is refused before any work (``check_clean_out``)."""
    options = options or AuditOptions()
    out = Path(out_dir)
    check_paths(paths, out)
    check_clean_out(out)
    keep_audit = signals is not None and _same_folder(Path(signals), out)
    work = work_dir(out)
    try:
        result = _clean_into(work, paths, options, console, signals, remove)
        check_clean_out(out)  # again: something may have been put there meanwhile
        replace_dir(work, out, clean_owned(out, keep_audit) if out.is_dir() else set())
    finally:
        discard(work)
    return replace(result, outputs=[out / p.name for p in result.outputs], rejected_path=out / REJECTED_FILE,
                   audit=replace(result.audit, out_dir=out) if result.audit is not None else None)


def _same_folder(signals: Path, out: Path) -> bool:
    """Whether ``signals`` (an audit folder or its signals.parquet) is in ``out`` itself."""
    folder = signals if signals.is_dir() or signals.suffix != ".parquet" else signals.parent
    return real_path(folder) == real_path(out)


def parse_remove(text: str | None) -> list[str] | None:
    """``--remove``: None (not given: the rules' ``clean.remove``), ``none`` (remove nothing: []) or
    comma-separated flags, with or without their ``flag_`` prefix. An empty value, or a flag no signal writes
    (``rules.FLAGS``), is an error."""
    if text is None:
        return None
    names = [f.strip() for f in text.split(",") if f.strip()]
    if not names:
        raise UserError("--remove is empty: name the flags to remove, or give --remove none to remove nothing "
                        "(leave --remove out for the rules' clean.remove)", field="--remove")
    if any(n.lower() == "none" for n in names):
        if len(names) > 1:
            raise UserError("--remove none removes nothing: give it alone, not with other flags", field="--remove")
        return []
    flags = list(dict.fromkeys(n if n.startswith("flag_") else f"flag_{n}" for n in names))  # each flag once
    for flag in flags:  # a typo is refused before the audit runs, not after it
        if flag not in FLAGS:
            close = difflib.get_close_matches(flag.removeprefix("flag_"), [f.removeprefix("flag_") for f in FLAGS], n=1)
            hint = f" (did you mean 'flag_{close[0]}'?)" if close else ""
            raise UserError(f"unknown flag {flag!r}{hint}; valid flags: {', '.join(FLAGS)}", field="--remove")
    return flags


def _clean_into(out: Path, paths: Sequence[str | Path], options: AuditOptions, console: Any,
                signals: str | Path | None, remove: Sequence[str] | None) -> CleanResult:
    """``run_clean``'s work, written into ``out`` (the fresh work folder)."""
    audit = None
    if signals is None:
        audit = audit_into(out, paths, options, console)
        table, table_signals, sources, read_rejects = audit.table, audit.signals, audit.sources, audit.rejects
        families, rules, runs = audit.flag_families, audit.summary.rules.values, audit.summary.signals
    else:
        table_signals, summary = _load_signals(Path(signals))
        families, runs = summary.flag_families, summary.signals
        loaded_rules = load_rules(options.rules)
        check_signals_settings(summary, options.mapping, options.id_field, loaded_rules.path, loaded_rules.values,
                               signals)
        rules = loaded_rules.values
        data = read_inputs(paths, options, rules)
        table, sources, read_rejects = data.table, data.sources, data.rejects
        check_signals_match(summary, sources, read_rejects, signals)
        if table_signals.height != table.height:
            raise UserError(f"signals cover {table_signals.height} rows but the data has {table.height}: "
                            "audit this data again", file=str(signals))
    if remove is not None:
        _check_remove(remove, [c for c in table_signals.columns if c.startswith("flag_")], runs)
    wanted = list(remove) if remove is not None else rules.get("clean", {}).get("remove", [])
    flags = [f for f in wanted if f in table_signals.columns]
    not_applied = {f: _why_absent(f, runs) for f in wanted if f not in table_signals.columns}
    removed = table_signals.select(pl.any_horizontal(flags) if flags else pl.repeat(False, table.height)).to_series()
    removed = removed.fill_null(False)
    rejected_rows, reasons = _audit_rejects(table, table_signals, removed, flags, families)
    outputs = []
    kept_table = table.filter(~removed)
    # by record position: unique per file, where source_line (the physical line) may be shared
    plan = [(source, name, sorted(set(kept_table.filter(pl.col("source_file") == source.path)["source_record"])))
            for source, name in zip(sources, kept_names(sources), strict=True)]
    written = {name: len(lines) for _, name, lines in plan}
    if sum(written.values()) != kept_table.height:  # pragma: no cover - checked before any write
        raise RuntimeError(f"row accounting broken: {kept_table.height} kept, {sum(written.values())} to write")
    for source, name, lines in plan:
        _write_kept(source, lines, out / name)
        outputs.append(out / name)
    records = _attach_records(rejected_rows, sources)
    raws = _RawTexts(sources, read_rejects)
    for reject in read_rejects:
        raw, replaced = raws.get(reject)
        records.append({"row_id": None, "id": reject.id, "source_file": reject.file, "source_line": reject.line,
                        "source_record": reject.record, "stage": "read",
                        "reasons": [reject.reason], "field": reject.field, "cluster_id": None,
                        "representative_id": None, "kept_id": None, "raw": raw,
                        "raw_decoded_with_replacement": replaced})
        reasons["read"] = reasons.get("read", 0) + 1
    with atomic_open(out / REJECTED_FILE) as fh:
        for record in records:
            fh.write(dumps_json_line(record) + "\n")
    rows_in = sum(s.records for s in sources)
    result = CleanResult(rows_in, kept_table.height, len(records), outputs, out / REJECTED_FILE,
                         dict(sorted(reasons.items())), audit, not_applied)
    if result.kept + result.rejected != rows_in or sum(written.values()) != result.kept:  # pragma: no cover
        raise RuntimeError(f"row accounting broken: {rows_in} in, {result.kept} kept ({sum(written.values())} "
                           f"written), {result.rejected} rejected")
    write_json(out / CLEAN_FILE, {"rows_in": rows_in, "kept": result.kept, "rejected": result.rejected,
                                  "reasons": result.reasons, "remove": flags, "not_applied": not_applied,
                                  "outputs": [p.name for p in outputs],  # names in this folder, one per input
                                  "written": written})
    return result


def _why_absent(flag: str, runs: dict[str, SignalRun]) -> str:
    """Why the signals lack ``flag``: its signal did not run (and why), or no signal of the audit writes it."""
    owner = next((name for name, run in runs.items() if flag in run.flags), None) or next(
        (family for family, (_, duplicate_flag) in DUPLICATE_FAMILIES.items() if duplicate_flag == flag), None)
    run = runs.get(owner) if owner is not None else None
    if run is not None and run.status != "ok":
        return f"signal {owner} {run.status}: {run.reason}"
    not_run = [f"{name} {run.status}" for name, run in runs.items() if run.status != "ok"]
    return "no signal of this audit writes it" + (f" (not run: {', '.join(not_run)})" if not_run else "")


def _check_remove(remove: Sequence[str], valid: list[str], runs: dict[str, SignalRun]) -> None:
    """An explicit ``--remove`` flag this audit did not write is an error naming the valid flags and, when
    a signal did not run, which one and why (its flags are then absent)."""
    unknown = [f for f in remove if f not in valid]
    if not unknown:
        return
    not_run = {name: run for name, run in runs.items() if run.status != "ok"}
    owner = next((name for name, run in not_run.items() if unknown[0] in run.flags), None)
    if owner is not None:
        why = f"flag {unknown[0]!r} comes from signal {owner}, which was {not_run[owner].status}: {not_run[owner].reason}"
    else:
        why = f"unknown flag {unknown[0]!r}"
        if not_run:
            why = f"flag {unknown[0]!r} is not in this audit (a typo, or a flag of a signal that did not run: " \
                + ", ".join(f"{name} {run.status}: {run.reason}" for name, run in not_run.items()) + ")"
    raise UserError(f"{why}; valid flags: {', '.join(valid) or 'none'}", field="remove")


def _load_signals(path: Path) -> tuple[pl.DataFrame, AuditSummary]:
    folder = path if path.is_dir() else path.parent
    file = folder / SIGNALS_FILE if path.is_dir() else path
    if not file.is_file():
        raise UserError("no signals.parquet here: run `ift-data audit` first", file=str(path))
    summary = AuditSummary.load(folder / SUMMARY_FILE)
    return pl.read_parquet(file), summary


def _audit_rejects(table: pl.DataFrame, signals: pl.DataFrame, removed: pl.Series, flags: list[str],
                   families: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    ids = table["id"] if "id" in table.columns else pl.Series("id", [None] * table.height, dtype=pl.String)
    if ids.null_count() == ids.len() and "id" in signals.columns:  # --signals from an audit run with --id
        ids = signals["id"]
    picked = pl.concat([table.select("row_id", "source_file", "source_line", "source_record"), ids.to_frame("id"),
                        signals.drop([c for c in ("row_id", "id") if c in signals.columns])],
                       how="horizontal").filter(removed)
    id_of = dict(zip(table["row_id"].to_list(), ids.to_list(), strict=True))
    kept = _KeptCopies(signals, removed, flags, families)
    out: list[dict[str, Any]] = []
    reasons: dict[str, int] = {}
    for row in picked.iter_rows(named=True):
        why = [f for f in flags if row[f]]
        cluster = None
        for f in sorted(why, key=_priority):
            column = f"{families.get(f, '')}_cluster"
            if row.get(column) is not None:
                cluster = row[column]
                break
        for f in why:
            reasons[f] = reasons.get(f, 0) + 1
        kept_row = kept.of(row["row_id"])
        out.append({"row_id": row["row_id"], "id": row["id"], "source_file": row["source_file"],
                    "source_line": row["source_line"], "source_record": row["source_record"], "stage": "audit",
                    "reasons": why, "cluster_id": cluster, "representative_id": kept_row,
                    "kept_id": id_of.get(kept_row) if kept_row is not None else None})
    return out, reasons


_DUPLICATE_PRIORITY = {flag: i for i, (_, flag) in enumerate(DUPLICATE_FAMILIES.values())}


def _priority(flag: str) -> int:
    """Exact before near before semantic duplicates, then every other flag in its order."""
    return _DUPLICATE_PRIORITY.get(flag, len(_DUPLICATE_PRIORITY))


class _KeptCopies:
    """The row kept for a removed duplicate: its clusters' best rows (exact first), and where one of those
    was removed too, that row's own clusters, until a kept row is reached (None when there is none)."""

    def __init__(self, signals: pl.DataFrame, removed: pl.Series, flags: list[str], families: dict[str, str]) -> None:
        self._row_ids = signals["row_id"].to_list()
        self._position = {r: i for i, r in enumerate(self._row_ids)}
        self._removed = removed.to_list()
        dup = sorted((f for f in flags if f in _DUPLICATE_PRIORITY), key=_priority)
        self._columns = [(signals[f].fill_null(False).to_list(), signals[f"{families.get(f, '')}_cluster"].to_list())
                         for f in dup if f"{families.get(f, '')}_cluster" in signals.columns]

    def _targets(self, i: int) -> list[int]:
        out = []
        for flagged, cluster in self._columns:
            if flagged[i] and cluster[i] is not None and cluster[i] != self._row_ids[i] and cluster[i] in self._position:
                out.append(self._position[cluster[i]])
        return out

    def of(self, row_id: int) -> int | None:
        start = self._position[row_id]
        queue, seen = self._targets(start), {start}
        while queue:
            j = queue.pop(0)
            if j in seen:
                continue
            seen.add(j)
            if not self._removed[j]:
                return int(self._row_ids[j])
            queue.extend(self._targets(j))
        return None


# ---- original records, in the input's own format, through the source layer ------------------------

def _attach_records(rows: list[dict[str, Any]], sources: list[SourceInfo]) -> list[dict[str, Any]]:
    by_file: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_file.setdefault(row["source_file"], []).append(row)
    for source in sources:
        members = by_file.get(source.path, [])
        if members:
            originals = _records(source, {m["source_record"] for m in members})
            for member in members:
                member["record"] = originals.get(member["source_record"])
    return rows


def _records(source: SourceInfo, positions: set[int]) -> dict[int, Any]:
    """The original records at ``positions`` (0-based, among the file's records), read through the source layer."""
    return {index: _json_value(item.fields) for index, item in enumerate(source.reopened().items())
            if isinstance(item, RawRow) and index in positions}


def _json_value(value: Any) -> Any:
    """A record's value as rejected.jsonl can hold it: a value JSON has no form for (a Parquet or ``save_to_disk``
    NaN or infinity, timestamp, date, Decimal, bytes) as its text, as a read reject's ``raw`` writes it."""
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else json.dumps(value)  # "NaN", "Infinity", "-Infinity"
    return str(value)


def _write_kept(source: SourceInfo, kept_records: list[int], target: Path) -> None:
    write_kept(source.reopened(), source.options, kept_records, target)


class _RawTexts:
    """The original text of each read reject (cut to MAX_RAW_CHARS), so a rejected row is never lost silently:
    its line for line-based inputs (JSONL, CSV, TSV; each input split once), else (a JSON array, Parquet, a
    ``save_to_disk`` folder) its record as JSON, found by its position (``Reject.record``; one pass over
    an input's records for all its rejects) where the reader got a record at all (a record that is not an
    object, ``5`` or ``null`` in an array, comes with its reject: ``Reject.raw``). ``get`` also says whether
    invalid UTF-8 in the line was replaced by U+FFFD (the raw text is then not the original bytes)."""

    def __init__(self, sources: list[SourceInfo], rejects: Sequence[Reject]) -> None:
        self._sources = {s.path: s for s in sources}
        self._lines: dict[str, list[bytes]] = {}
        self._wanted: dict[str, set[int]] = {}
        for reject in rejects:
            record = reject.record
            source = self._sources.get(reject.file)
            if record is not None and source is not None and source.format not in _LINE_FORMATS:
                self._wanted.setdefault(reject.file, set()).add(record)
        self._records: dict[str, dict[int, Any]] = {}

    def get(self, reject: Reject) -> tuple[str | None, bool]:
        source = self._sources.get(reject.file)
        if source is None:
            return None, False
        if source.format in _LINE_FORMATS:
            return self._line(source, reject.line)
        if reject.raw is not None:  # a record that is not an object, as the reader gave it
            return _cut(reject.raw), False
        record = reject.record
        if record is None or reject.file not in self._wanted:
            return None, False
        if reject.file not in self._records:
            self._records[reject.file] = _records(source, self._wanted[reject.file])
        if record not in self._records[reject.file]:
            return None, False  # the reader got no record there (not an object, not valid JSON)
        return _cut(json.dumps(self._records[reject.file][record], ensure_ascii=False, default=str)), False

    def _line(self, source: SourceInfo, line: int) -> tuple[str | None, bool]:
        if source.path not in self._lines:
            data = source.reopened().data
            if data is None:
                return None, False
            self._lines[source.path] = strip_bom(data).splitlines()
        lines = self._lines[source.path]
        if not 0 < line <= len(lines):
            return None, False
        try:
            return _cut(lines[line - 1].decode("utf-8")), False
        except UnicodeDecodeError:
            return _cut(lines[line - 1].decode("utf-8", errors="replace")), True


_LINE_FORMATS = ("jsonl", "csv", "tsv")


def _cut(raw: str) -> str:
    return raw if len(raw) <= MAX_RAW_CHARS else raw[:MAX_RAW_CHARS] + f"... [{len(raw):,} characters]"
