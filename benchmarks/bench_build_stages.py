"""CPU time per example of each stage a build runs for every example, in one process, nothing read or written.

    python benchmarks/bench_build_stages.py --examples 20000
    PYTHONPATH=/path/to/other/checkout/src python benchmarks/bench_build_stages.py --examples 20000   # compare

The bundled sentiment pack (forward and inverted templates, round-robin, random options, no few-shot) over
synthetic rows, the build's 1M benchmark recipe (``bench_build_scale.py``): the selection's check
(``select_parallel.trial``, which also packs the render for the export; an older checkout: ``shots_if_made``,
or the whole example), rendering the ``Example`` (the export now builds it from the packed render instead), chat
formatting (chatml), masking (response), the segments rows and their JSON lines. Each stage runs three times and
its least CPU time (``time.process_time``: steadier than wall time on a shared machine) is printed per example,
with the sha256 of the JSON lines (the same bytes whatever the checkout). The ``ift_data`` imported is the one
on ``PYTHONPATH`` (this checkout's ``src`` when it is not set), so two checkouts compare in one run.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import ift_data  # noqa: E402
from bench_timing import least_cpu  # noqa: E402
from ift_data.builder.expand import DatasetExpander  # noqa: E402
from ift_data.builder.recipe import ExpansionSpec, FewShotSpec  # noqa: E402
from ift_data.chat.format import format_example  # noqa: E402
from ift_data.chat.masking import apply_mask  # noqa: E402
from ift_data.chat.registry import get_chat_format  # noqa: E402
from ift_data.export import segments  # noqa: E402
from ift_data.export.base import ExportContext, Rendered  # noqa: E402
from ift_data.io.atomic import dumps_json_line  # noqa: E402
from ift_data.resources import bundled  # noqa: E402
from ift_data.tasks.rows import TaskRow  # noqa: E402
from ift_data.templates.pack import load_pack  # noqa: E402

WORDS = ["the", "film", "was", "a", "quiet", "triumph", "of", "craft", "and", "patience", "though", "the", "middle",
         "drags", "and", "the", "ending", "feels", "rushed", "yet", "the", "lead", "performance", "carries", "every",
         "scene", "with", "warmth", "and", "wit"]  # bench_render.py's words
LABELS = ("negative", "positive")


def _rows(count: int, seed: int = 0) -> list[TaskRow]:
    rng = random.Random(seed)
    return [TaskRow({"text": " ".join(rng.choices(WORDS, k=rng.randint(12, 40))), "label": rng.randrange(2)},
                    f"synthetic.csv:{i + 2}", "synthetic.csv", i + 2) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=20_000)
    args = parser.parse_args()
    n = args.examples
    pack = load_pack(bundled("templates") / "sentiment.yaml")
    expander = DatasetExpander("bench", "train", _rows(n), pack, LABELS,
                               ExpansionSpec(variants=("forward", "inverted"), options="random"), FewShotSpec(), seed=7)
    pairs = list(expander.iter_assignments(0))
    chat_format = get_chat_format("chatml")
    context = ExportContext("train", "response", chat_format)
    try:  # the build's selection step (render, count the shots, pack the record for the export)
        from ift_data.builder.select_parallel import trial

        def check(r: int, t: int, epoch: int) -> Any:
            return trial(expander, r, t, epoch)
    except ImportError:  # an older checkout: its selection check, or the whole example
        check = getattr(expander, "shots_if_made", expander.example)
    gc.freeze()  # the build runs with fewer collections (builder/collector.py); keep them out of the stages
    stages: list[tuple[str, Callable[[Any], Any]]] = [
        ("selection check", lambda _: [check(r, t, 0) for r, t in pairs]),
        ("render Example", lambda _: [expander.example(r, t, 0) for r, t in pairs]),
        ("chat format", lambda examples: [format_example(e, chat_format, None, ()) for e in examples]),
        ("mask", lambda formatted: [Rendered(f, apply_mask(f, "response")) for f in formatted]),
        ("segments rows", lambda items: list(segments.rows(items, context))),
        ("JSON lines", lambda records: [dumps_json_line(r) + "\n" for r in records]),
    ]
    print(f"ift_data from {Path(ift_data.__file__).parent}  examples: {n:,}")
    value: Any = None
    total = 0.0
    for name, stage in stages:
        seconds, result = least_cpu(lambda stage=stage, value=value: stage(value))
        if name != "selection check":
            value = result
        total += seconds
        print(f"{name:16s} {seconds * 1e6 / n:7.1f} us/example (CPU)")
    print(f"{'all':16s} {total * 1e6 / n:7.1f} us/example (CPU)")
    print(f"sha256 of the JSON lines: {hashlib.sha256(''.join(value).encode('utf-8')).hexdigest()}")


if __name__ == "__main__":
    main()
