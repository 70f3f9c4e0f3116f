"""Peak memory of ``ift-data build`` as the source grows: sampling a fixed number of examples from N rows, and
building as many examples as rows.

    python benchmarks/bench_build_memory.py --rows 1000000 3000000 10000000 --examples 10000
    python benchmarks/bench_build_memory.py --rows 1000000 2000000 --examples 0      # examples = rows
    python benchmarks/bench_build_memory.py --rows 1000000 --examples 10000 --before /tmp/before/src
    python benchmarks/bench_build_memory.py --rows 1000000 --examples 10000 --source-format parquet
    python benchmarks/bench_build_memory.py --rows 1000000 --examples 10000 --source-format csv

The synthetic source is ``bench_build_scale.py``'s (sentiment reviews, 12-40 words, JSONL), written once for the
largest N (the smaller sources are its first N lines: the same rows) into ``--tmp`` and deleted at the end;
``--source-format parquet`` (or ``csv``) converts each case's rows to one Parquet file (row groups of 65,536
rows) or CSV file (a header line, quoted as needed), in a child process, so that the conversion's memory is
not counted in the build's peak.
Each build runs in a child process (``--workers 1`` unless ``--workers`` says otherwise; the ``--before`` checkout
has no such option and builds in one process) and reports its wall
time, CPU seconds, peak RSS (``ru_maxrss`` from ``wait4``: the child and the workers it waited for), seconds per
million rows read, and the lines of ``rejects.jsonl``. ``--before SRC`` runs the same builds with ``PYTHONPATH``
at another checkout's ``src`` (e.g. a ``git archive`` of the commit before the row store) in the same run: the
stock baseline for the ratios. A shared machine: compare within one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build_scale import run_build, write_recipe, write_source  # noqa: E402


def first_lines(source: Path, target: Path, n: int) -> Path:
    """The first ``n`` lines of ``source`` (the rows ``write_source`` makes first, for a smaller N)."""
    with source.open("rb") as src, target.open("wb") as out:
        out.writelines(islice(src, n))
    return target


def convert(jsonl: Path, source_format: str) -> Path:
    """``jsonl`` as ``reviews.parquet`` or ``reviews.csv`` beside it (polars' streaming engine, in a child
    process)."""
    target = jsonl.with_suffix(f".{source_format}")
    sink = "sink_parquet(sys.argv[2], row_group_size=65536)" if source_format == "parquet" else "sink_csv(sys.argv[2])"
    code = f"import sys, polars as pl; pl.scan_ndjson(sys.argv[1]).{sink}"
    subprocess.run([sys.executable, "-c", code, str(jsonl), str(target)], check=True)
    return target


def measure(folder: Path, source: Path, rows: int, total: int, examples: int, workers: str, src: str | None,
            source_format: str = "jsonl") -> tuple[float, int, float, int]:
    """(wall s, peak RSS bytes, CPU s, rejects.jsonl lines) of one build of ``examples`` from the first ``rows``."""
    case = folder / f"case-{rows}-{examples}"
    case.mkdir(exist_ok=True)
    reviews = case / "reviews.jsonl"
    if not reviews.exists():
        if rows == total:
            os.link(source, reviews)
        else:
            first_lines(source, reviews, rows)
    recipe = write_recipe(case, examples, "segments")
    if source_format != "jsonl":
        if not (case / f"reviews.{source_format}").exists():
            convert(reviews, source_format)
        task = case / "task.yaml"
        task.write_text(task.read_text(encoding="utf-8").replace("format: jsonl", f"format: {source_format}")
                        .replace("reviews.jsonl", f"reviews.{source_format}"), encoding="utf-8")
    out = case / "out"
    env = {"PYTHONPATH": src} if src else None
    extra = ["--workers", workers] if workers != "default" and src is None else []  # before --workers: 1 process
    wall, rss, cpu = run_build(recipe, out, extra, env)
    rejects = sum(1 for _ in (out / "rejects.jsonl").open("rb"))
    shutil.rmtree(out)
    return wall, rss, cpu, rejects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000], help="source sizes (rows)")
    parser.add_argument("--examples", type=int, default=10_000, help="examples to build; 0: as many as rows")
    parser.add_argument("--workers", default="1", help="--workers of the build ('default': leave it out)")
    parser.add_argument("--before", default=None, help="a checkout's src folder to run the same builds with")
    parser.add_argument("--source-format", choices=("jsonl", "parquet", "csv"), default="jsonl",
                        help="the source file's format (parquet, csv: converted from the JSONL rows)")
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the sources (default: TMPDIR)")
    args = parser.parse_args()

    sizes = sorted(args.rows)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-build-memory-", dir=args.tmp) as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        source = write_source(folder, sizes[-1])
        print(f"source: {sizes[-1]:,} rows, {source.stat().st_size / 2**20:,.0f} MiB, written in "
              f"{time.perf_counter() - start:.0f} s; load average {load:.1f}", flush=True)
        for rows in sizes:
            examples = args.examples or rows
            for label, src in [("before", args.before), ("now", None)] if args.before else [("now", None)]:
                wall, rss, cpu, rejects = measure(folder, source, rows, sizes[-1], examples, args.workers, src,
                                                  args.source_format)
                print(f"{label:>6}: {examples:>10,} examples from {rows:>11,} rows: {wall:7.1f} s  CPU {cpu:7.1f} s  "
                      f"peak RSS {rss / 2**20:7,.0f} MiB  {wall / rows * 1e6:5.1f} s per 1M rows  "
                      f"rejects.jsonl {rejects:,} lines", flush=True)
            shutil.rmtree(folder / f"case-{rows}-{examples}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
