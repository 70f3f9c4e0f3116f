"""Sharded and parquet output: shards as produced, listed with rows and sha256, the same rows as one file,
readable by ``datasets``, byte-identical on a rerun, nothing left behind by a failed export."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from export_helpers import build_example

from ift_data.errors import UserError
from ift_data.export import ExportOptions, export_examples
from ift_data.export.files import FormatWriter, file_name


def _examples(n: int):
    return [build_example(f"film number {i}", ident=f"ex-{i}") for i in range(n)]


def _lines(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines()]


def test_shards_hold_the_rows_of_the_single_file(tmp_path):
    examples = _examples(25)
    one = export_examples(examples, tmp_path / "one", "train", ExportOptions(formats=("segments", "messages")))
    sharded = export_examples(examples, tmp_path / "sh", "train",
                              ExportOptions(formats=("segments", "messages"), shard_size=10))
    names = [f["path"] for f in sharded["files"]]
    assert names == [f"train-0000{i}-of-00003.{fmt}.jsonl" for fmt in ("segments", "messages") for i in range(3)]
    assert [f["rows"] for f in sharded["files"]] == [10, 10, 5] * 2
    for f in sharded["files"]:
        assert f["sha256"] == hashlib.sha256((tmp_path / "sh" / f["path"]).read_bytes()).hexdigest()
        assert (f["shard"], f["shards"]) == (int(f["path"][6:11]), 3)
    for fmt in ("segments", "messages"):
        shards = sorted((tmp_path / "sh").glob(f"train-*.{fmt}.jsonl"))
        assert _lines(shards) == _lines([tmp_path / "one" / f"train.{fmt}.jsonl"])
    assert sharded["counts"] == one["counts"] and sharded["masking_recommendation"] == one["masking_recommendation"]
    assert sorted(p.name for p in (tmp_path / "sh").iterdir()) == sorted(names)  # no temporary file left


def test_exact_multiple_and_empty_output(tmp_path):
    manifest = export_examples(_examples(20), tmp_path / "a", "train", ExportOptions(shard_size=10))
    assert [f["rows"] for f in manifest["files"]] == [10, 10]
    manifest = export_examples([], tmp_path / "b", "train", ExportOptions(formats=("segments", "parquet"),
                                                                           shard_size=10))
    assert [(f["path"], f["rows"]) for f in manifest["files"]] == [
        ("train-00000-of-00001.segments.jsonl", 0), ("train-00000-of-00001.parquet", 0)]


def test_a_shard_holds_its_planned_examples_less_the_rejected(tmp_path):
    """Where a shard ends depends on the plan alone (so any process can write any shard): shard k holds what
    is written of examples [10k, 10k + 10); a reject shortens its own shard only, and a shard whose every
    example is rejected is still written, empty."""
    examples = _examples(35)
    for i in (3, *range(20, 30)):  # a chatml control token in the data: an export reject
        examples[i] = build_example(f"film number {i} <|im_end|>", ident=f"ex-{i}")
    manifest = export_examples(examples, tmp_path, "train", ExportOptions(formats=("segments", "parquet"),
                                                                         shard_size=10))
    assert [(f["path"], f["rows"]) for f in manifest["files"] if f["format"] == "segments"] == [
        ("train-00000-of-00004.segments.jsonl", 9), ("train-00001-of-00004.segments.jsonl", 10),
        ("train-00002-of-00004.segments.jsonl", 0), ("train-00003-of-00004.segments.jsonl", 5)]
    assert [f["rows"] for f in manifest["files"] if f["format"] == "parquet"] == [9, 10, 0, 5]
    ids = [[json.loads(line)["id"] for line in (tmp_path / f"train-0000{k}-of-00004.segments.jsonl").read_text(
        encoding="utf-8").splitlines()] for k in range(4)]
    assert ids[0] == [f"ex-{i}" for i in range(10) if i != 3] and ids[3] == [f"ex-{i}" for i in range(30, 35)]
    assert manifest["counts"]["rejected"] == 11
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f["path"] for f in manifest["files"])


def test_parquet_shards_load_with_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    examples = _examples(23)
    manifest = export_examples(examples, tmp_path, "train", ExportOptions(formats=("segments", "parquet"),
                                                                         shard_size=10))
    parquet = [tmp_path / f["path"] for f in manifest["files"] if f["format"] == "parquet"]
    assert [p.name for p in parquet] == [file_name("train", "parquet", i, 3) for i in range(3)]
    loaded = datasets.load_dataset("parquet", data_files=[str(p) for p in parquet], split="train",
                                   cache_dir=str(tmp_path / "cache"))
    assert loaded.num_rows == 23
    assert loaded.to_list() == _lines(sorted(tmp_path.glob("train-*.segments.jsonl")))


def test_same_inputs_same_bytes(tmp_path):
    options = ExportOptions(formats=("segments", "parquet", "text"), shard_size=7)
    first = export_examples(_examples(30), tmp_path / "a", "train", options)
    second = export_examples(_examples(30), tmp_path / "b", "train", options)
    assert first["files"] == second["files"]
    for f in first["files"]:
        assert (tmp_path / "a" / f["path"]).read_bytes() == (tmp_path / "b" / f["path"]).read_bytes()


def test_failed_export_leaves_no_file(tmp_path):
    def records():
        yield {"id": 1}
        yield {"id": 2}
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError), FormatWriter(tmp_path, "train", "segments", shard_size=1) as writer:
        writer.write_all(records())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("options", "message"), [
    (ExportOptions(shard_size=0), "at least 1"),
    (ExportOptions(formats=("segments", "sharegpt"), shard_size=10), "dataset_info.json"),
])
def test_bad_shard_options(tmp_path, options, message):
    with pytest.raises(UserError, match=message) as info:
        export_examples(_examples(2), tmp_path, "train", options)
    assert info.value.field == "shard_size"


class _Full:
    """A file that fills up after ``room`` bytes."""

    def __init__(self, handle, room: int) -> None:
        self._handle, self._room = handle, room

    def write(self, data):
        self._room -= len(data)
        if self._room < 0:
            raise OSError(28, "No space left on device")
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)


@pytest.mark.parametrize("formats", [("segments",), ("parquet",)])
def test_disk_full_is_a_user_error_and_leaves_no_shard(tmp_path, monkeypatch, formats):
    from ift_data.io import atomic

    real = atomic.os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, *a, **k: _Full(real(fd, *a, **k), 3000))
    with pytest.raises(UserError, match="No space left on device"):
        export_examples(_examples(200), tmp_path, "train", ExportOptions(formats=formats, shard_size=20))
    assert list(tmp_path.iterdir()) == []
