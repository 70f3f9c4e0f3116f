"""Where ``audit`` and ``clean`` may write, what their kept files are called, and whether an earlier
audit (``--signals``) belongs to these inputs. Checked before anything is read or written:

- each input is given once (the same file under two spellings, a symlink or a hard link is refused);
- ``--out`` is never an input, never holds one and never lies inside one (a ``save_to_disk`` folder);
  paths are compared after resolving symlinks and ``..``;
- a kept file is named after its input unless that name is one of the command's own outputs or an
  earlier input's kept file: then it is ``<position>_<name>`` (position of the input, from 0);
- ``--signals`` is used only when its ``summary.json`` lists the same inputs, in the same order, with
  the same bytes (sha256) and the same read accounting, and when it was made with the same ``--map``,
  ``--id`` and rules (their resolved values) as this clean;
- ``clean``'s ``--out`` holds one run's files: it may hold an earlier clean's files (``clean.json``,
  ``rejected.jsonl`` and the kept files its ``clean.json`` lists) and an audit's (``signals.parquet``,
  ``summary.json``, ``report.html``), nothing else (``check_clean_out``). A re-run replaces them all; the
  audit's files stay only when they are this run's ``--signals``;
- ``audit``'s ``--out`` may hold the same, nothing else (``check_audit_out``): an audit replaces them all (an
  earlier clean's ``clean.json``, ``rejected.jsonl`` and kept files go too: they describe another run), so a
  folder of other files (a build's, the user's own notes) is refused before any work. In both, a
  ``summary.json`` that is not an audit's summary is someone else's file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ift_data.audit.summary import AuditSummary
from ift_data.errors import UserError
from ift_data.io.instructions import SourceInfo
from ift_data.io.paths import real_path
from ift_data.schema import Reject

# Every file name audit and clean write into --out (report.html: the audit's report).
OWN_OUTPUTS = ("rejected.jsonl", "clean.json", "signals.parquet", "summary.json", "report.html")
AUDIT_OUTPUTS = ("signals.parquet", "summary.json", "report.html")
CLEAN_REPORT = "clean.json"


def check_inputs_once(paths: Sequence[str | Path]) -> None:
    """Refuse a file given twice (``a.jsonl`` and ``./x/../a.jsonl``, a symlink or a hard link to it)."""
    seen: dict[object, str | Path] = {}
    for path in paths:
        real = real_path(path)
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
    out = real_path(out_dir)
    for path in paths:
        real = real_path(path)
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


def check_signals_settings(summary: AuditSummary, mapping: str | None, id_field: str | None,
                           rules_path: str, rules: dict[str, Any], signals: str | Path) -> None:
    """Refuse an audit made with another ``--map``/``--id`` or other rules than this clean's: its signals
    belong to other fields (or other thresholds), so applying them would remove the wrong rows."""
    from ift_data.io.instructions_shapes import Mapping_

    where = f"--signals {signals}"
    was_map, now_map = summary.options.get("mapping"), mapping

    def parsed(spec: Any, id_option: Any) -> tuple[dict[str, str], Any]:
        value = Mapping_.parse(spec) if isinstance(spec, str) else None
        return (dict(value.fields) if value is not None else {},
                (value.id_field if value is not None else None) or id_option)

    was_fields, was_id = parsed(was_map, summary.options.get("id_field"))
    now_fields, now_id = parsed(now_map, id_field)
    if was_fields != now_fields:
        raise UserError(f"{where} was audited with --map {_shown(was_map)}, this clean has --map {_shown(now_map)}: "
                        "the audit's signals belong to other fields; pass the audit's --map or audit again",
                        field="--map")
    if was_id != now_id:
        raise UserError(f"{where} was audited with --id {_shown(was_id)}, this clean has --id {_shown(now_id)}: "
                        "pass the audit's --id or audit again", field="--id")
    was_rules, now_rules = _plain_json(summary.rules.values), _plain_json(rules)
    if was_rules != now_rules:
        keys = sorted(set(was_rules) | set(now_rules), key=str)
        differ = [str(k) for k in keys if was_rules.get(k) != now_rules.get(k)]
        raise UserError(f"{where} was audited with the rules {summary.rules.path}, this clean uses {rules_path}; "
                        f"they differ in {', '.join(differ)}: pass the audit's --rules or audit again",
                        field="--rules")


def _shown(value: Any) -> str:
    return "(none)" if value in (None, "") else repr(value)


def _plain_json(value: Any) -> dict[str, Any]:
    """``value`` as JSON gives it back (tuples are lists), to compare rules loaded now with a summary's."""
    loaded = json.loads(json.dumps(value, sort_keys=True, default=str))
    return loaded if isinstance(loaded, dict) else {}


