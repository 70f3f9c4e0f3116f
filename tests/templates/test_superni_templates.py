"""SuperNI encodings render Tk-Instruct's prompt text byte for byte (compared with a transcription of its
``ni_collator.py`` rules), targets are one of the listed outputs drawn from the seeded generator, and
``templates import-superni`` writes a pack and task specs that load and build."""

from __future__ import annotations

import json
import random
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ift_data.cli import main
from ift_data.errors import UserError
from ift_data.io.sources import ReadOptions, open_source
from ift_data.schema import RawRow
from ift_data.tasks.spec import load_task_spec
from ift_data.templates.pack import load_pack
from ift_data.templates.render import Renderer, joined
from ift_data.templates.superni import ENCODINGS, TARGET, encoding_input, superni_pack

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "superni"


def _ended(text: str) -> str:
    return text if text and text[-1] in string.punctuation else text + "."


def tk_instruct_source(row: dict[str, Any], definition: bool, pos: int, neg: int, explanation: bool) -> str:
    """Tk-Instruct's source text (ni_collator.py), transcribed: each piece stripped, a period added when
    the text so far does not end in punctuation, examples in " Positive Example N -" blocks."""
    task_input = _ended("Now complete the following example -\n" + f"Input: {row['input'].strip()}") + "\nOutput: "
    text = _ended("Definition: " + row["definition"].strip()) + "\n\n" if definition else ""
    for kind, examples, count in (("Positive", row["positive_examples"], pos), ("Negative", row["negative_examples"], neg)):
        for idx, ex in enumerate(examples[:count]):
            block = _ended(f" {kind} Example {idx + 1} -\n" + f"Input: {ex['input'].strip()}") + "\n"
            block = _ended(block + f" Output: {ex['output'].strip()}") + "\n"
            if explanation and "explanation" in ex:
                block = _ended(block + f" Explanation: {ex['explanation'].strip()}") + "\n"
            text += block + "\n"
    return text + task_input


def _rows() -> list[dict[str, Any]]:
    rows = []
    for file in sorted(FIXTURES.glob("*.json")):
        rows += [i.fields for i in open_source(file, ReadOptions(format="superni")).items() if isinstance(i, RawRow)]
    return rows


EDGE_ROW = {"definition": "  Say it  ", "input": "", "outputs": ["a"],
            "positive_examples": [{"input": " x? ", "output": "y"}],
            "negative_examples": [{"input": "z", "output": "w!", "explanation": ""}]}


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_encodings_match_tk_instruct(name: str) -> None:
    enc = ENCODINGS[name]
    renderer = Renderer()
    for row in [*_rows(), EDGE_ROW]:
        prompt, target = renderer.render_parts((encoding_input(name), TARGET), {**row, "_rng": random.Random(0)})
        expected = tk_instruct_source(row, enc.definition, enc.positive, enc.negative, enc.explanation)
        assert joined(prompt) == expected.strip()
        assert joined(target) in row["outputs"]


def test_spans_keep_task_text_as_content() -> None:
    row = _rows()[0]
    prompt, _ = Renderer().render_parts((encoding_input("def-pos2"), TARGET), {**row, "_rng": random.Random(0)})
    content = [text for text, kind in prompt if kind == "content"]
    boilerplate = "".join(text for text, kind in prompt if kind == "boilerplate")
    assert content[0] == row["definition"] and content[-1] == row["input"]
    assert "Positive Example 2 -" in boilerplate and "Now complete the following example -" in boilerplate


def test_target_is_drawn_from_the_seeded_generator() -> None:
    row = _rows()[0]
    assert len(row["outputs"]) == 2
    renderer = Renderer()
    draws = [joined(renderer.render_parts((encoding_input("def"), TARGET), {**row, "_rng": random.Random(s)})[1])
             for s in range(40)]
    assert set(draws) == set(row["outputs"])
    again = [joined(renderer.render_parts((encoding_input("def"), TARGET), {**row, "_rng": random.Random(s)})[1])
             for s in range(40)]
    assert draws == again


