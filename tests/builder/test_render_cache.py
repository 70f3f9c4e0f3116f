"""Selection's renders kept for the export: the records come back byte for byte (from the buffer, from the
file, in a forked process), the file goes when the cache closes, and a build from kept renders is the same
bytes as a build that renders every example again."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

from ift_data.builder import picks as picks_module
from ift_data.builder import render_cache
from ift_data.builder.pipeline import run_build
from ift_data.builder.render_cache import RenderCache


def _read_in_child(cache: RenderCache, indexes: list[int], queue: Any) -> None:
    queue.put([cache.get(i) for i in indexes])


def test_records_round_trip_through_buffer_file_and_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_cache, "BLOCK", 100)
    stale = tmp_path / f"ift-data-rows-{render_cache.host_name()}-999999999-render-x.bin"  # a killed build's
    stale.write_bytes(b"left over")
    cache = RenderCache(str(tmp_path))
    records = [os.urandom(i % 37) + str(i).encode() for i in range(500)]
    for record in records:
        cache.add(record)
    files = list(tmp_path.glob("ift-data-rows-*-render-*.bin"))
    assert len(files) == 1 and 0 < files[0].stat().st_size < sum(map(len, records))  # the rest is buffered
    assert not stale.exists()  # swept when the first file was made
    assert [cache.get(i) for i in range(len(records))] == records
    bulk = RenderCache(str(tmp_path))
    bulk.extend(records[:250])
    bulk.extend(records[250:])
    assert len(bulk) == len(records) and [bulk.get(i) for i in range(len(records))] == records
    bulk.close()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_read_in_child, args=(cache, [0, 250, 499], queue))
    child.start()
    assert queue.get(timeout=30) == [records[0], records[250], records[499]]
    child.join(timeout=30)
    assert files[0].exists()  # a forked reader never removes the parent's file
    cache.close()
    assert not files[0].exists() and len(cache) == 0


def test_pickled_picks_keep_the_cache_on_this_machine_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Picks go to Ray workers pickled: one on this machine reads the records (the file's and the buffered
    ones) and never removes the file; one on another machine, or without the file, renders again."""
    import pickle

    monkeypatch.setattr(render_cache, "BLOCK", 100)
    monkeypatch.setattr(render_cache.tempfile, "gettempdir", lambda: str(tmp_path))
    picks = picks_module.Picks()
    records = [render_cache.marshal.dumps((f"f:{i}", f"in {i}", f"out {i}", ())) for i in range(40)]
    for i, record in enumerate(records):
        picks.add(i, 0, 0, 0, record)
    assert picks.cache is not None and picks.cache._path is not None  # part in the file, part buffered
    copy = pickle.loads(pickle.dumps(picks))
    assert copy.cache is not None and [copy.cache.get(i) for i in range(40)] == records
    del copy
    assert Path(picks.cache._path).exists()  # the copy's end closes its descriptor only
    state = picks.cache.__getstate__()
    elsewhere = RenderCache.__new__(RenderCache)
    elsewhere.__setstate__({**state, "host": "another-machine"})
    assert not elsewhere.readable()
    data = pickle.dumps(picks)
    monkeypatch.setattr(render_cache, "host_name", lambda: "another-machine")  # unpickled on another machine
    assert pickle.loads(data).cache is None
    monkeypatch.undo()
    path = picks.cache._path
    picks.close()
    assert not Path(path).exists()


def test_a_record_marshal_cannot_carry_drops_the_cache_for_that_dataset() -> None:
    class Text(str):
        pass

    class Pair:
        input = [(Text("x"), "content")]
        target = [("y", "content")]

    assert render_cache.pack("f:1", Pair(), []) is None
    picks = picks_module.Picks()
    picks.add(0, 0, 0, 0, render_cache.pack("f:1", Pair(), []))
    assert picks.cache is None


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}


@pytest.mark.parametrize(("workers", "style"), [(1, "single-turn"), (2, "single-turn"), (1, "multi-turn")])
def test_a_build_from_kept_renders_equals_one_that_renders_again(small_project: Path, tmp_path: Path, helpers: Any,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 workers: int, style: str) -> None:
    data = helpers.yaml.safe_load(small_project.read_text())
    data["few_shot"] = {"share": 0.4, "k": 2, "max_chars": 500, "style": style}
    data["expansion"] = {"assignment": "random", "options": "random"}
    data["mixing"] = {"mode": "proportional", "total": 200}
    data["output"] = {"formats": ["segments", "messages", "text"]}
    helpers.write_yaml(small_project, data)
    used: list[int] = []
    real_example = picks_module.Picks.example

    def counting(self: picks_module.Picks, expander: Any, at: int) -> Any:
        used.append(self.cache is not None)
        return real_example(self, expander, at)

    monkeypatch.setattr(picks_module.Picks, "example", counting)
    run_build(small_project, tmp_path / "kept", workers=workers)
    assert used and all(used)  # every example came from its kept render
    used.clear()
    monkeypatch.setenv(render_cache.ENV, "0")  # no cache: every example rendered again
    run_build(small_project, tmp_path / "again", workers=workers)
    assert used and not any(used)
    assert _files(tmp_path / "kept") == _files(tmp_path / "again")
