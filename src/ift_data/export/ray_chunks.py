"""``ift-data build --engine ray``: the export made by a Ray Data ``map_batches`` stage. Sharded
(``--shard-size``), each task writes whole shards into the output folder; otherwise the tasks make the chunks
and the driver writes the one file per format in chunk order.

The plan is computed once on the driver; big sources are read by Ray tasks (``builder/read_ray.py``) and the
selection's renders are Ray tasks too (``builder/select_parallel.RayTrials``), applied on the driver in
candidate order. The selection (the chosen assignments with the expanders that render them, rows included) and
the export setup go to the object store once. The chunks are a Ray dataset of ``(start, stop)`` ranges; a
``map_batches`` stage makes up to ``BLOCK_CHUNKS`` of them a task with the same pure function as the local
engine (``export/chunks.export_chunk``: render, chat-format, mask, tokenize, serialize). Each Ray worker process fetches the selection once and keeps it for its next tasks; on this machine
it reads the kept renders' file (``builder/render_cache.py``), elsewhere it renders again. Ray Data's streaming
executor keeps the blocks in order (``preserve_order``) and bounds what is in flight.

Sharded, a task makes and writes whole shards (``export/shard_writer.py``): where a shard ends depends on the
plan alone, so a shard needs no other shard's result. The driver lists the shards in order and renames them at
the end, so the files, sha256 and manifest are the local engine's bytes; the output folder must be one every
node sees (a shared filesystem), which the driver checks for each shard. Unsharded, one file per format has
one writer: the driver, strictly in chunk order.

Without ``--ray-address`` a local Ray is started (one CPU per usable core, no dashboard, usage stats off)
and shut down at the end, on errors and Ctrl-C too; with it the build joins that cluster (whose workers
need ift-data installed, and the data files at the same paths) and only disconnects.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Generator, Sequence
from typing import Any

import pyarrow as pa

from ift_data.errors import UserError
from ift_data.export.chunks import ChunkResult, ChunkSetup, export_chunk
from ift_data.export.files import shard_path
from ift_data.export.shard_writer import ShardTarget, WrittenShard, write_shard
from ift_data.io.ray_runtime import fetched, ordered_stage, replies
from ift_data.schema import Example

BLOCK_CHUNKS = 8  # export chunks (``parallel.CHUNK`` examples each) a Ray task makes at most


def make_chunks(batch: pa.Table, work: list[Any]) -> pa.Table:
    """The ``map_batches`` function of an unsharded export: each ``(start, stop)`` row of ``batch`` made into
    its chunk's reply. ``work`` is ``[ObjectRef]`` of (selection, setup), nested so Ray passes it unresolved:
    a worker process fetches it once and keeps it for its next batches."""
    examples, setup = fetched(work)
    return replies(batch, lambda row: export_chunk(examples[row["start"]:row["stop"]], setup))


def make_shards(batch: pa.Table, work: list[Any]) -> pa.Table:
    """The ``map_batches`` function of a sharded export: each ``(index, start, stop)`` row of ``batch`` made
    and written as that shard (``shard_writer.write_shard``); ``work``: ``[ObjectRef]`` of (selection, setup,
    target)."""
    examples, setup, target = fetched(work)
    return replies(batch, lambda row: write_shard(examples, setup, target, row["index"], row["start"],
                                                   row["stop"]))


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
    items = [{"start": start, "stop": stop} for start, stop in ranges]
    yield from ordered_stage(make_chunks, (examples, setup), items, lambda cpus: block_chunks(len(ranges), cpus),
                             address)


def ray_written_shards(examples: Sequence[Example], setup: ChunkSetup, shards: list[tuple[int, int]],
                       target: ShardTarget, address: str | None) -> Generator[WrittenShard, None, None]:
    """Every shard made and written by Ray Data, in shard order. On an error or Ctrl-C every shard file
    under a temporary name is removed (once the tasks are stopped)."""
    if not shards:
        return
    items = [{"index": k, "start": start, "stop": stop} for k, (start, stop) in enumerate(shards)]

    def per_task(cpus: int) -> int:  # whole shards, about ``BLOCK_CHUNKS`` chunks a task when shards are small
        return max(1, min(math.ceil(BLOCK_CHUNKS * target.chunk / target.shard_size), len(shards) // (2 * cpus)))

    finished = False
    try:
        # closed (its tasks stopped) before the files are removed below
        stage = ordered_stage(make_shards, (examples, setup, target), items, per_task, address)
        with contextlib.closing(stage) as made:
            for shard in made:
                for path, _, _ in shard.files.values():
                    if not path.is_file():
                        raise UserError(f"a Ray worker wrote shard {path.name} in {target.out_dir}, which this "
                                        "machine does not see: give --out a folder every node of the cluster sees "
                                        "(a shared filesystem), or leave out --shard-size (the driver then writes "
                                        "the output)", file=str(target.out_dir), field="--out")
                yield shard
        finished = True
    finally:
        if not finished:
            for k in range(len(shards)):
                for fmt in setup.formats:
                    shard_path(target.out_dir, target.name, fmt, k).unlink(missing_ok=True)
