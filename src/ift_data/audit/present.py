"""What the CLI prints after an audit or a clean: the report helper's summary and HTML report when
``ift_data.report.write_reports`` exists, else a minimal table of flag counts."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ift_data.audit.runner import AuditResult


def present_audit(result: AuditResult, out_dir: str | Path, console: Console) -> None:
    try:
        report = importlib.import_module("ift_data.report")
    except ModuleNotFoundError:
        report = None
    writer = getattr(report, "write_reports", None) if report else None
    if writer is not None:
        try:
            writer(result, out_dir, console)
            return
        except Exception as exc:  # noqa: BLE001 - the audit's files are written; still show the counts
            console.print(f"[yellow]warning:[/] report failed ({type(exc).__name__}: {exc}); minimal summary:")
    summary = result.summary
    table = Table(title=f"audit: {summary.rows.audited} rows ({summary.rows.rejected_on_read} rejected on read)")
    table.add_column("flag")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    for name, figures in summary.flags.items():
        table.add_row(name, str(figures.count), f"{figures.share:.2%}")
    console.print(table)
    console.print(f"signals: {Path(out_dir) / 'signals.parquet'}  summary: {Path(out_dir) / 'summary.json'}")


def present_clean(result: Any, console: Console) -> None:
    console.print(f"clean: {result.rows_in} rows in, {result.kept} kept, {result.rejected} rejected "
                  f"-> {', '.join(str(p) for p in result.outputs)}; rejected rows: {result.rejected_path}")
    for reason, count in result.reasons.items():
        console.print(f"  {reason}: {count}")
