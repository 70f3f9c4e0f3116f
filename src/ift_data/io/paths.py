"""Paths named in recipes and task specs: resolved against the file that names them and kept inside its
folder, so a recipe cannot turn ``/etc/passwd`` or ``../../etc/hostname`` into training data unless the
user says ``--allow-outside-paths``. The package's own bundled folders always count as inside. Also where a
write lands (``real_path``) and whether it would overwrite an input (``same_file``, ``overwritten_input``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from ift_data.resources import BUNDLED, bundled


def resolve_inside(folder: Path, value: str | Path, allow_outside: bool,
                   fail: Callable[[str], Exception]) -> Path:
    """``value`` resolved against ``folder`` (links followed); ``fail(message)`` is raised when the result
    lies outside ``folder`` (and outside the bundled folders) and ``allow_outside`` is false."""
    path = (folder / value).resolve()
    if allow_outside or _under(path, folder.resolve()) or any(_under(path, root) for root in _bundled_roots()):
        return path
    return _raise(fail(f"{str(value)!r} resolves to {path}, outside {folder.resolve()}: paths stay inside "
                       "the folder of the file that names them (pass --allow-outside-paths to allow it)"))


def real_path(path: str | os.PathLike[str]) -> Path:
    """The path the kernel would open or write: absolute, symlinks followed (a link to a folder, or a dangling
    one, is its target: renaming over the link itself would replace the link and leave its target empty),
    each ``..`` taken after the links before it (never first, which would turn ``link/..`` into the link's
    folder instead of its target's parent)."""
    return Path(os.path.realpath(path))


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` name one file: after symlinks and ``..``, or as hard links of one inode."""
    if real_path(a) == real_path(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def overwritten_input(targets: Iterable[str | Path], inputs: Iterable[str | Path]) -> tuple[Path, Path] | None:
    """The first (target, input) pair where writing ``target`` would overwrite the input, or None."""
    inputs = list(inputs)
    for target in targets:
        for source in inputs:
            if same_file(target, source):
                return Path(target), Path(source)
    return None


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _bundled_roots() -> list[Path]:
    return [bundled(name).resolve() for name in BUNDLED]


def _raise(exc: Exception) -> Path:
    raise exc
