"""Where ``audit`` and ``clean`` may write, what their kept files are called, and whether an earlier
audit (``--signals``) belongs to these inputs. Checked before anything is read or written:

- each input is given once (the same file under two spellings, a symlink or a hard link is refused);
- ``--out`` is never an input, never holds one and never lies inside one (a ``save_to_disk`` folder);
  paths are compared after resolving symlinks and ``..``;
- a kept file is named after its input unless that name is one of the command's own outputs or an
  earlier input's kept file: then it is ``<position>_<name>`` (position of the input, from 0);
- ``--signals`` is used only when its ``summary.json`` lists the same inputs, in the same order, with
  the same bytes (sha256) and the same read accounting.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ift_data.audit.summary import AuditSummary
from ift_data.errors import UserError
from ift_data.io.instructions import SourceInfo
from ift_data.schema import Reject

# Every file name audit and clean write into --out (report.html: the audit's report).
OWN_OUTPUTS = ("rejected.jsonl", "clean.json", "signals.parquet", "summary.json", "report.html")


def _real(path: str | Path) -> Path:
    """The path the kernel would open: symlinks resolved before each ``..`` (never ``..`` first, which
    would turn ``link/..`` into the link's folder instead of its target's parent)."""
    return Path(os.path.realpath(path))


def check_inputs_once(paths: Sequence[str | Path]) -> None:
    """Refuse a file given twice (``a.jsonl`` and ``./x/../a.jsonl``, a symlink or a hard link to it)."""
    seen: dict[object, str | Path] = {}
    for path in paths:
        real = _real(path)
        try:
            stat = real.stat()
            key: object = (stat.st_dev, stat.st_ino)
        except OSError:
            key = real
        if key in seen:
            raise UserError(f"this input is given twice (also as {seen[key]}): give each file once",
                            file=str(path))
        seen[key] = path


def check_out_dir(paths: Sequence[str | Path], out_dir: str | Path) -> None:
    """Refuse an output folder that is an input, holds one or lies inside one."""
    out = _real(out_dir)
    for path in paths:
        real = _real(path)
        if out == real or real.is_relative_to(out):
            how = "is" if out == real else "holds"
        elif out.is_relative_to(real):
            how = "is inside"
        else:
            continue
        raise UserError(f"--out {out_dir} {how} the input {path}: writing there could overwrite or delete it; "
                        "choose another output folder")


def check_paths(paths: Sequence[str | Path], out_dir: str | Path) -> None:
    """Both checks above: what ``audit`` and ``clean`` run before reading anything."""
    check_inputs_once(paths)
    check_out_dir(paths, out_dir)


def kept_names(sources: Sequence[SourceInfo]) -> list[str]:
    """One kept-file name per input: its own name, or ``<position>_<name>`` when that name is one of
    ``OWN_OUTPUTS`` or already taken (compared without case: some file systems ignore it)."""
    taken = {name.lower() for name in OWN_OUTPUTS}
    names = []
    for i, source in enumerate(sources):
        name = Path(source.path).name
        while name.lower() in taken:
            name = f"{i}_{name}"
        taken.add(name.lower())
        names.append(name)
    return names


def check_signals_match(summary: AuditSummary, sources: Sequence[SourceInfo], rejects: Sequence[Reject],
                        signals: str | Path) -> None:
    """Refuse an audit made on other inputs, in another order, on other bytes or read otherwise."""
    audited = summary.inputs
    where = f"--signals {signals}"
    if len(audited) != len(sources):
        raise UserError(f"{where} is the audit of {len(audited)} input(s) ({', '.join(i.path for i in audited)}), "
                        f"not of these {len(sources)}: audit this data again")
    by_digest = {i.sha256: i for i in audited}
    for position, (was, now) in enumerate(zip(audited, sources, strict=True)):
        digest = now.sha256
        if digest != was.sha256:
            if digest in by_digest:
                what = f"was audited as input {audited.index(by_digest[digest]) + 1}, not {position + 1} (another order)"
            elif Path(was.path).name == Path(now.path).name:
                what = "has changed since the audit"
            else:
                what = f"is not the audited file ({was.path})"
            raise UserError(f"{where}: {now.path} {what}: audit this data again")
        mine = sorted(r.line for r in rejects if r.file == now.path)
        theirs = sorted(r.line for r in summary.read_rejects if r.file == was.path)
        if (now.records, now.rows, now.rejected) != (was.records, was.rows, was.rejected) or mine != theirs:
            raise UserError(f"{where}: {now.path} was read into other rows than the audit's ({now.rows} rows, "
                            f"{now.rejected} rejected; the audit had {was.rows} and {was.rejected}): use the "
                            "audit's --map/--max-rows/--max-field-chars or audit again")
