"""Reading a big JSON array of records whole (``open_json``) vs as a stream (``stream_json``), in one run.

    python benchmarks/bench_json_stream.py [--rows 1000000] [--indent 2] [--repeat 1]

Writes an Alpaca-style JSON array of ``--rows`` records (the records of
``../shared/data/instructions/alpaca_random_9k.json`` repeated, each made distinct by its number; made-up
records of the same shape where that file is absent) and iterates every item of it with each reader, each
in a fresh child process: wall time and peak RSS (``ru_maxrss`` of the child, which includes the
interpreter and the imports: ~"import only" is that floor, measured the same way). Both readers must give
the same number of rows and the same digest of their items. Prints both and the ratios stream / whole.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_random_9k.json"


def write_array(path: Path, rows: int, indent: int | None) -> str:
    """The benchmark file; returns where its records came from."""
    if DATA.is_file():
        base = json.loads(DATA.read_text(encoding="utf-8"))
        origin = f"{DATA.name} repeated"
    else:
        base = [{"instruction": f"Give three tips for staying healthy, variant {i}.", "input": "" if i % 3 else
                 "Some context sentence that goes with the instruction.", "output": "1. Eat a balanced diet. "
                 * 8} for i in range(1000)]
        origin = "made-up Alpaca-shaped records"
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for i in range(rows):
            record = dict(base[i % len(base)])
            record["instruction"] = f"{record.get('instruction', '')} #{i}"
            out.write(("," if i else "") + ("\n" if indent is not None else "")
                      + json.dumps(record, indent=indent, ensure_ascii=False))
        out.write("\n]\n")
    return origin


def child(reader: str, path: Path) -> None:
    """One measurement (run in a child process): iterate every item, print the figures as JSON."""
    import resource

    from ift_data.io.sources.base import ReadOptions
    from ift_data.io.sources.json_records import open_json
    from ift_data.io.sources.json_stream import stream_json

    started = time.perf_counter()
    digest, count = hashlib.sha256(), 0
    if reader != "import":
        opener = open_json if reader == "whole" else stream_json
        source = opener(path, ReadOptions(format="json"), path.name)
        for item in source.items():
            count += 1
            if count % 1000 == 0:  # a sample of the items, so that both readers are seen to agree
                digest.update(repr(item).encode())
        digest.update(source.sha256.encode())
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "items": count, "digest": digest.hexdigest()}))


def measure(reader: str, path: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--child", reader, str(path)], check=True,
                          capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--indent", type=int, default=2, help="-1: one record a line, no indent")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each reader; the best time is shown")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "alpaca.json"
        origin = write_array(path, args.rows, None if args.indent < 0 else args.indent)
        print(f"{args.rows:,} records ({origin}), {path.stat().st_size / 2**20:,.0f} MiB")
        floor = measure("import", path)
        runs = {reader: [measure(reader, path) for _ in range(args.repeat)] for reader in ("whole", "stream")}
        best = {reader: min(results, key=lambda r: r["seconds"]) for reader, results in runs.items()}
        if len({(r["items"], r["digest"]) for results in runs.values() for r in results}) != 1:
            print("the readers disagree:", best)
            return 1
        print(f"import only          peak RSS {floor['rss_kib'] / 1024:8,.0f} MiB")
        for reader, label in (("whole", "open_json (whole)"), ("stream", "stream_json")):
            print(f"{label:20} peak RSS {best[reader]['rss_kib'] / 1024:8,.0f} MiB   {best[reader]['seconds']:6.1f} s"
                  f"   {best[reader]['items']:,} items")
        print(f"stream / whole: peak RSS {best['stream']['rss_kib'] / best['whole']['rss_kib']:.3f}x, "
              f"time {best['stream']['seconds'] / best['whole']['seconds']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
