"""What the reports read: the audit's ``signals.parquet`` and its ``AuditSummary``, nothing else.

From an audit folder the example texts are read back from the inputs the summary names, through the
audit's own reader, and only when every input still has the sha256 the audit recorded; from the
runner's in-memory ``AuditResult`` they come from its table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ift_data.audit.runner import SIGNALS_FILE, SUMMARY_FILE, AuditResult, read_inputs
from ift_data.audit.summary import AuditSummary, input_sha256
from ift_data.errors import UserError

TEXT_COLUMNS = ("instruction", "input", "response")


@dataclass
class ReportData:
    """Signals (one row per example, ``row_id`` + ``<family>_<what>`` + ``flag_<reason>``), the summary,
    and the example texts (``row_id`` + instruction/input/response) when available."""

    signals: pl.DataFrame
    summary: AuditSummary
    examples: pl.DataFrame | None = None
    source: str = ""

    @property
    def n_rows(self) -> int:
        return self.signals.height

    @property
    def flag_columns(self) -> list[str]:
        return list(self.summary.flags)

    def family(self, name: str) -> dict[str, Any]:
        """The dataset-level figures of one signal family ({} when it did not run)."""
        return self.summary.family(name)

    def column(self, name: str) -> pl.Series | None:
        return self.signals[name] if name in self.signals.columns else None


def _read_dir(path: Path) -> tuple[pl.DataFrame, AuditSummary, pl.DataFrame | None]:
    signals_path = path / SIGNALS_FILE
    if not signals_path.is_file():
        raise UserError("no signals.parquet here: run `ift-data audit` first", file=str(path))
    summary = AuditSummary.load(path / SUMMARY_FILE)
    try:
        signals = pl.read_parquet(signals_path)
    except Exception as exc:  # noqa: BLE001 - polars raises several error types for bad files
        raise UserError(f"cannot read signals table: {exc}", file=str(signals_path)) from exc
    expected = ["row_id", *summary.flags]
    if signals.height != summary.rows.audited or not set(expected) <= set(signals.columns):
        raise UserError(f"signals.parquet ({signals.height} rows) does not belong to summary.json "
                        f"({summary.rows.audited} rows audited): run `ift-data audit` again", file=str(signals_path))
    return signals, summary, _reread_inputs(summary)


def _reread_inputs(summary: AuditSummary) -> pl.DataFrame | None:
    """The audit table again from the inputs named in the summary; None when one is gone or changed."""
    for item in summary.inputs:
        if not Path(item.path).exists() or input_sha256(item.path) != item.sha256:
            return None
    table = read_inputs([item.path for item in summary.inputs], summary.audit_options(), summary.rules.values).table
    return table if table.height == summary.rows.audited else None


def load_report_data(result_or_dir: AuditResult | str | Path) -> ReportData:
    """Load from an audit folder or the runner's ``AuditResult``."""
    examples: pl.DataFrame | None
    if isinstance(result_or_dir, AuditResult):
        signals, summary, examples = result_or_dir.signals, result_or_dir.summary, result_or_dir.table
        source = str(result_or_dir.out_dir)
    else:
        source = str(result_or_dir)
        signals, summary, examples = _read_dir(Path(result_or_dir))
    if examples is not None:
        examples = examples.select("row_id", *TEXT_COLUMNS, "source_file", "source_line")
    return ReportData(signals=signals, summary=summary, examples=examples, source=source)


def label_noise_groups(summary: AuditSummary) -> list[dict[str, Any]]:
    """One entry per classification group of the label_noise signal: its name, labelled rows, flagged rows,
    the review list's size (``label_noise_issue``) or why there is none, and ``why``: the estimated precision
    of the flags or the reason nothing was flagged; [] when the signal did not run or found no group."""
    groups = summary.family("label_noise").get("classification_groups") or {}
    return [{"name": name, "rows": int(note.get("labelled_rows", 0)), "flagged": int(note.get("flagged", 0)),
             "issues": int(note.get("issues", 0)), "why": _why_flagged(note),
             "no_review_list": note.get("no_review_list")}
            for name, note in groups.items()]


def _why_flagged(note: dict[str, Any]) -> str:
    if note.get("flagged"):
        return f"estimated precision {note['estimated_precision']:.2f}"
    return note.get("not_flagged") or "no row reached the precision"
