"""Every P3 template against promptsource, outcome by outcome: the file written by
``benchmarks/promptsource_parity.py --all ALL.json`` (promptsource's ``Template.apply`` on every template of
the collection x 2 records, errors and empty parts included) compared with ift-data's ``PromptsourceRenderer``:

    python benchmarks/promptsource_parity_check.py ALL.json

Counts per outcome: promptsource renders a prompt and a target (ours: equal / different / not rendered);
promptsource raises (ours should raise ``RenderError``); promptsource gives an empty part or no ``|||`` in
its output (ours should skip with a reason); promptsource gives more than two parts (ours: the first part
as the prompt, the rest as the target). Exit 1 when any outcome differs.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ift_data.templates.pack import Template
from ift_data.templates.promptsource_render import PromptsourceRenderer
from ift_data.templates.render import RenderError


def _kind(outcome: Any) -> str:
    if isinstance(outcome, dict):
        return "error"
    if len(outcome) == 2 and outcome[0] and outcome[1]:
        return "rendered"
    if len(outcome) > 2:
        return "more than two parts"
    return "empty part"


def main() -> int:
    cases = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    renderer = PromptsourceRenderer()
    counts: Counter[tuple[str, str]] = Counter()
    differing = []
    templates = set()
    for case in cases:
        templates.add((case["file"], case["template"]))
        template = Template(id=f"{case['file']}:{case['template']}", family="check", variant="forward", input="",
                            target="", jinja=case["jinja"], answer_choices=case["answer_choices"])
        try:
            applied = renderer.apply(template, case["record"], random.Random(case["seed"]))
            ours = f"skipped ({applied.skipped_reason})" if applied.skipped_reason else "rendered"
        except RenderError:
            ours = "RenderError"
        theirs = _kind(case["outcome"])
        if theirs == "rendered" and ours == "rendered":
            ours = "equal" if [applied.prompt_text, applied.target_text] == case["outcome"] else "DIFFERENT"
        expected = {"rendered": "equal", "error": "RenderError", "more than two parts": "rendered"}.get(theirs)
        ok = ours == expected if expected else ours.startswith("skipped")
        if not ok:
            differing.append((case["file"], case["name"], theirs, ours))
        counts[(theirs, ours)] += 1
    print(f"{len(cases):,} outcomes, {len(templates):,} templates")
    for (theirs, ours), count in sorted(counts.items()):
        print(f"  promptsource: {theirs:<20} ift-data: {ours:<40} {count:6,}")
    print(f"differing: {len(differing)}")
    for row in differing[:20]:
        print("  ", *row)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
