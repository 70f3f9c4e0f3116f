"""The table ``ift-data build`` prints: per dataset rows, caps, examples and realized vs requested rates.

It fits the console: dataset names are never wrapped and a column is never cut. When the full table is
too wide, the cell padding goes, then the columns that are 0 for every dataset (named below it); when
even that does not fit, each dataset is a short labelled block. The legend under the table describes
exactly the columns shown, wrapped between words.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text


@contextmanager
def printing_lint_failures(console: Console) -> Iterator[None]:
    """A build stopped by lint prints every lint error (stdout) before its one-line error (stderr)."""
    from ift_data.builder.checks import LintFailure

    try:
        yield
    except LintFailure as exc:
        for issue in exc.issues:
            console.print(issue.format(), markup=False, highlight=False, soft_wrap=True)
        raise


@dataclass(frozen=True)
class _Column:
    header: str
    label: str  # its name in the block layout
    meaning: str  # its line in the legend
    value: Callable[[dict[str, Any]], str]
    optional: bool = True  # may be left out when it is 0 for every dataset


def _count(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda d: f"{d[key]:,}"


COLUMNS = (
    _Column("rows", "rows", "rows read", _count("rows_in"), optional=False),
    _Column("rej", "rejected", "rejected rows (reasons in rejects.jsonl)", _count("rows_rejected")),
    _Column("cap", "capped", "rows over the dataset's hard cap", _count("rows_hard_capped")),
    _Column("unused", "unused", "rows not sampled by the mixture", _count("rows_not_sampled")),
    _Column("examples", "examples", "examples written", _count("examples"), optional=False),
    _Column("ask%", "asked", "mixing rate requested by the recipe",
            lambda d: f"{100 * d['requested_rate']:.1f}", optional=False),
    _Column("got%", "got", "mixing rate realized", lambda d: f"{100 * d['realized_rate']:.1f}",
            optional=False),
    _Column("inv", "inverted", "examples from inverted templates", lambda d: f"{d['variants'].get('inverted', 0):,}"),
    _Column("few", "few-shot", "few-shot examples", lambda d: f"{d['shots'].get('few', 0):,}"),
)


def _number(value: str) -> float:
    return float(value.replace(",", ""))


def _table(title: str, rows: dict[str, list[str]], columns: list[_Column], padding: int) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=title, padding=(0, padding), pad_edge=False,
                  show_edge=False)
    table.add_column("dataset", no_wrap=True)
    for column in columns:
        table.add_column(column.header, justify="right", no_wrap=True)
    for name, values in rows.items():
        table.add_row(escape(name), *values)
    return table


def _fits(console: Console, table: Table) -> bool:
    natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
    return natural <= console.width


def _print_blocks(console: Console, title: str, datasets: dict[str, Any]) -> None:
    """The narrow layout: each dataset its name, then its labelled figures in three short lines."""
    console.print(f"[bold]{escape(title)}[/]", highlight=False)
    for name, d in datasets.items():
        console.print(escape(name), style="bold", highlight=False)
        for group in (COLUMNS[:4], COLUMNS[4:7], COLUMNS[7:]):
            figures = " · ".join(f"{c.label} {c.value(d)}{'%' if c.header.endswith('%') else ''}" for c in group)
            for line in textwrap.wrap(figures, width=max(console.width, 22), initial_indent="  ",
                                      subsequent_indent="  ", break_on_hyphens=False):
                console.print(Text(line), highlight=False)


def _print_legend(console: Console, columns: list[_Column], left_out: list[str]) -> None:
    legend = "; ".join(f"{c.header}: {c.meaning}" for c in columns)
    if left_out:
        legend += f". Not shown, 0 for every dataset: {', '.join(left_out)}"
    console.print(Text(legend + ".", style="dim"), highlight=False)


def print_dataset_table(manifest: dict[str, Any], console: Console) -> None:
    """The per-dataset table and its legend, fitted to ``console.width``."""
    title = f"ift-data build: {manifest['recipe']['name']} (seed {manifest['seed']})"
    datasets = manifest["datasets"]
    values = {name: [c.value(d) for c in COLUMNS] for name, d in datasets.items()}
    for drop_zero, padding in ((False, 1), (False, 0), (True, 1), (True, 0)):
        keep = [i for i, c in enumerate(COLUMNS)
                if not (drop_zero and c.optional and all(_number(v[i]) == 0 for v in values.values()))]
        columns = [COLUMNS[i] for i in keep]
        table = _table(title, {name: [v[i] for i in keep] for name, v in values.items()}, columns, padding)
        if _fits(console, table):
            console.print(table)
            _print_legend(console, columns, [c.header for c in COLUMNS if c not in columns])
            return
    _print_blocks(console, title, datasets)


def _stages(counts: dict[str, int]) -> str:
    return ", ".join(f"{stage} {n:,}" for stage, n in counts.items()) or "none"


def print_build_summary(manifest: dict[str, Any], out_dir: str, console: Console) -> None:
    print_dataset_table(manifest, console)
    for name, held in manifest["held_out"]["datasets"].items():
        line = f"held out: [bold]{escape(name)}[/] (cluster {held['cluster']}); eval examples: {held.get('eval_examples', 0):,}"
        if "rows_in" in held:
            line += (f" from {held['rows_in']:,} {held['eval_split']} rows (used {held['rows_used']:,}, rejected "
                     f"{held['rows_rejected']:,}: {_stages(held['rejected_by_stage'])})")
        console.print(line, highlight=False)
    accounting = manifest["accounting"]
    console.print(f"rows in {accounting['rows_in']:,} = used {accounting['rows_used']:,} + capped "
                  f"{accounting['rows_hard_capped']:,} + not sampled {accounting['rows_not_sampled']:,} + "
                  f"rejected {accounting['rows_rejected']:,}; reasons in {escape(out_dir)}/rejects.jsonl",
                  highlight=False)
    console.print(f"rejected rows by stage: {_stages(accounting.get('rejected_by_stage', {}))}", highlight=False)
    for name, d in {**manifest["datasets"], **manifest["held_out"]["datasets"]}.items():
        if d.get("lint_errors"):
            console.print(f"[bold yellow]lint: {len(d['lint_errors']):,} error(s) allowed for {escape(name)}[/] "
                          f"(manifest.json → datasets / held_out → lint_errors)", highlight=False)
    for name, export in accounting.get("export", {}).items():
        if export["dropped"]:
            reasons = "; ".join(f"{reason}: {n:,}" for reason, n in export["dropped_by_reason"].items())
            console.print(f"[bold yellow]export {escape(name)}: dropped {export['dropped']:,} of {export['in']:,} "
                          f"examples[/] ({escape(reasons)})", highlight=False)
    wrote: set[str] = set()
    for name, section in manifest["outputs"].items():
        for info in section.get("files", []):
            if info["path"] in wrote:  # a file two sections share (dataset_info.json) is written once
                continue
            wrote.add(info["path"])
            rows = f"{info['rows']:,} row{'s' if info['rows'] != 1 else ''}"
            console.print(f"wrote {escape(out_dir)}/{escape(info['path'])} ({rows}, {info['format']})",
                          highlight=False)
        advice = section.get("masking_recommendation")
        if advice and name in ("train", "stage2"):
            console.print(f"masking: mode {section['mask_mode']!r} in use; recommended [bold]{advice['mode']}[/]: "
                          f"{escape(advice['reason'])} (N = {advice['n_examples']:,})", highlight=False)
