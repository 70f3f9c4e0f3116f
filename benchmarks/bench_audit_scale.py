"""`ift-data audit --no-embeddings` at 10k / 100k / 1M rows, a third of them not English: wall time,
peak RSS and each signal's time.

    python benchmarks/bench_audit_scale.py --rows 10000 100000 [1000000]

Rows are synthetic but made of real text: English rows join an Alpaca instruction with 2-5 random
sentences of Alpaca responses (``../shared/data/instructions/alpaca_random_9k.json``); every third row is
instead a German, French, Spanish, Russian or Chinese instruction with 2-5 sentences of the same language
(the corruption harness's passages, recombined), so language detection sees real non-English prose.
Each audit runs in a child process (``python -m ift_data.cli audit``); its peak RSS is the child's
``ru_maxrss``.
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


def run(n: int, tmp: Path) -> dict[str, object]:
    data = tmp / f"rows_{n}.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for row in make_rows(n):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    out = tmp / f"audit_{n}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ift_data.cli", "audit", str(data), "--out", str(out), "--no-embeddings"],
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ, "IFT_DATA_PROGRESS_SECONDS": "3600"})
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    timings = summary.get("timings", {})
    return {"rows": n, "wall_s": round(wall, 1), "peak_rss_mb": round(max(peak, before) / 1024),
            "peak_grew": peak > before, "signals_s": timings.get("signals", {}),
            "read_s": timings.get("read"), "write_s": timings.get("write")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10000, 100000])
    args = parser.parse_args(argv)
    if not DATA.is_file():
        print(f"skipped: {DATA} not found")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(args.rows):  # ascending: the children's peak RSS only grows
            result = run(n, Path(tmp))
            signals = result.pop("signals_s")
            print(json.dumps(result))
            if isinstance(signals, dict):
                print("  signals (s): " + ", ".join(f"{k} {v}" for k, v in sorted(signals.items(),
                                                                                      key=lambda kv: -float(kv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
