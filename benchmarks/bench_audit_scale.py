"""`ift-data audit --no-embeddings` at 10k / 100k / 1M rows, a third of them not English: wall time,
peak RSS and each signal's time.

    python benchmarks/bench_audit_scale.py --rows 10000 100000 [1000000] [--workers 1 2]

Rows are synthetic but made of real text: English rows join an Alpaca instruction with 2-5 random
sentences of Alpaca responses (``../shared/data/instructions/alpaca_random_9k.json``); every third row is
instead a German, French, Spanish, Russian or Chinese instruction with 2-5 sentences of the same language
(the corruption harness's passages, recombined), so language detection sees real non-English prose.
Each audit runs in a child process (``python -m ift_data.cli audit``); its peak RSS is the child's
``ru_maxrss`` (the largest single process); ``peak_total_rss_mb`` sums the audit and its worker processes
and ``cpu_s`` their CPU seconds (the audit process's own, exact, and each worker's), sampled from /proc every 0.2 s (a
worker's last 0.2 s may be missed); ``load_avg`` is the machine's 1-minute load average at the end.
With ``--workers 1 2`` each size is audited once per worker count (``--workers`` of the audit), the first
count being the baseline the others' wall-time ratios are measured against, and ``same_signals_parquet``
says whether each wrote the first one's ``signals.parquet`` bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_random_9k.json"
INSTRUCTIONS = {
    "de": ["Erkläre bitte, warum das wichtig ist.", "Fasse den folgenden Text zusammen.", "Was denkst du darüber?"],
    "fr": ["Explique pourquoi c'est important.", "Résume le texte suivant.", "Qu'en penses-tu ?"],
    "es": ["Explica por qué es importante.", "Resume el siguiente texto.", "¿Qué opinas de esto?"],
    "ru": ["Объясни, почему это важно.", "Кратко перескажи следующий текст.", "Что ты об этом думаешь?"],
    "zh": ["请解释为什么这很重要。", "请总结下面的文字。", "你怎么看这个问题？"],
}
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


def _foreign_passages() -> dict[str, list[str]]:
    from corruption_harness import FOREIGN  # a sibling script: this script's folder is on sys.path

    out = {}
    for language in INSTRUCTIONS:
        sentences = [s for p in FOREIGN[language] for s in _SENTENCE.split(p) if len(s) > 8]
        out[language] = sentences
    return out


def make_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    alpaca = json.loads(DATA.read_text(encoding="utf-8"))
    english = [s for r in alpaca for s in _SENTENCE.split(r["output"]) if len(s) > 20]
    foreign = _foreign_passages()
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        if i % 3 == 2:
            language = rng.choice(sorted(foreign))
            instruction = rng.choice(INSTRUCTIONS[language])
            sentences = [rng.choice(foreign[language]) for _ in range(rng.randint(2, 5))]
            rows.append({"instruction": instruction, "input": "", "output": ("" if language == "zh" else " ").join(sentences)})
        else:
            source = rng.choice(alpaca)
            rows.append({"instruction": source["instruction"], "input": source.get("input", ""),
                         "output": " ".join(rng.choice(english) for _ in range(rng.randint(2, 5)))})
    return rows


def write_rows(n: int, tmp: Path) -> Path:
    data = tmp / f"rows_{n}.jsonl"
    if not data.exists():
        with data.open("w", encoding="utf-8") as fh:
            for row in make_rows(n):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return data


_TICK = os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> dict[int, tuple[int, float]]:
    """``root`` and every process descended from it (from /proc): pid -> (VmRSS in KiB, CPU seconds)."""
    parents: dict[int, int] = {}
    seen: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry)] = int(fields.get("PPid", "0").strip())
        rss = int(fields["VmRSS"].split()[0]) if "VmRSS" in fields else 0
        ticks = stat[stat.rindex(")") + 2:].split()  # after the command name: state, ppid, ...
        seen[int(entry)] = (rss, (int(ticks[11]) + int(ticks[12])) / _TICK)  # utime + stime
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        grew = bool(found)
        tree |= found
    return {pid: seen[pid] for pid in tree if pid in seen}


def run(n: int, tmp: Path, workers: int | None = None) -> dict[str, object]:
    data = write_rows(n, tmp)
    out = tmp / f"audit_{n}_{workers}"
    before_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = before_usage.ru_maxrss, before_usage.ru_utime + before_usage.ru_stime
    extra = ["--workers", str(workers)] if workers is not None else []
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "ift_data.cli", "audit", str(data), "--out", str(out),
                              "--no-embeddings", *extra], stdout=subprocess.DEVNULL,
                             env={**os.environ, "IFT_DATA_PROGRESS_SECONDS": "3600"})
    peak_total = 0
    cpu: dict[int, float] = {}  # each process's CPU seconds when last seen

    def sample() -> None:
        nonlocal peak_total
        while child.poll() is None:
            tree = _tree(child.pid)
            peak_total = max(peak_total, sum(rss for rss, _ in tree.values()))
            cpu.update({pid: seconds for pid, (_, seconds) in tree.items()})
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if child.wait() != 0:
        raise SystemExit(f"the audit of {n:,} rows failed (exit {child.returncode})")
    wall = time.perf_counter() - started
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu[child.pid] = usage.ru_utime + usage.ru_stime - cpu_before  # the audit process itself: exact
    peak = usage.ru_maxrss
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    timings = summary.get("timings", {})
    return {"rows": n, "workers": workers, "wall_s": round(wall, 1), "peak_rss_mb": round(max(peak, before) / 1024),
            "peak_grew": peak > before, "peak_total_rss_mb": round(peak_total / 1024),
            "cpu_s": round(sum(cpu.values()), 1), "load_avg": round(os.getloadavg()[0], 1),
            "cpu_audit_process_s": round(cpu[child.pid], 1),
            "cpu_other_processes_s": sorted((round(v, 1) for pid, v in cpu.items() if pid != child.pid and v >= 0.1),
                                            reverse=True),
            "signals_s": timings.get("signals", {}), "read_s": timings.get("read"), "write_s": timings.get("write")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--workers", type=int, nargs="+", default=None,
                        help="audit each size with each of these --workers counts (the first is the baseline)")
    args = parser.parse_args(argv)
    if not DATA.is_file():
        print(f"skipped: {DATA} not found")
        return 0
    counts: list[int | None] = list(args.workers) if args.workers else [None]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(args.rows):  # ascending: the children's peak RSS only grows
            baseline = None
            for workers in counts:
                result = run(n, Path(tmp), workers)
                signals = result.pop("signals_s")
                written = (Path(tmp) / f"audit_{n}_{workers}" / "signals.parquet").read_bytes()
                if baseline is None:
                    baseline, first = float(result["wall_s"]), written  # type: ignore[arg-type]
                else:
                    result["wall_vs_first"] = (round(float(result["wall_s"]) / baseline, 3)  # type: ignore[arg-type]
                                               if baseline else None)
                    result["same_signals_parquet"] = written == first
                print(json.dumps(result), flush=True)
                if isinstance(signals, dict):
                    print("  signals (s): " + ", ".join(f"{k} {v}" for k, v in sorted(signals.items(),
                                                                                          key=lambda kv: -float(kv[1]))),
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
