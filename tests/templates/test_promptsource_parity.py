"""Parity with promptsource 0.2.3's ``Template.apply``, byte for byte, on P3 templates and records built with
each dataset's field names and types. The expected outputs were written by promptsource itself
(benchmarks/promptsource_parity.py regenerates them); promptsource is not needed here."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from ift_data.templates.pack import Template
from ift_data.templates.promptsource_render import TEXT_VAR_LENGTH, PromptsourceRenderer
from ift_data.templates.render import RenderError

FIXTURE = Path(__file__).parent / "fixtures" / "promptsource_parity" / "parity.json"


def _load() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


DOC = _load()


def _template(key: str, raw: dict[str, Any]) -> Template:
    return Template(id=key, family="parity", variant="forward", input="", target="",
                    answer_choices=raw["answer_choices"], jinja=raw["jinja"])


def test_fixture_covers_enough() -> None:
    templates = sum(len(d["templates"]) for d in DOC["datasets"])
    datasets = {d["dataset"] for d in DOC["datasets"]}
    assert templates >= 300 and len(datasets) >= 60
    assert FIXTURE.stat().st_size < 2_000_000


@pytest.mark.parametrize("entry", DOC["datasets"], ids=lambda d: "/".join(filter(None, (d["dataset"], d["subset"]))))
def test_parity(entry: dict[str, Any]) -> None:
    renderer = PromptsourceRenderer()
    mismatches: list[tuple[Any, ...]] = []
    for case in entry["cases"]:
        template = _template(case["template"], entry["templates"][case["template"]])
        record = entry["records"][case["record"]]
        applied = renderer.apply(template, record, random.Random(case["seed"]))
        got = [applied.prompt_text, applied.target_text]
        if got != case["parts"] or applied.skipped_reason is not None:
            mismatches.append((entry["templates"][case["template"]]["name"], case["record"], got, case["parts"]))
        expected = case["truncated"] if case["truncated"] is not None else case["parts"]
        if isinstance(expected, dict):  # promptsource's truncation rewrite broke this template: so does ours
            with pytest.raises(RenderError):
                renderer.apply(template, record, random.Random(case["seed"]), truncate_chars=TEXT_VAR_LENGTH)
            continue
        truncated = renderer.apply(template, record, random.Random(case["seed"]), truncate_chars=TEXT_VAR_LENGTH)
        if [truncated.prompt_text, truncated.target_text] != expected:
            mismatches.append((entry["templates"][case["template"]]["name"], case["record"], "truncate",
                               [truncated.prompt_text, truncated.target_text], expected))
    assert not mismatches, mismatches[:3]
