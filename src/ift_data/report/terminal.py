"""The terminal summary of an audit (rich): counts, flags, languages, difficulty, diversity, masking."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from ift_data.report.data import ReportData
from ift_data.report.facts import Facts

TOP_LANGUAGES = 5


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return escape(str(value))


def _counts_line(facts: Facts) -> str:
    parts = [f"[bold]{facts.rows_audited:,}[/] examples audited", f"{facts.rows_read:,} rows read",
             f"{facts.rows_rejected:,} rejected on read"]
    share = facts.rows_flagged / max(facts.rows_audited, 1)
    parts.append(f"[bold]{facts.rows_flagged:,}[/] flagged by at least one signal ({share:.1%})")
    return " · ".join(parts)


def _flags_table(facts: Facts) -> Table:
    table = Table(title="Flags per signal (top issues first)", title_justify="left", expand=False)
    table.add_column("flag")
    table.add_column("signal", style="dim")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    for flag in [f for f in facts.flags if f.count]:
        style = "bold red" if flag.share >= 0.05 else ("yellow" if flag.count else "dim")
        table.add_row(escape(flag.flag.removeprefix("flag_")), escape(flag.family), f"{flag.count:,}",
                      f"{flag.share:.2%}", style=style)
    return table


def _languages_line(facts: Facts) -> list[str]:
    lines = []
    for field_name, shares in facts.language_shares.items():
        top = sorted(shares.items(), key=lambda kv: -kv[1])[:TOP_LANGUAGES]
        lines.append(f"  {escape(field_name)}: " + ", ".join(f"{escape(str(lang))} {share:.1%}" for lang, share in top))
    return lines


def _masking_lines(facts: Facts) -> list[str]:
    advice = facts.masking
    if advice is None:
        return ["[dim]masking: the length signal did not run, no recommendation[/]"]
    ratio = f"R = {advice.ratio:.2f}" if advice.ratio is not None else "R n/a"
    head = f"masking: [bold cyan]{escape(advice.mode)}[/] ({ratio} in {advice.unit}, N = {advice.n_examples:,})"
    return [head, f"  [dim]{escape(advice.reason)}[/]"]


def print_summary(data: ReportData, facts: Facts, console: Console, report_path: str | None = None) -> None:
    """Print the audit summary; ``report_path`` is mentioned at the end when given."""
    title = f"Audit of {escape(data.source)}" if data.source else "Audit"
    console.print(Panel(_counts_line(facts), title=title, title_align="left", expand=False))
    if any(f.count for f in facts.flags):
        console.print(_flags_table(facts))
    quiet = [escape(f.flag.removeprefix("flag_")) for f in facts.flags if not f.count]
    if quiet:
        console.print(f"[dim]no hits: {', '.join(quiet)}[/]")
    top = [f for f in facts.flags if f.count][:3]
    if top:
        console.print("top issues: " + "; ".join(f"{escape(f.flag.removeprefix('flag_'))} ({f.count:,})" for f in top))
    if facts.language_shares:
        console.print("languages:")
        for line in _languages_line(facts):
            console.print(line, highlight=False)
    if facts.difficulty_buckets:
        total = max(sum(facts.difficulty_buckets.values()), 1)
        console.print("difficulty: " + ", ".join(
            f"{escape(k)} {v:,} ({v / total:.0%})" for k, v in facts.difficulty_buckets.items()))
    if facts.diversity:
        console.print("diversity: " + ", ".join(
            f"{escape(k)} {_fmt(v)}" for k, v in list(facts.diversity.items())[:8]), highlight=False)
    removes = ", ".join(escape(f.removeprefix("flag_")) for f in facts.clean.remove)
    console.print(f"clean (rules): would remove {facts.clean.rows_removed:,} rows, keep "
                  f"{facts.clean.rows_kept:,} [dim]({removes})[/]")
    if facts.format_warning:
        console.print(f"[bold yellow]format concentration:[/] {escape(facts.format_warning)}")
    not_run = {k: v for k, v in facts.statuses.items() if v != "ok"}
    if not_run:
        console.print("[dim]not run: " + "; ".join(f"{escape(k)} ({escape(v)})" for k, v in not_run.items()) + "[/]")
    for line in _masking_lines(facts):
        console.print(line)
    if report_path:
        console.print(f"report: {report_path}", highlight=False)
