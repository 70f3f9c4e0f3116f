"""Rendering speed of promptsource packs: ift-data's sandboxed, span-tracked ``PromptsourceRenderer.apply``
against promptsource's own ``Template.apply`` (the stock baseline), on the parity fixture's cases.

    python benchmarks/promptsource_render_speed.py --promptsource-python /tmp/psvenv/bin/python [--repeat 5]

The baseline runs in the Python that has promptsource (see benchmarks/promptsource_parity.py for setting it
up; promptsource is not a dependency of ift-data), in a child process started by this script; both sides
render the same cases (template x record, seeded) ``--repeat`` times after one warm-up pass that compiles
the templates, and both use ``truncate=False``. The machine is shared: timings are noisy, the ratio is the
figure to read.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent.parent / "tests/templates/fixtures/promptsource_parity/parity.json"

BASELINE = r"""
import json, random, sys, time
from promptsource.templates import Template
doc = json.load(open(sys.argv[1], encoding="utf-8"))
repeat = int(sys.argv[2])
cases = []
for d in doc["datasets"]:
    made = {k: Template(v["name"], v["jinja"], "", answer_choices=v["answer_choices"]) for k, v in d["templates"].items()}
    cases += [(made[c["template"]], d["records"][c["record"]], c["seed"]) for c in d["cases"]]
def run():
    for template, record, seed in cases:
        random.seed(seed)
        template.apply(dict(record), truncate=False)
run()
start = time.perf_counter()
for _ in range(repeat):
    run()
print(json.dumps({"cases": len(cases), "seconds": time.perf_counter() - start}))
"""


def _ours(doc: dict[str, Any], repeat: int) -> tuple[int, float]:
    from ift_data.templates.pack import Template
    from ift_data.templates.promptsource_render import PromptsourceRenderer

    cases = []
    for entry in doc["datasets"]:
        made = {key: Template(id=key, family="bench", variant="forward", input="", target="",
                              jinja=raw["jinja"], answer_choices=raw["answer_choices"])
                for key, raw in entry["templates"].items()}
        cases += [(made[c["template"]], entry["records"][c["record"]], c["seed"]) for c in entry["cases"]]
    renderer = PromptsourceRenderer()

    def run() -> None:
        for template, record, seed in cases:
            renderer.apply(template, record, random.Random(seed))

    run()
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    return len(cases), time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--promptsource-python", required=True, help="a Python with promptsource 0.2.3")
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    doc = json.loads(args.fixture.read_text(encoding="utf-8"))
    child = subprocess.run([args.promptsource_python, "-c", BASELINE, str(args.fixture), str(args.repeat)],
                           capture_output=True, text=True, check=True)
    stock = json.loads(child.stdout.strip().splitlines()[-1])
    cases, ours = _ours(doc, args.repeat)
    renders = cases * args.repeat
    print(f"{cases} cases x {args.repeat} passes = {renders:,} renders")
    print(f"promptsource Template.apply : {stock['seconds']:7.2f} s  ({renders / stock['seconds']:8,.0f} renders/s)")
    print(f"ift-data apply (sandboxed)  : {ours:7.2f} s  ({renders / ours:8,.0f} renders/s)")
    print(f"ratio ift-data / promptsource: {ours / stock['seconds']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
