"""A big JSONL split read by several processes gives what one process gives: the same rows (values, files,
lines, slot names), the same rejects in the same order, the same build bytes; and no row file is left."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ift_data.builder import read_parallel, row_store
from ift_data.builder.pipeline import run_build
from ift_data.builder.recipe import DatasetEntry
from ift_data.builder.sources import load_dataset
from ift_data.io.sources import open_source
from ift_data.tasks.spec import load_task_spec


@pytest.fixture
def spill_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setattr(read_parallel, "MIN_BYTES", 0)
    return folder


def _messy_lines(n: int) -> list[str]:
    """Rows with every kind of read and map reject among them, an extra field now and then, unicode."""
    lines = []
    for i in range(n):
        record: dict[str, Any] = {"text": f"row {i}: ünïcödé 日本 the film was {'great' if i % 2 else 'dull'}",
                                  "label": i % 2}
        if i % 17 == 0:
            record["note"] = f"extra {i}"  # a second key set
        line = json.dumps(record, ensure_ascii=False)
        if i % 29 == 3:
            line = '{"text": "cut off'                      # invalid JSON
        elif i % 31 == 4:
            line = "[1, 2]"                                 # not an object
        elif i % 37 == 5:
            line = json.dumps({"text": "no label here"})    # a missing field
        elif i % 41 == 6:
            line = json.dumps({"text": "x" * 300, "label": 0})  # over --max-field-chars below
        elif i % 43 == 7:
            line = ""                                       # blank
        lines.append(line)
    return lines


def _task(folder: Path, lines: list[str], bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = "\n".join(lines) + "\n"
    (folder / "train.jsonl").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    spec = folder / "task.yaml"
    spec.write_text("name: reviews\nfamily: sentiment\nsource:\n  format: jsonl\n  splits: {train: train.jsonl}\n"
                    "fields: {text: text, label: label}\nlabels: {0: negative, 1: positive}\n", encoding="utf-8")
    return spec


def _load(spec: Path, workers: int) -> Any:
    return load_dataset(DatasetEntry(name="reviews", task=load_task_spec(spec)), "train", seed=0,
                        max_field_chars=200, workers=workers)


@pytest.mark.parametrize("workers", [2, 3, 7])
@pytest.mark.parametrize("bom", [False, True])
def test_parallel_read_equals_one_process(spill_dir: Path, tmp_path: Path, workers: int, bom: bool,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _task(tmp_path / "task", _messy_lines(3_000), bom=bom)
    one = _load(spec, 1)
    parts: list[int] = []
    real = read_parallel.byte_ranges
    monkeypatch.setattr(read_parallel, "byte_ranges", lambda *a: parts.append(len(ranges := real(*a))) or ranges)
    many = _load(spec, workers)
    assert parts == [workers]  # read by that many processes
    assert len(many.rows) == len(one.rows) > 2_000
    assert many.rejects == one.rejects and {r.stage for r in one.rejects} == {"read", "map"}
    assert all(a == b for a, b in zip(one.rows, many.rows, strict=True))
    assert [many.rows.file_line(i) for i in range(len(many.rows))] == [one.rows.file_line(i) for i in range(len(one.rows))]
    runs_one, runs_many = one.rows.file_runs(), many.rows.file_runs()
    assert runs_one[0].tolist() == runs_many[0].tolist() and runs_one[1] == runs_many[1]
    assert many.rows.slot_names() == one.rows.slot_names() == ["label", "text"]
    assert many.rows[1_500] == one.rows[1_500]  # random access, not only iteration
    assert many.sha256 == one.sha256
    one.close()
    many.close()
    assert list(spill_dir.iterdir()) == []  # every worker's row file was appended and removed


@pytest.mark.parametrize("cuts", [[0, 10, 10, 400], [0, 1, 2, 3], [0, 250, 400]])
def test_concatenated_parts_are_one_writers_rows(tmp_path: Path, cuts: list[int]) -> None:
    """Parts written by separate writers (key sets, files, lines, values) join into what one writer makes."""
    from ift_data.tasks.rows import TaskRow

    rows = []
    for i in range(400):
        slots: dict[str, Any] = {"text": f"row {i} ü", "label": i % 2}
        if i % 7 == 0:
            slots["choices"] = ["a", "b"]  # a second key set
        if i % 11 == 0:
            slots = {"only": i}  # a third
        file = "a.jsonl" if i < 150 else "b.jsonl"
        rows.append(TaskRow(slots, f"{file}:{i + 1}", file, i + 1))
    whole = row_store.RowWriter(spill_rows=0, folder=str(tmp_path))
    for row in rows:
        whole.add(row)
    expected = whole.finish()
    parts = []
    for start, stop in zip(cuts, [*cuts[1:], 400], strict=True):
        writer = row_store.RowWriter(spill_rows=0, folder=str(tmp_path))
        for row in rows[start:stop]:
            writer.add(row)
        parts.append(row_store.handed_over(writer.finish()))
    joined = row_store.concatenated(parts)
    assert isinstance(joined, row_store.SpilledRows) and len(joined) == 400
    assert list(joined) == list(expected) and joined[399] == rows[399]
    assert joined._keysets == expected._keysets
    assert bytes(joined._keyset_ids or b"") == bytes(expected._keyset_ids or b"")
    assert joined._lines.typecode == expected._lines.typecode == "i"
    assert [x.tolist() if hasattr(x, "tolist") else x for x in joined.file_runs()] == \
        [x.tolist() if hasattr(x, "tolist") else x for x in expected.file_runs()]
    rng = np.random.default_rng(0)
    for _ in range(20):
        some = np.sort(rng.choice(400, size=5, replace=False))
        assert joined.slot_names_at(some) == expected.slot_names_at(some)
    expected.close()
    joined.close()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(row_store.PREFIX)] == []


def test_rows_shipped_to_another_machine_arrive_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part read on another machine (a Ray worker there) comes back as bytes; the file there goes, the one
    written here joins like a local part. A part read on this machine stays where it is."""
    from ift_data.tasks.rows import TaskRow

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rows = [TaskRow({"text": f"row {i} ü", "label": i % 2}, f"a.jsonl:{i + 1}", "a.jsonl", i + 1) for i in range(50)]
    parts = []
    for start, stop in ((0, 20), (20, 50)):
        writer = row_store.RowWriter(spill_rows=0)
        for row in rows[start:stop]:
            writer.add(row)
        parts.append(row_store.handed_over(writer.finish()))
    here, none = row_store.shipped(parts[0], row_store.host_name())
    assert here is parts[0] and none is None and os.path.exists(parts[0].path)
    far_path = parts[1].path
    far, data = row_store.shipped(parts[1], "another-machine")
    assert data is not None and not os.path.exists(far_path)
    import pickle

    arrived = row_store.received(pickle.loads(pickle.dumps(far)), data)  # as a Ray reply arrives
    joined = row_store.concatenated([here, arrived])
    assert list(joined) == rows
    joined.close()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(row_store.PREFIX)] == []


