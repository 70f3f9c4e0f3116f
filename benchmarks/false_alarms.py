"""False alarms on clean real data: audit files nobody planted defects in and print each flag's count and
rate (issue 11: under 1 % of rows per noise flag), with examples to inspect.

Default files: ``../shared/data/instructions/alpaca_random_9k.json`` and ``dolly_3k.json``.

    python benchmarks/false_alarms.py --no-embeddings --examples 10 --out /tmp/false_alarms
    python benchmarks/false_alarms.py FILE.jsonl ... --markdown /tmp/false_alarms.md
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IFT_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEFAULT_FILES = [SHARED / "instructions" / "alpaca_random_9k.json", SHARED / "instructions" / "dolly_3k.json"]
MAX_RATE = 0.01  # issue 11: under 1 % of rows per noise flag


@dataclass
class FileAlarms:
    path: Path
    rows: int
    counts: dict[str, int]
    examples: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def rate(self, flag: str) -> float:
        return self.counts.get(flag, 0) / self.rows if self.rows else 0.0


def audit_file(path: Path, out_dir: Path, embeddings: bool, examples: int, seed: int = 0) -> FileAlarms:
    """Audit one clean file; count every ``flag_*`` column and draw up to ``examples`` rows per flag."""
    import polars as pl

    from ift_data.audit.options import AuditOptions
    from ift_data.audit.runner import run_audit

    result = run_audit([path], out_dir, AuditOptions(seed=seed, embeddings=embeddings, progress=False))
    signals = result.signals
    flags = sorted(c for c in signals.columns if c.startswith("flag_"))
    counts = {c: int(signals[c].fill_null(False).sum()) for c in flags}
    text = result.table.select("row_id", "instruction", "response").join(
        signals.select("row_id", *([reason] if (reason := "noise_truncation_reason") in signals.columns else [])),
        on="row_id")
    drawn: dict[str, list[dict[str, object]]] = {}
    rng = random.Random(seed)
    for flag in flags:
        ids = signals.filter(pl.col(flag).fill_null(False))["row_id"].to_list()
        picked = sorted(rng.sample(ids, min(examples, len(ids))))
        drawn[flag] = []
        for rid in picked:
            row = text.filter(pl.col("row_id") == rid).row(0, named=True)
            instruction, response = row["instruction"], row["response"]
            item: dict[str, object] = {"row": rid, "instruction": str(instruction), "response": str(response)}
            if flag == "flag_truncated_response" and reason in row:
                item["reason"] = row[reason]
            drawn[flag].append(item)
    return FileAlarms(path, signals.height, counts, drawn)


def _clip(text: str, head: int = 70, tail: int = 90) -> str:
    flat = " ".join(text.split())
    if len(flat) <= head + tail + 5:
        return flat
    return f"{flat[:head]} …" if tail == 0 else f"{flat[:head]} … {flat[-tail:]}"


def format_report(results: list[FileAlarms], examples: int) -> str:
    flags = sorted({f for r in results for f in r.counts})
    width = max(len(f) for f in flags) if flags else 10
    lines = [f"{'flag':{width}} " + " ".join(f"{r.path.name + ' (' + format(r.rows, ',') + ')':>30}" for r in results)]
    over = []
    for flag in flags:
        cells = []
        for r in results:
            rate = r.rate(flag)
            mark = " !" if rate >= MAX_RATE else "  "
            cells.append(f"{r.counts.get(flag, 0):>8,} {rate:7.2%}{mark}".rjust(30))
            if rate >= MAX_RATE:
                over.append(f"{flag} in {r.path.name}: {rate:.2%}")
        lines.append(f"{flag:{width}} " + " ".join(cells))
    lines.append("")
    lines.append("over 1 % of rows: " + (", ".join(over) if over else "none"))
    if examples:
        for r in results:
            for flag, items in r.examples.items():
                if not items:
                    continue
                lines += ["", f"{r.path.name} {flag} ({r.counts[flag]}):"]
                for item in items:
                    why = f" [{item['reason']}]" if item.get("reason") else ""
                    lines.append(f"  row {item['row']}{why}: {_clip(str(item['instruction']), 50, 0)!r} -> "
                                 f"{_clip(str(item['response']))!r}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="clean instruction files (default: Alpaca 9k, Dolly 3k)")
    parser.add_argument("--out", type=Path, default=Path("false_alarms_out"), help="folder for the audit outputs")
    parser.add_argument("--no-embeddings", action="store_true", help="cheap signals only (no semantic duplicates, "
                                                                     "label noise, outliers)")
    parser.add_argument("--examples", type=int, default=10, help="rows drawn per flag to inspect (0: none)")
    parser.add_argument("--json", type=Path, help="also write counts, rates and examples as JSON here")
    args = parser.parse_args(argv)
    files = args.files or DEFAULT_FILES
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    results = [audit_file(f, args.out / f.stem, not args.no_embeddings, args.examples) for f in files]
    print(format_report(results, args.examples))
    if args.json:
        args.json.write_text(json.dumps([{"file": str(r.path), "rows": r.rows, "counts": r.counts,
                                          "rates": {f: r.rate(f) for f in r.counts}, "examples": r.examples}
                                         for r in results], indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
