"""``AuditSummary``: what ``summary.json`` holds, written by the audit runner and read by the report and
the cleaner. It loads back only what this version writes: a file of another shape (an older ift-data's)
is refused with one line, never guessed at.

Determinism: everything but ``timings`` is a function of the inputs, the rules and the seed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ift_data.audit.options import RUN_ONLY_OPTIONS, AuditOptions
from ift_data.chat.recommend import Recommendation
from ift_data.errors import UserError
from ift_data.io.atomic import write_json

if TYPE_CHECKING:
    from ift_data.schema import Reject

SUMMARY_VERSION = 2
SIGNAL_STATES = ("ok", "skipped", "missing")


@dataclass(frozen=True)
class InputFile:
    """One audited input: its format and detected shape, its row accounting and its bytes' sha256."""

    path: str
    format: str
    shape: str
    records: int  # records in the file (rows in)
    rows: int  # rows that reached the audit table
    rejected: int
    sha256: str  # of the file (of a folder: of its files' names and bytes)


@dataclass(frozen=True)
class RowCounts:
    read: int  # records in all inputs
    audited: int
    rejected_on_read: int


@dataclass(frozen=True)
class SignalRun:
    """One signal family's run: ``ok``, ``skipped`` (with why) or ``missing`` (module not installed)."""

    status: str  # one of SIGNAL_STATES
    reason: str | None
    columns: tuple[str, ...]  # the other columns it wrote to signals.parquet
    flags: tuple[str, ...]  # the flag columns it wrote
    summary: dict[str, Any]  # its dataset-level figures (SignalResult.summary); {} unless ok


@dataclass(frozen=True)
class FlagCount:
    family: str  # the signal family that wrote the flag
    count: int
    share: float


@dataclass(frozen=True)
class CleanPlan:
    """What ``ift-data clean`` would remove under the rules' ``clean.remove``."""

    remove: tuple[str, ...]
    rows_removed: int
    rows_kept: int


@dataclass(frozen=True)
class RulesUsed:
    path: str
    sha256: str
    values: dict[str, Any]


@dataclass(frozen=True)
class AuditSummary:
    """One audit's record: inputs, row counts, read rejects, each signal's run and figures, flag counts
    by family, what clean would remove, the masking recommendation, rules, options and versions."""

    rows: RowCounts
    inputs: tuple[InputFile, ...]
    read_rejects: tuple[Reject, ...]
    read_reject_reasons: dict[str, int]
    signals: dict[str, SignalRun]  # in the order they ran
    flags: dict[str, FlagCount]  # in signals.parquet's column order
    clean: CleanPlan
    masking: Recommendation | None  # None when the length signal did not run
    rules: RulesUsed
    options: dict[str, Any]  # AuditOptions.to_json() without "progress"
    versions: dict[str, str]
    timings: dict[str, Any] = field(default_factory=dict, compare=False)  # seconds; the one varying part
    version: int = SUMMARY_VERSION

    @property
    def flag_families(self) -> dict[str, str]:
        return {flag: info.family for flag, info in self.flags.items()}

    def family(self, name: str) -> dict[str, Any]:
        """The figures of one signal family ({} when it was not run or was skipped before computing)."""
        run = self.signals.get(name)
        return run.summary if run is not None else {}

    @property
    def use_cases(self) -> dict[str, int]:
        """Rows per use case (InstructGPT's prompt categories, ``audit/use_case.py``); {} when that signal
        did not run. Read from its figures in ``signals``, so it saves and loads with them."""
        run = self.signals.get("use_case")
        return dict(run.summary.get("distribution", {})) if run is not None and run.status == "ok" else {}

    def audit_options(self) -> AuditOptions:
        """The options the audit ran with (to read its inputs again the same way)."""
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in self.options.items()}
        return AuditOptions(**values)

    def to_json(self, *, timings: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": self.version,
            "rows": _plain(self.rows),
            "inputs": [_plain(i) for i in self.inputs],
            "read_rejects": [r.to_json() for r in self.read_rejects],
            "read_reject_reasons": dict(self.read_reject_reasons),
            "signals": {name: _plain(run) for name, run in self.signals.items()},
            "flags": {name: _plain(info) for name, info in self.flags.items()},
            "clean": _plain(self.clean),
            "masking": self.masking.to_json() if self.masking is not None else None,
            "rules": _plain(self.rules),
            "options": self.options,
            "versions": self.versions,
        }
        if timings:
            out["timings"] = self.timings
        return out

    @classmethod
    def from_json(cls, data: Any, file: str | None = None) -> AuditSummary:
        """The summary ``to_json`` wrote; anything else is a one-line ``UserError``."""
        if not isinstance(data, dict):
            raise _mismatch(file, None, "not a JSON object")
        if data.get("version") != SUMMARY_VERSION:
            found = f"version {data['version']}" if "version" in data else "no version (an older ift-data)"
            raise _mismatch(file, "version", f"{found}, this ift-data reads version {SUMMARY_VERSION}")
        top = _keys(data, [f.name for f in fields(cls)], file, "")
        try:
            masking = Recommendation.from_json(top["masking"]) if top["masking"] is not None else None
        except (KeyError, TypeError) as exc:
            raise _mismatch(file, "masking", str(exc).strip("'\"")) from exc
        return cls(
            rows=_record(RowCounts, top["rows"], file, "rows"),
            inputs=tuple(_record(InputFile, i, file, "inputs") for i in _list(top["inputs"], file, "inputs")),
            read_rejects=tuple(_reject(r, file) for r in _list(top["read_rejects"], file, "read_rejects")),
            read_reject_reasons=_dict(top["read_reject_reasons"], file, "read_reject_reasons"),
            signals={name: _signal_run(run, file, f"signals.{name}")
                     for name, run in _dict(top["signals"], file, "signals").items()},
            flags={name: _record(FlagCount, info, file, f"flags.{name}")
                   for name, info in _dict(top["flags"], file, "flags").items()},
            clean=_record(CleanPlan, top["clean"], file, "clean", tuples=("remove",)),
            masking=masking,
            rules=_record(RulesUsed, top["rules"], file, "rules"),
            options=_keys(top["options"], _OPTION_NAMES, file, "options"),
            versions=_dict(top["versions"], file, "versions"),
            timings=_dict(top["timings"], file, "timings"),
        )

    def write(self, path: str | Path) -> Path:
        write_json(Path(path), self.to_json())
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> AuditSummary:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise UserError("no summary.json here: run `ift-data audit` first", file=str(path)) from exc
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read the audit summary: {exc}", file=str(path)) from exc
        return cls.from_json(data, str(path))


