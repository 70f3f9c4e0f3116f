"""How an export runs its chunks: in this process, in a pool of forked worker processes, or on Ray.

Every chunk is made by the same pure function (``export/chunks.py``) and the results are merged strictly in
chunk order, so the files, their sha256, the rejects and the manifest are the same bytes for any number of
workers and either engine.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ift_data.errors import UserError
from ift_data.export.chunks import ChunkResult, ChunkSetup, export_chunk
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


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def resolve_workers(workers: int | None) -> int:
    """``None``: every usable core; otherwise at least 1."""
    if workers is None:
        return usable_cores()
    if workers < 1:
        raise UserError(f"workers must be at least 1, not {workers}", field="--workers")
    return workers


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


def chunk_ranges(total: int, size: int | None = None) -> list[tuple[int, int]]:
    """The (start, stop) of every chunk of ``total`` examples, in order."""
    size = size or CHUNK
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def chunk_results(examples: Sequence[Example], setup: ChunkSetup, run: ExportRun
                  ) -> Generator[ChunkResult, None, None]:
    """Every chunk's result, in chunk order: made in this process, by a pool of forked workers or on Ray."""
    ranges = chunk_ranges(len(examples))
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


# What the forked workers read: set before the pool starts, inherited (never pickled), cleared after.
_WORK: tuple[Sequence[Example], ChunkSetup] | None = None


def _worker_init() -> None:
    """Ctrl-C is the parent's to handle (it stops the pool); SIGTERM ends a worker at once (the parent
    sends it when it stops the pool). Tokenizers run one thread a worker (the workers are the parallelism)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def _worker_chunk(start: int, stop: int) -> ChunkResult:
    assert _WORK is not None, "the export's worker started without its work"
    examples, setup = _WORK
    try:
        return export_chunk(examples[start:stop], setup)
    except Exception as exc:
        raise portable(exc) from None


def portable(exc: BaseException) -> BaseException:
    """``exc`` when it survives pickling (a ``UserError`` does, with its file, line and field), else a
    ``RuntimeError`` carrying its type and message: an exception that cannot be rebuilt in the parent
    would break the pool instead of reporting what went wrong."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    """End the workers now (an error, Ctrl-C or SIGTERM in the parent): nothing waits for their chunks."""
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    for process in list(getattr(executor, "_processes", {}).values()):
        if process.is_alive():
            process.terminate()
    executor.shutdown(wait=True, cancel_futures=True)


def _pool_results(examples: Sequence[Example], setup: ChunkSetup, ranges: list[tuple[int, int]],
                  workers: int) -> Iterator[ChunkResult]:
    """Chunks made by ``workers`` forked processes, at most ``IN_FLIGHT`` a worker submitted ahead of the one
    being written, yielded in order. A worker's error is raised here as it was raised there."""
    global _WORK
    workers = min(workers, len(ranges))
    _WORK = (examples, setup)
    gc.freeze()  # what the workers inherit stays shared: the collector does not touch (and so copy) it
    executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_worker_init)
    finished = False
    try:
        pending: deque[Future[ChunkResult]] = deque()
        upcoming = iter(ranges)
        for start, stop in upcoming:
            pending.append(executor.submit(_worker_chunk, start, stop))
            if len(pending) >= workers * IN_FLIGHT:
                break
        while pending:
            try:
                result = pending.popleft().result()
            except BrokenProcessPool as exc:
                raise UserError("an export worker process ended abruptly (killed, or out of memory?); "
                                "try fewer --workers", field="--workers") from exc
            for start, stop in upcoming:
                pending.append(executor.submit(_worker_chunk, start, stop))
                break
            yield result
        finished = True
    finally:
        _WORK = None
        gc.unfreeze()
        if finished:
            executor.shutdown(wait=True)
        else:
            _stop_workers(executor)
