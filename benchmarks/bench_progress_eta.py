"""How good is the embedding step's ETA? The new one (settled, smoothed, weighted by batch work) against
the stock rich ETA (items left / items per second over the last 30 s, shown from the first advance),
on one recorded run of MiniLM's fast path on a CPU.

    python benchmarks/bench_progress_eta.py --rows 1200

The texts are the first ``--rows`` rows of ``../shared/data/instructions/dolly_3k.json`` (instruction +
input + response, as the audit embeds them). One timeline is recorded (time, texts done, batch work at
each advance, from the moment the step starts, model loading included); both estimators are replayed on
it once a second, so they see the same run. Printed per estimator: when it first shows an ETA, that
first ETA / the true time left, and the median and worst of |ETA / true time left - 1| over the run's
first 80 %. The machine's load makes every run different: compare the two estimators within one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import deque
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "instructions" / "dolly_3k.json"


def record(rows: int) -> tuple[list[tuple[float, int, float]], int, float]:
    """[(seconds since the step started, texts done, work done)], total texts, total work."""
    from ift_data.embed.encode import TextEncoder
    from ift_data.report.progress import Step

    records = json.loads(DATA.read_text(encoding="utf-8"))[:rows]
    texts = ["\n".join(r.get(k, "") for k in ("instruction", "input", "output")) for r in records]
    timeline: list[tuple[float, int, float]] = []

    class Recorder(Step):
        def advance(self, n: int = 1, work: float | None = None) -> None:
            super().advance(n, work)
            timeline.append((time.perf_counter() - self.started, self.completed, self.work()[0]))

    encoder = TextEncoder("minilm", device="cpu", cache_dir=False, progress=False)
    step = Recorder("embedding", len(texts), clock=time.perf_counter)
    encoder.encode(texts, step)  # loads the model inside the step, as the audit does
    return timeline, len(texts), step.work()[1]


def stock(timeline: list[tuple[float, int, float]], total: int, at: float) -> float | None:
    """rich's ``time_remaining``: speed over the samples of the last 30 s (``speed_estimate_period``)."""
    seen = [(t, done) for t, done, _ in timeline if t <= at]
    if not seen:
        return None
    window = deque((t, d) for t, d in seen if t >= at - 30.0)
    if len(window) < 2:
        return None
    speed = (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0]) if window[-1][0] > window[0][0] else 0
    return (total - seen[-1][1]) / speed if speed > 0 else None


def replay(timeline: list[tuple[float, int, float]], total: int, total_work: float) -> dict[str, list]:
    from ift_data.report.progress import EtaEstimator

    end = timeline[-1][0]
    new, by_count = EtaEstimator(), EtaEstimator()
    new.update(0, total_work, 0.0)
    by_count.update(0, total, 0.0)
    out: dict[str, list] = {"stock": [], "new (work)": [], "new (count)": []}
    i = 0
    at = 1.0
    while at < end:
        while i < len(timeline) and timeline[i][0] <= at:
            t, done, work = timeline[i]
            new.update(work, total_work, t)
            by_count.update(done, total, t)
            i += 1
        done, work = (timeline[i - 1][1], timeline[i - 1][2]) if i else (0, 0.0)
        truth = end - at
        out["stock"].append((at, stock(timeline, total, at), truth))
        out["new (work)"].append((at, new.update(work, total_work, at), truth))
        out["new (count)"].append((at, by_count.update(done, total, at), truth))
        at += 1.0
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1200)
    args = parser.parse_args()
    if not DATA.is_file():
        print(f"skipped: {DATA} not found")
        return 0
    timeline, total, total_work = record(args.rows)
    end = timeline[-1][0]
    print(f"{total:,} texts embedded in {end:.1f} s (model loading included); first batch done at "
          f"{timeline[0][0]:.1f} s")
    print(f"{'estimator':<13} {'first shown':>11} {'first/true':>10} {'median err':>10} {'worst err':>9}")
    results = replay(timeline, total, total_work)
    for name, points in results.items():
        shown = [(at, eta, truth) for at, eta, truth in points if eta is not None]
        if not shown:
            print(f"{name:<13} never shown")
            continue
        first_at, first_eta, first_truth = shown[0]
        errors = [abs(eta / truth - 1) for at, eta, truth in shown if at <= 0.8 * end and truth > 0]
        print(f"{name:<13} {first_at:>9.0f} s {first_eta / first_truth:>10.2f} "
              f"{statistics.median(errors) if errors else float('nan'):>10.2f} "
              f"{max(errors) if errors else float('nan'):>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