_OPTION_NAMES = [f.name for f in fields(AuditOptions) if f.name not in RUN_ONLY_OPTIONS]


def input_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes; of a folder (a ``save_to_disk`` dataset): the source layer's digest of
    its files' names and bytes."""
    path = Path(path)
    if path.is_dir():
        from ift_data.io.sources.hf_disk import folder_sha256

        return folder_sha256(path)
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _plain(record: Any) -> dict[str, Any]:
    return {f.name: (list(v) if isinstance(v := getattr(record, f.name), tuple) else v) for f in fields(record)}


def _mismatch(file: str | None, where: str | None, what: str) -> UserError:
    return UserError(f"not an audit summary this ift-data can read ({what}): rerun `ift-data audit`",
                     file=file, field=where)


def _keys(data: Any, names: list[str], file: str | None, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _mismatch(file, where or None, "not a JSON object")
    missing = [n for n in names if n not in data]
    extra = [k for k in data if k not in names]
    if missing or extra:
        what = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                           f"unknown {', '.join(map(str, extra))}" if extra else "") if part)
        raise _mismatch(file, where or None, what)
    return data


def _record(cls: type, data: Any, file: str | None, where: str, tuples: tuple[str, ...] = ()) -> Any:
    values = _keys(data, [f.name for f in fields(cls)], file, where)
    for f in fields(cls):
        expected = _SCALARS.get(str(f.type))
        value = values[f.name]
        if expected is not None and (not isinstance(value, expected) or isinstance(value, bool)):
            raise _mismatch(file, f"{where}.{f.name}", f"expected {f.type}, found {type(value).__name__}")
    return cls(**{k: (tuple(v) if k in tuples else v) for k, v in values.items()})


_SCALARS: dict[str, type | tuple[type, ...]] = {"int": int, "float": (int, float), "str": str}


def _signal_run(data: Any, file: str | None, where: str) -> SignalRun:
    values = _keys(data, [f.name for f in fields(SignalRun)], file, where)
    if values["status"] not in SIGNAL_STATES:
        raise _mismatch(file, f"{where}.status", f"unknown status {values['status']!r}")
    return SignalRun(values["status"], values["reason"], tuple(_list(values["columns"], file, f"{where}.columns")),
                     tuple(_list(values["flags"], file, f"{where}.flags")),
                     _dict(values["summary"], file, f"{where}.summary"))


def _reject(data: Any, file: str | None) -> Reject:
    from ift_data.schema import Reject

    return Reject(**_keys(data, [f.name for f in fields(Reject) if f.compare], file, "read_rejects"))


def _list(value: Any, file: str | None, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _mismatch(file, where, "not a list")
    return value


def _dict(value: Any, file: str | None, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _mismatch(file, where, "not an object")
    return value