def _parquet_task(folder: Path, n: int, group_rows: int) -> Path:
    """A Parquet split of ``n`` rows in row groups of ``group_rows``, with map rejects among them (a missing
    label, an unknown label, a text over the field limit)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    texts, labels = [], []
    for i in range(n):
        texts.append("x" * 300 if i % 41 == 6 else f"row {i}: ünïcödé the film was {'great' if i % 2 else 'dull'}")
        labels.append(None if i % 37 == 5 else 7 if i % 43 == 8 else i % 2)
    pq.write_table(pa.table({"text": texts, "label": labels}), folder / "train.parquet", row_group_size=group_rows)
    spec = folder / "task.yaml"
    spec.write_text("name: reviews\nfamily: sentiment\nsource:\n  format: parquet\n  splits: {train: train.parquet}\n"
                    "fields: {text: text, label: label}\nlabels: {0: negative, 1: positive}\n", encoding="utf-8")
    return spec


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_parallel_parquet_read_equals_one_process(spill_dir: Path, tmp_path: Path, workers: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A Parquet split is cut into runs of row groups, rows numbered as in the whole file."""
    spec = _parquet_task(tmp_path / "task", 3_000, group_rows=250)
    one = _load(spec, 1)
    parts: list[int] = []
    real = read_parallel.ranges_of
    monkeypatch.setattr(read_parallel, "ranges_of", lambda *a: parts.append(len(ranges := real(*a))) or ranges)
    many = _load(spec, workers)
    assert parts == [workers]
    assert len(many.rows) == len(one.rows) > 2_500
    assert many.rejects == one.rejects and {r.stage for r in one.rejects} == {"map"}
    assert all(a == b for a, b in zip(one.rows, many.rows, strict=True))
    assert [many.rows.file_line(i) for i in range(len(many.rows))] == [one.rows.file_line(i) for i in range(len(one.rows))]
    one.close()
    many.close()
    assert list(spill_dir.iterdir()) == []


def test_group_ranges_split_row_groups_by_rows(tmp_path: Path) -> None:
    from ift_data.io.sources.parquet import group_ranges, range_items

    spec = _parquet_task(tmp_path / "task", 1_000, group_rows=100)
    path = spec.parent / "train.parquet"
    assert group_ranges(path, 2) == [(0, 5, 0), (5, 10, 500)]
    assert group_ranges(path, 3) == [(0, 4, 0), (4, 7, 400), (7, 10, 700)]
    assert group_ranges(path, 50) == [(g, g + 1, 100 * g) for g in range(10)]  # a group is never split
    assert group_ranges(path, 1) == [(0, 10, 0)]
    whole = [(item.line, item.fields) for item in range_items(path, "p", 0, None, 0)]
    pieces = [(item.line, item.fields) for a, b, before in group_ranges(path, 3)
              for item in range_items(path, "p", a, b, before)]
    assert pieces == whole and [line for line, _ in whole] == list(range(1, 1_001))


