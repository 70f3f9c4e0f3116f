"""The output folder holds exactly one build's files: a rebuild replaces the earlier build's files
(none left beside a manifest that does not list them), keeps files someone else put there, and a
failed build leaves the folder as it was."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ift_data.builder.outdir import fresh_dir, swap_in
from ift_data.builder.pipeline import run_build
from ift_data.errors import UserError


def listed(out: Path) -> set[str]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = {f["path"] for section in manifest["outputs"].values() for f in section["files"]}
    return files | {"manifest.json", manifest["rejects"]["file"]}


def names(out: Path) -> set[str]:
    return {p.name for p in out.iterdir()}


@pytest.fixture
def two_recipes(tasks, make_recipe, helpers) -> tuple[Path, Path]:
    """A first recipe writing alpaca (with dataset_info.json) and a held-out eval split; a second one
    writing segments only, with nothing held out."""
    reviews = tasks.jsonl("reviews", helpers.sentiment_records(20))
    topics = tasks.jsonl("topics", [{"text": f"story {i}", "label": i % 3} for i in range(9)], family="topic",
                         labels=["World", "Sports", "Business"],
                         extra_splits={"validation": [{"text": f"eval {i}", "label": i % 3} for i in range(3)]})
    datasets = [{"task": str(reviews)}, {"task": str(topics)}]
    first = make_recipe(datasets, name="first.yaml", held_out={"clusters": ["topic"]},
                        output={"formats": ["segments", "alpaca"]})
    second = make_recipe(datasets, name="second.yaml", output={"formats": ["segments"]})
    return first, second


def test_rebuild_leaves_no_file_of_the_earlier_build(two_recipes, tmp_path) -> None:
    first, second = two_recipes
    out = tmp_path / "out"
    run_build(first, out)
    assert {"dataset_info.json", "train.alpaca.jsonl", "eval.segments.jsonl"} <= names(out)
    assert names(out) == listed(out)
    run_build(second, out)
    assert names(out) == listed(out) == {"manifest.json", "rejects.jsonl", "train.segments.jsonl"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no work folder left


def test_rebuild_keeps_files_someone_else_put_there(two_recipes, tmp_path) -> None:
    first, second = two_recipes
    out = tmp_path / "out"
    run_build(first, out)
    (out / "NOTES.md").write_text("my notes")
    run_build(second, out)
    assert (out / "NOTES.md").read_text() == "my notes"
    assert names(out) - {"NOTES.md"} == listed(out)


def test_failed_build_leaves_the_earlier_build_as_it_was(two_recipes, tmp_path, monkeypatch) -> None:
    from ift_data.builder import pipeline

    first, _ = two_recipes
    out = tmp_path / "out"
    run_build(first, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def failing_export(*args: object, **kwargs: object) -> None:  # fails after the rows are rendered
        raise UserError("the export failed")

    monkeypatch.setattr(pipeline, "_export", failing_export)
    with pytest.raises(UserError, match="the export failed"):
        run_build(first, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_swap_into_a_new_folder_and_refusals(tmp_path) -> None:
    out = tmp_path / "deep" / "out"
    work = fresh_dir(out)
    (work / "manifest.json").write_text("{}")
    swap_in(work, out)
    assert names(out) == {"manifest.json"} and not work.exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="existing file"):
        fresh_dir(tmp_path / "file")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "data.csv").write_text("a,b")
    with pytest.raises(UserError, match="no build wrote"):
        fresh_dir(tmp_path / "theirs")
    empty = tmp_path / "empty"
    empty.mkdir()
    swap_in(fresh_dir(empty), empty)
    assert empty.is_dir() and not any(empty.iterdir())


def test_work_folders_of_killed_builds_are_removed_others_kept(tmp_path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)  # a process that has exited
    abandoned = tmp_path / f".out.building-{dead}-0123abcd"
    abandoned.mkdir()
    (abandoned / "train.segments.jsonl").write_text("partial")
    running = tmp_path / f".out.building-{os.getpid()}-0123abcd"  # a build still running (this process)
    running.mkdir()
    other = tmp_path / f".other.building-{dead}-0123abcd"  # another --out's
    other.mkdir()
    work = fresh_dir(tmp_path / "out")
    assert not abandoned.exists() and running.is_dir() and other.is_dir() and work.is_dir()


def test_a_symlinked_out_is_written_through_and_the_link_stays(two_recipes, tmp_path) -> None:
    """The swap renamed the work folder over the link itself: the link became a folder and its target
    stayed empty (red-team). The build now lands in the target, the link still points at it."""
    first, second = two_recipes
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "out"
    link.symlink_to(target, target_is_directory=True)
    run_build(first, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert names(target) == listed(target) and "train.alpaca.jsonl" in names(target)
    run_build(second, link)  # a rebuild through the link replaces the earlier build in the target
    assert link.is_symlink() and names(target) == listed(target) == {"manifest.json", "rejects.jsonl",
                                                                      "train.segments.jsonl"}
    dangling = tmp_path / "later"
    dangling.symlink_to(tmp_path / "made" / "here", target_is_directory=True)
    run_build(second, dangling)  # a link to a folder not made yet: the folder is made, the link kept
    assert dangling.is_symlink() and names(tmp_path / "made" / "here") == listed(tmp_path / "made" / "here")
    assert not [p for p in tmp_path.rglob(".*") if ".building-" in p.name or ".old-" in p.name]


def test_an_input_the_build_would_replace_in_out_is_refused(tasks, make_recipe, helpers, tmp_path) -> None:
    """A task reading an earlier build's train.segments.jsonl from the folder it builds into: the swap would
    replace that input. Refused before any work, the folder left as it was."""
    reviews = tasks.jsonl("reviews", helpers.sentiment_records(20))
    out = tmp_path / "out"
    run_build(make_recipe([{"task": str(reviews)}]), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = tmp_path / "again"
    again.mkdir()
    spec = {"name": "again", "family": "sentiment", "source": {"format": "jsonl",
            "splits": {"train": str(out / "train.segments.jsonl")}}, "fields": {"text": "id", "label": "id"}}
    helpers.write_yaml(again / "task.yaml", spec)
    recipe = make_recipe([{"task": str(again / "task.yaml")}], name="again.yaml")
    with pytest.raises(UserError, match=r"holds the input .*train\.segments\.jsonl.*choose another output folder"):
        run_build(recipe, out, allow_outside_paths=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
