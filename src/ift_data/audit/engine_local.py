"""Where an audit's signals run: ``--engine local`` (every signal in this process, the default) or
``--engine ray`` (``audit/engine_ray.py``: per-row signals and MinHash banding on Ray Data).

An engine is a context manager (it starts and stops whatever it needs) that makes the signal object the
runner calls for each registered family; both engines give the same ``signals.parquet`` and
``summary.json`` (timings aside).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

from ift_data.audit.options import AuditOptions
from ift_data.audit.registry import Registered
from ift_data.errors import UserError

ENGINES = ("local", "ray")


class Engine(Protocol):
    name: str

    def __enter__(self) -> Engine: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def signal(self, entry: Registered) -> Any:
        """The object whose ``compute(table, ctx)`` the runner calls for ``entry`` (its class is present)."""
        ...


class LocalEngine:
    """Every signal in this process, one after the other (the default)."""

    name = "local"

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def signal(self, entry: Registered) -> Any:
        assert entry.cls is not None
        return entry.cls()


def open_engine(options: AuditOptions, timings: dict[str, Any]) -> Engine:
    """The engine ``options.engine`` names (Ray is imported only when asked for)."""
    if options.engine == "local":
        if options.ray_address:
            raise UserError("--ray-address needs --engine ray", field="--ray-address")
        return LocalEngine()
    if options.engine == "ray":
        from ift_data.audit.engine_ray import RayEngine

        return RayEngine(options, timings)
    raise UserError(f"unknown engine {options.engine!r}; use one of {', '.join(ENGINES)}", field="--engine")
