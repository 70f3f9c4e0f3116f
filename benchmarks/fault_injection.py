"""Fault injection: kill ``ift-data build`` and ``ift-data clean`` at random points with SIGKILL, SIGINT
and SIGTERM, rerun each, and count the two failures that must never happen:

- broken: the folder left by the killed run disagrees with its record (build: ``manifest.json`` does
  not list exactly its files with their sha256 and reject count; clean: a file under a final name is not
  the complete file an uninterrupted run writes, or ``clean.json``'s counts disagree with the files);
- differs: the rerun's files are not byte-identical to an uninterrupted run's (``summary.json`` compared
  without its wall-clock ``timings``); leftover work folders, temp files or lock files count too.

Not part of the test suite (minutes, not seconds):

    python benchmarks/fault_injection.py --runs 50 --rows 3000
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ift_data.builder.outdir import manifest_problems
from ift_data.resources import bundled

CLI = [sys.executable, "-m", "ift_data.cli"]
SIGNALS = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)


def _project(root: Path, rows: int) -> tuple[list[str], list[str]]:
    """(build arguments, clean arguments) without ``--out``."""
    task = root / "task"
    task.mkdir(parents=True)
    with (task / "train.jsonl").open("w") as fh:
        for i in range(rows):
            fh.write(json.dumps({"text": f"review {i}: the film was {'great' if i % 2 else 'dull'} in scene "
                                         f"{i % 97}", "label": i % 2}) + "\n")
    (task / "task.yaml").write_text(json.dumps({
        "name": "reviews", "family": "sentiment", "source": {"format": "jsonl", "splits": {"train": "train.jsonl"}},
        "fields": {"text": "text", "label": "label"}, "labels": {"0": "negative", "1": "positive"}}))
    (root / "recipe.yaml").write_text(json.dumps({
        "name": "faults", "seed": 7, "templates": str(bundled("templates")), "datasets": [{"task": "task/task.yaml"}],
        "output": {"formats": ["segments", "messages", "text"]}}))
    rng = random.Random(5)
    words = ["the river", "a stone", "the cloud", "is", "and", "of", "with", "to", "was", "for", "that"]
    with (root / "data.jsonl").open("w") as fh:
        for i in range(rows):
            fh.write(json.dumps({"instruction": f"Describe the {' '.join(rng.choices(words, k=6))} of {i % (rows // 2)}.",
                                 "input": "", "output": "It is " + " ".join(rng.choices(words, k=rng.randint(1, 20)))})
                     + "\n")
    return ["build", str(root / "recipe.yaml")], ["clean", str(root / "data.jsonl"), "--no-embeddings"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()} if folder.is_dir() else {}


def _comparable(files: dict[str, bytes]) -> dict[str, bytes]:
    out = dict(files)
    if "summary.json" in out:
        doc = json.loads(out["summary.json"])
        doc.pop("timings", None)
        out["summary.json"] = json.dumps(doc, sort_keys=True).encode()
    return out


def _run(args: list[str], out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, *args, "--out", str(out)], check=True, capture_output=True, timeout=900)
    return time.perf_counter() - started


def _interrupt(args: list[str], out: Path, delay: float, signum: int) -> int:
    proc = subprocess.Popen([*CLI, *args, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    if signum != signal.SIGKILL and proc.returncode not in (0, 128 + signum, -signum):
        print(f"  unexpected exit {proc.returncode} after {signal.Signals(signum).name}: {err.decode()[-300:]}")
    return proc.returncode


def _clean_problems(out: Path, reference: dict[str, bytes]) -> list[str]:
    problems = []
    files = _comparable(_files(out))
    for name, data in files.items():
        if name.startswith("."):
            continue
        if name not in reference or data != reference[name]:
            problems.append(f"{name}: not the complete file of an uninterrupted run")
    if "clean.json" in files:
        record = json.loads(files["clean.json"])
        rejected = files.get("rejected.jsonl", b"").count(b"\n")
        if record.get("rejected") != rejected:
            problems.append(f"clean.json counts {record.get('rejected')} rejected, rejected.jsonl has {rejected}")
    return problems


def _leftovers(work: Path) -> list[str]:
    """Work folders, lock files and temp files left beside or inside ``work/out`` after a rerun."""
    names = [p.name for p in work.iterdir() if p.name.startswith(".")]
    if (work / "out").is_dir():
        names += [f"out/{p.name}" for p in (work / "out").iterdir() if p.name.startswith(".")]
    return sorted(names)


def inject(command: str, args: list[str], root: Path, runs: int, rng: random.Random) -> dict[str, Any]:
    reference_dir = root / f"reference-{command}"
    elapsed = _run(args, reference_dir)
    reference = _comparable(_files(reference_dir))
    work = root / command
    work.mkdir()
    out = work / "out"
    counts: dict[str, Any] = {"runs": runs, "uninterrupted_s": round(elapsed, 2), "broken": 0, "differs": 0,
                              "finished_before_signal": 0, "by_signal": {s.name: 0 for s in SIGNALS}, "examples": []}
    for i in range(runs):
        signum = SIGNALS[i % len(SIGNALS)]
        counts["by_signal"][signum.name] += 1
        code = _interrupt(args, out, rng.uniform(0.05, elapsed), signum)
        counts["finished_before_signal"] += code == 0
        problems = (manifest_problems(out) if out.is_dir() and command == "build" else
                    _clean_problems(out, reference) if command == "clean" else [])
        if problems:
            counts["broken"] += 1
            counts["examples"].append({"run": i, "signal": signum.name, "after_kill": problems[:3]})
        _run(args, out)
        after = _comparable(_files(out))
        left = _leftovers(work)
        if after != reference or left:
            counts["differs"] += 1
            counts["examples"].append({"run": i, "signal": signum.name, "rerun_differs": sorted(
                n for n in set(after) | set(reference) if after.get(n) != reference.get(n)), "leftovers": left})
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="interrupted runs per command (default 50)")
    parser.add_argument("--rows", type=int, default=3000, help="rows of the generated build and clean inputs")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill points")
    parser.add_argument("--commands", default="build,clean")
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    with tempfile.TemporaryDirectory(prefix="ift-faults-") as tmp:
        root = Path(tmp)
        build_args, clean_args = _project(root / "project", opts.rows)
        results = {}
        for command in opts.commands.split(","):
            started = time.perf_counter()
            results[command] = inject(command, build_args if command == "build" else clean_args, root, opts.runs,
                                      rng)
            results[command]["wall_s"] = round(time.perf_counter() - started, 1)
            print(f"{command}: {json.dumps(results[command])}", flush=True)
    print(json.dumps({c: {k: r[k] for k in ("runs", "broken", "differs", "finished_before_signal")}
                      for c, r in results.items()}))
    sys.exit(1 if any(r["broken"] or r["differs"] for r in results.values()) else 0)


if __name__ == "__main__":
    main()
