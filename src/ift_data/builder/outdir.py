"""The output folder holds one build's files: a build is written into a fresh folder beside ``--out``
and swapped in at the end, so no file of an earlier build survives beside a manifest that does not
list it, and a failed build leaves the folder as it was.

A folder that is not empty must hold an earlier build (its ``manifest.json``): its build files are
replaced, other files someone put there are kept. A non-empty folder without a manifest is refused,
so a typo in ``--out`` never mixes a build into (or deletes from) an unrelated folder.

An ``--out`` that is a symlink (or lies under one) is written through: the work folder is made beside the
link's target and swapped in there, so the link stays and its target receives the files.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
from collections.abc import Iterable
from pathlib import Path

from ift_data import interrupts
from ift_data.errors import UserError
from ift_data.io.paths import real_path

MANIFEST = "manifest.json"
_BUILD_FILE = re.compile(r"(manifest\.json|rejects\.jsonl|dataset_info\.json|"
                         r"(train|eval|stage1|stage2)(-\d{5}-of-\d{5})?(\.[A-Za-z_]+\.jsonl|\.parquet))")


def check_out_dir(out_dir: Path) -> None:
    """Refuse an ``--out`` that cannot receive a build (checked before any work is done)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError("--out is an existing file, not a folder; choose a folder", file=str(out_dir))
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        first = sorted(p.name for p in out_dir.iterdir())[0]
        raise UserError(f"--out holds files that no build wrote (e.g. {first!r}) and no {MANIFEST}; "
                        "choose an empty or new folder", file=str(out_dir))


def check_inputs_kept(out_dir: Path, inputs: Iterable[str | Path]) -> None:
    """Refuse a build whose final swap would replace one of its own inputs: a file directly in ``out_dir``
    named as a build file (e.g. a task that reads an earlier build's ``train.alpaca.jsonl`` from the
    folder it builds into): ``--out`` must never overwrite or delete an input, as in ``clean`` and ``audit``."""
    out = real_path(out_dir)
    if not out.is_dir():
        return
    earlier = _earlier_build_files(out) if (out / MANIFEST).is_file() else set()
    for path in inputs:
        real = real_path(path)
        if real.parent == out and real.exists() and (real.name in earlier or _BUILD_FILE.fullmatch(real.name)):
            raise UserError(f"--out {out_dir} holds the input {path}, which a build into it replaces (a build's "
                            "file name): move the input or choose another output folder")


def fresh_dir(out_dir: Path) -> Path:
    """An empty folder beside ``out_dir`` (same file system, so the final swap is a rename)."""
    check_out_dir(out_dir)
    return work_dir(out_dir)


def work_dir(out_dir: Path) -> Path:
    """An empty folder beside ``out_dir`` for a run to write into, whatever ``out_dir`` holds (the caller
    checks that); abandoned work folders of earlier runs into ``out_dir`` are removed first."""
    out_dir = real_path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(out_dir)
    return _new_dir(out_dir.parent, f".{out_dir.name}.building-")


def _remove_abandoned(out_dir: Path) -> None:
    """Work folders of builds into the same ``--out`` whose process is gone (killed mid-build). A build
    killed between the two renames of :func:`swap_in` left no ``out_dir``: its earlier build is put back."""
    pattern = re.compile(rf"\.{re.escape(out_dir.name)}\.(building|old)-(\d+)-[0-9a-f]{{8}}")
    for entry in sorted(out_dir.parent.iterdir()):
        match = pattern.fullmatch(entry.name)
        if match and entry.is_dir() and not entry.is_symlink() and not _alive(int(match.group(2))):
            if match.group(1) == "old" and not out_dir.exists() and (entry / "out").is_dir():
                os.replace(entry / "out", out_dir)
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _new_dir(parent: Path, prefix: str) -> Path:
    """A new folder with the user's usual permissions (``mkdtemp`` would make it private)."""
    while True:
        path = parent / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def discard(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)


def _earlier_build_files(out_dir: Path) -> set[str]:
    names = {p.name for p in out_dir.iterdir() if p.is_file() and _BUILD_FILE.fullmatch(p.name)}
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        for section in manifest.get("outputs", {}).values():
            names |= {str(f["path"]) for f in section.get("files", []) if "/" not in str(f["path"])}
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        pass  # an unreadable manifest: its files are still recognized by name
    return names


def swap_in(work: Path, out_dir: Path) -> None:
    """Make ``work`` the new ``out_dir``: the earlier build's files go, files someone else put there stay."""
    check_out_dir(out_dir)
    out_dir = real_path(out_dir)
    replace_dir(work, out_dir, _earlier_build_files(out_dir) if out_dir.exists() else set())


def replace_dir(work: Path, out_dir: Path, earlier: set[str]) -> None:
    """Make ``work`` the new ``out_dir``: the entries of ``out_dir`` named in ``earlier`` (an earlier run's
    files) go, every other entry that ``work`` does not hold is moved into ``work`` first (kept). Stop
    signals wait until the swap is done; a run killed between the two renames is put back by the next
    ``work_dir`` for the same folder. A symlinked ``out_dir`` is its target (the link stays)."""
    out_dir = real_path(out_dir)
    if not out_dir.exists():
        os.replace(work, out_dir)
        interrupts.note_written(str(out_dir))
        return
    old = _new_dir(out_dir.parent, f".{out_dir.name}.old-")
    interrupts.check()
    # Ctrl-C or SIGTERM waits until the swap is done: no user file half moved, no folder missing.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, interrupts.STOP_SIGNALS)
    try:
        for entry in sorted(out_dir.iterdir()):
            if entry.name not in earlier and not (work / entry.name).exists():
                os.replace(entry, work / entry.name)
        os.replace(out_dir, old / "out")
        os.replace(work, out_dir)
        interrupts.note_written(str(out_dir))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    shutil.rmtree(old, ignore_errors=True)


def manifest_problems(out_dir: Path) -> list[str]:
    """What in ``out_dir`` disagrees with its ``manifest.json`` (empty: the folder is one build's): every
    file is listed, every listed file exists with its sha256, ``rejects.jsonl`` has the counted lines."""
    import hashlib

    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"no readable {MANIFEST}: {exc}"]
    listed: dict[str, str | None] = {MANIFEST: None, "rejects.jsonl": None}
    for section in manifest.get("outputs", {}).values():
        for entry in section.get("files", []):
            listed[str(entry["path"])] = entry.get("sha256")
    present = {p.name for p in out_dir.iterdir() if not p.name.startswith(".")}
    problems = [f"{name}: not in the manifest" for name in sorted(present - set(listed))]
    problems += [f"{name}: listed, missing" for name in sorted(set(listed) - present)]
    for name, sha256 in listed.items():
        if sha256 and name in present and hashlib.sha256((out_dir / name).read_bytes()).hexdigest() != sha256:
            problems.append(f"{name}: sha256 differs from the manifest")
    if "rejects.jsonl" in present:
        lines = (out_dir / "rejects.jsonl").read_bytes().count(b"\n")
        if lines != manifest.get("rejects", {}).get("count"):
            problems.append(f"rejects.jsonl: {lines} lines, the manifest counts {manifest['rejects'].get('count')}")
    return problems
