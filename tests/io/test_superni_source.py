"""The ``superni`` source: task files in allenai/natural-instructions' shape read as one row per instance
(the task's definition, examples and metadata on every row), bad instances and instances over the
per-task cap as counted rejects, and malformed task files as errors naming the file and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ift_data.errors import UserError
from ift_data.io.sources import ReadOptions, open_source
from ift_data.io.sources.superni import ROW_FIELDS, task_info
from ift_data.schema import RawRow, Reject

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "superni"
QUOREF = FIXTURES / "task001_quoref_question_generation.json"
SST2 = FIXTURES / "task363_sst2_polarity_classification.json"


def _items(path: Path, max_instances: int | None = None) -> list[RawRow | Reject]:
    return list(open_source(path, ReadOptions(format="superni", max_instances=max_instances)).items())


def test_instances_become_rows_with_task_fields() -> None:
    items = _items(QUOREF)
    assert [type(i) for i in items] == [RawRow] * 4
    first = items[0]
    assert isinstance(first, RawRow)
    assert tuple(first.fields) == ROW_FIELDS
    assert first.fields["task"] == "task001_quoref_question_generation"
    assert first.fields["id"] == "task001-0001"
    assert first.fields["input"].startswith("Context: Ada built a radio")
    assert first.fields["outputs"] == ["Who taught Ada to repair clocks?",
                                       "What is the relation of the person who taught Ada to repair clocks?"]
    assert first.fields["definition"].startswith("In this task, you're given a passage")
    assert first.fields["positive_examples"][0] == {
        "input": "Context: Mara painted the harbour every morning. Her brother Tomas sold the paintings at the market.",
        "output": "What is the first name of the person whose brother sold the paintings?",
        "explanation": "The question links \"Her\" to Mara"}
    assert len(first.fields["negative_examples"]) == 2
    assert first.fields["categories"] == ["Question Generation"]
    assert first.fields["domains"] == ["Wikipedia"]
    assert first.fields["input_language"] == ["English"]
    assert first.fields["source"] == ["quoref"]
    assert first.fields["license"] == "CC BY 4.0"
    assert first.location.endswith("task001_quoref_question_generation.json#Instances[0]")
    assert [i.line for i in items] == [55, 63, 70, 77]  # the line each instance's "{" is on


def test_instance_lines_follow_the_file_not_the_index() -> None:
    """A pretty-printed file or one on a single line: the physical line each instance starts on."""
    from ift_data.io.sources.superni import instance_lines

    one_line = json.dumps({"Definition": ["d"], "Instances": [{"id": "a"}, {"id": "b"}], "Source": ["x"]})
    assert instance_lines(one_line) == [1, 1]
    pretty = json.dumps({"Definition": ["a\n b"], "Instances": [{"id": "a", "input": "x\ny"}, {"id": "b"}]},
                        indent=2)
    assert instance_lines(pretty) == [i + 1 for i, line in enumerate(pretty.splitlines()) if line == "    {"]
    assert instance_lines('{"Instances": [], "Definition": "x"}') == []


def test_definition_is_the_first_of_the_list() -> None:
    row = _items(SST2)[0]
    assert isinstance(row, RawRow)
    assert row.fields["definition"] == "Given a one-sentence movie review, classify its sentiment as \"POS\" or \"NEG\"."
    assert row.fields["domains"] == ["Movies", "Reviews"]


def test_bad_instance_is_a_reject_naming_it() -> None:
    items = _items(SST2)
    rejects = [i for i in items if isinstance(i, Reject)]
    assert len(items) == 6 and len(rejects) == 1
    assert rejects[0].line == 68 and rejects[0].field == "Instances[2].output"  # the line its "{" is on
    assert "task363-0003" in rejects[0].reason and "non-empty list" in rejects[0].reason


def test_max_instances_keeps_the_first_and_counts_the_rest() -> None:
    items = _items(QUOREF, max_instances=2)
    rows = [i for i in items if isinstance(i, RawRow)]
    limited = [i for i in items if isinstance(i, Reject)]
    assert [r.fields["id"] for r in rows] == ["task001-0001", "task001-0002"]
    assert [r.line for r in limited] == [70, 77]
    assert all(r.stage == "limit" and "per-task cap of 2" in r.reason for r in limited)


def test_folder_reads_every_task_with_its_own_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "tasks"
    folder.mkdir()
    for file in (QUOREF, SST2):
        shutil.copy(file, folder / file.name)
    source = open_source(folder, ReadOptions(format="superni", max_instances=3), "tasks")
    items = list(source.items())
    rows = [i for i in items if isinstance(i, RawRow)]
    assert {r.fields["task"] for r in rows} == {QUOREF.stem, SST2.stem}
    assert rows[0].file == f"tasks/{QUOREF.name}"
    assert sum(isinstance(i, Reject) and i.stage == "limit" for i in items) == 1 + 3
    assert [t["task"] for t in source.info["tasks"]] == [QUOREF.stem, SST2.stem]
    assert source.info["tasks"][1]["categories"] == ["Sentiment Analysis"]
    assert source.info["max_instances"] == 3
    assert source.columns == ROW_FIELDS


def test_digest_follows_the_bytes(tmp_path: Path) -> None:
    copy = tmp_path / QUOREF.name
    shutil.copy(QUOREF, copy)
    before = open_source(copy, ReadOptions(format="superni")).sha256
    assert before == open_source(QUOREF, ReadOptions(format="superni")).sha256
    copy.write_text(copy.read_text(encoding="utf-8").replace("Ada", "Ida"), encoding="utf-8")
    assert open_source(copy, ReadOptions(format="superni")).sha256 != before


def test_task_info() -> None:
    info = task_info(SST2)
    assert (info.name, info.categories, info.domains, info.instances) == (SST2.stem, ("Sentiment Analysis",),
                                                                          ("Movies", "Reviews"), 6)


@pytest.mark.parametrize(("mutate", "field", "words"), [
    (lambda d: d.pop("Definition"), "Definition", "no 'Definition'"),
    (lambda d: d.update(Instances={"id": 1}), "Instances", "list of instances"),
    (lambda d: d.update(Definition=[]), "Definition", "no definition"),
    (lambda d: d["Positive Examples"][1].pop("output"), "Positive Examples[1].output", "no 'output'"),
    (lambda d: d["Negative Examples"][0].update(explanation=3), "Negative Examples[0].explanation", "must be text"),
    (lambda d: d.update(Categories="x", Domains=[1]), "Domains", "list of strings"),
])
def test_malformed_task_file_names_file_and_field(tmp_path: Path, mutate, field: str, words: str) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(QUOREF.read_text(encoding="utf-8"))
    mutate(doc)
    bad = tmp_path / "task999_bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(UserError) as info:
        _items(bad)
    assert info.value.field == field and words in info.value.reason and info.value.file == str(bad)


def test_not_json_and_missing_paths(tmp_path: Path) -> None:
    bad = tmp_path / "task998_broken.json"
    bad.write_text('{"Definition": ["x"],\n "Instances": [,]}', encoding="utf-8")
    with pytest.raises(UserError, match="invalid JSON") as info:
        _items(bad)
    assert info.value.line == 2
    with pytest.raises(UserError, match="no such file"):
        _items(tmp_path / "missing.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no SuperNI task file"):
        _items(empty)
