"""How an export runs its chunks: in this process, in a pool of forked worker processes, or on Ray.

Every chunk is made by the same pure function (``export/chunks.py``) and the results are merged strictly in
chunk order, so the files, their sha256, the rejects and the manifest are the same bytes for any number of
workers and either engine.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import traceback
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ift_data.errors import UserError
from ift_data.export.chunks import ChunkResult, ChunkSetup, export_chunk
from ift_data.io.workers import portable
from ift_data.schema import Example

ENGINES = ("local", "ray")
CHUNK = 1024          # examples formatted, masked, tokenized and serialized at a time
IN_FLIGHT = 2         # chunks submitted ahead per worker (what bounds the memory of results not yet written)


@dataclass(frozen=True)
class ExportRun:
    """Where the chunks of an export are made: ``workers`` processes of this machine (1: this process), or
    Ray (``engine="ray"``, joining ``ray_address`` when given, else a local Ray)."""

    workers: int = 1
    engine: str = "local"
    ray_address: str | None = None


def check_engine(engine: str, ray_address: str | None) -> None:
    """A known engine; ``--ray-address`` only with Ray; for Ray: installed, and the address answers."""
    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r}; use {' or '.join(ENGINES)}", field="--engine")
    if ray_address is not None and engine != "ray":
        raise UserError("--ray-address needs --engine ray", field="--ray-address")
    if engine == "ray":  # before any data is read: Ray is installed, the cluster answers
        from ift_data.io.ray_runtime import check_reachable, import_ray

        import_ray()
        if ray_address:
            check_reachable(ray_address)


@contextlib.contextmanager
def engine_session(run: ExportRun | None) -> Iterator[None]:
    """Ray started (or joined) once for all the exports of a build, and stopped after them when it was
    started here; nothing for the local engine."""
    if run is None or run.engine != "ray":
        yield
        return
    from ift_data.io.ray_runtime import import_ray, start_ray

    ray = import_ray()
    owns = start_ray(ray, run.ray_address)
    try:
        yield
    finally:
        if owns:
            ray.shutdown()


def chunk_ranges(start: int, stop: int, size: int | None = None) -> list[tuple[int, int]]:
    """The (start, stop) of every chunk of the examples ``[start, stop)``, in order."""
    size = size or CHUNK
    return [(at, min(at + size, stop)) for at in range(start, stop, size)]


def chunk_results(examples: Sequence[Example], setup: ChunkSetup, ranges: list[tuple[int, int]], run: ExportRun
                  ) -> Generator[ChunkResult, None, None]:
    """The result of every chunk of ``ranges``, in order: made in this process, by a pool of forked workers or
    on Ray."""
    if run.engine == "ray":
        from ift_data.export.ray_chunks import ray_chunk_results

        yield from ray_chunk_results(examples, setup, ranges, run.ray_address)
    elif run.workers > 1 and len(ranges) > 1 and fork_available():
        yield from _pool_results(examples, setup, ranges, run.workers)
    else:
        for start, stop in ranges:
            yield export_chunk(examples[start:stop], setup)


def fork_available() -> bool:
    """Workers inherit the selection through ``fork`` (nothing is pickled); without it the export runs in
    this process."""
    return "fork" in multiprocessing.get_all_start_methods()


# What the forked workers read: set before the workers start, inherited (never pickled), cleared after.
_WORK: tuple[Sequence[Example], ChunkSetup] | None = None


def _worker_init() -> None:
    """Ctrl-C is the parent's to handle (it stops the workers); SIGTERM ends a worker at once (the parent
    sends it when it stops them). Tokenizers run one thread a worker (the workers are the parallelism)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def _worker_main(conn: Connection, parents: list[Connection]) -> None:
    """A worker: make the chunks the parent sends, in the order sent, until ``None`` or the parent is gone.
    ``parents``: the parent's ends of this worker's pipe and of the earlier workers' pipes, inherited through
    fork and closed here, so a parent that dies is an EOF (or a broken pipe) to every worker."""
    for other in parents:
        other.close()
    _worker_init()
    assert _WORK is not None, "the export's worker started without its work"
    examples, setup = _WORK
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        start, stop = task
        try:
            reply: tuple[Any, ...] = ("ok", export_chunk(examples[start:stop], setup))
        except Exception as exc:
            reply = ("error", portable(exc), traceback.format_exc())
        try:
            conn.send(reply)
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception as exc:  # a result that does not pickle
            conn.send(("error", RuntimeError(f"chunk {start}-{stop}: result not sendable: {exc}"), ""))


class RemoteTraceback(Exception):
    """The worker's traceback, chained as the cause of the error re-raised in the parent."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _Workers:
    """``count`` forked processes, each with its own pipe: worker ``k % count`` makes chunk ``k``, so the
    results come back in chunk order by reading the pipes in turn. No shared queue or lock: stopping a worker
    at any moment (an error, Ctrl-C, SIGTERM) cannot leave the parent waiting on it."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self.conns: list[Connection] = []
        self.processes: list[Any] = []
        for _ in range(count):
            ours, theirs = context.Pipe(duplex=True)
            process = context.Process(target=_worker_main, args=(theirs, [*self.conns, ours]), daemon=True,
                                      name="ift-data-export")
            self.processes.append(process)
            self.conns.append(ours)
            process.start()
            theirs.close()  # the worker holds it: its death is an EOF here

    def send(self, k: int, task: tuple[int, int]) -> None:
        self.conns[k % len(self.conns)].send(task)

    def receive(self, k: int) -> ChunkResult:
        try:
            reply = self.conns[k % len(self.conns)].recv()
        except (EOFError, ConnectionResetError) as exc:
            raise UserError("an export worker process ended abruptly (killed, or out of memory?); "
                            "try fewer --workers", field="--workers") from exc
        if reply[0] == "ok":
            return reply[1]
        error = reply[1]
        if reply[2]:
            error.__cause__ = RemoteTraceback(reply[2])
        raise error

    def close(self, finished: bool) -> None:
        """Finished: ask the workers to end and wait; otherwise end them now (SIGTERM, then SIGKILL)."""
        for conn, process in zip(self.conns, self.processes, strict=True):
            if finished:
                with contextlib.suppress(OSError):
                    conn.send(None)
            elif process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=10 if finished else 5)
            if process.is_alive():
                process.kill()
                process.join()
        for conn in self.conns:
            conn.close()


def _pool_results(examples: Sequence[Example], setup: ChunkSetup, ranges: list[tuple[int, int]],
                  workers: int) -> Iterator[ChunkResult]:
    """Chunks made by ``workers`` forked processes, at most ``IN_FLIGHT`` a worker sent ahead of the one being
    written, yielded in order. A worker's error is raised here as it was raised there."""
    global _WORK
    workers = min(workers, len(ranges))
    ahead = workers * IN_FLIGHT
    _WORK = (examples, setup)
    frozen_before = gc.get_freeze_count()
    gc.freeze()  # what the workers inherit stays shared: the collector does not touch (and so copy) it
    pool: _Workers | None = None
    finished = False
    try:
        pool = _Workers(workers)
        for k in range(min(ahead, len(ranges))):
            pool.send(k, ranges[k])
        for k in range(len(ranges)):
            result = pool.receive(k)
            if k + ahead < len(ranges):
                pool.send(k + ahead, ranges[k + ahead])
            yield result
        finished = True
    finally:
        _WORK = None
        if not frozen_before:  # a caller that froze objects itself (the build) unfreezes them
            gc.unfreeze()
        if pool is not None:
            pool.close(finished)
