"""How many worker processes a command uses (``--workers``), shared by build and audit; what a worker's error
becomes on its way back to the parent (``portable``); waiting on a ``multiprocessing.Pool`` result without
hanging when a worker dies or a stop signal lands on another thread (``pool_result``)."""

from __future__ import annotations

import os
import pickle
import weakref
from typing import Any

from ift_data import interrupts
from ift_data.errors import UserError

POLL_SECONDS = 0.2
_STARTED: weakref.WeakKeyDictionary[Any, frozenset[int]] = weakref.WeakKeyDictionary()


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def resolve_workers(workers: int | None) -> int:
    """``--workers``: ``None`` is every usable core; otherwise at least 1."""
    if workers is None:
        return usable_cores()
    if workers < 1:
        raise UserError(f"--workers must be at least 1, not {workers}", field="--workers")
    return workers


def portable(exc: BaseException) -> BaseException:
    """``exc`` when it survives pickling (a ``UserError`` does, with its file, line and field), else a
    ``RuntimeError`` carrying its type and message: the parent re-raises what the worker raised."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def worker_pids(pool: Any) -> frozenset[int]:
    """The pids of ``pool``'s worker processes now (a ``multiprocessing.Pool``)."""
    return frozenset(p.pid for p in getattr(pool, "_pool", ()) if p.pid is not None)


def started(pool: Any) -> Any:
    """Note the workers ``pool`` (a new ``multiprocessing.Pool``) started with, for ``pool_result``; returns it."""
    _STARTED[pool] = worker_pids(pool)
    return pool


def pool_result(answer: Any, pool: Any, what: str = "a worker process") -> Any:
    """``answer.get()`` (an ``AsyncResult`` of ``pool``) that cannot wait for ever.

    ``multiprocessing.Pool`` replaces a worker that dies (the OOM killer, a SIGKILL, a SIGTERM sent to the
    process group) with a fresh one and never answers the tasks the dead one held: a plain ``get()`` then
    blocks for good, and a stop signal that the kernel hands to another thread of this process does not wake
    it either. So wait in short steps: between them, a noted stop signal is raised (``interrupts.check``)
    and a worker set that differs from the one the pool started with (``started``; a pool's workers never
    leave on their own) is a one-line error."""
    pids = _STARTED.setdefault(pool, worker_pids(pool))
    while not answer.ready():
        answer.wait(POLL_SECONDS)
        interrupts.check()
        if not answer.ready() and worker_pids(pool) != pids:
            raise UserError(f"{what} ended abruptly (killed, or out of memory?); try fewer --workers",
                            field="--workers")
    return answer.get()
