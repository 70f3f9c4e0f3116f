"""``ift-data build --engine ray``: a big JSONL or Parquet split read by a Ray Data stage, a range a task.

The file is cut as for local workers (``read_parallel.ranges_of``: JSONL byte ranges, Parquet runs of row
groups; one range per CPU of the cluster, of 1 MiB at least), and each task reads its range with the one-process loop (``read_parallel.read_range``) into a
row file of its own. On the driver's machine the driver takes the file over where it is; from another machine its bytes come
back with the reply (``row_store.shipped`` / ``received``), so the data files must be at the same path on
every node, as for the rest of a Ray build. The driver appends the parts in range order
(``row_store.concatenated``): the rows and rejects of a one-process read, in the same order.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ift_data.builder.read_parallel import ranges_of, read_range
from ift_data.builder.row_store import Rows, concatenated, host_name, received, remove_files, shipped
from ift_data.io.ray_runtime import cluster_cpus, fetched, import_ray, ordered_stage, replies, start_ray

MIN_RANGE_BYTES = 2**20  # a big cluster still reads a range of at least this a task

if TYPE_CHECKING:
    from ift_data.io.sources.base import ReadOptions, Source
    from ift_data.schema import Reject
    from ift_data.tasks.spec import TaskSpec


def read_ranges(batch: pa.Table, work: list[Any]) -> pa.Table:
    """The ``map_batches`` function: each ``(start, stop, before)`` row of ``batch`` read into its part's
    reply ``(rejects, rows, bytes of the rows' file or None)``; ``work``: ``[ObjectRef]`` of the job."""
    path, name, options, task, dataset, max_field_chars, driver_host = fetched(work)

    def read(row: dict[str, Any]) -> tuple[list[Reject], Rows, bytes | None]:
        rejects, rows = read_range(path, name, options, task, dataset, max_field_chars,
                                   (row["start"], row["stop"], row["before"]))
        return (rejects, *shipped(rows, driver_host))

    return replies(batch, read)


def read_rows(source: Source, options: ReadOptions, task: TaskSpec, dataset: str, max_field_chars: int,
              address: str | None) -> tuple[Rows, list[Reject]]:
    """The rows and rejects of ``source`` (those of a one-process read), read by Ray tasks; in this process
    when the file cannot be cut (see ``read_parallel.ranges_of``)."""
    from ift_data.builder.sources import read_serially

    ray = import_ray()
    owns = start_ray(ray, address)  # the build started it already (``parallel.engine_session``): False
    try:
        wanted = min(cluster_cpus(ray), source.path.stat().st_size // MIN_RANGE_BYTES)
        ranges = ranges_of(source, max(2, wanted))
        if ranges is None or len(ranges) < 2:
            return read_serially(source, task, dataset, max_field_chars, None)
        work = (source.path.absolute(), source.name, options, task, dataset, max_field_chars, host_name())
        items = [{"start": start, "stop": stop, "before": before} for start, stop, before in ranges]
        parts: list[tuple[list[Reject], Rows]] = []
        try:
            with contextlib.closing(ordered_stage(read_ranges, work, items, lambda cpus: 1, address)) as read:
                for rejects, rows, data in read:
                    parts.append((rejects, received(rows, data)))
            rows = concatenated([part for _, part in parts])
        except BaseException:
            remove_files([part for _, part in parts])  # taken over or received here, not yet joined
            raise
        return rows, [reject for part_rejects, _ in parts for reject in part_rejects]
    finally:
        if owns:
            ray.shutdown()
