"""Per-row phases over row batches in worker processes (``ift-data audit --workers N``).

The table is cut into batches of up to ``ROW_BATCH`` rows (``pool_batch_rows``); each batch goes to a
worker process, which runs the family's ``row_features`` (``audit/row_phase.py``) and sends the features
back; the driver takes them in row order, with at most ``IN_FLIGHT`` batches a worker handed out ahead
(memory stays bounded by the batches in flight, not the table). The same function runs in this process
with ``--workers 1``.

Processes come from a ``forkserver`` context, not ``fork``: a child forked from a process that has used
polars' thread pool deadlocks in its first parallel polars call (the pool's threads do not survive the
fork). The fork server is a fresh interpreter that imports the audit modules once; each worker is forked
from it, loads the fastText model (``lid.176.ftz``, about 2 MB of memory) on its first batch, and keeps it.
The fork server imports polars with POLARS_MAX_THREADS = cores // workers (1 with the default N = cores):
the per-row phases are mostly Python, and N workers with a full polars thread pool each would
oversubscribe the cores.
Workers ignore SIGINT: on Ctrl-C the driver gets the ``KeyboardInterrupt``, terminates the workers and
re-raises, so nothing hangs and no worker is left behind. As with any process pool, a script that calls
``run_audit`` with more than one worker must guard its entry point (``if __name__ == "__main__":``).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator
from typing import Any

import polars as pl

from ift_data.audit.options import AuditOptions
from ift_data.audit.row_phase import features_of
from ift_data.io.workers import pool_result, started, usable_cores

ROW_BATCH = 8192  # rows a worker gets at a time (at most)
IN_FLIGHT = 2  # batches handed out ahead, per worker
# Imported once by the fork server, so a worker starts with them loaded.
PRELOAD = ["ift_data.audit.row_phase", "ift_data.audit.language", "ift_data.audit.noise",
           "ift_data.audit.use_case", "ift_data.audit.format_concentration"]


def row_batches(table: pl.DataFrame, size: int | None = None) -> Iterator[pl.DataFrame]:
    """``table`` in consecutive slices of ``size`` rows (``ROW_BATCH``); one empty slice for no rows."""
    size = size or ROW_BATCH
    for start in range(0, max(table.height, 1), size):
        yield table.slice(start, size)


def pool_batch_rows(rows: int, workers: int) -> int:
    """Rows a batch for ``workers`` processes: ``ROW_BATCH``, or less so that each worker gets about four
    batches (a last, short batch does not leave the others idle), but not under ``ROW_BATCH // 8``."""
    return min(ROW_BATCH, max(ROW_BATCH // 8, 1, math.ceil(rows / (4 * workers))))


_WORKER: dict[str, Any] = {}
_WHAT = "an audit worker process"


def _init_worker(rules: dict[str, Any], options: AuditOptions) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    _WORKER["rules"], _WORKER["options"] = rules, options


def _ready(_: int) -> int:
    return os.getpid()


def _run_batch(family: str, batch: pl.DataFrame) -> pl.DataFrame:
    return features_of(batch, family, _WORKER["rules"], _WORKER["options"])


def _start_fork_server(polars_threads: int) -> None:
    """Start this process's fork server (once; later calls find it running) with the audit modules
    imported and polars limited to ``polars_threads`` threads a worker (polars reads POLARS_MAX_THREADS when
    it is imported), unless the user set POLARS_MAX_THREADS: N workers share the cores."""
    from multiprocessing import forkserver

    forkserver.set_forkserver_preload(PRELOAD)
    mine = "POLARS_MAX_THREADS" not in os.environ
    if mine:
        os.environ["POLARS_MAX_THREADS"] = str(polars_threads)
    try:
        forkserver.ensure_running()
    finally:
        if mine:
            del os.environ["POLARS_MAX_THREADS"]


class RowPool:
    """A pool of ``workers`` processes for one audit run (started on first use; ``close`` ends it)."""

    def __init__(self, workers: int, rules: dict[str, Any], options: AuditOptions) -> None:
        self.workers, self.rules, self.options = workers, rules, options
        self._pool: Any = None

    def _start(self) -> Any:
        if self._pool is None:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            if method == "forkserver":
                _start_fork_server(max(1, usable_cores() // self.workers))
            self._pool = started(context.Pool(self.workers, initializer=_init_worker,
                                              initargs=(self.rules, self.options)))
        return self._pool

    def start(self) -> None:
        """Start the workers and wait until they run (so that no signal's time includes their start)."""
        pool = self._start()
        try:
            pool_result(pool.map_async(_ready, range(self.workers), chunksize=1), pool, _WHAT)
        except BaseException:
            self.terminate()
            raise

    def features(self, family: str, table: pl.DataFrame, batch_rows: int | None = None) -> pl.DataFrame:
        """``family``'s per-row features of ``table``, batch by batch in the workers, in row order."""
        pool = self._start()
        pending: deque[Any] = deque()
        parts: list[pl.DataFrame] = []
        try:
            for batch in row_batches(table, batch_rows or pool_batch_rows(table.height, self.workers)):
                if len(pending) >= IN_FLIGHT * self.workers:
                    parts.append(pool_result(pending.popleft(), pool, _WHAT))
                pending.append(pool.apply_async(_run_batch, (family, batch)))
            while pending:
                parts.append(pool_result(pending.popleft(), pool, _WHAT))
        except BaseException:
            self.terminate()  # Ctrl-C or a failed batch: stop the rest now
            raise
        return pl.concat(parts, how="vertical_relaxed") if len(parts) > 1 else parts[0]

    def close(self) -> None:
        """Let the workers finish and exit."""
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def terminate(self) -> None:
        """Stop the workers at once."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
