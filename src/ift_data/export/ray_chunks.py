"""``ift-data build --engine ray``: the export's chunks made by Ray tasks, written by the driver in order.

The plan and the selection are computed once on the driver; the selection (the chosen assignments with the
expanders that render them, rows included) and the export setup go to the object store once, and each
worker process reads them once (then keeps them for its next chunks). A task makes one chunk with the same
pure function as the local engine (``export/chunks.export_chunk``) and returns its serialized lines; the
driver writes the results strictly in chunk order, so the files, sha256 and manifest are the local engine's
bytes. At most ``IN_FLIGHT`` chunks per Ray CPU are pending, so the driver's memory stays bounded.

Without ``--ray-address`` a local Ray is started (one CPU per usable core, no dashboard, usage stats off)
and shut down at the end, on errors and Ctrl-C too; with it the build joins that cluster (whose workers
need ift-data installed, and the data files at the same paths) and only disconnects.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Sequence
from typing import Any

from ift_data.export.chunks import ChunkResult, ChunkSetup, export_chunk
from ift_data.io.ray_runtime import import_ray, start_ray
from ift_data.schema import Example

_WORK: dict[str, tuple[Sequence[Example], ChunkSetup]] = {}  # per worker process: the export it works on


def _make_chunk(work: list[Any], start: int, stop: int) -> ChunkResult:
    """One chunk (a Ray task). ``work`` is ``[ObjectRef]``: nested, so Ray does not fetch and unpickle the
    selection for every task; the worker fetches it once."""
    from ift_data.export.parallel import portable

    (ref,) = work
    key = ref.hex()
    if key not in _WORK:
        import ray

        _WORK.clear()  # one export at a time per worker
        _WORK[key] = ray.get(ref)
    examples, setup = _WORK[key]
    try:
        return export_chunk(examples[start:stop], setup)
    except Exception as exc:
        raise portable(exc) from None


def ray_chunk_results(examples: Sequence[Example], setup: ChunkSetup, ranges: list[tuple[int, int]],
                      address: str | None) -> Generator[ChunkResult, None, None]:
    """Every chunk's result in chunk order, made on Ray. A task's error is raised here as the task raised
    it (a ``UserError`` keeps its file, line and field)."""
    from ift_data.export.parallel import IN_FLIGHT

    if not ranges:
        return
    ray = import_ray()
    owns = start_ray(ray, address)  # the build started it already (``parallel.engine_session``): False
    pending: deque[Any] = deque()
    try:
        work = [ray.put((examples, setup))]
        task = ray.remote(num_cpus=1, max_retries=0)(_make_chunk)
        window = max(1, int(ray.cluster_resources().get("CPU", 1))) * IN_FLIGHT
        upcoming = iter(ranges)
        for start, stop in upcoming:
            pending.append(task.remote(work, start, stop))
            if len(pending) >= window:
                break
        while pending:
            result = _get(ray, pending.popleft())
            for start, stop in upcoming:
                pending.append(task.remote(work, start, stop))
                break
            yield result
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if owns:
            ray.shutdown()


def _get(ray: Any, ref: Any) -> ChunkResult:
    """A task's result; its error as the task raised it (not wrapped in Ray's error)."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, Exception):
            raise cause from exc
        raise
