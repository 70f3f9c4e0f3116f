"""Rendering throughput: ift-data's span-tracked sandboxed rendering vs stock Jinja2 (no sandbox, no spans).

    python benchmarks/bench_render.py --examples 1000000 --workers 2

Renders the bundled sentiment and NLI packs over synthetic rows (round-robin templates, fixed options),
first with plain ``jinja2.Environment.render`` of the same bodies (the stock baseline), then with
ift-data's ``DatasetExpander.example`` (sandbox + span tracking + Example records), and prints both
rates and their ratio. ``--workers`` splits the rows over processes (each renders its own share).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import jinja2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ift_data.builder.expand import DatasetExpander  # noqa: E402
from ift_data.builder.recipe import ExpansionSpec, FewShotSpec  # noqa: E402
from ift_data.tasks.rows import TaskRow  # noqa: E402
from ift_data.templates.pack import load_pack  # noqa: E402

WORDS = ["the", "film", "was", "a", "quiet", "triumph", "of", "craft", "and", "patience", "though", "the", "middle", "drags", "and", "the", "ending", "feels", "rushed", "yet", "the", "lead", "performance", "carries", "every", "scene", "with", "warmth", "and", "wit"]
LABELS = ("negative", "positive")


def _rows(count: int, seed: int) -> list[TaskRow]:
    rng = random.Random(seed)
    return [TaskRow({"text": " ".join(rng.choices(WORDS, k=rng.randint(12, 40))), "label": rng.randrange(2)},
                    f"synthetic.csv:{i + 2}", "synthetic.csv", i + 2) for i in range(count)]


def _ours(count: int, seed: int) -> float:
    pack = load_pack(ROOT / "templates" / "sentiment.yaml")
    expander = DatasetExpander("bench", "train", _rows(count, seed), pack, LABELS, ExpansionSpec(options="fixed"),
                               FewShotSpec(), seed=seed)
    start = time.perf_counter()
    made = sum(1 for r, t in expander.assignments(0) if expander.example(r, t) is not None)
    assert made == count
    return time.perf_counter() - start


def _stock(count: int, seed: int) -> float:
    pack = load_pack(ROOT / "templates" / "sentiment.yaml")
    env = jinja2.Environment()
    compiled = [(env.from_string(t.input), env.from_string(t.target)) for t in pack.templates]
    rows = _rows(count, seed)
    start = time.perf_counter()
    for index, row in enumerate(rows):
        source, target = compiled[index % len(compiled)]
        context = dict(row.slots, label_names=list(LABELS), answer_choices=list(LABELS),
                       answer=LABELS[row.slots["label"]], options="\nOPTIONS:\n- negative\n- positive")
        source.render(context).strip()
        target.render(context).strip()
    return time.perf_counter() - start


def _timed(fn, count: int, workers: int) -> float:
    if workers <= 1:
        return fn(count, 0)
    share = count // workers
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(fn, [share] * workers, range(workers)))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    stock = _timed(_stock, args.examples, args.workers)
    ours = _timed(_ours, args.examples, args.workers)
    print(f"examples: {args.examples:,}  workers: {args.workers}")
    print(f"stock jinja2 render (no sandbox, no spans): {stock:7.1f} s  {args.examples / stock:10,.0f} ex/s")
    print(f"ift-data span-tracked sandboxed render:     {ours:7.1f} s  {args.examples / ours:10,.0f} ex/s")
    print(f"ratio ift-data / stock time: {ours / stock:.2f}x")


if __name__ == "__main__":
    main()
