"""Audit reports: the terminal summary (rich) and the self-contained offline HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from ift_data.report.data import ReportData, load_report_data
from ift_data.report.facts import Facts, compute_facts
from ift_data.report.html import write_html
from ift_data.report.terminal import print_summary

__all__ = ["Facts", "ReportData", "compute_facts", "load_report_data", "write_reports"]


def write_reports(result_or_dir: Any, out_dir: str | Path | None = None, console: Console | None = None,
                  *, per_flag: int = 5) -> Path:
    """Read an audit (folder with ``signals.parquet`` + ``summary.json``, or a result object), write
    ``OUT_DIR/report.html`` and print the terminal summary on ``console``. Returns the HTML path."""
    data = load_report_data(result_or_dir)
    if out_dir is None:
        out_dir = data.source or "."
    path = Path(out_dir) / "report.html"
    facts = compute_facts(data)
    write_html(data, facts, path, per_flag=per_flag)
    if console is not None:
        print_summary(data, facts, console, report_path=str(path))
    return path
