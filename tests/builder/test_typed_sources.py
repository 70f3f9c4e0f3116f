"""``ift-data build`` reads a ``save_to_disk`` folder and a Parquet file (made here with ``datasets``): ints,
bools, nested dicts and lists reach the templates intact, ``ClassLabel`` gives the label names, and
``ift-data audit`` / ``clean`` read (and write back) the same inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ift_data.cli import main

datasets = pytest.importorskip("datasets")

ROWS = [
    {"question": "Who won the game?", "context": "Denver won the game.", "star": 5, "verified": True,
     "answers": {"text": ["Denver", "Denver Broncos"], "answer_start": [0, 0]}, "label": 1},
    {"question": "What was the weather?", "context": "It rained all day.", "star": 2, "verified": False,
     "answers": {"text": ["rained"], "answer_start": [3]}, "label": 0},
    {"question": "Where was it held?", "context": "The match was held in Miami.", "star": 4, "verified": True,
     "answers": {"text": ["Miami"], "answer_start": [22]}, "label": 1},
]
FEATURES = {"question": datasets.Value("string"), "context": datasets.Value("string"),
            "star": datasets.Value("int64"), "verified": datasets.Value("bool"),
            "answers": {"text": datasets.Sequence(datasets.Value("string")),
                        "answer_start": datasets.Sequence(datasets.Value("int32"))},
            "label": datasets.ClassLabel(names=["unhelpful", "helpful"])}
INPUT = ("Q{n}: {{{{ question }}}} Context: {{{{ context }}}} Stars minus one: {{{{ star - 1 }}}}"
         "{{% if verified %}} (verified){{% endif %}} Answer: {{{{ answers.text[0] }}}} at "
         "{{{{ answers.answer_start[0] + 0 }}}}. Helpful?")


def _pack(folder: Path) -> Path:
    templates = [{"id": f"typed-fwd-{n:02d}", "variant": "forward", "original_task": True,
                  "choices_in_prompt": False, "input": INPUT.format(n=n), "target": "{{ answer }}"}
                 for n in range(1, 11)]
    templates.append({"id": "typed-inv-01", "variant": "inverted", "original_task": False,
                      "choices_in_prompt": False, "input": "Ask a {{ answer }} question whose answer is {{ answers.text[0] }}.",
                      "target": "{{ question }}"})
    pack = {"family": "typed", "description": "Typed values reach templates.",
            "slots": ["question", "context", "star", "verified", "answers", "label"], "templates": templates}
    folder.mkdir(parents=True)
    (folder / "typed.yaml").write_text(yaml.safe_dump(pack, sort_keys=False), encoding="utf-8")
    return folder


def _task(folder: Path, name: str, source: dict[str, Any]) -> Path:
    spec = {"name": name, "family": "typed", "source": source,
            "fields": {"question": "question", "context": "context", "star": "star", "verified": "verified",
                       "answers": "answers", "label": "label"}}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("typed")
    dataset = datasets.Dataset.from_list(ROWS, features=datasets.Features(FEATURES))
    dataset.save_to_disk(str(root / "reviews_disk"))
    dataset.to_parquet(str(root / "reviews.parquet"))
    return root


def _run(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _build(root: Path, tasks: list[Path], out: Path) -> list[dict[str, Any]]:
    recipe = {"name": "typed", "seed": 1, "templates": str(_pack(root / f"packs_{out.name}")),
              "datasets": [{"task": str(t)} for t in tasks],
              "expansion": {"assignment": "round-robin", "options": "none"}, "output": {"formats": ["segments"]}}
    recipe_path = root / f"recipe_{out.name}.yaml"
    recipe_path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    result = _run("build", recipe_path, "--out", out)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for f in sorted(out.glob("train*.jsonl")) for line in f.read_text().splitlines()]
    assert lines, sorted(p.name for p in out.iterdir())
    return lines


def _texts(record: dict[str, Any]) -> list[str]:
    if "messages" in record:
        return ["".join(s["text"] for s in m["segments"]) if "segments" in m else m["content"]
                for m in record["messages"]]
    return ["".join(s["text"] for s in record["segments"])]


@pytest.mark.parametrize("kind", ["hf_disk", "parquet"])
def test_build_keeps_types_from_arrow_sources(inputs: Path, kind: str) -> None:
    source = ({"format": "hf_disk", "splits": {"train": "reviews_disk"}} if kind == "hf_disk"
              else {"format": "parquet", "splits": {"train": "reviews.parquet"}})
    task = _task(inputs, f"reviews_{kind}", source)
    records = _build(inputs, [task], inputs / f"out_{kind}")
    joined = "\n".join(t for r in records for t in _texts(r))
    # int arithmetic, a bool in {% if %}, a list inside a nested dict, indexed
    assert "Stars minus one: 4 (verified) Answer: Denver at 0. Helpful?" in joined
    assert "Stars minus one: 1 Answer: rained at 3. Helpful?" in joined  # False hides the block
    # ClassLabel gave the label names: each target is the name of the row's int label
    targets = {text: _texts(r)[-1] for r in records for text in ("Denver", "rained", "Miami") if text in _texts(r)[0]}
    assert targets == {"Denver": "helpful", "rained": "unhelpful", "Miami": "helpful"}


@pytest.mark.parametrize("kind", ["hf_disk", "parquet"])
def test_audit_and_clean_read_the_same_inputs(inputs: Path, kind: str) -> None:
    data = inputs / ("reviews_disk" if kind == "hf_disk" else "reviews.parquet")
    mapping = "instruction=question,output=context"
    audit = _run("audit", data, "--out", inputs / f"audit_{kind}", "--map", mapping, "--no-embeddings")
    assert audit.exit_code == 0, audit.output
    summary = json.loads((inputs / f"audit_{kind}" / "summary.json").read_text())
    assert json.dumps(summary).count(str(data)) >= 1
    out = inputs / f"clean_{kind}"
    clean = _run("clean", data, "--out", out, "--map", mapping, "--no-embeddings")
    assert clean.exit_code == 0, clean.output
    report = json.loads((out / "clean.json").read_text())
    assert report["rows_in"] == len(ROWS) and report["kept"] + report["rejected"] == len(ROWS)
    written = out / data.name
    kept = (datasets.load_from_disk(str(written)) if kind == "hf_disk"
            else datasets.Dataset.from_parquet(str(written)))
    assert len(kept) == report["kept"] > 0
    assert kept.features["label"].names == ["unhelpful", "helpful"]  # the kept rows keep their features
    assert kept[0]["answers"]["text"] == ROWS[0]["answers"]["text"]
