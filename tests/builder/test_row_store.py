"""The build's row store: rows spilled to a temporary file come back exactly (every value type), by index and
in order, with their file and line known without decoding; the file never outlives the rows (closed, garbage
collected, or a read that fails); and a build whose rows are spilled writes the same bytes as one that keeps
them in memory."""

from __future__ import annotations

import datetime
import gc
import json
import math
import os
import pickle
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from ift_data.builder import row_store, sources
from ift_data.builder.recipe import DatasetEntry
from ift_data.builder.row_store import MemoryRows, Rows, RowWriter, SpilledRows, slot_names
from ift_data.builder.sources import load_dataset, sampled_mask
from ift_data.cli import main
from ift_data.io.sources.base import decoded_lines, streamed_lines
from ift_data.tasks.rows import TaskRow, to_task_row
from ift_data.tasks.spec import load_task_spec

VALUES: list[Any] = [
    "plain", "ünïcödé — 日本語 😀", "\ud800 lone surrogate", "", " ", "line\nbreak\r\n\ttab\x00nul",
    0, -1, 2**63 - 1, -(2**63), 2**63, 2**64 + 5, -(10**40), True, False, None,
    0.1, -0.0, 1e308, 5e-324, math.inf, -math.inf, math.nan,
    [], [1, "two", 3.0, None, [True]], {"nested": {"list": [1, {"deep": "ö"}]}}, {},
    (1, "tuple", (2.5,)), b"\x00\xffbytes", {1: "int key", (1, 2): "tuple key"}, ["\udfff"], {"k": math.nan},
]


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (NaN equals NaN, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def same_row(a: TaskRow, b: TaskRow) -> bool:
    return (a.location, a.file, a.line) == (b.location, b.file, b.line) and same(a.slots, b.slots)


def _rows(n: int, files: int = 1) -> list[TaskRow]:
    out = []
    for i in range(n):
        file = f"part-{i * files // n}.jsonl"
        out.append(TaskRow({"text": f"row {i} ✓", "label": i % 3}, f"{file}:{i + 2}", file, i + 2))
    return out


def _spill(rows: list[TaskRow], folder: Path) -> SpilledRows:
    with RowWriter(spill_rows=0, folder=str(folder)) as writer:
        for row in rows:
            writer.add(row)
        store = writer.finish()
    assert isinstance(store, SpilledRows)
    return store


def test_every_value_type_comes_back_exactly(tmp_path: Path) -> None:
    rows = [TaskRow({"value": v, "label": i}, f"f.jsonl:{i + 1}", "f.jsonl", i + 1) for i, v in enumerate(VALUES)]
    rows.append(TaskRow({"when": datetime.datetime(2024, 1, 2, 3, 4, 5)}, "f.jsonl:99", "f.jsonl", 99))  # held
    rows.append(TaskRow({"q": "x"}, "f.json#data[0].qas[1]", "f.json", 7))  # a location that is not file:line
    rows.append(TaskRow({"q": math.nan}, "f.json#data[1]", "f.json", 8))
    store = _spill(rows, tmp_path)
    assert store.spilled and len(store) == len(rows)
    for index, row in enumerate(rows):
        assert same_row(store[index], row), (index, store[index], row)
    assert all(same_row(a, b) for a, b in zip(store, rows, strict=True))
    assert store._held.keys() == {len(VALUES)}  # only the datetime row stays in memory


def test_random_access_slices_and_iteration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_store, "CACHE_ROWS", 8)
    monkeypatch.setattr(row_store, "BLOCK", 64)  # iteration crosses many blocks; some records are longer
    rows = _rows(3000, files=3)
    rows[10] = TaskRow({"text": "long " * 200, "label": 1}, rows[10].location, rows[10].file, rows[10].line)
    store = _spill(rows, tmp_path)
    rng = random.Random(0)
    for index in [rng.randrange(3000) for _ in range(500)] + [0, 2999, 10, 10]:
        assert store[index] == rows[index]
    assert store[-1] == rows[-1] and store[5:9] == rows[5:9] and store[::700] == rows[::700]
    assert list(store) == rows
    with pytest.raises(IndexError):
        store[3000]
    assert len(store._cache) <= 8


def test_file_and_line_without_decoding(tmp_path: Path) -> None:
    rows = _rows(90, files=3)
    stores: list[Rows] = [_spill(rows, tmp_path), MemoryRows(list(rows))]
    for store in stores:
        assert [store.file_line(i) for i in range(90)] == [(r.file, r.line) for r in rows]
        assert list(store.file_segments(25, 65)) == [(25, 30, "part-0.jsonl"), (30, 60, "part-1.jsonl"),
                                                     (60, 65, "part-2.jsonl")]
        subset = store.subset(np.array([1, 2, 40, 41, 89]))
        assert list(subset) == [rows[i] for i in (1, 2, 40, 41, 89)]
        assert [subset.file_line(i) for i in range(5)] == [(rows[i].file, rows[i].line) for i in (1, 2, 40, 41, 89)]
        assert list(subset.file_segments(0, 5)) == [(0, 2, "part-0.jsonl"), (2, 4, "part-1.jsonl"),
                                                    (4, 5, "part-2.jsonl")]
    spilled = _spill(rows, tmp_path)

    def no_decoding(*_: Any) -> TaskRow:
        raise AssertionError("a row was decoded")

    spilled._decode = no_decoding  # type: ignore[method-assign,assignment]
    assert spilled.file_line(45) == ("part-1.jsonl", 47)
    assert list(spilled.subset(np.arange(20, 70)).file_segments(0, 50))[1] == (10, 40, "part-1.jsonl")


