"""``ift-data build --engine ray`` on a local 2-CPU Ray: the same files, shards, rejects and manifest bytes as the
local engine; a task's error is raised on the driver as the task raised it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parallel_build_helpers import save_bpe_tokenizer

from ift_data.builder.pipeline import run_build
from ift_data.errors import UserError
from ift_data.export import files, parallel

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")


def test_build_starts_one_local_ray_and_stops_it(tmp_path, monkeypatch):
    """Without --ray-address the build starts a local Ray once for all its outputs (train and eval here) and
    shuts it down at the end. (First in the module: the fixture below keeps a Ray up for the later tests.)"""
    if ray.is_initialized():
        pytest.skip("a Ray session is already up in this process")
    calls = []
    real = ray.init

    def counting(*args, **kw):
        calls.append(kw.get("address"))
        return real(*args, **kw)

    monkeypatch.setattr(ray, "init", counting)
    result = run_build(None, tmp_path / "out", engine="ray")
    assert calls == ["local"] and not ray.is_initialized()
    assert {"train", "eval"} <= set(result.manifest["outputs"])


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray with 2 CPUs for the module (the build joins it and leaves it running)."""
    from ift_data.io.ray_runtime import import_ray

    import_ray()  # usage stats off
    started = not ray.is_initialized()
    if started:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    if started:
        ray.shutdown()


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _assert_same(local: Path, other: Path) -> None:
    a, b = _outputs(local), _outputs(other)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], f"{name} differs between the local and the Ray engine"


@pytest.mark.parametrize("shard_size", [None, 7])
def test_default_recipe_same_bytes_as_local(local_ray, tmp_path, shard_size):
    """The bundled recipe (train and the held-out eval output); sharded, the Ray workers write both outputs'
    shards."""
    run_build(None, tmp_path / "local", workers=1, shard_size=shard_size)
    run_build(None, tmp_path / "ray", engine="ray", shard_size=shard_size)
    _assert_same(tmp_path / "local", tmp_path / "ray")
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["train"]["counts"]["written"] > 0
    if shard_size is not None:
        assert all(f["shards"] > 1 for section in manifest["outputs"].values() for f in section["files"])
    assert local_ray.is_initialized()  # a Ray the build joined is left running


def test_many_chunks_shards_and_rejects_same_bytes(local_ray, tasks, make_recipe, helpers, tmp_path, monkeypatch):
    """Sharded, the Ray workers write the shards (here nothing in the driver may: its ``write_shard`` fails),
    with the chunk size and parquet row group the driver was given; the bytes are the local engine's."""
    from ift_data.export import shard_writer

    monkeypatch.setattr(parallel, "CHUNK", 4)  # several chunks a shard
    monkeypatch.setattr(files, "ROW_GROUP", 5)  # several row groups a shard
    rows = helpers.sentiment_records(80, "a")
    rows[5]["text"] += " <|im_end|> injected"  # a chatml control token: an export reject
    recipe = make_recipe([{"task": str(tasks.jsonl("reviews", rows))}], few_shot={"share": 0.3, "k": 2})
    output = {"formats": ("segments", "parquet", "messages")}
    run_build(recipe, tmp_path / "local", workers=1, shard_size=11, output=output)

    def not_here(*args, **kw):
        raise AssertionError("the driver wrote a shard")

    monkeypatch.setattr(shard_writer, "write_shard", not_here)
    run_build(recipe, tmp_path / "ray", engine="ray", shard_size=11, output=output)
    _assert_same(tmp_path / "local", tmp_path / "ray")
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text(encoding="utf-8"))
    train = manifest["outputs"]["train"]
    assert train["counts"]["rejected"] == 1 and train["counts"]["written"] > 3 * 16
    assert len([f for f in train["files"] if f["format"] == "parquet"]) > 3


