"""One whole shard of a sharded export made and written by one process (a Ray worker, ``--engine ray``).

Shard ``k`` holds the examples at export positions ``[k * shard_size, (k + 1) * shard_size)`` that are not
rejected (``export/files.py``), so a worker needs nothing but the selection, the export's setup and the
shard's range: it makes the shard's chunks with the function every engine uses (``export_chunk``), writes
each format's file under the shard's temporary name with the writer every engine uses (``FormatWriter``),
and returns the files' rows and sha256 with the chunks' share of the manifest (rejects, counts, lengths).
The export lists the shards in order and renames them when every shard is written: the bytes are those of
the local engine, where the driver writes every shard itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ift_data.export.chunks import ChunkResult, ChunkSetup, export_chunk
from ift_data.export.files import FormatWriter
from ift_data.schema import Example


@dataclass(frozen=True)
class ShardTarget:
    """Where and how the shards of one export are written: the (driver's) output folder, which every worker
    must see, the output's name, the shard size, each format's parquet schema, the parquet row group and the
    chunk size (both the driver's values, so a test that changes them changes them everywhere)."""

    out_dir: Path
    name: str
    shard_size: int
    schemas: dict[str, Any]
    row_group: int
    chunk: int


@dataclass
class WrittenShard:
    """A shard written by a worker: each format's ``(temporary path, rows, sha256)``, and its chunks'
    results in order with their rows left out (they are in the files)."""

    files: dict[str, tuple[Path, int, str]]
    chunks: list[ChunkResult]


def write_shard(examples: Sequence[Example], setup: ChunkSetup, target: ShardTarget, index: int, start: int,
                stop: int) -> WrittenShard:
    """Make and write shard ``index`` (export positions ``[start, stop)``) in every format; on an error
    nothing of it is left on disk."""
    chunks: list[ChunkResult] = []
    with ExitStack() as stack:
        writers = {fmt: stack.enter_context(FormatWriter(target.out_dir, target.name, fmt, target.shard_size,
                                                         target.schemas.get(fmt), index, target.row_group))
                   for fmt in setup.formats}
        for at in range(start, stop, target.chunk):
            result = export_chunk(examples[at:min(at + target.chunk, stop)], setup)
            for fmt, writer in writers.items():
                writer.write_part(result.parts[fmt])
            result.parts = {}
            chunks.append(result)
        for writer in writers.values():
            writer.end_shard()
        files = {fmt: writer.written_shards()[0] for fmt, writer in writers.items()}
    return WrittenShard(files, chunks)
