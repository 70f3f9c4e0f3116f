"""Run an audit: read, run every registered signal (timed, with a progress bar), write
``signals.parquet`` and ``summary.json``.

Determinism: everything in ``summary.json`` except the top-level ``timings`` key is a function of the
inputs, the rules and the seed.
"""

from __future__ import annotations

import importlib
import io
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.options import AuditOptions
from ift_data.audit.registry import load_signals
from ift_data.audit.rules import load_rules
from ift_data.errors import UserError
from ift_data.io.atomic import atomic_open, write_json
from ift_data.io.instructions import InstructionData, SourceInfo, read_instructions
from ift_data.schema import Reject

SIGNALS_FILE = "signals.parquet"
SUMMARY_FILE = "summary.json"


@dataclass
class AuditResult:
    """Everything an audit produced; ``summary`` is what ``summary.json`` holds."""

    out_dir: Path
    table: pl.DataFrame  # the audit table (see audit/base.py)
    signals: pl.DataFrame  # row_id + every signal column and flag
    summary: dict[str, Any]
    rejects: list[Reject] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)
    flag_families: dict[str, str] = field(default_factory=dict)  # flag column -> signal family

    @property
    def timings(self) -> dict[str, Any]:
        return self.summary["timings"]

    @property
    def flags(self) -> list[str]:
        return [c for c in self.signals.columns if c.startswith("flag_")]


def run_audit(paths: Sequence[str | Path], out_dir: str | Path, options: AuditOptions | None = None,
              console: Console | None = None) -> AuditResult:
    options = options or AuditOptions()
    out = Path(out_dir)
    started = time.perf_counter()
    rules = load_rules(options.rules)
    read_settings = rules.values.get("read", {})
    data = read_instructions(paths, options.mapping,
                             max_line_bytes=read_settings.get("max_line_bytes", 16 * 2**20),
                             max_field_chars=options.max_field_chars or read_settings.get("max_field_chars", 1_000_000),
                             max_rows=options.max_rows)
    timings: dict[str, Any] = {"read": time.perf_counter() - started, "signals": {}}
    table = data.table
    ctx = AuditContext(rules=rules.values, seed=options.seed, tokenizer=_load_tokenizer(options.tokenizer),
                       knn=_lazy_knn(table, options, timings), options=options)
    columns: dict[str, pl.Series] = {}
    flags: dict[str, pl.Series] = {}
    flag_families: dict[str, str] = {}
    statuses: dict[str, dict[str, Any]] = {}
    registered = load_signals(options.signals)
    with Progress(TextColumn("[bold]audit[/] {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console or Console(stderr=True), transient=True,
                  disable=not options.progress) as progress:
        task = progress.add_task("", total=len(registered))
        for entry in registered:
            progress.update(task, description=entry.name)
            statuses[entry.name] = _run_one(entry, table, ctx, options, columns, flags, flag_families, timings)
            progress.advance(task)
    signals = pl.DataFrame([table["row_id"], *columns.values(), *flags.values()])
    summary = _summary(data, rules.path, rules.values, options, statuses, signals, flag_families)
    write_started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()  # polars would turn a failed write (disk full) into a ComputeError: write ourselves
    signals.write_parquet(buffer, compression="zstd", statistics=False)
    with atomic_open(out / SIGNALS_FILE, "wb") as fh:
        fh.write(buffer.getbuffer())
    timings["write"] = time.perf_counter() - write_started
    timings["total"] = time.perf_counter() - started
    summary["timings"] = _rounded(timings)
    write_json(out / SUMMARY_FILE, summary)
    return AuditResult(out, table, signals, summary, data.rejects, data.sources, flag_families)


def _run_one(entry, table: pl.DataFrame, ctx: AuditContext, options: AuditOptions, columns, flags,
             flag_families, timings) -> dict[str, Any]:
    if entry.cls is None:
        return {"status": "missing", "reason": entry.missing}
    signal = entry.cls()
    if getattr(signal, "needs_embeddings", False):
        if not options.embeddings:
            return {"status": "skipped", "reason": "embeddings off (--no-embeddings)"}
        if ctx.knn() is None:
            return {"status": "skipped", "reason": "no kNN graph (ift_data.embed unavailable)"}
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
                flag_families[name] = entry.name
            target[name] = series.alias(name)
    return {"status": "ok", "summary": _jsonable(result.summary)}


def _lazy_knn(table: pl.DataFrame, options: AuditOptions, timings: dict[str, Any]) -> Callable[[], Any | None]:
    """``ctx.knn``: builds the kNN graph once, on first use, via ``ift_data.embed.knn_provider``."""
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
                    state["graph"] = provider(table, options)()
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
        return Tokenizer.from_file(str(p))
    except Exception as exc:  # noqa: BLE001
        raise UserError(f"cannot load tokenizer: {exc}", file=str(p), field="--tokenizer") from exc


def _summary(data: InstructionData, rules_path: str, rules: dict[str, Any], options: AuditOptions,
             statuses: dict[str, Any], signals: pl.DataFrame, flag_families: dict[str, str]) -> dict[str, Any]:
    n = signals.height
    flag_cols = [c for c in signals.columns if c.startswith("flag_")]
    counts = signals.select([pl.col(c).sum() for c in flag_cols]).row(0) if flag_cols else ()
    remove = [f for f in rules.get("clean", {}).get("remove", []) if f in flag_cols]
    removed = int(signals.select(pl.any_horizontal(remove).sum()).item()) if remove else 0
    reasons: dict[str, int] = {}
    for reject in data.rejects:
        reasons[reject.reason.split(":")[0]] = reasons.get(reject.reason.split(":")[0], 0) + 1
    return {
        "rows": {"in": data.rows_in, "audited": n, "rejected_on_read": len(data.rejects)},
        "inputs": [s.to_json() for s in data.sources],
        "read_rejects": [r.to_json() for r in data.rejects],
        "read_reject_reasons": dict(sorted(reasons.items())),
        "flags": {c: {"count": int(k), "share": round(int(k) / n, 6) if n else 0.0, "signal": flag_families[c]}
                  for c, k in zip(flag_cols, counts, strict=True)},
        "clean": {"remove": remove, "rows_removed": removed, "rows_kept": n - removed},
        "signals": statuses,
        "rules": {"path": rules_path, "values": rules},
        "options": {k: v for k, v in options.to_json().items() if k != "progress"},
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("ift-data", "polars", "pyarrow", "numpy", "datasketch", "langdetect"):
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
