"""Reading a JSON array with the physical start line of every record vs stock ``json.loads``, in one run.

    python benchmarks/bench_json_lines.py [--rows 9229] [--repeat 5]

Rows: the first ``--rows`` records of ``../shared/data/instructions/alpaca_random_9k.json`` (skipped with a
message when absent), written pretty-printed (indent 2) and on one line. "Ours" is ``open_source`` of the
file plus iterating every record (strict parse, then the scan that finds where each record starts);
"scan" is ``record_lines`` alone; "stock" is ``json.loads`` of the same text (no strictness, no lines).
Each figure is the best of ``--repeat`` runs; the ratios are ours / stock and scan / stock.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_random_9k.json"


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=9229)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not DATA.is_file():
        print(f"skipped: {DATA} is absent")
        return 0
    from ift_data.io.sources import ReadOptions, open_source
    from ift_data.io.sources.json_records import record_lines

    records = json.loads(DATA.read_text(encoding="utf-8"))[: args.rows]
    with tempfile.TemporaryDirectory() as tmp:
        for layout, indent in (("pretty", 2), ("one-line", None)):
            path = Path(tmp) / f"{layout}.json"
            text = json.dumps(records, indent=indent, ensure_ascii=False)
            path.write_text(text, encoding="utf-8")
            stock = _best(lambda: json.loads(path.read_text(encoding="utf-8")), args.repeat)  # noqa: B023
            ours = _best(lambda: list(open_source(path, ReadOptions(format="json")).items()),  # noqa: B023
                         args.repeat)
            scan = _best(lambda: record_lines(text, ["[]"]), args.repeat)  # noqa: B023
            print(f"{layout:9} {len(records):,} records, {len(text) / 2**20:.1f} MiB: stock json.loads {stock:.3f} s; "
                  f"ours {ours:.3f} s ({ours / stock:.2f}x); the line scan alone {scan:.3f} s "
                  f"({scan / stock:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
