"""A list or dict where the family's templates write a slot as text (``{{ text }}``) is a map reject
naming the field, never a Python repr in the training data; lists that templates take apart
(``{{ answers[0] }}``) and numbers keep reaching the templates as they are."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ift_data.cli import main
from ift_data.templates.pack import Template, TemplatePack, text_slots


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_a_list_in_a_text_slot_is_a_map_reject(tmp_path: Path, tasks, make_recipe, helpers) -> None:
    rows = helpers.sentiment_records(12)
    rows[3] = {"text": ["a", "b"], "label": 1}
    rows[5] = {"text": {"k": "v"}, "label": 0}
    rows[7] = {"text": 42, "label": 1}  # a number stays a number (documented: values keep their types)
    task = tasks.jsonl("reviews", rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(make_recipe([{"task": str(task)}])), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rejects = [r for r in _read_jsonl(out / "rejects.jsonl") if r["stage"] == "map"]
    by_line = {r["line"]: r for r in rejects}
    assert sorted(by_line) == [4, 6]
    assert by_line[4]["field"] == "text" and by_line[4]["reason"].startswith("text: expected a string, got list")
    assert by_line[6]["reason"].startswith("text: expected a string, got dict")
    texts = " ".join(json.dumps(r) for path in out.glob("*.segments.jsonl") for r in _read_jsonl(path))
    assert "['a', 'b']" not in texts and "{'k': 'v'}" not in texts
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["datasets"]["reviews"]["rows_in"] == 12


def _pack(*bodies: tuple[str, str]) -> TemplatePack:
    templates = tuple(Template(id=f"t{i}", family="f", variant="forward", input=i_body, target=t_body)
                      for i, (i_body, t_body) in enumerate(bodies))
    return TemplatePack("f", "", ("text", "answers", "choices", "label", "n"), ("title",), templates, "f.yaml")


def test_text_slots_are_the_slots_written_whole() -> None:
    pack = _pack(("{{ text | trim }} {{ answers[0] }} {% for c in choices %}{{ c }}{% endfor %}", "{{ answer }}"),
                 ("{{ 'Title: ' ~ title if title else '' }} {{ n + 1 }}", "{{ choices | join(', ') }}"))
    assert text_slots(pack) == ("text", "title")