def test_pack_round_trips_through_yaml(tmp_path: Path) -> None:
    from ift_data.templates.superni import dump_yaml

    pack = superni_pack("sni", tuple(ENCODINGS))
    path = tmp_path / "sni.yaml"
    path.write_text(dump_yaml(pack), encoding="utf-8")
    loaded = load_pack(path)
    assert [t.id for t in loaded.templates] == [f"sni-{name}" for name in ENCODINGS]
    assert [t.input for t in loaded.templates] == [encoding_input(name) for name in ENCODINGS]
    assert loaded.slots == ("definition", "input", "outputs", "positive_examples", "negative_examples")


def test_unknown_encoding() -> None:
    with pytest.raises(UserError, match="unknown SuperNI encoding 'def-pos3'"):
        encoding_input("def-pos3")


def _run(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_import_superni_writes_pack_and_specs_that_build(tmp_path: Path) -> None:
    tasks = tmp_path / "natural-instructions" / "tasks"
    tasks.mkdir(parents=True)
    for file in FIXTURES.glob("*.json"):
        shutil.copy(file, tasks / file.name)
    out = tmp_path / "natural-instructions" / "ift"
    result = _run("templates", "import-superni", tasks, "--out", out, "--encoding", "def",
                  "--encoding", "def-pos2-neg2-expl", "--max-instances", "3")
    assert result.exit_code == 0, result.output
    # sst2: 6 instances, cap 3, the third without an output: 2 used (it counted 3, the malformed one too)
    assert ("2 of 2 task files imported (10 instances, 5 used with max_instances 3, 1 malformed)"
            in " ".join(result.output.split()))
    assert "task363_sst2_polarity_classification: 1 malformed instance(s), not used" in result.output
    assert "--allow-outside-paths" in result.output
    pack = load_pack(out / "templates" / "superni.yaml")
    assert [t.id for t in pack.templates] == ["superni-def", "superni-def-pos2-neg2-expl"]
    spec = load_task_spec(out / "tasks" / "task363_sst2_polarity_classification.yaml", allow_outside_paths=True)
    assert (spec.family, spec.cluster, spec.related) == ("superni", "sentiment_analysis",
                                                          ("movies", "reviews", "language_english"))
    assert spec.source.format == "superni" and spec.source.max_instances == 3
    assert "languages English" in yaml.safe_load((out / "tasks" / f"{spec.name}.yaml").read_text())["description"]

    recipe = out / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "sni", "seed": 3, "templates": "templates",
        "datasets": [{"task": f"tasks/{f.stem}.yaml"} for f in sorted(FIXTURES.glob("*.json"))],
        "expansion": {"assignment": "all"}, "output": {"formats": ["segments"]}}), encoding="utf-8")
    built = _run("build", recipe, "--out", out / "build_out", "--allow-outside-paths")
    assert built.exit_code == 0, built.output
    manifest = json.loads((out / "build_out" / "manifest.json").read_text())
    sst2 = manifest["datasets"]["task363_sst2_polarity_classification"]
    # 6 instances, cap 3: 2 read (the third has no output), 3 over the cap; 2 templates each
    assert sst2["examples"] == 4 and sst2["cluster"] == "sentiment_analysis"
    assert sst2["source"]["format"] == "superni" and sst2["source"]["tasks"][0]["domains"] == ["Movies", "Reviews"]
    assert manifest["rejects"]["by_stage"].get("limit") == 1 + 3
    records = [json.loads(line) for line in (out / "build_out" / "train.segments.jsonl").read_text().splitlines()]
    assert {r["source"]["template"] for r in records} == {"superni-def", "superni-def-pos2-neg2-expl"}


