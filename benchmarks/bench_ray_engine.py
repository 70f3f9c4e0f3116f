"""The Ray Data audit engine's overhead over the local engine, on the same planted data in one run.

    python benchmarks/bench_ray_engine.py [--rows N] [--embeddings]

Data: the corruption harness's planted rows (``benchmarks/corruption_harness.py``: general rows from
../shared/data/instructions/alpaca_random_9k.json when present, else generated ones, with duplicates,
near duplicates, language swaps, truncations, leftovers, plus generated sentiment rows). Three audits of it
(``--no-embeddings`` unless ``--embeddings``), each checked to give the local engine's ``signals.parquet``
bytes and ``summary.json`` (timings aside):

- **local**: ``--engine local`` (the baseline), after an untimed local audit that loads the models (the
  language model, rules) into this process, as the driver of the Ray runs has them loaded too; run before
  and again after the Ray runs, the faster of the two is the baseline;
- **ray cold**: ``--engine ray`` as the CLI runs it: starts a local Ray (one CPU per usable core), runs, stops it;
- **ray warm**: a second audit in a Ray session that is already up and has run an audit (what a caller with a
  running cluster, ``--ray-address``, pays per audit).

Prints wall time per step and the ratios to local.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _harness() -> Any:
    import corruption_harness  # a sibling script: this script's folder is on sys.path

    return corruption_harness


def planted(rows: int, path: Path, seed: int = 0) -> int:
    """Write the harness's planted data (``rows`` general rows + a fifth as many sentiment rows) to ``path``."""
    harness = _harness()
    clean, _ = harness.load_clean(rows, rows // 5, seed, reviews_from="generated")
    corrupted = harness.plant(clean, harness.default_counts(rows, rows // 5), seed)
    harness.write_jsonl(corrupted.rows, path)
    return len(corrupted.rows)


def audit(data: Path, out: Path, engine: str, embeddings: bool) -> tuple[float, dict[str, Any]]:
    from ift_data.audit.options import AuditOptions
    from ift_data.audit.runner import run_audit

    started = time.perf_counter()
    result = run_audit([data], out, AuditOptions(engine=engine, embeddings=embeddings, progress=False))
    return time.perf_counter() - started, result.summary.timings


def same_as(local: Path, other: Path) -> bool:
    """Same signals.parquet bytes and the same summary.json apart from timings."""
    def summary(folder: Path) -> dict[str, Any]:
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        data.pop("timings", None)
        return data

    return ((local / "signals.parquet").read_bytes() == (other / "signals.parquet").read_bytes()
            and summary(local) == summary(other))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="general rows to plant defects in (default 2000)")
    parser.add_argument("--embeddings", action="store_true", help="also run the embedding signals (on the driver)")
    args = parser.parse_args(argv)
    from ift_data.audit.engine_ray import import_ray

    ray = import_ray()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        n = planted(args.rows, work / "planted.jsonl")
        print(f"{n:,} planted rows, embeddings {'on' if args.embeddings else 'off'}, "
              f"{len(os.sched_getaffinity(0))} usable cores")
        runs: dict[str, tuple[float, dict[str, Any]]] = {}
        audit(work / "planted.jsonl", work / "local_warmup", "local", args.embeddings)  # models loaded, caches warm
        runs["local"] = audit(work / "planted.jsonl", work / "local", "local", args.embeddings)
        runs["ray cold"] = audit(work / "planted.jsonl", work / "ray_cold", "ray", args.embeddings)
        ray.init(address="local", num_cpus=len(os.sched_getaffinity(0)), include_dashboard=False,
                 log_to_driver=False, logging_level="ERROR")
        try:
            audit(work / "planted.jsonl", work / "ray_warmup", "ray", args.embeddings)
            runs["ray warm"] = audit(work / "planted.jsonl", work / "ray_warm", "ray", args.embeddings)
        finally:
            ray.shutdown()
        again = audit(work / "planted.jsonl", work / "local", "local", args.embeddings)
        runs["local"] = min(runs["local"], again, key=lambda run: run[0])  # the load of the machine varies
        same = {name: same_as(work / "local", work / name.replace(" ", "_")) for name in ("ray cold", "ray warm")}
    steps = ["ray_init", *runs["local"][1]["signals"], "total (wall)"]
    print(f"{'step':<22}" + "".join(f"{name:>11}" for name in runs) + f"{'cold/local':>12}{'warm/local':>12}")
    for step in steps:
        values = []
        for _, (wall, timings) in runs.items():
            value = wall if step == "total (wall)" else timings.get("signals", {}).get(step, timings.get(step))
            values.append(value)
        cells = "".join(f"{v:>10.2f}s" if v is not None else f"{'-':>11}" for v in values)
        ratios = "".join(f"{v / values[0]:>11.1f}x" if v is not None and values[0] else f"{'-':>12}" for v in values[1:])
        print(f"{step:<22}{cells}{ratios}")
    print("identical to local (signals.parquet bytes, summary.json without timings): "
          + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()))
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
