"""How an export runs its chunks: in this process, in a pool of forked worker processes, or on Ray.

Every chunk is made by the same pure function (``export/chunks.py``) and the results are merged strictly in
chunk order, so the files, their sha256, the rejects and the manifest are the same bytes for any number of
workers and either engine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ift_data.errors import UserError

ENGINES = ("local", "ray")


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
    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r}; use {' or '.join(ENGINES)}", field="--engine")
    if ray_address is not None and engine != "ray":
        raise UserError("--ray-address needs --engine ray", field="--ray-address")
