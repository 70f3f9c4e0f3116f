"""How many worker processes a command uses (``--workers``), shared by build and audit; what a worker's error
becomes on its way back to the parent (``portable``)."""

from __future__ import annotations

import os
import pickle

from ift_data.errors import UserError


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
