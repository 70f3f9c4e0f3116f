"""Peak RSS of an audit, and the peak while each signal runs (a thread samples VmRSS every 20 ms).

    python benchmarks/bench_audit_rss.py --rows 300000            # synthetic rows of bench_audit_scale.py
    python benchmarks/bench_audit_rss.py --data a.json b.json      # given files
    python benchmarks/bench_audit_rss.py --rows 100000 --embeddings  # every signal, a cold embedding cache

Runs ``run_audit`` (``--no-embeddings`` unless ``--embeddings``) in this process; prints one JSON line: rows, wall seconds, the
process's RSS before reading, its peak, and per signal the peak RSS (MB) seen while it ran and its seconds.
The peak while a signal runs includes everything held before it (the table, earlier signals' columns).
With ``--embeddings`` the kNN graph's two steps are labelled apart: ``embed`` (encoding the texts) and
``knn_search`` (faiss), inside the first signal that asks for the graph.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


class Sampler:
    """Peak RSS per label; ``label`` is whatever the audit is doing now."""

    def __init__(self, interval: float = 0.02) -> None:
        self.label = "read"
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            rss, label = _rss_mb(), self.label
            self.peaks[label] = max(self.peaks.get(label, 0), rss)
            time.sleep(interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _write_rows(n: int, path: Path) -> None:
    from bench_audit_scale import make_rows  # a sibling script: this script's folder is on sys.path

    with path.open("w", encoding="utf-8") as fh:
        for row in make_rows(n):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _labelling(sampler: Sampler, owner: Any, attribute: str, label: str | None, after: str | None) -> Any:
    """Wrap ``owner.attribute`` so that the sampler's label is ``label`` (the first argument's ``name`` when
    None) while it runs, then ``after`` (the label it had, when None); returns the original."""
    original = getattr(owner, attribute)

    def labelled(*args: Any, **kwargs: Any) -> Any:
        before = sampler.label
        sampler.label = label or args[0].name
        try:
            return original(*args, **kwargs)
        finally:
            sampler.label = after or before
    setattr(owner, attribute, labelled)
    return original


def audit_rss(paths: list[Path], out: Path, embeddings: bool = False) -> dict[str, Any]:
    from ift_data.audit import runner
    from ift_data.audit.options import AuditOptions

    start_rss = _rss_mb()
    with Sampler() as sampler:
        patched = [(runner, "_run_one", _labelling(sampler, runner, "_run_one", None, "write"))]
        if embeddings:
            from ift_data.embed import encode, knn

            patched += [(encode.TextEncoder, "embed", _labelling(sampler, encode.TextEncoder, "embed", "embed", None)),
                        (knn, "build_knn", _labelling(sampler, knn, "build_knn", "knn_search", None))]
        try:
            started = time.perf_counter()
            options = AuditOptions(embeddings=embeddings, progress=False, cache_dir=str(out.parent / "cache"))
            result = runner.run_audit(paths, out, options)
            wall = time.perf_counter() - started
        finally:
            for owner, attribute, original in patched:
                setattr(owner, attribute, original)
    timings = result.summary.timings.get("signals", {})
    return {"rows": result.table.height, "wall_s": round(wall, 1), "start_rss_mb": start_rss,
            "peak_rss_mb": max(sampler.peaks.values()),
            "signals": {name: {"peak_rss_mb": peak, "s": timings.get(name)}
                        for name, peak in sorted(sampler.peaks.items(), key=lambda kv: -kv[1])}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--rows", type=int, help="synthetic rows (bench_audit_scale.make_rows)")
    group.add_argument("--data", type=Path, nargs="+", help="files to audit")
    parser.add_argument("--embeddings", action="store_true", help="every signal (a cold embedding cache)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.data
        if args.rows is not None:
            source = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_random_9k.json"
            if not source.is_file():
                print(f"skipped: {source} not found")
                return 0
            paths = [Path(tmp) / f"rows_{args.rows}.jsonl"]
            _write_rows(args.rows, paths[0])
        print(json.dumps(audit_rss(paths, Path(tmp) / "audit", args.embeddings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
