"""``ift-data build --shard-size``: every output in shards listed by the manifest, the same rows as the
single-file build, the same bytes on a rerun, a rebuild with other shards leaves no stale shard."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ift_data.builder.outdir import manifest_problems
from ift_data.cli import main


def _project(tasks, make_recipe, helpers) -> Path:
    train = tasks.jsonl("reviews", helpers.sentiment_records(45))
    return make_recipe([{"task": str(train)}])


def _build(recipe: Path, out: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(out), *args], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _rows(out: Path, pattern: str) -> list[str]:
    return [line for p in sorted(out.glob(pattern)) for line in p.read_text(encoding="utf-8").splitlines()]


def test_sharded_build_equals_single_file_build(tasks, make_recipe, helpers, tmp_path):
    recipe = _project(tasks, make_recipe, helpers)
    single = _build(recipe, tmp_path / "one", "--format", "segments,messages")
    sharded = _build(recipe, tmp_path / "sh", "--format", "segments,messages,parquet", "--shard-size", "10")
    assert manifest_problems(tmp_path / "sh") == []
    files = sharded["outputs"]["train"]["files"]
    written = single["outputs"]["train"]["counts"]["written"]
    shards = -(-written // 10)
    assert len(files) == 3 * shards and all(f["shards"] == shards for f in files)
    assert sum(f["rows"] for f in files if f["format"] == "segments") == written
    for fmt in ("segments", "messages"):
        assert _rows(tmp_path / "sh", f"train-*.{fmt}.jsonl") == _rows(tmp_path / "one", f"train.{fmt}.jsonl")
    assert sharded["accounting"] == single["accounting"]


def test_rerun_same_bytes_and_no_stale_shards(tasks, make_recipe, helpers, tmp_path):
    recipe = _project(tasks, make_recipe, helpers)
    first = _build(recipe, tmp_path / "a", "--shard-size", "7", "--format", "segments,parquet")
    second = _build(recipe, tmp_path / "b", "--shard-size", "7", "--format", "segments,parquet")
    assert first["outputs"] == second["outputs"]
    for f in first["outputs"]["train"]["files"]:
        assert (tmp_path / "a" / f["path"]).read_bytes() == (tmp_path / "b" / f["path"]).read_bytes()
    _build(recipe, tmp_path / "a", "--shard-size", "20")  # fewer, larger shards into the same folder
    assert manifest_problems(tmp_path / "a") == []
    assert not list((tmp_path / "a").glob("*-of-00007*")) and not list((tmp_path / "a").glob("*.parquet"))
    _build(recipe, tmp_path / "a")  # back to one file per format
    assert manifest_problems(tmp_path / "a") == [] and not list((tmp_path / "a").glob("train-*"))
