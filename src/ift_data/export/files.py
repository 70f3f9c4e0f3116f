"""Output files written as rows are produced: one file per format, or shards of ``shard_size`` rows
(``train-00000-of-00004.segments.jsonl``; parquet ``train-00000-of-00004.parquet``), each hashed while written.

Shard ``k`` holds the examples at positions ``[k * shard_size, (k + 1) * shard_size)`` of the export that
are not rejected there (a control token in the data, ``overflow: drop``): where a shard ends depends on the
plan alone, so any process can write any shard (``--engine ray``: the Ray workers, ``export/shard_writer.py``)
and the files are the same bytes whoever wrote them. A shard is written under a temporary name and renamed
once the export has finished; a failed export leaves no file under a final name. The manifest lists every
file with its rows and sha256.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from ift_data.export.chunks import FormatPart
from ift_data.io.atomic import atomic_open, dumps_json_line

PARQUET = "parquet"
ROW_GROUP = 10_000  # parquet rows per row group (what is held before it is written)


def shard_bounds(total: int, shard_size: int | None) -> list[tuple[int, int]]:
    """The (start, stop) export positions of every shard (one range for one unsharded file; none for none)."""
    size = shard_size or max(total, 1)
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def shard_path(out_dir: Path, name: str, fmt: str, index: int) -> Path:
    """Where shard ``index`` is written before the export has finished (then renamed, ``file_name``)."""
    return out_dir / f".{name}-{index:05d}.{fmt}.shard"


def file_name(name: str, fmt: str, shard: int | None = None, shards: int | None = None) -> str:
    """``train.segments.jsonl`` / ``train-00000-of-00004.segments.jsonl``; parquet ends in ``.parquet``."""
    stem = name if shard is None else f"{name}-{shard:05d}-of-{shards:05d}"
    return f"{stem}.parquet" if fmt == PARQUET else f"{stem}.{fmt}.jsonl"


class _Sink:
    """One physical file: JSON lines or parquet, hashed and counted as written (atomic: a temporary file
    until :meth:`close`; :meth:`abort` removes it)."""

    def __init__(self, path: Path, fmt: str, schema: Any = None, row_group: int | None = None) -> None:
        self.path, self.rows = path, 0
        self._row_group = row_group or ROW_GROUP
        self._digest = hashlib.sha256()
        self._opened: Any = atomic_open(path, "wb")
        self._handle: IO[Any] = self._opened.__enter__()
        self._parquet: Any = None
        self._records: list[dict[str, Any]] = []  # parquet rows given one at a time, not yet a table
        self._tables: list[Any] = []              # parquet tables not yet written as row groups
        self._pending = 0                         # rows in both
        if fmt == PARQUET:
            import pyarrow.parquet as pq

            self._schema = schema
            self._parquet = pq.ParquetWriter(_Hashing(self._handle, self._digest), schema, compression="zstd")

    def write(self, record: dict[str, Any]) -> None:
        self.rows += 1
        try:
            if self._parquet is None:
                data = (dumps_json_line(record) + "\n").encode("utf-8")
                self._digest.update(data)
                self._handle.write(data)
                return
            self._records.append(record)
            self._pending += 1
            if self._pending >= self._row_group:
                self._flush()
        except (OSError, UnicodeEncodeError) as exc:
            self._fail(exc)

    def write_lines(self, data: bytes, rows: int) -> None:
        """``rows`` JSON lines already serialized (each ending in a newline)."""
        self.rows += rows
        try:
            self._digest.update(data)
            self._handle.write(data)
        except OSError as exc:
            self._fail(exc)

    def write_table(self, table: Any) -> None:
        """Parquet rows as an Arrow table of the file's schema; row groups stay ``ROW_GROUP`` rows."""
        self.rows += table.num_rows
        try:
            self._take_records()
            self._tables.append(table)
            self._pending += table.num_rows
            if self._pending >= self._row_group:
                self._flush()
        except (OSError, UnicodeEncodeError) as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        """The atomic writer removes the temporary file and raises the user error naming the file
        (no space left, text that is not valid Unicode)."""
        opened, self._opened = self._opened, None
        if opened is not None:
            opened.__exit__(type(exc), exc, exc.__traceback__)
        raise exc

    def _take_records(self) -> None:
        import pyarrow as pa

        if self._records:
            self._tables.append(pa.Table.from_pylist(self._records, schema=self._schema))
            self._records = []

    def _flush(self, final: bool = False) -> None:
        """Write the pending rows as row groups of ``ROW_GROUP`` rows (``final``: the rest too), each from
        one contiguous table, whatever the pieces they came in."""
        import pyarrow as pa

        self._take_records()
        while self._pending >= self._row_group or (final and self._pending):
            whole = pa.concat_tables(self._tables).combine_chunks() if len(self._tables) > 1 else self._tables[0]
            size = min(self._row_group, whole.num_rows)
            self._parquet.write_table(whole.slice(0, size) if size < whole.num_rows else whole)
            rest = whole.slice(size)
            self._tables = [rest] if rest.num_rows else []
            self._pending = rest.num_rows

    def close(self) -> str:
        """Finish the file (parquet footer) and move it under its name; the sha256 of its bytes."""
        try:
            if self._parquet is not None:
                self._flush(final=True)
                self._parquet.close()
        except (OSError, UnicodeEncodeError) as exc:
            self._fail(exc)
        opened, self._opened = self._opened, None
        if opened is not None:
            opened.__exit__(None, None, None)
        return self._digest.hexdigest()

    def abort(self) -> None:
        """Remove the temporary file (a failure elsewhere ends the export)."""
        opened, self._opened = self._opened, None
        if opened is not None:
            opened.__exit__(RuntimeError, RuntimeError("export aborted"), None)  # returns False


