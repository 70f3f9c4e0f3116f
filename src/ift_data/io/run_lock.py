"""One run per output folder: a lock file beside ``--out`` held with ``flock`` while a command writes.

The kernel releases an ``flock`` when its process ends (exit, crash, SIGKILL), so a lock is never
stale: a lock file whose process is gone is simply taken again. A run removes its lock file when it
ends (a killed run leaves it; the next run takes and removes it). A second run into the same folder is
refused with one line naming the process that holds it. The lock file sits beside the folder (not in
it), so a build can swap the whole folder in without moving the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ift_data.errors import UserError
from ift_data.io.paths import real_path

_HELD: dict[str, int] = {}  # lock path -> how many times this process holds it (nested commands)


def lock_path(out_dir: str | os.PathLike[str]) -> Path:
    """The lock file of ``out_dir``: ``.NAME.lock`` beside it (beside a symlink's target, where the run writes,
    so two spellings of one folder share a lock)."""
    out = real_path(out_dir)
    return out.parent / f".{out.name or 'root'}.lock"


@contextlib.contextmanager
def run_lock(out_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the lock of ``out_dir`` for the block; raise ``UserError`` when another process holds it.
    Re-entrant within one process (``clean`` runs an audit into the same folder)."""
    path = lock_path(out_dir)
    key = str(path)
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield path
        finally:
            _HELD[key] -= 1
        return
    fd = _acquire(path, out_dir)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _HELD[key] = 1
        try:
            yield path
        finally:
            del _HELD[key]
            with contextlib.suppress(OSError):
                path.unlink()  # while still locked: a run that opened it meanwhile sees it is gone and retries
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(path: Path, out_dir: str | os.PathLike[str]) -> int:
    """A descriptor of ``path`` holding its flock; the file is the one at ``path`` now (not one that a
    finishing run removed after we opened it)."""
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            blocker = _file_above(path.parent)
            if blocker is not None:
                where = "the parent of --out" if blocker == path.parent else "a path above --out"
                raise UserError(f"{where} ({blocker}) is a file, not a folder; choose another --out",
                                file=str(out_dir)) from None
            raise UserError(f"cannot create the lock file: {exc.strerror or exc}", file=str(path)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise UserError(f"another ift-data run{holder} is writing into this folder; wait for it "
                            "to finish or choose another --out", file=str(out_dir)) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _file_above(folder: Path) -> Path | None:
    """The nearest existing path at or above ``folder`` when it is not a folder (it blocks ``--out``)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (process {pid})" if pid.isdigit() else ""
