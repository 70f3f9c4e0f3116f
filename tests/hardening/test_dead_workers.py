"""A worker process that dies (the OOM killer, a SIGKILL, a SIGTERM sent to the whole process group by
``timeout -s TERM``) ends the command with one line instead of hanging it: ``multiprocessing.Pool`` replaces
a dead worker and never answers the tasks it held, so a plain ``AsyncResult.get()`` waited for ever (a build
killed by ``timeout -s TERM 5`` in its selection stage was left hanging with its two fresh workers)."""

from __future__ import annotations

import faulthandler
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ift_data import interrupts
from ift_data.audit import row_pool
from ift_data.audit.options import AuditOptions
from ift_data.builder import read_parallel, select_parallel
from ift_data.builder.recipe import DatasetEntry
from ift_data.builder.sources import load_dataset
from ift_data.errors import UserError
from ift_data.io.workers import pool_result, started
from ift_data.tasks.spec import load_task_spec

# The tests fork pools from the test process. After the rest of the suite that process holds many threads (Ray,
# polars, tokenizers), and a fork taken while one of them holds a lock can leave a worker stuck for good (a
# full-suite run hung here). So the suite runs them in a fresh interpreter, as the CLI runs its stages.
INNER = os.environ.get("IFT_DEAD_WORKERS_INNER") == "1"
inner = pytest.mark.skipif(not INNER, reason="run by test_dead_workers_in_a_fresh_interpreter")


def test_dead_workers_in_a_fresh_interpreter() -> None:
    if INNER:
        pytest.skip("the inner run itself")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "IFT_DEAD_WORKERS_INNER": "1"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(Path(__file__))],
                         cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "6 passed" in run.stdout, run.stdout[-2000:]


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    if INNER:
        faulthandler.dump_traceback_later(60, exit=True)  # a hang ends the inner run instead of stalling it
    yield
    if INNER:
        faulthandler.cancel_dump_traceback_later()


def _die(_: Any = None) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _die_batch(family: str, batch: Any) -> Any:
    _die()


_PARENT = os.getpid()
_REAL_TRIALS = select_parallel._trials


def _dying_trials(job: Any) -> Any:
    """A render worker that dies on its first task (the parent, if it ever ran it, would not)."""
    if os.getpid() != _PARENT:
        _die()
    return _REAL_TRIALS(job)


def _slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@inner
def test_a_killed_worker_is_an_error_not_a_hang() -> None:
    pool = started(multiprocessing.get_context("fork").Pool(2))
    try:
        t0 = time.monotonic()
        with pytest.raises(UserError, match="ended abruptly"):
            pool_result(pool.apply_async(_die), pool)
        assert time.monotonic() - t0 < 10
    finally:
        pool.terminate()
        pool.join()


@inner
def test_a_result_comes_back_as_get_gives_it() -> None:
    with multiprocessing.get_context("fork").Pool(2) as pool:
        started(pool)
        assert pool_result(pool.apply_async(_slow, (0.5,)), pool) == 0.5


@inner
def test_a_noted_signal_stops_the_wait() -> None:
    """A stop signal that the kernel gave another thread only sets a flag; the wait must still end."""
    pool = started(multiprocessing.get_context("fork").Pool(1))
    try:
        with interrupts.installed():
            interrupts._received.append(signal.SIGTERM)
            with pytest.raises(interrupts.Interrupted):
                pool_result(pool.apply_async(_slow, (30,)), pool)
    finally:
        pool.terminate()
        pool.join()


@inner
def test_a_render_worker_killed_during_selection_ends_the_build(tmp_path: Path, helpers: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.builder.test_select_parallel import PACK, _expander, _select

    from ift_data.templates.pack import load_pack

    global _PARENT
    _PARENT = os.getpid()
    monkeypatch.setattr(select_parallel, "MIN_PARALLEL", 1)
    monkeypatch.setattr(select_parallel, "TASK", 7)
    monkeypatch.setattr(select_parallel, "_trials", _dying_trials)
    pack = load_pack(helpers.write_yaml(tmp_path / "flaky.yaml", PACK))
    with pytest.raises(UserError, match="render worker process ended abruptly"):
        _select(_expander(pack, 600, "round-robin", 0.0), 600, 2)


@inner
def test_a_reading_worker_killed_ends_the_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "train.jsonl").write_text(
        "".join(json.dumps({"text": f"row {i}", "label": i % 2}) + "\n" for i in range(2_000)), encoding="utf-8")
    (folder / "task.yaml").write_text(
        "name: reviews\nfamily: sentiment\nsource:\n  format: jsonl\n  splits: {train: train.jsonl}\n"
        "fields: {text: text, label: label}\nlabels: {0: negative, 1: positive}\n", encoding="utf-8")
    monkeypatch.setattr(read_parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(read_parallel, "_read_range", _die)
    with pytest.raises(UserError, match="reading worker process ended abruptly"):
        load_dataset(DatasetEntry(name="reviews", task=load_task_spec(folder / "task.yaml")), "train", seed=0,
                     max_field_chars=200, workers=2)


@inner
def test_an_audit_worker_killed_ends_the_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = row_pool.RowPool(2, {}, AuditOptions())
    monkeypatch.setattr(row_pool, "_start_fork_server", lambda _threads: None)
    monkeypatch.setattr(row_pool.multiprocessing, "get_all_start_methods", lambda: ["fork"])
    monkeypatch.setattr(row_pool, "_run_batch", _die_batch)
    try:
        with pytest.raises(UserError, match="audit worker process ended abruptly"):
            pool.features("length", pl.DataFrame({"x": list(range(100))}), batch_rows=10)
    finally:
        pool.terminate()