def test_byte_ranges_cut_after_newlines_and_count_the_lines_before(tmp_path: Path) -> None:
    spec = _task(tmp_path / "task", [json.dumps({"text": "é" * (i % 50), "label": 0}) for i in range(997)])
    source = open_source(tmp_path / "task" / "train.jsonl", load_task_spec(spec).source.read_options("train"),
                         stream=True)
    data = (tmp_path / "task" / "train.jsonl").read_bytes()
    for parts in (2, 3, 10, 5_000):
        ranges = read_parallel.byte_ranges(source, parts)
        assert ranges is not None and ranges[0][0] == 0 and ranges[-1][1] == len(data)
        assert len(ranges) <= min(parts, 997)
        for (start, stop, before), following in zip(ranges, [*ranges[1:], None], strict=True):
            assert start == 0 or data[start - 1:start] == b"\n"
            assert before == data.count(b"\n", 0, start)
            assert following is None or following[0] == stop


def test_a_file_with_carriage_returns_is_read_in_one_process(spill_dir: Path, tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"row {i}", "label": i % 2}) for i in range(500)]
    spec = _task(tmp_path / "task", lines)
    path = tmp_path / "task" / "train.jsonl"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r", 7))  # lone CRs end lines too
    source = open_source(path, load_task_spec(spec).source.read_options("train"), stream=True)
    assert read_parallel.byte_ranges(source, 2) is None
    one, many = _load(spec, 1), _load(spec, 2)
    assert all(a == b for a, b in zip(one.rows, many.rows, strict=True)) and len(one.rows) == 500


def test_a_failing_worker_is_raised_and_leaves_no_row_file(spill_dir: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from ift_data.builder import sources

    spec = _task(tmp_path / "task", [json.dumps({"text": f"row {i}", "label": i % 2}) for i in range(2_000)])
    real = sources.to_task_row

    def failing(item: Any, task: Any) -> Any:
        if item.line == 1_900:
            raise RuntimeError("boom at 1900")
        return real(item, task)

    monkeypatch.setattr(sources, "to_task_row", failing)
    with pytest.raises(RuntimeError, match="boom at 1900"):
        _load(spec, 2)
    assert [p for p in spill_dir.iterdir() if p.name.startswith(row_store.PREFIX)] == []


@pytest.mark.parametrize("workers", [2])
def test_a_build_reading_in_parallel_writes_the_same_bytes(spill_dir: Path, tmp_path: Path, make_recipe: Any,
                                                           workers: int) -> None:
    spec = _task(tmp_path / "task", _messy_lines(2_500))
    recipe = make_recipe([{"task": str(spec)}], few_shot={"share": 0.3, "k": 2})
    run_build(recipe, tmp_path / "one", workers=1, max_field_chars=200)
    run_build(recipe, tmp_path / "many", workers=workers, max_field_chars=200)
    for name in ("train.segments.jsonl", "rejects.jsonl"):
        one, many = (tmp_path / "one" / name).read_bytes(), (tmp_path / "many" / name).read_bytes()
        assert one == many and one, name
    assert os.listdir(spill_dir) == []


def test_undecodable_lines_are_the_same_rejects_in_parallel(spill_dir: Path, tmp_path: Path) -> None:
    """Bytes that are not UTF-8 reject their line wherever the ranges are cut, as reading it whole does."""
    spec = _task(tmp_path / "task", [json.dumps({"text": f"row {i}", "label": i % 2}) for i in range(1_200)])
    path = tmp_path / "task" / "train.jsonl"
    lines = path.read_bytes().split(b"\n")
    for at in (1, 300, 599, 600, 601, 1_100):
        lines[at] = b'{"text": "bad \xff\xfe byte", "label": 0}'
    path.write_bytes(b"\n".join(lines))
    one, many = _load(spec, 1), _load(spec, 2)
    assert many.rejects == one.rejects and len(one.rejects) == 6
    assert all(a == b for a, b in zip(one.rows, many.rows, strict=True)) and len(many.rows) == 1_194


def test_the_joined_row_file_is_this_process_s_and_survives_a_sweep(spill_dir: Path, tmp_path: Path) -> None:
    """The workers that wrote the parts have ended; the joined file must not look like a killed build's
    (``sweep_stale`` runs whenever another dataset spills or the render cache starts its file)."""
    spec = _task(tmp_path / "task", _messy_lines(2_000))
    many = _load(spec, 2)
    assert isinstance(many.rows, row_store.SpilledRows)
    assert f"-{os.getpid()}-" in Path(many.rows.path).name
    row_store.sweep_stale(str(spill_dir))
    assert Path(many.rows.path).exists() and many.rows[1_000] == _load(spec, 1).rows[1_000]
    many.close()
