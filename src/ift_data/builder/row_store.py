"""The rows of one dataset split, held compactly: in memory while few, spilled to a temporary file past a
threshold, so reading a 10M-row source costs a few bytes a row, not a ``TaskRow`` a row.

Past ``SPILL_ROWS`` rows or ``SPILL_BYTES`` characters of slot text (env ``IFT_DATA_ROW_SPILL_ROWS``,
``IFT_DATA_ROW_SPILL_BYTES``), every row is written, as it is read, to a temporary file in ``tempfile``'s
folder (``TMPDIR``): a kind byte, then the row's slots as JSON (orjson), or a tagged JSON form where JSON
would not give back the same values (tuples, bytes, NaN and infinities, integers past 64 bits, lone
surrogates); a row holding a value neither can carry (a ``datetime`` from a Parquet column, say) stays in
memory. An int64 offsets array finds each record; each row's line (an int32 array while lines fit) and file
(as runs of rows: a folder source reads file after file) are kept beside it, so the ledger's ranges never
decode a row. A row read back is decoded again (a small cache keeps the last ones); iterating reads the file
in 1 MiB blocks. The file is removed when the rows are closed or garbage collected, at exit, and when
reading fails (Ctrl-C included); one left by a killed process (SIGKILL) is removed by the next build that
spills into the same folder.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import os
import re
import socket
import tempfile
import weakref
from abc import abstractmethod
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO, overload

import numpy as np
import orjson

from ift_data.errors import UserError
from ift_data.tasks.rows import TaskRow, text_size


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, found {value!r}") from None


SPILL_ROWS = _env_int("IFT_DATA_ROW_SPILL_ROWS", 50_000)  # more rows than this: spilled to a file
SPILL_BYTES = _env_int("IFT_DATA_ROW_SPILL_BYTES", 64 * 2**20)  # or more characters of slot text than this
CACHE_ROWS = 256  # rows decoded lately, kept (an example reads its row more than once)
BLOCK = 1 << 20  # bytes read at a time when iterating
MAX_OPEN = 64  # spill files kept open for reading at once (the least recently read is closed)
_OPEN: OrderedDict[str, int] = OrderedDict()  # spill file -> its read descriptor, in this process

PREFIX = "ift-data-rows-"  # spill files: <PREFIX><host>-<pid>-<random>.bin
_JSON, _LOCATED, _TAGGED, _HELD = b"J", b"L", b"T", b"M"  # record kinds (the first byte)
_INT64 = (-(2**63), 2**63 - 1)


class Rows(Sequence[TaskRow]):
    """The rows of a dataset split by index, with each row's file and line known without decoding it."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def _get(self, index: int) -> TaskRow: ...

    @abstractmethod
    def file_line(self, index: int) -> tuple[str, int]:
        """(file, line) of row ``index``, without decoding the row."""

    @abstractmethod
    def file_runs(self) -> tuple[np.ndarray, list[str]]:
        """(first row of each run of rows from one file, ascending; that file's name)."""

    @abstractmethod
    def slot_names_at(self, indices: np.ndarray | None) -> list[str]:
        """Sorted names of every slot of the rows at ``indices`` (None: all rows)."""

    @property
    def spilled(self) -> bool:
        """Whether the rows live in a temporary file."""
        return False

    def close(self) -> None:
        """Free what the rows hold (their temporary file); reading them afterwards is an error."""

    def slot_names(self) -> list[str]:
        """Sorted names of every slot of every row (known from reading: no row is decoded)."""
        return self.slot_names_at(None)

    def subset(self, indices: np.ndarray) -> Rows:
        """The rows at ``indices`` (ascending), as a view: nothing is copied or decoded."""
        return RowSubset(self, np.asarray(indices, dtype=np.int64))

    def file_segments(self, start: int, stop: int) -> Iterator[tuple[int, int, str]]:
        """(first, stop, file) for the rows ``start:stop`` cut where the file changes."""
        starts, names = self.file_runs()
        run = int(np.searchsorted(starts, start, side="right")) - 1
        at = start
        while at < stop:
            end = int(starts[run + 1]) if run + 1 < len(starts) else stop
            end = min(end, stop)
            yield at, end, names[run]
            at, run = end, run + 1

    @overload
    def __getitem__(self, index: int) -> TaskRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[TaskRow]: ...

    def __getitem__(self, index: int | slice) -> TaskRow | list[TaskRow]:
        if isinstance(index, slice):
            return [self._get(i) for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"row {index} of {n}")
        return self._get(index)

    def __iter__(self) -> Iterator[TaskRow]:
        for index in range(len(self)):
            yield self._get(index)