def test_a_failing_shard_leaves_no_shard_behind(local_ray, tmp_path):
    """A shard task's error is raised on the driver as raised there, and no shard file is left, under a
    temporary name or a final one (the other tasks' shards included)."""
    from ift_data.export import ExportOptions, export_examples
    from ift_data.export.parallel import ExportRun
    from ift_data.schema import Example, Message, Provenance, Segment

    def example(i):
        source = Provenance("d", "t", "tpl", "forward", 0, f"data.jsonl:{i + 1}")
        return Example(f"ex-{i}", source, (Message("user", (Segment(f"film {i}", "content", "user"),)),
                                           Message("assistant", (Segment("fine", "content", "assistant"),))))

    class FailingLate(list):  # defined here: Ray pickles it by value, so its workers can run it
        def __getitem__(self, index):
            if isinstance(index, slice) and index.start >= 30:
                raise UserError("cannot read this row", file="data.jsonl", line=31, field="text")
            return super().__getitem__(index)

    examples = FailingLate(example(i) for i in range(40))
    with pytest.raises(UserError) as info:
        export_examples(examples, tmp_path / "out", "train", ExportOptions(formats=("segments", "parquet"),
                                                                         shard_size=5), ExportRun(engine="ray"))
    assert info.value.format() == "data.jsonl:31: field 'text': cannot read this row"
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_sources_read_on_ray_same_bytes_as_local(local_ray, tasks, make_recipe, helpers, tmp_path, monkeypatch, fmt):
    """With --engine ray a big JSONL or Parquet split is read by Ray tasks, a range each (never by the driver
    here: its range reader fails), rejects included: the same rows, rejects and files as a local one-process
    read."""
    from ift_data.builder import read_parallel, read_ray

    rows = helpers.sentiment_records(300, "a")
    spec = tasks.jsonl("reviews", rows)
    if fmt == "jsonl":
        lines = [json.dumps(r) for r in rows]
        lines[7] = '{"text": "cut off'           # invalid JSON: a read reject
        lines[150] = json.dumps({"text": "no label"})  # a missing field: a map reject
        (spec.parent / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows[150]["label"] = None  # a missing label: a map reject
        pq.write_table(pa.Table.from_pylist(rows), spec.parent / "train.parquet", row_group_size=40)
        spec.write_text(spec.read_text(encoding="utf-8").replace("format: jsonl", "format: parquet")
                        .replace("train.jsonl", "train.parquet"), encoding="utf-8")
    recipe = make_recipe([{"task": str(spec)}])
    run_build(recipe, tmp_path / "local", workers=1)

    monkeypatch.setattr(read_parallel, "MIN_BYTES", 0)  # the driver decides; the file is small
    calls = []
    real = read_ray.read_rows
    monkeypatch.setattr(read_ray, "read_rows", lambda *a: calls.append(a[3]) or real(*a))

    def not_here(*args, **kw):
        raise AssertionError("the driver read a range")

    monkeypatch.setattr(read_ray, "read_range", not_here)
    parts = []
    cut = read_ray.ranges_of
    monkeypatch.setattr(read_ray, "ranges_of", lambda *a: parts.append(len(ranges := cut(*a))) or ranges)
    run_build(recipe, tmp_path / "ray", engine="ray")
    assert calls == ["reviews"] and parts == [2]  # one range per CPU of the 2-CPU Ray
    _assert_same(tmp_path / "local", tmp_path / "ray")
    rejects = (tmp_path / "ray" / "rejects.jsonl").read_text(encoding="utf-8")
    assert '"stage":"map"' in rejects and (fmt == "parquet" or '"stage":"read"' in rejects)


def test_selection_on_ray_same_bytes_as_local(local_ray, tasks, make_recipe, helpers, tmp_path, monkeypatch):
    """With --engine ray the selection's renders are Ray tasks too (many small ones here, few-shot, epochs):
    the same picks, so the same files as the local engine."""
    from ift_data.builder import outcome, select_parallel

    calls = []
    monkeypatch.setattr(outcome, "MIN_PARALLEL", 8)
    monkeypatch.setattr(select_parallel, "TASK", 16)
    real_pool = select_parallel.RayTrials.apply_async

    def counting(self, fn, args):
        calls.append(len(args[0][0]))
        return real_pool(self, fn, args)

    monkeypatch.setattr(select_parallel.RayTrials, "apply_async", counting)
    rows = helpers.sentiment_records(90, "a")
    recipe = make_recipe([{"task": str(tasks.jsonl("reviews", rows))}], few_shot={"share": 0.3, "k": 2},
                         mixing={"mode": "proportional", "total": 200})
    run_build(recipe, tmp_path / "local", workers=1)
    run_build(recipe, tmp_path / "ray", engine="ray")
    _assert_same(tmp_path / "local", tmp_path / "ray")
    assert len(calls) > 5 and max(calls) == 16  # the renders went out as Ray tasks


def test_tokenized_same_bytes_as_local(local_ray, tasks, make_recipe, helpers, tmp_path, monkeypatch):
    """The tokenizer reaches the Ray workers by its path (loaded once a worker), not pickled."""
    monkeypatch.setattr(parallel, "CHUNK", 32)
    recipe = make_recipe([{"task": str(tasks.jsonl("reviews", helpers.sentiment_records(70, "a")))}],
                         few_shot={"share": 0.3, "k": 2})
    output = {"formats": ("segments", "tokenized"), "tokenizer": save_bpe_tokenizer(tmp_path / "bpe"), "max_len": 160}
    for shard_size in (None, 30):  # sharded: the workers tokenize and write the shards
        run_build(recipe, tmp_path / "local", workers=1, output=output, shard_size=shard_size)
        run_build(recipe, tmp_path / "ray", engine="ray", output=output, shard_size=shard_size)
        _assert_same(tmp_path / "local", tmp_path / "ray")
    counts = json.loads((tmp_path / "ray" / "manifest.json").read_text(encoding="utf-8"))["outputs"]["train"]["counts"]
    assert counts["written"] > 32 and counts["dropped_overflow"] > 0


def test_task_error_raised_on_the_driver(local_ray, tmp_path):
    from ift_data.chat.registry import get_chat_format
    from ift_data.export import ExportOptions
    from ift_data.export.base import ExportContext
    from ift_data.export.chunks import ChunkSetup
    from ift_data.export.ray_chunks import ray_chunk_results

    class Failing(list):  # defined here: Ray pickles it by value, so its workers can run it
        def __getitem__(self, index):
            raise UserError("cannot read this row", file="data.jsonl", line=7, field="text")

    chat = get_chat_format("chatml")
    setup = ChunkSetup(("segments",), ExportOptions(), chat, (), ExportContext("train", "response", chat), ())
    with pytest.raises(UserError) as info:
        list(ray_chunk_results(Failing([None] * 40), setup, [(0, 20), (20, 40)], None))
    assert info.value.format() == "data.jsonl:7: field 'text': cannot read this row"


def test_starting_ray_keeps_our_sigterm_handler(monkeypatch):
    """``ray.init`` makes SIGTERM a bare ``sys.exit``; the CLI's handler (stop, clean up, exit 143) is put back."""
    import signal

    from ift_data.io.ray_runtime import start_ray

    class FakeRay:
        def is_initialized(self):
            return False

        def init(self, **kw):
            signal.signal(signal.SIGTERM, lambda *a: None)

        def shutdown(self):
            pass

    def ours(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, ours)
    try:
        assert start_ray(FakeRay(), None) is True
        assert signal.getsignal(signal.SIGTERM) is ours
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_missing_ray_fails_before_reading(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UserError, match=r"pip install 'ift-data\[ray\]'"):
        run_build(None, tmp_path / "out", engine="ray")
    assert not (tmp_path / "out").exists()