def test_import_superni_output_follows_its_advice_and_builds(tmp_path: Path) -> None:
    """The printed advice ("write the output into a folder that holds them") did not build: the specs in
    OUT/tasks/ named ../task.json, outside their folder. Now the advice is --out set to the folder whose tasks/
    holds the task files, and that output builds without --allow-outside-paths."""
    root = tmp_path / "natural-instructions"
    (root / "tasks").mkdir(parents=True)
    shutil.copy(FIXTURES / "task001_quoref_question_generation.json", root / "tasks")
    elsewhere = _run("templates", "import-superni", root / "tasks", "--out", tmp_path / "sni")
    advice = " ".join(elsewhere.output.split())
    assert elsewhere.exit_code == 0 and "--allow-outside-paths" in advice, elsewhere.output
    assert "import again with --out set to the folder that holds the task files in its tasks/ folder" in advice
    beside = _run("templates", "import-superni", root / "tasks", "--out", root)
    assert beside.exit_code == 0 and "--allow-outside-paths" not in beside.output, beside.output
    spec = yaml.safe_load((root / "tasks" / "task001_quoref_question_generation.yaml").read_text())
    assert spec["source"]["splits"] == {"train": "task001_quoref_question_generation.json"}
    (root / "recipe.yaml").write_text(yaml.safe_dump({
        "name": "sni", "templates": "templates", "datasets": [{"task": "tasks/task001_quoref_question_generation.yaml"}],
        "output": {"formats": ["segments"]}}), encoding="utf-8")
    built = _run("build", root / "recipe.yaml", "--out", root / "out")
    assert built.exit_code == 0, built.output


def test_import_superni_counts_malformed_instances_apart(tmp_path: Path) -> None:
    """Malformed instances were counted as used; they are read rejects when built."""
    task = json.loads((FIXTURES / "task001_quoref_question_generation.json").read_text(encoding="utf-8"))
    good = task["Instances"][0]
    task["Instances"] = [good, {**good, "id": "x2", "output": []}, "not an object", {**good, "id": "x4", "input": None}]
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "task009_bad.json").write_text(json.dumps(task, indent=2), encoding="utf-8")
    result = _run("templates", "import-superni", tmp_path / "tasks", "--out", tmp_path)
    text = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "1 of 1 task files imported (4 instances, 1 used, 3 malformed)" in text, text
    assert "task009_bad: 3 malformed instance(s), not used (read rejects when built); the first: Instances[1].output" in text


def test_import_superni_reports_a_bad_task_file(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    shutil.copy(FIXTURES / "task001_quoref_question_generation.json", tasks)
    (tasks / "task002_broken.json").write_text('{"Instances": []}', encoding="utf-8")
    result = _run("templates", "import-superni", tasks, "--out", tmp_path)
    assert result.exit_code == 1
    assert "1 of 2 task files imported" in " ".join(result.output.split())
    assert "task002_broken.json" in result.output and "no 'Definition' key" in result.output
    assert (tmp_path / "tasks" / "task001_quoref_question_generation.yaml").is_file()


@pytest.mark.parametrize("args", [("--family", "super/ni"), ("--encoding", "def-pos9")])
def test_import_superni_refuses_bad_names_before_writing(tmp_path: Path, args: tuple[str, str]) -> None:
    result = CliRunner().invoke(main, ["templates", "import-superni", str(FIXTURES), "--out", str(tmp_path / "o"),
                                       *args])
    assert result.exit_code != 0 and args[1] in result.output
    assert not (tmp_path / "o").exists()


def test_import_superni_refuses_to_write_a_spec_over_its_task_file(tmp_path: Path) -> None:
    """A task file at OUT/tasks/NAME.yaml was overwritten by its own spec (red-team, as promptsource's
    --out FILE): refused before anything is written, exit 2, the file unchanged."""
    source = next(FIXTURES.glob("task001*.json"))
    task = tmp_path / "tasks" / f"{source.stem}.yaml"
    task.parent.mkdir()
    shutil.copy(source, task)
    result = CliRunner().invoke(main, ["templates", "import-superni", str(task), "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"over the input {task}" in lines[0], lines
    assert task.read_bytes() == source.read_bytes() and not (tmp_path / "templates").exists()
