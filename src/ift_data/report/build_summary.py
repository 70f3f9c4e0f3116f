"""The table ``ift-data build`` prints: per dataset rows, caps, examples and realized vs requested rates."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


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
        console.print(f"held out: [bold]{name}[/] (cluster {held['cluster']}); "
                      f"eval examples: {held.get('eval_examples', 0)}")
    accounting = manifest["accounting"]
    console.print(f"rows in {accounting['rows_in']:,} = used {accounting['rows_used']:,} + capped "
                  f"{accounting['rows_hard_capped']:,} + not sampled {accounting['rows_not_sampled']:,} + "
                  f"rejected {accounting['rows_rejected']:,}; reasons in {out_dir}/rejects.jsonl")
    for name, section in manifest["outputs"].items():
        for info in section.get("files", []):
            console.print(f"wrote {out_dir}/{info['path']} ({info['rows']:,} rows, {info['format']})")
        advice = section.get("masking_recommendation")
        if advice and name in ("train", "stage2"):
            console.print(f"masking: mode {section['mask_mode']!r} in use; recommended [bold]{advice['mode']}[/]: "
                          f"{advice['reason']} (N = {advice['n_examples']:,})")
