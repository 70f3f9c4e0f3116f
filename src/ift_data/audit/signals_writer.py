"""``signals.parquet``: written in row groups of ``ROW_GROUP_ROWS`` rows, straight into the atomic file.

Each group is converted to Arrow and written as it comes (``pyarrow.parquet.ParquetWriter``, zstd, no
statistics), so no copy of the whole encoded file is held in memory; readers (polars, pyarrow, DuckDB) can
read the file a row group at a time. The bytes are a function of the signals alone.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ift_data.io.atomic import atomic_open

ROW_GROUP_ROWS = 65_536


def write_signals(signals: pl.DataFrame, path: Path, row_group_rows: int | None = None) -> None:
    """Write ``signals`` to ``path`` atomically, one row group per ``row_group_rows`` rows."""
    size = row_group_rows or ROW_GROUP_ROWS
    schema: pa.Schema = signals.head(0).to_arrow().schema
    with atomic_open(path, "wb") as fh:
        writer = pq.ParquetWriter(fh, schema, compression="zstd", write_statistics=False)
        try:
            for start in range(0, signals.height, size):
                writer.write_table(signals.slice(start, size).to_arrow().cast(schema), row_group_size=size)
        finally:
            writer.close()