class MemoryRows(Rows):
    """Rows kept as ``TaskRow`` objects (a small split)."""

    def __init__(self, rows: list[TaskRow] | None = None, names: Iterable[str] | None = None) -> None:
        self._rows = rows if rows is not None else []
        self._names = sorted(set(names)) if names is not None else None
        self._runs: tuple[np.ndarray, list[str]] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def _get(self, index: int) -> TaskRow:
        return self._rows[index]

    def __iter__(self) -> Iterator[TaskRow]:
        return iter(self._rows)

    def file_line(self, index: int) -> tuple[str, int]:
        row = self._rows[index]
        return row.file, row.line

    def file_runs(self) -> tuple[np.ndarray, list[str]]:
        if self._runs is None:
            starts: list[int] = []
            names: list[str] = []
            for index, row in enumerate(self._rows):
                if not names or row.file != names[-1]:
                    starts.append(index)
                    names.append(row.file)
            self._runs = np.array(starts, dtype=np.int64), names
        return self._runs

    def slot_names_at(self, indices: np.ndarray | None) -> list[str]:
        if indices is None and self._names is not None:
            return list(self._names)
        rows = self._rows if indices is None else (self._rows[i] for i in indices.tolist())
        return sorted({name for row in rows for name in row.slots})


class SpilledRows(Rows):
    """Rows in a temporary file (see the module's docstring); built by ``RowWriter``."""

    def __init__(self, path: str, offsets: array[int], lines: array[int], file_starts: array[int],
                 file_names: list[str], held: dict[int, TaskRow], keysets: list[tuple[str, ...]],
                 keyset_ids: array[int] | None, keysets_exact: bool) -> None:
        self.path = path
        self._offsets, self._lines = offsets, lines
        self._file_starts, self._file_names = file_starts, file_names
        self._held, self._keysets, self._keyset_ids, self._keysets_exact = held, keysets, keyset_ids, keysets_exact
        self._setup(owner=True)

    def _setup(self, owner: bool) -> None:
        self._cache: OrderedDict[int, TaskRow] = OrderedDict()
        self._closed = False
        # only the process that wrote the file removes it (a forked or unpickled copy only closes its fd)
        self._finalizer = weakref.finalize(self, _cleanup, self.path, owner, os.getpid())

    def __getstate__(self) -> dict[str, Any]:
        if self._closed:
            raise RuntimeError("rows closed: their temporary file is gone")
        return {k: v for k, v in self.__dict__.items() if k not in ("_cache", "_finalizer", "_closed")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup(owner=False)

    @property
    def spilled(self) -> bool:
        return True

    def close(self) -> None:
        self._closed = True
        self._cache.clear()
        self._finalizer()

    def _fd(self) -> int:
        """A read descriptor of the file, from a process-wide cache of ``MAX_OPEN`` (a build of many big
        datasets never runs out of descriptors); asked for at each read, never held across reads."""
        if self._closed:
            raise RuntimeError(f"rows closed: their temporary file {self.path} is gone")
        fd = _OPEN.get(self.path)
        if fd is not None:
            _OPEN.move_to_end(self.path)
            return fd
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise RuntimeError(f"the rows were spilled to {self.path} by the process that read them, and this "
                               "process does not see that file (a worker on another machine?): put TMPDIR on "
                               "a folder every worker sees, or raise IFT_DATA_ROW_SPILL_ROWS / "
                               "IFT_DATA_ROW_SPILL_BYTES to keep the rows in memory") from None
        _OPEN[self.path] = fd
        while len(_OPEN) > MAX_OPEN:
            os.close(_OPEN.popitem(last=False)[1])
        return fd

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def file_line(self, index: int) -> tuple[str, int]:
        return self._file_names[bisect.bisect_right(self._file_starts, index) - 1], self._lines[index]

    def file_runs(self) -> tuple[np.ndarray, list[str]]:
        return np.frombuffer(self._file_starts, dtype=np.int64), self._file_names

    def slot_names_at(self, indices: np.ndarray | None) -> list[str]:
        if indices is not None and len(indices) == 0:
            return []
        if len(self._keysets) == 1 and self._keysets_exact:
            return sorted(self._keysets[0])
        if self._keyset_ids is not None:
            ids = np.frombuffer(self._keyset_ids, dtype=np.uint16)
            used = np.unique(ids if indices is None else ids[indices]).tolist()
            return sorted({name for i in used for name in self._keysets[i]})
        # too many distinct key sets to track them: decode the rows
        rows = iter(self) if indices is None else (self._get(i) for i in indices.tolist())
        return sorted({name for row in rows for name in row.slots})

    def _get(self, index: int) -> TaskRow:
        row = self._cache.get(index)
        if row is not None:
            self._cache.move_to_end(index)
            return row
        start, end = self._offsets[index], self._offsets[index + 1]
        row = self._decode(index, os.pread(self._fd(), end - start, start))
        self._cache[index] = row
        if len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
        return row

    def __iter__(self) -> Iterator[TaskRow]:
        offsets = self._offsets
        block, block_start = memoryview(b""), 0
        for index in range(len(self)):
            start, end = offsets[index], offsets[index + 1]
            if end > block_start + len(block):
                block, block_start = memoryview(os.pread(self._fd(), max(BLOCK, end - start), start)), start
            yield self._decode(index, block[start - block_start:end - block_start])

    def _decode(self, index: int, record: bytes | memoryview) -> TaskRow:
        if len(record) == 0:
            raise RuntimeError(f"row {index}: its temporary file {self.path} was cut short")
        file, line = self.file_line(index)
        kind = record[0:1]
        if kind == _JSON:
            return TaskRow(orjson.loads(record[1:]), f"{file}:{line}", file, line)
        if kind == _LOCATED:
            location, slots = orjson.loads(record[1:])
            return TaskRow(slots, location, file, line)
        if kind == _TAGGED:
            location, tagged = json.loads(bytes(record[1:]))
            return TaskRow(_untag(tagged), location or f"{file}:{line}", file, line)
        if kind == _HELD:
            return self._held[index]
        raise RuntimeError(f"row {index}: unknown record kind {bytes(kind)!r} in {self.path}")


class RowSubset(Rows):
    """Some rows of another ``Rows`` (the rows a hard cap kept, or those it dropped), by index."""

    def __init__(self, base: Rows, indices: np.ndarray) -> None:
        self.base, self.indices = base, indices
        self._runs: tuple[np.ndarray, list[str]] | None = None

    def __len__(self) -> int:
        return len(self.indices)

    def _get(self, index: int) -> TaskRow:
        return self.base[int(self.indices[index])]

    def __iter__(self) -> Iterator[TaskRow]:
        base = self.base
        for index in self.indices.tolist():
            yield base[index]

    @property
    def spilled(self) -> bool:
        return self.base.spilled

    def close(self) -> None:
        self.base.close()

    def file_line(self, index: int) -> tuple[str, int]:
        return self.base.file_line(int(self.indices[index]))

    def file_runs(self) -> tuple[np.ndarray, list[str]]:
        if self._runs is None:
            starts, names = self.base.file_runs()
            run = np.searchsorted(starts, self.indices, side="right") - 1
            first = np.flatnonzero(np.diff(run)) + 1 if len(run) else np.zeros(0, dtype=np.int64)
            first = np.concatenate([np.zeros(min(len(run), 1), dtype=np.int64), first])
            self._runs = first.astype(np.int64), [names[int(r)] for r in run[first]]
        return self._runs

    def slot_names_at(self, indices: np.ndarray | None) -> list[str]:
        return self.base.slot_names_at(self.indices if indices is None else self.indices[indices])


def slot_names(rows: Sequence[TaskRow]) -> list[str]:
    """Sorted names of every slot of ``rows`` (a ``Rows`` knows them without decoding its rows)."""
    if isinstance(rows, Rows):
        return rows.slot_names()
    return sorted({name for row in rows for name in row.slots})


class RowWriter:
    """Collects a split's rows in reading order: in memory up to the thresholds, then in a temporary file.

    Use as a context manager (or call ``discard`` on failure): leaving it by an exception removes the file.
    ``finish`` hands back the ``Rows``."""

    def __init__(self, spill_rows: int | None = None, spill_bytes: int | None = None,
                 folder: str | None = None) -> None:
        self.spill_rows = SPILL_ROWS if spill_rows is None else spill_rows
        self.spill_bytes = SPILL_BYTES if spill_bytes is None else spill_bytes
        self.folder = folder
        self._rows: list[TaskRow] = []
        self._count = 0
        self._chars = 0
        self._keysets: dict[tuple[str, ...], int] = {}
        self._names: set[str] = set()
        self._keyset_ids: array[int] | None = None
        self._keysets_exact = True
        # spilled state
        self._file: BinaryIO | None = None
        self._path: str | None = None
        self._remove: weakref.finalize | None = None
        self._offsets: array[int] = array("q", [0])
        self._lines: array[int] = array("i")
        self._file_starts: array[int] = array("q")
        self._file_names: list[str] = []
        self._held: dict[int, TaskRow] = {}

    def __len__(self) -> int:
        return self._count

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is not None:
            self.discard()

    def add(self, row: TaskRow, chars: int | None = None) -> None:
        """Keep one row; ``chars``: its characters of slot text, when the caller knows them."""
        self._track_keys(row)
        index = self._count
        self._count += 1
        if self._file is not None:
            with self._temp_file_errors():
                self._write(index, row)
            return
        self._rows.append(row)
        self._chars += sum(text_size(v) for v in row.slots.values()) if chars is None else chars
        if self._count > self.spill_rows or self._chars > self.spill_bytes:
            with self._temp_file_errors():
                self._spill()

    def finish(self) -> Rows:
        """The rows collected (the writer is spent)."""
        if self._file is None:
            names = sorted(self._names) if self._keysets_exact else None
            return MemoryRows(self._rows, names)
        assert self._path is not None and self._remove is not None
        with self._temp_file_errors():
            self._file.close()
        self._file = None
        self._remove.detach()  # the rows own the file now
        keysets = sorted(self._keysets, key=self._keysets.__getitem__)
        return SpilledRows(self._path, self._offsets, self._lines, self._file_starts, self._file_names,
                           self._held, keysets, self._keyset_ids, self._keysets_exact)

    def discard(self) -> None:
        """Drop what was collected and remove the temporary file."""
        self._rows = []
        if self._file is not None:
            with contextlib.suppress(OSError):  # its last writes fail again (a full disk): the file goes anyway
                self._file.close()
            self._file = None
        if self._remove is not None:
            self._remove()

    @contextlib.contextmanager
    def _temp_file_errors(self) -> Iterator[None]:
        """A failed write of the temporary file (a full ``TMPDIR``) is a one-line error naming its folder."""
        try:
            yield
        except OSError as exc:
            folder = os.path.dirname(self._path) if self._path else self.folder or tempfile.gettempdir()
            raise UserError(f"cannot write the build's temporary row file: {exc.strerror or exc}; large datasets "
                            "keep their rows in TMPDIR: point it at a folder with more room", file=folder) from exc

    def _track_keys(self, row: TaskRow) -> None:
        if not self._keysets_exact:
            return
        keys = tuple(row.slots)
        known = self._keysets.get(keys)
        if known is None:
            known = len(self._keysets)
            if known > 0xFFFF:  # too many distinct key sets to track: names are found by decoding
                self._keysets_exact, self._keyset_ids = False, None
                return
            self._keysets[keys] = known
            self._names.update(keys)
            if known == 1:
                self._keyset_ids = array("H", bytes(2 * self._count))
        if self._keyset_ids is not None:
            self._keyset_ids.append(known)

    def _spill(self) -> None:
        folder = self.folder or tempfile.gettempdir()
        sweep_stale(folder)
        fd, self._path = tempfile.mkstemp(prefix=own_prefix(), suffix=".bin", dir=folder)
        self._remove = weakref.finalize(self, _cleanup, self._path, True, os.getpid())
        self._file = os.fdopen(fd, "wb", buffering=BLOCK)
        rows, self._rows = self._rows, []
        for index, row in enumerate(rows):
            self._write(index, row)

    def _write(self, index: int, row: TaskRow) -> None:
        assert self._file is not None
        file, line = row.file, row.line
        if not self._file_names or self._file_names[-1] != file:
            self._file_starts.append(index)
            self._file_names.append(file)
        try:
            self._lines.append(line)
        except OverflowError:  # a line past 2**31: 8 bytes a line from now on
            self._lines = array("q", self._lines)
            self._lines.append(line)
        kind, body = encode(row)
        if kind == _HELD:
            self._held[index] = row
        self._file.write(kind)
        self._file.write(body)
        self._offsets.append(self._offsets[-1] + 1 + len(body))


def handed_over(rows: Rows) -> Rows:
    """``rows`` ready to be pickled to another process that takes over their file (a reading worker's
    rows): this process will no longer remove it."""
    if isinstance(rows, SpilledRows):
        rows._finalizer.detach()
    return rows


def shipped(rows: Rows, to_host: str) -> tuple[Rows, bytes | None]:
    """A reading task's handed-over ``rows`` for a process on ``to_host``: on this machine the file is taken
    over where it is; elsewhere its bytes travel with the rows (``received``) and the file here goes."""
    if not isinstance(rows, SpilledRows) or to_host == host_name():
        return rows, None
    path = rows.path
    with open(path, "rb") as handle:
        data = handle.read()
    os.unlink(path)
    return rows, data


def received(rows: Rows, data: bytes | None) -> Rows:
    """Rows from ``shipped``: their file written here when its bytes came along (``concatenated`` then makes
    it this process's own)."""
    if data is None or not isinstance(rows, SpilledRows):
        return rows
    fd, path = tempfile.mkstemp(prefix=own_prefix(), suffix=".bin")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    rows.path = path
    return rows


def concatenated(parts: Sequence[Rows]) -> Rows:
    """The rows of ``parts`` (in order) as one ``Rows``: what one ``RowWriter`` given every row would have
    made. Parts are spilled rows (reading workers write with ``RowWriter(spill_rows=0)`` and hand them over,
    ``handed_over``) or empty; they are appended to the first one's file, and every other part file is
    removed, on failure too."""
    spilled: list[SpilledRows] = []
    for part in parts:
        if isinstance(part, SpilledRows):
            spilled.append(part)
        elif len(part):
            raise ValueError("concatenated: every non-empty part must be spilled rows")
    if not spilled:
        return MemoryRows()
    try:
        return _joined(spilled)
    except BaseException:
        remove_files(spilled)
        raise


def remove_files(parts: Sequence[Rows]) -> None:
    """Remove the files of the spilled ``parts`` (parts handed over and not yet joined, on a failure)."""
    for part in parts:
        if isinstance(part, SpilledRows):
            with contextlib.suppress(OSError):
                os.unlink(part.path)


def _joined(parts: Sequence[SpilledRows]) -> SpilledRows:
    first = parts[0]
    wide = any(part._lines.typecode == "q" for part in parts)
    offsets, lines, starts = array("q", [0]), array("q" if wide else "i"), array("q")
    names: list[str] = []
    held: dict[int, TaskRow] = {}
    keysets: dict[tuple[str, ...], int] = {}
    ids: list[np.ndarray] = []
    exact = True
    count = 0
    with open(first.path, "ab") as target:
        for part in parts:
            size = part._offsets[-1]
            base = offsets[-1]
            if part is not first:
                with open(part.path, "rb") as source:
                    _copy(source, target, size)
                os.unlink(part.path)
            offsets.frombytes((np.frombuffer(part._offsets, dtype=np.int64)[1:] + base).tobytes())
            lines.extend(part._lines if part._lines.typecode == lines.typecode else array(lines.typecode, part._lines))
            for start, name in zip(part._file_starts, part._file_names, strict=True):
                if not names or names[-1] != name:
                    starts.append(start + count)
                    names.append(name)
            held.update({index + count: row for index, row in part._held.items()})
            if not part._keysets_exact:
                exact = False
            elif exact:
                local = np.array([keysets.setdefault(keys, len(keysets)) for keys in part._keysets], dtype=np.int64)
                part_ids = (np.zeros(len(part), dtype=np.uint16) if part._keyset_ids is None
                            else np.frombuffer(part._keyset_ids, dtype=np.uint16))
                ids.append(local[part_ids].astype(np.uint16) if len(keysets) <= 0x10000 else part_ids)
            count += len(part)
            part._offsets, part._lines = array("q", [0]), array("i")  # consumed: its memory goes now
    if exact and len(keysets) > 0x10000:
        exact = False
    keyset_ids: array[int] | None = None
    if exact and len(keysets) > 1:
        keyset_ids = array("H", np.concatenate(ids).tobytes())
    # The file is named after the worker that wrote it, which has ended: ``sweep_stale`` would take it for a
    # killed build's. It becomes this process's file.
    fd, path = tempfile.mkstemp(prefix=own_prefix(), suffix=".bin", dir=os.path.dirname(first.path))
    os.close(fd)
    os.replace(first.path, path)
    return SpilledRows(path, offsets, lines, starts, names, held, list(keysets) if exact else [], keyset_ids, exact)


def _copy(source: BinaryIO, target: BinaryIO, size: int) -> None:
    """``size`` bytes from ``source`` to the end of ``target`` (in the kernel where it can)."""
    target.flush()
    done = 0
    try:
        while done < size:
            sent = os.copy_file_range(source.fileno(), target.fileno(), size - done)
            if sent == 0:
                break
            done += sent
    except (AttributeError, OSError):
        source.seek(done)
        while done < size:
            block = source.read(min(BLOCK, size - done))
            if not block:
                break
            target.write(block)
            done += len(block)
    if done != size:
        raise OSError(f"{source.name}: {done} of {size} bytes copied")


def encode(row: TaskRow) -> tuple[bytes, bytes]:
    """(record kind, body) of one row; kind ``M``: no encoding gives its values back exactly (kept in memory)."""
    location = row.location
    plain_location = location == f"{row.file}:{row.line}"
    if _plain_slots(row.slots):
        try:
            return (_JSON, orjson.dumps(row.slots)) if plain_location else (_LOCATED, orjson.dumps([location, row.slots]))
        except (TypeError, RecursionError):  # lone surrogates (orjson.JSONEncodeError), nesting past orjson's limit
            pass
    try:
        tagged = json.dumps([None if plain_location else location, _tag(row.slots)], ensure_ascii=True)
    except (_Unsupported, ValueError, RecursionError):
        return _HELD, b""
    return _TAGGED, tagged.encode("ascii")


def _plain_slots(slots: dict[str, Any]) -> bool:
    """Whether JSON gives these values back exactly, types included."""
    try:
        for value in slots.values():
            kind = type(value)
            if kind is str or (kind is int and _INT64[0] <= value <= _INT64[1]):
                continue
            if not _plain(value):
                return False
    except RecursionError:
        return False
    return True


def _plain(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(_INT64[0] <= value <= _INT64[1])
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(_plain(v) for v in value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


class _Unsupported(Exception):
    """A value of a type the tagged form does not carry."""


def _tag(value: Any) -> Any:
    """Every value as [tag, payload]: exact for str (lone surrogates too), None, bool, int of any size,
    float (NaN, infinities, -0.0), list, tuple, dict (any keys of these types) and bytes."""
    kind = type(value)
    if kind is str:
        return ["s", value]
    if value is None:
        return ["n", 0]
    if kind is bool:
        return ["b", value]
    if kind is int:
        return ["i", str(value)]
    if kind is float:
        return ["f", repr(value)]
    if kind is list:
        return ["l", [_tag(v) for v in value]]
    if kind is tuple:
        return ["t", [_tag(v) for v in value]]
    if kind is dict:
        return ["d", [[_tag(k), _tag(v)] for k, v in value.items()]]
    if kind is bytes:
        return ["y", value.hex()]
    raise _Unsupported(kind.__name__)


def _untag(node: list[Any]) -> Any:
    tag, payload = node
    if tag == "s" or tag == "b":
        return payload
    if tag == "n":
        return None
    if tag == "i":
        return int(payload)
    if tag == "f":
        return float(payload)
    if tag == "l":
        return [_untag(v) for v in payload]
    if tag == "t":
        return tuple(_untag(v) for v in payload)
    if tag == "d":
        return {_untag(k): _untag(v) for k, v in payload}
    if tag == "y":
        return bytes.fromhex(payload)
    raise ValueError(f"unknown tag {tag!r}")


def own_prefix() -> str:
    """The name prefix of this process's spill files (``sweep_stale`` reads its host and pid)."""
    return f"{PREFIX}{host_name()}-{os.getpid()}-"


def host_name() -> str:
    """This machine's name as spill files carry it."""
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:64] or "host"


def sweep_stale(folder: str) -> list[str]:
    """Remove the spill files in ``folder`` left by processes of this machine that no longer run (a build
    killed with SIGKILL runs no cleanup); the removed paths. A file of a live process, or of another
    machine sharing the folder, is left alone."""
    removed: list[str] = []
    pattern = re.compile(re.escape(PREFIX + host_name()) + r"-(\d+)-[^/]*\.bin")
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or _alive(int(match.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(folder, name))
            removed.append(os.path.join(folder, name))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _cleanup(path: str, owner: bool, owner_pid: int) -> None:
    """Close the file's read descriptor; remove the file when this is the process that wrote it."""
    fd = _OPEN.pop(path, None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
    if owner and os.getpid() == owner_pid:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
