"""Parquet files, read whole with pyarrow; ``ClassLabel`` names come from the features ``datasets`` stores
in the file's metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from ift_data.errors import UserError
from ift_data.io.atomic import atomic_open
from ift_data.io.sources.arrow import features_of_schema, kept_table, table_source
from ift_data.io.sources.base import ReadOptions, Source, read_bytes


def open_parquet(path: Path, options: ReadOptions, name: str) -> Source:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = read_bytes(path, name)
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # noqa: BLE001 - any failure means "not a Parquet file we can read"
        raise UserError(f"not a readable Parquet file: {str(exc).splitlines()[0] if str(exc) else exc}",
                        file=name) from exc
    return table_source(options.format, path, name, hashlib.sha256(data).hexdigest(), table,
                        features_of_schema(table.schema))


def write_kept(source: Source, options: ReadOptions, kept_records: Sequence[int], target: Path) -> None:
    import pyarrow.parquet as pq

    with atomic_open(target, "wb", encoding=None) as fh:
        pq.write_table(kept_table(source, kept_records), fh)
