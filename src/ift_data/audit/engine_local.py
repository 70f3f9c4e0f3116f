"""Where an audit's signals run: ``--engine local`` (this machine, the default) or ``--engine ray``
(``audit/engine_ray.py``: per-row phases and MinHash banding on Ray Data).

An engine is a context manager (it starts and stops whatever it needs) that makes the signal object the
runner calls for each registered family; both engines give the same ``signals.parquet`` and
``summary.json`` (timings aside).

The local engine runs each per-row phase (``audit/row_phase.py``: length, language, noise, difficulty
without ``--ifd-model``, format_concentration, use_case) over batches of ``row_pool.ROW_BATCH`` rows: in
``--workers N`` worker processes (``audit/row_pool.py``; default: every usable core) when the table has
more than one batch, else in this process; then the family's ``finalize`` on the whole table here. Every
other signal runs on the whole table in this process. Results do not depend on N
(``tests/audit/test_workers.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Protocol

import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.options import AuditOptions
from ift_data.audit.registry import Registered
from ift_data.audit.row_phase import UNSHIPPED_COLUMNS, RowPhased, has_row_phase, row_phase
from ift_data.errors import UserError
from ift_data.io.workers import resolve_workers

ENGINES = ("local", "ray")


class Engine(Protocol):
    name: str

    def __enter__(self) -> Engine: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def signal(self, entry: Registered) -> Any:
        """The object whose ``compute(table, ctx)`` the runner calls for ``entry`` (its class is present)."""
        ...


FeaturesOf = Callable[[RowPhased, pl.DataFrame, AuditContext], pl.DataFrame]


class PhasedSignal:
    """A family with a per-row phase: its features gathered by the engine (``features_of``), then its
    ``finalize`` on the whole table."""

    needs_embeddings: ClassVar[bool] = False

    def __init__(self, phase: RowPhased, features_of: FeaturesOf) -> None:
        self.phase, self.features_of = phase, features_of
        self.name = phase.name

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        features = self.features_of(self.phase, table, ctx)
        if features.height != table.height:
            raise RuntimeError(f"signal {self.name}: {features.height} rows of features for {table.height} rows")
        return self.phase.finalize(features, table, ctx)


class LocalEngine:
    """Per-row phases over row batches in worker processes (or in this process), the rest in this process."""

    name = "local"

    def __init__(self, options: AuditOptions | None = None, timings: dict[str, Any] | None = None) -> None:
        self.options = options or AuditOptions()
        self.timings = timings if timings is not None else {}
        self.workers = resolve_workers(self.options.workers)
        self._pool: Any = None  # a row_pool.RowPool, started when a table first needs it

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._pool is not None:
            if kind is None:
                self._pool.close()
            else:
                self._pool.terminate()
            self._pool = None

    def signal(self, entry: Registered) -> Any:
        assert entry.cls is not None
        instance = entry.cls()
        phase = row_phase(entry.name, instance, self.options)
        return PhasedSignal(phase, self.row_features) if phase is not None else instance

    def uses_pool(self, table: pl.DataFrame) -> bool:
        """More than one worker and more than one batch of rows."""
        from ift_data.audit import row_pool

        return self.workers > 1 and table.height > row_pool.ROW_BATCH

    def start_workers(self, table: pl.DataFrame, ctx: AuditContext, registered: list[Registered]) -> None:
        """Start the worker processes before the signals run, when some family's per-row phase will use
        them (their start is ``timings["workers_start"]``, not part of a signal's time)."""
        if self._pool is not None or not self.uses_pool(table) \
                or not any(has_row_phase(e.name, e.cls, self.options) for e in registered):
            return
        from ift_data.audit import row_pool

        started = time.perf_counter()
        self._pool = row_pool.RowPool(self.workers, ctx.rules, self.options)
        self._pool.start()
        self.timings["workers_start"] = time.perf_counter() - started

    def row_features(self, phase: RowPhased, table: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame:
        """``phase``'s features of ``table``: in the worker processes when there is more than one batch
        and more than one worker, else batch by batch in this process."""
        from ift_data.audit import row_pool

        if self.uses_pool(table):
            if self._pool is None:
                self._pool = row_pool.RowPool(self.workers, ctx.rules, self.options)
            return self._pool.features(phase.name, table.drop(UNSHIPPED_COLUMNS, strict=False))
        parts = [phase.row_features(batch, ctx) for batch in row_pool.row_batches(table)]
        return pl.concat(parts, how="vertical_relaxed") if len(parts) > 1 else parts[0]


def open_engine(options: AuditOptions, timings: dict[str, Any]) -> Engine:
    """The engine ``options.engine`` names (Ray is imported only when asked for)."""
    if options.engine == "local":
        if options.ray_address:
            raise UserError("--ray-address needs --engine ray", field="--ray-address")
        return LocalEngine(options, timings)
    if options.engine == "ray":
        if options.workers is not None:
            raise UserError("--workers is for --engine local (Ray runs as many tasks as its cluster has CPUs)",
                            field="--workers")
        from ift_data.audit.engine_ray import RayEngine

        return RayEngine(options, timings)
    raise UserError(f"unknown engine {options.engine!r}; use one of {', '.join(ENGINES)}", field="--engine")
