"""Parquet files with pyarrow: read whole (``open_parquet``: audit and clean, which write kept rows back) or
a batch at a time (``stream_parquet``: the build); ``ClassLabel`` names come from the features
``datasets`` stores in the file's metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from ift_data.errors import UserError
from ift_data.io.atomic import atomic_open
from ift_data.io.sources import arrow
from ift_data.io.sources.arrow import class_labels, features_of_schema, kept_table, table_source
from ift_data.io.sources.base import Item, ReadOptions, Source, file_sha256, read_bytes
from ift_data.schema import RawRow


def open_parquet(path: Path, options: ReadOptions, name: str) -> Source:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = read_bytes(path, name)
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # noqa: BLE001 - any failure means "not a Parquet file we can read"
        raise _unreadable(name, exc) from exc
    return table_source(options.format, path, name, hashlib.sha256(data).hexdigest(), table,
                        features_of_schema(table.schema))


def stream_parquet(path: Path, options: ReadOptions, name: str) -> Source:
    """``open_parquet``'s rows, read ``BATCH_ROWS`` at a time as they are asked for, never the whole table
    (``table`` is None: nothing to write back); the sha256 is one streamed pass first, the schema comes
    from the footer."""
    import pyarrow.parquet as pq

    digest = file_sha256(path, name)
    try:
        with pq.ParquetFile(path) as handle:
            schema = handle.schema_arrow
    except Exception as exc:  # noqa: BLE001 - any failure means "not a Parquet file we can read"
        raise _unreadable(name, exc) from exc

    def items() -> Iterator[Item]:
        return range_items(path, name, 0, None, 0)

    return Source(options.format, path, name, digest, items, columns=tuple(schema.names),
                  class_labels=class_labels(features_of_schema(schema)))


def range_items(path: Path, name: str, first_group: int, stop_group: int | None, rows_before: int
                ) -> Iterator[Item]:
    """``stream_parquet``'s rows of row groups ``first_group`` to ``stop_group`` (None: the last), numbered as
    in the whole file (``rows_before``: the rows of the groups before)."""
    import pyarrow.parquet as pq

    number = rows_before
    try:
        with pq.ParquetFile(path) as handle:
            stop = handle.num_row_groups if stop_group is None else stop_group
            if first_group >= stop:
                return
            for batch in handle.iter_batches(batch_size=arrow.BATCH_ROWS, row_groups=range(first_group, stop)):
                for record in batch.to_pylist():
                    number += 1
                    yield RawRow(record, name, number)
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these: a damaged row group
        raise _unreadable(name, exc, line=number + 1) from exc


def group_ranges(path: Path, parts: int) -> list[tuple[int, int, int]]:
    """``(first group, stop group, rows before)`` of up to ``parts`` runs of the file's row groups, each about
    as many rows (a group is never split)."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as handle:
        sizes = [handle.metadata.row_group(g).num_rows for g in range(handle.num_row_groups)]
    total = sum(sizes)
    ranges: list[tuple[int, int, int]] = []
    first, rows_before, seen = 0, 0, 0
    for group, size in enumerate(sizes):
        seen += size
        if seen * parts >= total * (len(ranges) + 1) and group + 1 < len(sizes):
            ranges.append((first, group + 1, rows_before))
            first, rows_before = group + 1, seen
    ranges.append((first, len(sizes), rows_before))
    return ranges


def _unreadable(name: str, exc: Exception, line: int | None = None) -> UserError:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return UserError(f"not a readable Parquet file: {first}", file=name, line=line)


def write_kept(source: Source, options: ReadOptions, kept_records: Sequence[int], target: Path) -> None:
    import pyarrow.parquet as pq

    with atomic_open(target, "wb", encoding=None) as fh:
        pq.write_table(kept_table(source, kept_records), fh)
