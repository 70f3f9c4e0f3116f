"""Audit reports: the terminal summary (rich) and the self-contained offline HTML report.

Imports stay inside ``write_reports`` so that ``ift_data.report.build_summary`` (used by ``ift-data
build``) does not pull in polars, numpy and jinja2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from ift_data.audit.runner import AuditResult

__all__ = ["write_reports"]


def write_reports(result_or_dir: AuditResult | str | Path, out_dir: str | Path | None = None,
                  console: Console | None = None, *, per_flag: int = 5) -> Path:
    """Read an audit (folder with ``signals.parquet`` + ``summary.json``, or the runner's ``AuditResult``),
    write ``OUT_DIR/report.html`` (default: the audit folder) and print the terminal summary on
    ``console``. Returns the HTML path."""
    from ift_data.report.data import load_report_data
    from ift_data.report.facts import compute_facts
    from ift_data.report.html import write_html
    from ift_data.report.terminal import print_summary

    data = load_report_data(result_or_dir)
    if out_dir is None:
        out_dir = data.source or "."
    path = Path(out_dir) / "report.html"
    facts = compute_facts(data)
    write_html(data, facts, path, per_flag=per_flag)
    if console is not None:
        print_summary(data, facts, console, report_path=str(path))
    return path
