"""The table ``ift-data build`` prints: per dataset rows, caps, examples and realized vs requested rates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


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


def _stages(counts: dict[str, int]) -> str:
    return ", ".join(f"{stage} {n:,}" for stage, n in counts.items()) or "none"


def print_build_summary(manifest: dict[str, Any], out_dir: str, console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, caption="rej: rejected rows; cap: over the hard cap; unused: not sampled; ask/got%: requested vs realized mixing rate; inv: inverted-template examples; few: few-shot examples", title=f"ift-data build: {manifest['recipe']['name']} (seed {manifest['seed']})")
    table.add_column("dataset", min_width=16, overflow="fold")
    for column in ("rows", "rej", "cap", "unused", "examples", "ask%", "got%", "inv", "few"):
        table.add_column(column, justify="right", no_wrap=True)
    for name, d in manifest["datasets"].items():
        table.add_row(
            name, f"{d['rows_in']:,}", f"{d['rows_rejected']:,}", f"{d['rows_hard_capped']:,}",
            f"{d['rows_not_sampled']:,}", f"{d['examples']:,}", f"{100 * d['requested_rate']:.1f}",
            f"{100 * d['realized_rate']:.1f}", f"{d['variants'].get('inverted', 0):,}", f"{d['shots']['few']:,}",
        )
    console.print(table)
    for name, held in manifest["held_out"]["datasets"].items():
        line = f"held out: [bold]{name}[/] (cluster {held['cluster']}); eval examples: {held.get('eval_examples', 0):,}"
        if "rows_in" in held:
            line += (f" from {held['rows_in']:,} {held['eval_split']} rows (used {held['rows_used']:,}, rejected "
                     f"{held['rows_rejected']:,}: {_stages(held['rejected_by_stage'])})")
        console.print(line)
    accounting = manifest["accounting"]
    console.print(f"rows in {accounting['rows_in']:,} = used {accounting['rows_used']:,} + capped "
                  f"{accounting['rows_hard_capped']:,} + not sampled {accounting['rows_not_sampled']:,} + "
                  f"rejected {accounting['rows_rejected']:,}; reasons in {out_dir}/rejects.jsonl")
    console.print(f"rejected rows by stage: {_stages(accounting.get('rejected_by_stage', {}))}")
    for name, d in {**manifest["datasets"], **manifest["held_out"]["datasets"]}.items():
        if d.get("lint_errors"):
            console.print(f"[bold yellow]lint: {len(d['lint_errors'])} error(s) allowed for {name}[/] "
                          f"(manifest.json → datasets / held_out → lint_errors)", highlight=False)
    for name, export in accounting.get("export", {}).items():
        if export["dropped"]:
            reasons = "; ".join(f"{reason}: {n:,}" for reason, n in export["dropped_by_reason"].items())
            console.print(f"[bold yellow]export {name}: dropped {export['dropped']:,} of {export['in']:,} "
                          f"examples[/] ({reasons})", highlight=False)
    for name, section in manifest["outputs"].items():
        for info in section.get("files", []):
            console.print(f"wrote {out_dir}/{info['path']} ({info['rows']:,} rows, {info['format']})")
        advice = section.get("masking_recommendation")
        if advice and name in ("train", "stage2"):
            console.print(f"masking: mode {section['mask_mode']!r} in use; recommended [bold]{advice['mode']}[/]: "
                          f"{advice['reason']} (N = {advice['n_examples']:,})")