def test_slot_names_known_from_reading(tmp_path: Path) -> None:
    rows = [TaskRow({"a": 1, "b": 2}, "f:1", "f", 1), TaskRow({"a": 1}, "f:2", "f", 2),
            TaskRow({"c": "x", "a": 0}, "f:3", "f", 3)]
    store = _spill(rows, tmp_path)
    assert slot_names(store) == ["a", "b", "c"] == slot_names(rows)
    assert store.subset(np.array([1])).slot_names() == ["a"]
    assert store.subset(np.array([1, 2])).slot_names() == ["a", "c"]
    assert store.subset(np.array([], dtype=np.int64)).slot_names() == []
    one_keyset = _spill(_rows(20), tmp_path)
    assert one_keyset.slot_names() == ["label", "text"] and one_keyset._keyset_ids is None


def test_small_splits_stay_in_memory() -> None:
    with RowWriter(spill_rows=100, spill_bytes=10**6) as writer:
        for row in _rows(100):
            writer.add(row)
        store = writer.finish()
    assert isinstance(store, MemoryRows) and not store.spilled and store.slot_names() == ["label", "text"]
    with RowWriter(spill_rows=100, spill_bytes=50) as writer:  # few rows, but more text than the threshold
        for row in _rows(10):
            writer.add(row)
        assert writer.finish().spilled


def _spill_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("ift-data-rows-*"))


def test_spill_file_removed_on_close_on_collection_and_on_error(tmp_path: Path) -> None:
    store = _spill(_rows(50), tmp_path)
    assert len(_spill_files(tmp_path)) == 1
    store.close()
    assert _spill_files(tmp_path) == []
    with pytest.raises(RuntimeError, match="closed"):
        store[0]
    store = _spill(_rows(50), tmp_path)
    del store
    gc.collect()
    assert _spill_files(tmp_path) == []
    with pytest.raises(KeyboardInterrupt), RowWriter(spill_rows=5, folder=str(tmp_path)) as writer:
        for index, row in enumerate(_rows(50)):
            if index == 20:
                assert len(_spill_files(tmp_path)) == 1
                raise KeyboardInterrupt
            writer.add(row)
    assert _spill_files(tmp_path) == []


def test_a_failed_read_leaves_no_spill_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tasks: Any,
                                            helpers: Any) -> None:
    spec_path = tasks.jsonl("reviews", helpers.sentiment_records(200))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(row_store, "SPILL_ROWS", 10)
    real = to_task_row
    seen = []

    def failing(item: Any, task: Any) -> Any:
        seen.append(item)
        if len(seen) == 150:
            raise KeyboardInterrupt  # Ctrl-C in the middle of reading
        return real(item, task)

    monkeypatch.setattr(sources, "to_task_row", failing)
    with pytest.raises(KeyboardInterrupt):
        load_dataset(DatasetEntry(name="reviews", task=load_task_spec(spec_path)), "train", seed=0)
    assert _spill_files(tmp_path) == []
    monkeypatch.setattr(sources, "to_task_row", real)
    loaded = load_dataset(DatasetEntry(name="reviews", task=load_task_spec(spec_path)), "train", seed=0)
    assert loaded.rows.spilled and len(_spill_files(tmp_path)) == 1
    assert [r.slots["text"] for r in loaded.rows] == [r["text"] for r in helpers.sentiment_records(200)]
    loaded.close()
    assert _spill_files(tmp_path) == []


def test_files_of_killed_processes_are_swept(tmp_path: Path) -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    host = row_store.host_name()
    dead = tmp_path / f"ift-data-rows-{host}-{int(child.stdout)}-abc.bin"  # its process has exited
    live = tmp_path / f"ift-data-rows-{host}-{os.getpid()}-def.bin"
    other_host = tmp_path / f"ift-data-rows-{host}x-{int(child.stdout)}-ghi.bin"
    for path in (dead, live, other_host):
        path.write_bytes(b"J{}")
    store = _spill(_rows(5), tmp_path)
    assert not dead.exists() and live.exists() and other_host.exists()
    assert Path(store.path).name.startswith(f"ift-data-rows-{host}-{os.getpid()}-")


