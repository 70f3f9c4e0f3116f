"""What the CLI prints after an audit or a clean: the report helper's summary and HTML report when
``ift_data.report.write_reports`` exists, else a minimal table of flag counts."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

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


def flags_per_row(rejected_path: Path | None) -> dict[int, int]:
    """How many removed rows carry 1, 2, ... flags, from ``rejected.jsonl`` (its audit-stage rows)."""
    import json

    counts: dict[int, int] = {}
    if rejected_path is None or not rejected_path.is_file():
        return counts
    with rejected_path.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record.get("stage") == "audit":
                n = len(record.get("reasons") or ())
                counts[n] = counts.get(n, 0) + 1
    return dict(sorted(counts.items()))


def present_clean(result: Any, console: Console, notices: Console | None = None) -> None:
    """Rows in, kept and removed; removed rows by cause (audit flags, read rejects), then by flag, saying
    that a row can carry several flags (so the flag counts may add up to more than the rows). On ``notices``
    (stderr), one line naming the rules' removal flags that the signals lack, which were not applied."""
    not_applied = getattr(result, "not_applied", None)
    if notices is not None and not_applied:
        why = "; ".join(dict.fromkeys(not_applied.values()))
        notices.print(f"notice: {escape(', '.join(not_applied))} (in the rules' clean.remove) not applied: the "
                      f"signals lack {'them' if len(not_applied) > 1 else 'it'} ({escape(why)})",
                      highlight=False, soft_wrap=True)
    read = result.reasons.get("read", 0)
    by_flags = result.rejected - read
    console.print(f"clean: {result.rows_in:,} rows in = [bold]{result.kept:,} kept[/] + {result.rejected:,} removed",
                  highlight=False)
    console.print(f"removed: {by_flags:,} by audit flags, {read:,} rejected on read", highlight=False)
    flags = {k: v for k, v in result.reasons.items() if k != "read"}
    if flags:
        table = Table(title="removed rows by flag", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                      pad_edge=False)
        table.add_column("flag", no_wrap=True)
        table.add_column("rows", justify="right", no_wrap=True)
        for name, count in sorted(flags.items(), key=lambda kv: (-kv[1], kv[0])):
            table.add_row(escape(name.removeprefix("flag_")), f"{count:,}")
        console.print(table)
        per_row = flags_per_row(result.rejected_path)
        if sum(flags.values()) != by_flags:
            console.print(Text(f"a row can carry several flags: these {sum(flags.values()):,} flags are on "
                               f"{by_flags:,} rows", style="dim"), highlight=False)
        if per_row:
            console.print(Text("rows by number of flags: " + ", ".join(
                f"{n} flag{'s' if n > 1 else ''}: {count:,}" for n, count in per_row.items()), style="dim"),
                highlight=False)
    for path in result.outputs:
        console.print(f"kept rows: {escape(str(path))}", highlight=False, soft_wrap=True)
    console.print(f"removed rows, each with its reasons: {escape(str(result.rejected_path))}", highlight=False,
                  soft_wrap=True)
