"""What selection rendered, kept for the export, so that each selected example is rendered once.

Selecting an example renders it (to learn whether its row and template make one); instead of rendering it
again when it is written, the export builds it from what selection kept: the query's spans, its exemplars'
spans and its row's location, serialized with ``marshal`` (tuples and strings this process made, never data
read from a user's file as such) and appended, one record an example, to a buffer that goes to a temporary
file past 1 MiB (beside the row store's spill files, removed the same ways: when the cache is closed or
collected, at exit, and by the next build after a SIGKILL). An int64 offset per example finds each record.
Forked export workers, and Ray workers on this machine (the cache is pickled with its path and host
name), read the file with ``pread`` through a descriptor of their own; a Ray worker on another machine
renders the examples again. The file takes about
300 bytes an example in ``TMPDIR`` (3 GB for 10M examples); ``IFT_DATA_RENDER_CACHE=0`` turns the cache off
(every example is then rendered twice, as before: same output, ~15-25 % more CPU).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import tempfile
import weakref
from array import array
from typing import Any

from ift_data.builder.row_store import host_name, own_prefix, sweep_stale

BLOCK = 1 << 20  # bytes buffered before they are written to the file
ENV = "IFT_DATA_RENDER_CACHE"
_READERS: dict[str, tuple[int, int]] = {}  # cache file -> (pid, read descriptor) of this process


def pack(location: str, query: Any, exemplars: Any) -> bytes | None:
    """One example's record: ``(location, query input, query target, ((input, target) of each exemplar))``;
    None when a value is not a plain string or tuple (``marshal`` takes no subclasses)."""
    try:
        return marshal.dumps((location, query.input, query.target, tuple((e.input, e.target) for e in exemplars)))
    except ValueError:
        return None


def unpack(record: bytes) -> tuple[str, Any, Any, tuple[tuple[Any, Any], ...]]:
    """``pack``'s tuple back."""
    location, query_input, query_target, exemplars = marshal.loads(record)
    return location, query_input, query_target, exemplars


def enabled() -> bool:
    """Whether builds keep selection's renders (``IFT_DATA_RENDER_CACHE`` not ``0``/``false``/``no``/``off``)."""
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class RenderCache:
    """Records appended in order, read back by index (in this process or a forked one)."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder
        self._host = host_name()  # the machine whose file this is
        self._offsets = array("q", [0])
        self._buffer = bytearray()
        self._flushed = 0  # bytes written to the file (the buffer holds what follows)
        self._path: str | None = None
        self._fd: int | None = None
        self._finalizer: weakref.finalize | None = None

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def add(self, record: bytes) -> None:
        self.extend([record])

    def extend(self, records: list[bytes]) -> None:
        """``add`` of each record, in order."""
        end = self._offsets[-1]
        for record in records:
            end += len(record)
            self._offsets.append(end)
        self._buffer += b"".join(records)
        if len(self._buffer) >= BLOCK:
            self._flush()

    def get(self, index: int) -> bytes:
        start, end = self._offsets[index], self._offsets[index + 1]
        if start >= self._flushed:
            return bytes(self._buffer[start - self._flushed:end - self._flushed])
        assert self._path is not None
        data = os.pread(_reader(self._path), end - start, start)
        if len(data) != end - start:
            raise OSError(f"render cache {self._path}: short read at {start}")
        return data

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (for Ray workers): the offsets, the records not yet in the file, the file's path and this
        machine's name; never the descriptor or the duty to remove the file."""
        return {"folder": self.folder, "_offsets": self._offsets, "_buffer": self._buffer,
                "_flushed": self._flushed, "_path": self._path, "host": self._host}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._host = state.pop("host")
        self.__dict__.update(state)
        self._fd, self._finalizer = None, None
        if self._path is not None:  # closes this process's read descriptor; the file stays its writer's
            self._finalizer = weakref.finalize(self, _cleanup, -1, self._path, -1)

    def readable(self) -> bool:
        """Whether this process can read every record: the cache was made on this machine and its file (if
        any) is there. A copy unpickled on another machine is not."""
        if self._host != host_name():
            return False
        return self._path is None or os.access(self._path, os.R_OK)

    def close(self) -> None:
        """Remove the file (when this process wrote it) and forget every record."""
        if self._finalizer is not None:
            self._finalizer()
        self._offsets = array("q", [0])
        self._buffer.clear()
        self._flushed = 0

    def _flush(self) -> None:
        if self._fd is None:
            folder = self.folder or tempfile.gettempdir()
            sweep_stale(folder)  # files of builds killed with SIGKILL (which run no cleanup)
            self._fd, self._path = tempfile.mkstemp(prefix=f"{own_prefix()}render-", suffix=".bin", dir=folder)
            self._finalizer = weakref.finalize(self, _cleanup, self._fd, self._path, os.getpid())
        view = memoryview(self._buffer)
        while view:
            view = view[os.write(self._fd, view):]
        view.release()
        self._flushed += len(self._buffer)
        self._buffer.clear()


def _reader(path: str) -> int:
    """This process's read descriptor of ``path`` (a forked worker opens its own)."""
    pid = os.getpid()
    known = _READERS.get(path)
    if known is None or known[0] != pid:
        _READERS[path] = known = (pid, os.open(path, os.O_RDONLY))
    return known[1]


def _cleanup(fd: int, path: str, owner_pid: int) -> None:
    known = _READERS.pop(path, None)
    if known is not None and known[0] == os.getpid():
        with contextlib.suppress(OSError):
            os.close(known[1])
    if os.getpid() == owner_pid:  # a copy unpickled elsewhere passes -1: it owns neither fd nor file
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