def test_pickled_copy_reads_and_never_removes_the_file(tmp_path: Path) -> None:
    rows = _rows(40)
    store = _spill(rows, tmp_path)
    copy = pickle.loads(pickle.dumps(store))
    assert list(copy) == rows and copy[7] == rows[7]
    del copy
    gc.collect()
    assert len(_spill_files(tmp_path)) == 1 and store[39] == rows[39]


def test_many_spilled_splits_share_a_few_descriptors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_store, "MAX_OPEN", 2)
    monkeypatch.setattr(row_store, "CACHE_ROWS", 1)
    monkeypatch.setattr(row_store, "BLOCK", 64)
    splits = [_rows(30 + i) for i in range(5)]
    stores = [_spill(rows, tmp_path) for rows in splits]
    walks = [iter(store) for store in stores]
    for step in range(30):  # interleaved iteration and random access over more files than descriptors
        for rows, store, walk in zip(splits, stores, walks, strict=True):
            assert next(walk) == rows[step] and store[(step * 7) % len(rows)] == rows[(step * 7) % len(rows)]
            assert len(row_store._OPEN) <= 2


def test_a_copy_that_cannot_see_the_file_says_so(tmp_path: Path) -> None:
    store = _spill(_rows(10), tmp_path)
    copy = pickle.loads(pickle.dumps(store))
    store.close()
    with pytest.raises(RuntimeError, match="does not see that file"):
        copy[3]


@pytest.mark.parametrize("n,k", [(0, 0), (1, 1), (10, 3), (30, 6), (100, 99), (1000, 5), (1000, 6), (5000, 40),
                                 (5000, 4000), (200_000, 70), (300, 300)])
def test_hard_cap_mask_is_random_sample(n: int, k: int) -> None:
    for seed in range(3):
        mask = sampled_mask(random.Random(seed), n, k)
        assert set(np.flatnonzero(mask).tolist()) == set(random.Random(seed).sample(range(n), k))


LINES = [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf{}\n", b"a\nb", b"a\r\nb\r\n", b"a\rb\rc", b"a\r\r\nb\n\r",
         b"\n\n\n", b"ok\n\xff\xfe bad\nok\n", b"x" * 40 + b"\nshort\n" + b"y" * 41, b"\r", b"\r\n\r\n"]


@pytest.mark.parametrize("data", LINES)
def test_streamed_lines_equal_decoded_lines(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    assert list(streamed_lines(path, "in.jsonl", 40)) == list(decoded_lines("in.jsonl", data, "utf-8", 40))


def _project(tasks: Any, make_recipe: Any, helpers: Any) -> Path:
    records: list[Any] = helpers.sentiment_records(700)
    records[3] = {"text": "no label"}  # map reject
    records[9]["text"] = "ünïcödé 😀 " + records[9]["text"]
    train = tasks.jsonl("reviews", records)
    with (train.parent / "train.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{not json\n\n" + json.dumps({"text": "after a blank line", "label": 1}) + "\n")
    other = tasks.jsonl("more_reviews", helpers.sentiment_records(300, "b"))
    pairs = [{"premise": f"p {i}", "hypothesis": f"h {i}", "label": i % 2} for i in range(80)]
    nli = tasks.jsonl("pairs", pairs[:40], family="nli", labels=["entailment", "not_entailment"],
                      fields={"premise": "premise", "hypothesis": "hypothesis", "label": "label"},
                      extra_splits={"validation": pairs})
    return make_recipe([{"task": str(train), "hard_cap": 650}, {"task": str(other)}, {"task": str(nli)}],
                       held_out={"clusters": ["nli"]}, mixing={"mode": "proportional", "total": 400},
                       few_shot={"share": 0.5, "k": 2, "max_chars": 600})


def _build(recipe: Path, out: Path, *args: str) -> dict[str, bytes]:
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(out), *args], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("args", [(), ("--list-unsampled", "--format", "segments,messages")])
def test_spilled_build_writes_the_same_bytes(tasks: Any, make_recipe: Any, helpers: Any, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    recipe = _project(tasks, make_recipe, helpers)
    in_memory = _build(recipe, tmp_path / "memory", *args)
    monkeypatch.setattr(row_store, "SPILL_ROWS", 25)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    made: list[str] = []
    mkstemp = tempfile.mkstemp

    def counted(*a: Any, **kw: Any) -> tuple[int, str]:
        fd, path = mkstemp(*a, **kw)
        if Path(path).name.startswith("ift-data-rows-"):
            made.append(path)
        return fd, path

    monkeypatch.setattr(tempfile, "mkstemp", counted)
    spilled = _build(recipe, tmp_path / "spilled", *args)
    assert len(made) == 3  # reviews and more_reviews (train), pairs (its validation split: held out)
    assert list(spilled) == list(in_memory)
    for name, data in in_memory.items():
        assert spilled[name] == data, name
    rejects = [json.loads(line) for line in in_memory["rejects.jsonl"].splitlines()]
    stages = {r["stage"] for r in rejects}
    assert {"read", "map", "cap", "mix"} <= stages, stages
    gc.collect()
    assert _spill_files(tmp_path) == []  # the build's rows are gone with the build
