"""``ift-data build --workers N`` and ``--engine ray`` against ``--workers 1`` on the same synthetic source.

    python benchmarks/bench_build_workers.py --rows 100000 --examples 100000
    python benchmarks/bench_build_workers.py --rows 1000000 --examples 1000000 --workers 1 2 --ray
    python benchmarks/bench_build_workers.py --rows 100000 --examples 100000 --cpu-split

The source, task and recipe are ``bench_build_scale.py``'s (the bundled sentiment pack, segments JSONL,
chatml). Each build runs in a child process; the stock baseline is ``--workers 1`` (one process, as the build
ran before workers existed), measured in the same run: every other run prints its wall time, speed-up over it
and CPU seconds, and the output files are checked byte-identical to the baseline's (manifest included; exit 1
otherwise). The
machine's load average before and after is printed: on a shared machine a speed-up is only as good as the
idle cores it had. CPU is user + system seconds of the build and of the worker processes it waited for (a
fork pool's workers count; a Ray's workers do not); peak RSS is the largest one process reached (the build or
one of its workers: ``wait4``'s ``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "src"))

from bench_build_scale import run_build, write_recipe, write_source  # noqa: E402


def digests(out: Path) -> dict[str, str]:
    """sha256 of every file the build wrote."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir()) if p.is_file()}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {len(os.sched_getaffinity(0))} usable cores"


def cpu_split(recipe: Path, out: Path, workers: int) -> str:
    """One build in this process: CPU seconds of this process and of its (waited-for) workers, for the whole
    build and for the export stage (``pipeline._export``), from ``getrusage``."""
    import resource

    import ift_data.builder.pipeline as pipeline

    def cpu() -> tuple[float, float]:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime

    export = pipeline._export
    stage: dict[str, tuple[float, float]] = {}

    def timed(*args: object, **kw: object) -> object:
        (own, kids) = cpu()
        result = export(*args, **kw)  # type: ignore[arg-type]
        after = cpu()
        stage["export"] = (after[0] - own, after[1] - kids)
        return result

    pipeline._export = timed  # type: ignore[assignment]
    own, kids = cpu()
    pipeline.run_build(recipe, out, workers=workers)
    after = cpu()
    return (f"--workers {workers}: whole build CPU {after[0] - own:.1f} s parent + {after[1] - kids:.1f} s workers;"
            f" export stage {stage['export'][0]:.1f} s parent + {stage['export'][1]:.1f} s workers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the synthetic source")
    parser.add_argument("--examples", type=int, default=100_000, help="examples the recipe asks for")
    parser.add_argument("--format", default="segments", help="export format")
    parser.add_argument("--workers", type=int, nargs="+", default=[2], help="worker counts to compare with 1")
    parser.add_argument("--ray", action="store_true", help="also build with --engine ray (a local Ray)")
    parser.add_argument("--build-args", default="", help="more options for every build, one string")
    parser.add_argument("--cpu-split", action="store_true",
                        help="also run each local build in a child that reports CPU seconds of the parent and of "
                             "its workers, for the whole build and the export stage")
    parser.add_argument("--child-cpu-split", nargs=3, metavar=("RECIPE", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_cpu_split:
        recipe_arg, out_arg, workers_arg = args.child_cpu_split
        print(cpu_split(Path(recipe_arg), Path(out_arg), int(workers_arg)))
        return

    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        folder = Path(tmp)
        write_source(folder, args.rows)
        recipe = write_recipe(folder, args.examples, args.format)
        common = shlex.split(args.build_args)
        runs = [("--workers 1 (baseline)", ["--workers", "1"])]
        runs += [(f"--workers {n}", ["--workers", str(n)]) for n in args.workers if n != 1]
        if args.ray:
            runs.append(("--engine ray (local Ray)", ["--engine", "ray"]))
        print(f"source: {args.rows:,} rows  examples: {args.examples:,}  format: {args.format}  "
              f"build args: {args.build_args or '-'}")
        print(f"before: {load()}")
        baseline: tuple[float, dict[str, str]] | None = None
        differ = []
        for label, extra in runs:
            out = folder / f"out-{len(label)}-{time.monotonic_ns()}"
            wall, rss, cpu = run_build(recipe, out, [*common, *extra])
            files = digests(out)
            if baseline is None:
                baseline = (wall, files)
                verdict = f"{len(files)} files"
            else:
                same = files == baseline[1]
                differ += [] if same else [label]
                verdict = "byte-identical to the baseline" if same else "DIFFERENT BYTES from the baseline"
            print(f"{label:28s} {wall:7.1f} s  {args.examples / wall:9,.0f} ex/s  speed-up "
                  f"{baseline[0] / wall:4.2f}x  CPU {cpu:6.1f} s  peak RSS {rss / 2**20:,.0f} MiB  {verdict}")
        if args.cpu_split:
            for n in [1, *[n for n in args.workers if n != 1]]:
                out = folder / f"split-{n}"
                child = subprocess.run([sys.executable, __file__, "--child-cpu-split", str(recipe), str(out), str(n)],
                                       capture_output=True, text=True, check=True)
                print(child.stdout.strip())
        print(f"after:  {load()}")
    if differ:
        raise SystemExit(f"outputs differ from --workers 1: {', '.join(differ)}")


if __name__ == "__main__":
    main()
