"""``ift-data build --engine ray``: the export's chunks made by a Ray Data ``map_batches`` stage, written by the
driver in order.

The plan is computed once on the driver; the selection's renders are Ray tasks too
(``builder/select_parallel.RayTrials``), applied on the driver in candidate order. The selection (the chosen
assignments with the expanders that render them, rows included) and the export setup go to the object store
once. The chunks are a
Ray dataset of ``(start, stop)`` ranges; a ``map_batches`` stage makes up to ``BLOCK_CHUNKS`` of them a task with
the same pure function as the local engine (``export/chunks.export_chunk``: render, chat-format, mask, tokenize,
serialize). Each Ray worker process fetches the selection once and keeps it for its next tasks; on this machine
it reads the kept renders' file (``builder/render_cache.py``), elsewhere it renders again. Ray Data's streaming
executor keeps the blocks in order (``preserve_order``) and bounds what is in flight; the driver writes the
results strictly in chunk order, so the files, sha256 and manifest are the local engine's bytes. The driver
writes because the files' sha256 and where a shard ends depend on every earlier chunk (an export reject shifts
the shard boundaries), and because on a cluster the output folder is the driver's.

Without ``--ray-address`` a local Ray is started (one CPU per usable core, no dashboard, usage stats off)
and shut down at the end, on errors and Ctrl-C too; with it the build joins that cluster (whose workers
need ift-data installed, and the data files at the same paths) and only disconnects.
"""

from __future__ import annotations

import contextlib
import math
import pickle
from collections.abc import Generator, Sequence
from typing import Any

import pyarrow as pa

from ift_data.export.chunks import ChunkResult, ChunkSetup, export_chunk
from ift_data.io.ray_runtime import data_settings, fetched, import_ray, start_ray
from ift_data.schema import Example

BLOCK_CHUNKS = 8  # export chunks (``parallel.CHUNK`` examples each) a Ray task makes at most


def make_chunks(batch: pa.Table, work: list[Any]) -> pa.Table:
    """The ``map_batches`` function: each ``(start, stop)`` row of ``batch`` made into its chunk's pickled
    reply. ``work`` is ``[ObjectRef]`` of (selection, setup), nested so Ray passes it unresolved: a worker
    process fetches it once and keeps it for its next batches. A chunk's error is returned in its reply, not
    raised, so the driver raises it as it was raised here (a ``UserError`` keeps its file, line and field)
    rather than Ray's wrapper."""
    from ift_data.export.parallel import portable

    examples, setup = fetched(work)
    results = []
    for start, stop in zip(batch["start"].to_pylist(), batch["stop"].to_pylist(), strict=True):
        try:
            reply: tuple[str, Any] = ("ok", export_chunk(examples[start:stop], setup))
        except Exception as exc:
            reply = ("error", portable(exc))
        results.append(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    return pa.table({"result": pa.array(results, type=pa.large_binary())})


def block_chunks(chunks: int, cpus: int) -> int:
    """Chunks a Ray task makes: up to ``BLOCK_CHUNKS``, fewer when that would leave a CPU without a few
    tasks. Ray Data's driver spends CPU on every task it schedules; with 1,024-example tasks that was a
    core of the two (100k examples: 16 s for the export, 12 s with 8 chunks a task)."""
    return max(1, min(BLOCK_CHUNKS, chunks // (2 * cpus)))


def ray_chunk_results(examples: Sequence[Example], setup: ChunkSetup, ranges: list[tuple[int, int]],
                      address: str | None) -> Generator[ChunkResult, None, None]:
    """Every chunk's result in chunk order, made by Ray Data. A chunk's error is raised here as the chunk
    raised it (a ``UserError`` keeps its file, line and field)."""
    if not ranges:
        return
    ray = import_ray()
    owns = start_ray(ray, address)  # the build started it already (``parallel.engine_session``): False
    made: Any = None
    try:
        with data_settings(ray, {"enable_progress_bars": False, "enable_auto_log_stats": False}):
            cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
            work = ray.put((examples, setup))
            per_block = block_chunks(len(ranges), cpus)
            chunks = ray.data.from_items([{"start": start, "stop": stop} for start, stop in ranges],
                                         override_num_blocks=math.ceil(len(ranges) / per_block))
            made = chunks.map_batches(make_chunks, fn_kwargs={"work": [work]}, batch_size=per_block,
                                      batch_format="pyarrow", num_cpus=1)
            for row in made.iter_rows():
                status, value = pickle.loads(row["result"])  # our tasks' own replies, not user data
                if status == "error":
                    raise value
                yield value
    finally:
        _stop(made)
        if owns:
            ray.shutdown()


def _stop(dataset: Any) -> None:
    """Stop the streaming executor of ``dataset`` now (an error or Ctrl-C mid-stream), not whenever the
    dataset is collected: its tasks stop and its threads end before Ray is shut down."""
    executor = getattr(dataset, "_current_executor", None)
    if executor is not None:
        with contextlib.suppress(Exception):
            executor.shutdown(force=True)