def clean_owned(out_dir: Path, keep_audit: bool) -> set[str]:
    """Names in ``out_dir`` that an earlier ``clean`` (or audit) wrote and a new clean or audit replaces:
    ``clean.json``, ``rejected.jsonl``, the kept files ``clean.json`` lists, the temporary files a killed run
    left and, unless ``keep_audit``, the audit's files."""
    names = {CLEAN_REPORT, "rejected.jsonl"}
    if not keep_audit:
        names.update(AUDIT_OUTPUTS)
    leftovers = {p.name for p in out_dir.iterdir() if _LEFTOVER.fullmatch(p.name)} if out_dir.is_dir() else set()
    return names | set(_earlier_kept(out_dir)) | leftovers


def _earlier_kept(out_dir: Path) -> list[str]:
    """The kept files an earlier clean's ``clean.json`` lists (plain names in the folder; [] when unreadable)."""
    try:
        report = json.loads((out_dir / CLEAN_REPORT).read_text(encoding="utf-8"))
        outputs = report.get("outputs", []) if isinstance(report, dict) else []
    except (OSError, ValueError):
        return []
    return [name for name in outputs if isinstance(name, str) and name and "/" not in name
            and "\\" not in name and name not in (".", "..")]


# A temporary file a killed audit left beside one of its outputs (``atomic_open``'s ``.NAME.<random>.tmp``).
_LEFTOVER = re.compile(r"\.(?:{})\..+\.tmp".format("|".join(re.escape(n) for n in OWN_OUTPUTS)))


def _foreign(out: Path) -> list[str]:
    """The entries of ``out`` that neither an earlier clean (per its ``clean.json``) nor an audit wrote."""
    owned = clean_owned(out, keep_audit=False)
    foreign = [entry.name for entry in out.iterdir() if entry.name not in owned and not _LEFTOVER.fullmatch(entry.name)]
    if "summary.json" not in foreign and (out / "summary.json").exists() and not _is_audit_summary(out / "summary.json"):
        foreign.append("summary.json")
    return sorted(foreign)


def _is_audit_summary(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {"version", "rows", "inputs", "signals", "rules"} <= set(data)


def _refuse_foreign(out: Path, foreign: list[str], command: str) -> None:
    shown = ", ".join(repr(n) for n in foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
    if foreign == ["summary.json"]:
        why = "it is not an audit's summary"
    elif (out / CLEAN_REPORT).is_file():
        why = f"its {CLEAN_REPORT} does not list them"
    elif command == "clean":
        why = f"there is no {CLEAN_REPORT} of an earlier clean"
    else:
        why = "the audit would write signals.parquet, summary.json and report.html among them"
    raise UserError(f"--out holds {shown}, which no clean or audit wrote ({why}); choose an empty or new "
                    f"folder, or the folder of an earlier {command}", file=str(out))


def check_clean_out(out_dir: str | Path) -> None:
    """Refuse a ``clean --out`` that is a file, or a folder holding something that neither an earlier clean
    (per its ``clean.json``) nor an audit wrote: a re-run replaces the earlier run's files, and a typo in
    ``--out`` must never mix kept rows into (or delete from) an unrelated folder."""
    _check_out(Path(out_dir), "clean")


def check_audit_out(out_dir: str | Path) -> None:
    """Refuse an ``audit --out`` that is a file, or a folder holding something that neither an audit nor a
    clean wrote (as ``check_clean_out``): the audit replaces what is there (``clean_owned``), so it must be an
    earlier audit's or clean's."""
    _check_out(Path(out_dir), "audit or clean")


def _check_out(out: Path, command: str) -> None:
    """``out`` is new, or a folder holding only what an earlier ``command`` wrote."""
    if out.exists() and not out.is_dir():
        raise UserError("--out is an existing file, not a folder; choose a folder", file=str(out))
    if not out.is_dir():
        return
    foreign = _foreign(out)
    if foreign:
        _refuse_foreign(out, foreign, command)