class _Hashing:
    """A binary file object that hashes what passes through it (pyarrow writes the parquet bytes here)."""

    def __init__(self, handle: IO[bytes], digest: Any) -> None:
        self._handle, self._digest = handle, digest
        self.closed = False

    def write(self, data: bytes) -> int:
        data = bytes(data)
        self._digest.update(data)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()

    def close(self) -> None:  # the atomic writer closes (and renames) the real file
        self.closed = True

    def tell(self) -> int:
        return self._handle.tell()

    @property
    def mode(self) -> str:
        return "wb"

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False


class FormatWriter:
    """The rows of one format: one file, or shards. A context manager: leaving it on an error removes every
    file it wrote; :meth:`finish` (inside it) closes the files and names the shards.

    Sharded, the export says where each shard ends (:meth:`end_shard`, at the plan's shard bounds) and the
    writer numbers its shards from ``first_shard`` (a Ray worker writing shard 7 writes only that one); a
    shard written by another process joins the list with :meth:`add_shard`."""

    def __init__(self, out_dir: Path, name: str, fmt: str, shard_size: int | None = None, schema: Any = None,
                 first_shard: int = 0, row_group: int | None = None) -> None:
        self.out_dir, self.name, self.fmt, self.shard_size, self.schema = out_dir, name, fmt, shard_size, schema
        self.first_shard, self.row_group = first_shard, row_group
        self._done: list[tuple[Path, int, str]] = []  # (shard path under its temporary name, rows, sha256)
        self._sink: _Sink | None = None
        self._finished = False
        self.rows = 0

    def __enter__(self) -> FormatWriter:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None and self._finished:
            return
        if self._sink is not None:
            self._sink.abort()
            self._sink = None
        if self.shard_size is not None:
            for path, _, _ in self._done:
                path.unlink(missing_ok=True)

    def _open(self) -> _Sink:
        if self.shard_size is None:
            path = self.out_dir / file_name(self.name, self.fmt)
        else:
            path = shard_path(self.out_dir, self.name, self.fmt, self.first_shard + len(self._done))
        return _Sink(path, self.fmt, self.schema, self.row_group)

    def write_all(self, records: Iterable[dict[str, Any]]) -> None:
        """Records one at a time, a shard closed every ``shard_size`` rows (nothing is rejected here)."""
        for record in records:
            if self._sink is None:
                self._sink = self._open()
            self._sink.write(record)
            self.rows += 1
            if self.shard_size is not None and self._sink.rows >= self.shard_size:
                self._close_sink()

    def write_part(self, part: FormatPart) -> None:
        """A chunk's rows made elsewhere (``export/chunks.py``), into the current file or shard (a chunk never
        spans two shards); a part's error is raised on that file, after its rows."""
        if self._sink is None:
            self._sink = self._open()
        if part.rows:
            if isinstance(part.data, bytes):
                self._sink.write_lines(part.data, part.rows)
            else:
                self._sink.write_table(part.data)
        self.rows += part.rows
        if part.error is not None:
            self._sink._fail(part.error)

    def end_shard(self) -> None:
        """The current shard is complete (written empty when every example of its range was rejected)."""
        if self._sink is None:
            self._sink = self._open()
        self._close_sink()

    def add_shard(self, path: Path, rows: int, sha256: str) -> None:
        """The next shard, written by another process under ``shard_path``."""
        self._done.append((path, rows, sha256))
        self.rows += rows

    def written_shards(self) -> list[tuple[Path, int, str]]:
        """The shards this writer wrote, left under their temporary names for the export to list and rename
        (``add_shard``); the writer no longer removes them."""
        if self._sink is not None:
            self._close_sink()
        self._finished = True
        return list(self._done)

    def _close_sink(self) -> None:
        assert self._sink is not None
        sink, self._sink = self._sink, None
        self._done.append((sink.path, sink.rows, sink.close()))

    def finish(self) -> list[dict[str, Any]]:
        """Close the last file, give shards their final names; the manifest's entry of each file."""
        if self._sink is None and not self._done:
            self._sink = self._open()  # no rows: the file (or the one shard) is still written, empty
        if self._sink is not None:
            self._close_sink()
        files = []
        count = len(self._done)
        for index, (path, rows, sha256) in enumerate(self._done):
            final = path
            if self.shard_size is not None:
                final = self.out_dir / file_name(self.name, self.fmt, index, count)
                os.replace(path, final)
            files.append({"path": final.name, "format": self.fmt, "rows": rows, "sha256": sha256,
                          **({"shard": index, "shards": count} if self.shard_size is not None else {})})
        self._finished = True
        return files
