"""Paths in recipes and task specs: only regular files are read (a FIFO or ``/dev/zero`` is a one-line
error, never a hang), and paths resolve inside the folder of the file that names them, so
``/etc/passwd`` or ``../../etc/hostname`` never becomes training data unless ``--allow-outside-paths``.
Relative paths (``output.tokenizer``) resolve against the recipe, not the working directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hardening_helpers import ROWS, BuildCase, dump_yaml, recipe, sentiment_spec

CLI = [sys.executable, "-m", "ift_data.cli"]
OUTSIDE = ["/etc/passwd", "../../etc/hostname"]


def _build(case: BuildCase, *extra: str) -> tuple[int, list[str]]:
    """The real CLI in a subprocess with a time limit: a read that blocks fails the test instead of hanging."""
    proc = subprocess.run([*CLI, "build", str(case.root / "recipe.yaml"), "--out", str(case.root / "out"), *extra],
                          capture_output=True, timeout=60, cwd=case.root)
    lines = [line for line in proc.stderr.decode().splitlines() if line.strip()]
    return proc.returncode, lines


def _assert_one_line(result: tuple[int, list[str]], *needles: str) -> None:
    code, lines = result
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), result
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize("split", OUTSIDE)
def test_split_outside_the_spec_folder_is_refused(case: BuildCase, split: str) -> None:
    case.write(ROWS, spec=sentiment_spec("jsonl", split))
    case.build().assert_user_error("source.splits", "outside", "--allow-outside-paths")
    assert not (case.root / "out").exists()


@pytest.mark.parametrize("labels_file", OUTSIDE)
def test_labels_file_outside_the_spec_folder_is_refused(case: BuildCase, labels_file: str) -> None:
    spec = sentiment_spec("jsonl", "train.jsonl")
    del spec["labels"]
    spec["labels_file"] = labels_file
    case.write(ROWS, spec=spec)
    case.build().assert_user_error("labels_file", "outside")


def test_a_link_inside_the_folder_to_a_file_outside_is_outside(case: BuildCase) -> None:
    case.write(ROWS, spec=sentiment_spec("jsonl", "linked.jsonl"))
    (case.root / "task" / "linked.jsonl").symlink_to("/etc/passwd")
    case.build().assert_user_error("outside")


def test_task_and_templates_outside_the_recipe_folder_are_refused(case: BuildCase, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "train.jsonl").write_bytes(ROWS)
    task = dump_yaml(elsewhere / "task.yaml", sentiment_spec("jsonl", "train.jsonl"))
    dump_yaml(case.root / "recipe.yaml", recipe(task))
    case.build().assert_user_error("datasets[0].task", "outside")
    case.build("--allow-outside-paths").assert_ok()
    dump_yaml(case.root / "recipe.yaml", recipe(case.write(ROWS).parent / "task" / "task.yaml",
                                                templates=[str(elsewhere)]))
    case.build().assert_user_error("templates", "outside")


def test_absolute_paths_under_the_recipe_folder_are_inside(case: BuildCase) -> None:
    case.write(ROWS, spec=sentiment_spec("jsonl", str(case.root / "task" / "train.jsonl")))
    case.build().assert_ok()


def test_allow_outside_paths_still_reads_only_data(case: BuildCase) -> None:
    """With the flag, /etc/passwd is read as the data it claims to be: every line a reject, no examples."""
    case.write(ROWS, spec=sentiment_spec("jsonl", "/etc/passwd"))
    case.build("--allow-outside-paths").assert_user_error("rows of dataset", "were rejected")


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_fifo_and_device_as_split_are_errors_not_hangs(case: BuildCase) -> None:
    case.write(ROWS, spec=sentiment_spec("jsonl", "pipe.jsonl"))
    _fifo(case.root / "task" / "pipe.jsonl")
    _assert_one_line(_build(case), "not a regular file")
    case.write(ROWS, spec=sentiment_spec("jsonl", "/dev/zero"))
    _assert_one_line(_build(case, "--allow-outside-paths"), "not a regular file")


def test_fifo_and_device_as_labels_file_are_errors_not_hangs(case: BuildCase) -> None:
    for labels_file, extra in (("labels.txt", ()), ("/dev/zero", ("--allow-outside-paths",))):
        spec = sentiment_spec("jsonl", "train.jsonl")
        del spec["labels"]
        spec["labels_file"] = labels_file
        case.write(ROWS, spec=spec)
        if labels_file == "labels.txt" and not (case.root / "task" / "labels.txt").exists():
            _fifo(case.root / "task" / "labels.txt")
        _assert_one_line(_build(case, *extra), "labels_file", "not a regular file")


def test_fifo_as_template_pack_is_an_error_not_a_hang(case: BuildCase) -> None:
    task = case.write(ROWS).parent / "task" / "task.yaml"
    _fifo(case.root / "pack.yaml")
    dump_yaml(case.root / "recipe.yaml", recipe(task, templates=["pack.yaml"]))
    _assert_one_line(_build(case), "pack.yaml")
    folder = case.root / "packs"
    folder.mkdir()
    _fifo(folder / "sentiment.yaml")
    dump_yaml(case.root / "recipe.yaml", recipe(task, templates=["packs"]))
    code, lines = _build(case)
    assert code == 2 and len(lines) == 1, lines  # the FIFO is skipped: no pack for the family


def test_fifo_in_a_tokenizer_folder_is_an_error_not_a_hang(case: BuildCase) -> None:
    tok = case.root / "tok"
    tok.mkdir()
    (tok / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "PreTrainedTokenizerFast"}))
    _fifo(tok / "tokenizer.json")
    case.write(ROWS, recipe_extra={"output": {"formats": ["tokenized"], "tokenizer": "tok"}})
    _assert_one_line(_build(case), "tokenizer.json", "not a regular file")


def test_relative_tokenizer_resolves_against_the_recipe_not_the_working_directory(case: BuildCase,
                                                                                   tmp_path_factory) -> None:
    (case.root / "tok").mkdir()
    case.write(ROWS, recipe_extra={"output": {"formats": ["tokenized"], "tokenizer": "tok"}})
    elsewhere = tmp_path_factory.mktemp("cwd")
    proc = subprocess.run([*CLI, "build", str(case.root / "recipe.yaml"), "--out", str(case.root / "out")],
                          capture_output=True, timeout=120, cwd=elsewhere)
    lines = [line for line in proc.stderr.decode().splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, lines
    assert str(case.root / "tok") in lines[0] and "cannot load tokenizer" in lines[0], lines


def test_the_bundled_default_recipe_builds(tmp_path: Path) -> None:
    proc = subprocess.run([*CLI, "build", "--out", str(tmp_path / "out")], capture_output=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
