"""How many worker processes a command uses (``--workers``), shared by build and audit."""

from __future__ import annotations

import os

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
