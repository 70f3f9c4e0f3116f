"""``ift-data build --workers N``: chunks made by forked workers are written in chunk order, so every file,
shard, sha256, rejects.jsonl and the manifest are the same bytes as ``--workers 1``; a worker's error is
raised as in-process; an interrupted build stops its workers."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from parallel_build_helpers import save_bpe_tokenizer

from ift_data.builder.pipeline import run_build
from ift_data.cli import main
from ift_data.errors import UserError
from ift_data.export import ExportOptions, export_examples, files, parallel
from ift_data.io.workers import resolve_workers

pytestmark = pytest.mark.skipif(not parallel.fork_available(), reason="worker pools need fork")

CONTROL = "<|im_end|>"  # a chatml control token: an example holding it is an export reject


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 16 examples and parquet row groups of 10 rows, so a small build has many chunks, and row
    groups and shards straddle chunk boundaries."""
    monkeypatch.setattr(parallel, "CHUNK", 16)
    monkeypatch.setattr(files, "ROW_GROUP", 10)


@pytest.fixture
def pool_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker count of every pool the export started."""
    calls: list[int] = []
    real = parallel._pool_results

    def spy(examples, setup, ranges, workers):
        calls.append(workers)
        yield from real(examples, setup, ranges, workers)

    monkeypatch.setattr(parallel, "_pool_results", spy)
    return calls


def _project(tasks, make_recipe, helpers, **sections) -> Path:
    rows = helpers.sentiment_records(90, "a")
    for i in (3, 40, 77):
        rows[i]["text"] += f" {CONTROL} injected"
    a = tasks.jsonl("reviews_a", rows)
    b = tasks.jsonl("reviews_b", helpers.sentiment_records(50, "b"))
    topics = [{"text": f"story {i} about {['politics', 'football', 'markets'][i % 3]}", "label": i % 3}
              for i in range(40)]
    c = tasks.jsonl("news", topics, family="topic", labels=["World", "Sports", "Business"])
    return make_recipe([{"task": str(a)}, {"task": str(b)}, {"task": str(c)}],
                       few_shot={"share": 0.3, "k": 2}, **sections)


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _same_build(recipe: Path, tmp_path: Path, workers: tuple[int, ...] = (1, 2), **kw) -> dict:
    built = {n: _outputs(run_build(recipe, tmp_path / f"w{n}", workers=n, **kw).out_dir) for n in workers}
    first = built[workers[0]]
    for n in workers[1:]:
        assert built[n].keys() == first.keys()
        for name, data in first.items():
            assert built[n][name] == data, f"{name} differs between --workers {workers[0]} and {n}"
    return json.loads(first["manifest.json"])


def test_workers_give_the_same_bytes(tasks, make_recipe, helpers, tmp_path, small_chunks, pool_calls):
    recipe = _project(tasks, make_recipe, helpers)
    manifest = _same_build(recipe, tmp_path, (1, 2, 3),
                           output={"formats": ("segments", "parquet", "messages", "text", "prompt_completion")})
    assert pool_calls == [2, 3]  # --workers 1 ran in this process
    train = manifest["outputs"]["train"]
    assert train["counts"]["written"] > 5 * 16  # several chunks
    assert train["counts"]["rejected"] >= 3 and all(CONTROL in r["reason"] or "control" in r["reason"]
                                                    for r in train["rejects"])
    rejects = (tmp_path / "w2" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    assert sum(json.loads(line)["stage"] == "export" for line in rejects) >= 3


def test_sharded_outputs_same_bytes(tasks, make_recipe, helpers, tmp_path, small_chunks, pool_calls):
    recipe = _project(tasks, make_recipe, helpers)
    manifest = _same_build(recipe, tmp_path, shard_size=13, output={"formats": ("segments", "parquet")})
    assert pool_calls == [2]
    shards = [f for f in manifest["outputs"]["train"]["files"] if f["format"] == "parquet"]
    assert len(shards) > 3 and sum(f["rows"] for f in shards) == manifest["outputs"]["train"]["counts"]["written"]
    import pyarrow.parquet as pq

    groups = [pq.ParquetFile(tmp_path / "w2" / f["path"]).metadata.num_row_groups for f in shards]
    assert groups[0] == 2  # 13 rows in row groups of 10: the writer's grouping is kept across chunks


def test_tokenized_same_bytes(tasks, make_recipe, helpers, tmp_path, small_chunks, pool_calls, tokenizer_path):
    recipe = _project(tasks, make_recipe, helpers)
    manifest = _same_build(recipe, tmp_path, output={"formats": ("segments", "tokenized"), "tokenizer": tokenizer_path,
                                                     "max_len": 160})
    assert pool_calls == [2]
    counts = manifest["outputs"]["train"]["counts"]
    assert counts["dropped_overflow"] > 0 and counts["written"] > 16


def test_chunked_export_equals_record_writer(tmp_path, small_chunks, helpers):
    """Lines and tables made a chunk at a time are the bytes ``FormatWriter.write_all`` writes from records."""
    from ift_data.export import EXPORTERS
    from ift_data.export.base import ExportContext
    from ift_data.export.files import FormatWriter

    examples = _examples(helpers, 75)
    options = ExportOptions(formats=("segments", "parquet"), shard_size=23)
    section = export_examples(examples, tmp_path / "chunked", "train", options)

    from ift_data.chat.format import format_example
    from ift_data.chat.masking import apply_mask
    from ift_data.chat.registry import get_chat_format
    from ift_data.export.base import Rendered

    chat = get_chat_format("chatml")
    items = [Rendered(f, apply_mask(f, "response")) for f in (format_example(e, chat) for e in examples)]
    context = ExportContext("train", "response", chat)
    for fmt in options.formats:
        with FormatWriter(tmp_path / "records", "train", fmt, 23, getattr(EXPORTERS[fmt], "SCHEMA", None)) as w:
            w.write_all(EXPORTERS[fmt].rows(items, context))
            listed = w.finish()
        assert listed == [f for f in section["files"] if f["format"] == fmt]


def _examples(helpers, n: int) -> list:
    from ift_data.schema import Example, Message, Provenance, Segment

    def msg(role, text):
        return Message(role, (Segment(text, "content", role),))

    source = Provenance("d", "t", "tpl", "forward", 0, "train.jsonl:1")
    return [Example(f"ex{i}", source, (msg("user", f"Say something {i} ünïcode"), msg("assistant", f"Answer {i}")))
            for i in range(n)]


def test_worker_error_surfaces_as_in_process(tasks, make_recipe, helpers, tmp_path, small_chunks, monkeypatch):
    recipe = _project(tasks, make_recipe, helpers)
    real = parallel.export_chunk

    def failing(examples, setup):
        if any(e.source.row.endswith(":13") and e.source.dataset == "reviews_a" for e in examples):
            raise UserError("cannot render this row", file="reviews_a/train.jsonl", line=13, field="text")
        return real(examples, setup)

    monkeypatch.setattr(parallel, "export_chunk", failing)
    for workers in (1, 2):
        with pytest.raises(UserError) as info:
            run_build(recipe, tmp_path / f"w{workers}", workers=workers)
        assert (info.value.file, info.value.line, info.value.field) == ("reviews_a/train.jsonl", 13, "text")
        assert info.value.format() == "reviews_a/train.jsonl:13: field 'text': cannot render this row"
        assert not (tmp_path / f"w{workers}").exists() or not list((tmp_path / f"w{workers}").iterdir())
    assert multiprocessing.active_children() == []  # the pool's workers are gone


class _Unpicklable(Exception):
    def __init__(self, what: str, extra: object) -> None:
        super().__init__(what)
        self.extra = extra

    def __reduce__(self):  # pragma: no cover - exercised by the failing pickle round trip
        raise TypeError("not picklable")


def test_unpicklable_worker_error_is_reported(tasks, make_recipe, helpers, tmp_path, small_chunks, monkeypatch):
    recipe = _project(tasks, make_recipe, helpers)

    def failing(examples, setup):
        raise _Unpicklable("worker broke", object())

    monkeypatch.setattr(parallel, "export_chunk", failing)
    with pytest.raises(RuntimeError, match="_Unpicklable: worker broke"):
        run_build(recipe, tmp_path / "out", workers=2)
    assert multiprocessing.active_children() == []


def test_killed_worker_is_a_clear_error(tasks, make_recipe, helpers, tmp_path, small_chunks, monkeypatch):
    """A worker that dies (the OOM killer, say) ends the build with an error, not a hang."""
    recipe = _project(tasks, make_recipe, helpers)
    real = parallel.export_chunk

    def dying(examples, setup):
        if any(e.source.row.endswith(":30") and e.source.dataset == "reviews_a" for e in examples):
            os._exit(9)
        return real(examples, setup)

    monkeypatch.setattr(parallel, "export_chunk", dying)
    with pytest.raises(UserError, match="export worker process ended abruptly"):
        run_build(recipe, tmp_path / "out", workers=2)
    assert multiprocessing.active_children() == []
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_interrupt_while_writing_stops_the_workers(tasks, make_recipe, helpers, tmp_path, small_chunks,
                                                    monkeypatch, pool_calls):
    recipe = _project(tasks, make_recipe, helpers)
    written = []
    real = files.FormatWriter.write_part

    def interrupted(self, part):
        written.append(part.rows)
        if len(written) == 3:
            raise KeyboardInterrupt
        real(self, part)

    monkeypatch.setattr(files.FormatWriter, "write_part", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_build(recipe, tmp_path / "out", workers=2)
    assert pool_calls == [2] and multiprocessing.active_children() == []
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_ends_a_build_with_busy_workers(tasks, make_recipe, helpers, tmp_path, signum, code):
    """A worker stuck on a chunk does not hold the build: SIGTERM / Ctrl-C exit 143 / 130 at once and no
    worker is left running."""
    recipe = _project(tasks, make_recipe, helpers)
    marker = tmp_path / "worker.pid"
    script = textwrap.dedent(f"""
        import os, sys, time
        from ift_data.export import parallel
        parallel.CHUNK = 16
        def stuck(examples, setup):
            with open({str(marker)!r}, "a") as f:
                f.write(str(os.getpid()) + "\\n")
            time.sleep(600)
        parallel.export_chunk = stuck
        from ift_data.cli import main
        sys.argv = ["ift-data", "build", {str(recipe)!r}, "--out", {str(tmp_path / "out")!r}, "--workers", "2"]
        main()
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (marker.exists() and len(marker.read_text().split()) >= 2):
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1][-2000:]
            time.sleep(0.1)
        process.send_signal(signum)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == code, err.decode()[-2000:]
    assert f"interrupted by {signal.Signals(signum).name}" in err.decode()
    for pid in map(int, marker.read_text().split()):
        assert not _alive(pid), f"worker {pid} still runs"
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_workers_end_when_the_build_is_killed(tasks, make_recipe, helpers, tmp_path):
    """SIGKILL leaves the parent no chance to stop its workers: they see their pipe close and end."""
    recipe = _project(tasks, make_recipe, helpers)
    marker = tmp_path / "worker.pid"
    script = textwrap.dedent(f"""
        import os, sys, time
        from ift_data.export import parallel
        parallel.CHUNK = 16
        real = parallel.export_chunk
        def slow(examples, setup):
            with open({str(marker)!r}, "a") as f:
                f.write(str(os.getpid()) + "\\n")
            time.sleep(0.5)
            return real(examples, setup)
        parallel.export_chunk = slow
        from ift_data.cli import main
        sys.argv = ["ift-data", "build", {str(recipe)!r}, "--out", {str(tmp_path / "out")!r}, "--workers", "2"]
        main()
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (marker.exists() and len(set(marker.read_text().split())) >= 2):
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1][-2000:]
            time.sleep(0.1)
    finally:
        process.kill()
        process.communicate()
    for pid in set(map(int, marker.read_text().split())):
        assert not _alive(pid), f"worker {pid} still runs"


def _alive(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.05)
    return True


def test_no_fork_runs_in_process(tasks, make_recipe, helpers, tmp_path, small_chunks, pool_calls, monkeypatch):
    recipe = _project(tasks, make_recipe, helpers)
    monkeypatch.setattr(parallel, "fork_available", lambda: False)
    run_build(recipe, tmp_path / "out", workers=2)
    assert pool_calls == []


def test_workers_option(tasks, make_recipe, helpers, tmp_path):
    assert resolve_workers(None) == len(os.sched_getaffinity(0))
    assert resolve_workers(3) == 3
    with pytest.raises(UserError, match="at least 1"):
        resolve_workers(0)
    recipe = _project(tasks, make_recipe, helpers)
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(tmp_path / "o"), "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(tmp_path / "o"), "--ray-address", "auto"])
    assert result.exit_code == 2 and "--ray-address needs --engine ray" in result.output


@pytest.fixture(scope="module")
def tokenizer_path(tmp_path_factory) -> str:
    return save_bpe_tokenizer(tmp_path_factory.mktemp("bpe"))
