"""Selection with worker processes makes the picks (and failures, in order) of the sequential loop."""

from __future__ import annotations

import faulthandler
import signal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ift_data.builder import outcome as outcome_module
from ift_data.builder import select_parallel
from ift_data.builder.expand import DatasetExpander, Rendered, Skipped
from ift_data.builder.outcome import DatasetOutcome, select
from ift_data.builder.pipeline import run_build
from ift_data.builder.recipe import ExpansionSpec, FewShotSpec
from ift_data.builder.render_cache import unpack
from ift_data.tasks.rows import TaskRow
from ift_data.templates.pack import TemplatePack, load_pack
from ift_data.templates.render import RenderError

pytestmark = pytest.mark.skipif(not select_parallel.can_fork(), reason="worker processes need the fork start method")

LABELS = ("negative", "positive")
PACK = {  # templates that fail for some rows: a render error, an empty input, a label outside the choices
    "family": "flaky", "description": "test", "slots": ["text", "label"],
    "templates": [
        {"id": "flaky-01", "variant": "forward", "input": "Review: {{ text }}{{ options }}", "target": "{{ answer }}"},
        {"id": "flaky-02", "variant": "forward", "input": "{% if label == 0 %}{{ text }}{% endif %}",
         "target": "{{ answer }}"},
        {"id": "flaky-03", "variant": "forward", "input": "{{ text }} scored {{ 10 // label }}",
         "target": "{{ answer }}"},
        {"id": "flaky-04", "variant": "inverted", "original_task": False, "input": "Write a {{ answer }} review.",
         "target": "{{ text }}"},
    ],
}


@pytest.fixture
def pack(tmp_path: Path, helpers: Any) -> TemplatePack:
    return load_pack(helpers.write_yaml(tmp_path / "flaky.yaml", PACK))


def _rows(n: int) -> list[TaskRow]:
    labels = [0, 1, 0, 1, 5]  # 5: outside the two answer choices, a render error for every template
    return [TaskRow({"text": f"review {i} with {i % 7} words", "label": labels[i % len(labels)]},
                    f"f.jsonl:{i + 1}", "f.jsonl", i + 1) for i in range(n)]


def _expander(pack: TemplatePack, n: int, assignment: str, share: float) -> DatasetExpander:
    return DatasetExpander("flaky_ds", "train", _rows(n), pack, LABELS,
                           ExpansionSpec(assignment=assignment, options="random"),
                           FewShotSpec(share=share, k=2, max_chars=400), seed=5)


def _select(expander: DatasetExpander, requested: int, workers: int) -> tuple[DatasetOutcome, list[int]]:
    loaded: Any = SimpleNamespace(entry=SimpleNamespace(name=expander.dataset))
    outcome = DatasetOutcome(loaded, pool=expander.pool_size(), requested=requested)
    advanced: list[int] = []
    select(outcome, expander, 11, advanced.append, workers)
    return outcome, advanced


def _state(outcome: DatasetOutcome) -> tuple[Any, ...]:
    picks = outcome.picks
    return (list(picks.rows), list(picks.templates), list(picks.epochs), list(picks.shots), outcome.failures,
            outcome.render_failed, dict(outcome.failed_by_kind), outcome.epochs)


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A pool for any number of candidates, small tasks (a stop falls inside a task); lists the pools started."""
    started: list[int] = []
    real = select_parallel.worker_pool

    def spy(expander: DatasetExpander, workers: int) -> Any:
        started.append(workers)
        return real(expander, workers)

    monkeypatch.setattr(select_parallel, "MIN_PARALLEL", 1)
    monkeypatch.setattr(select_parallel, "TASK", 7)
    monkeypatch.setattr(outcome_module, "worker_pool", spy)
    return started


@pytest.mark.parametrize(("rows", "requested", "assignment", "share"), [
    (300, 100, "round-robin", 0.0),   # a sample: the stop falls inside the pass
    (300, 300, "random", 0.5),        # the whole pool asked: failures make a second pass
    (120, 500, "round-robin", 0.3),   # several epochs
    (60, 130, "all", 0.0),            # every template of every row
    (40, 0, "round-robin", 0.0),      # nothing asked
])
def test_parallel_selection_equals_the_sequential_loop(pack: TemplatePack, pooled: list[int], rows: int,
                                                      requested: int, assignment: str, share: float) -> None:
    sequential, seq_advanced = _select(_expander(pack, rows, assignment, share), requested, 1)
    assert not pooled
    assert sequential.render_failed and sequential.failures or requested == 0
    for workers in (2, 3):
        parallel, advanced = _select(_expander(pack, rows, assignment, share), requested, workers)
        assert _state(parallel) == _state(sequential)
        assert advanced == seq_advanced
    assert pooled == ([2, 3] if requested else [])


def test_trial_agrees_with_the_example(pack: TemplatePack) -> None:
    expander = _expander(pack, 40, "all", 0.5)
    for row, template in expander.assignments(0):
        result = select_parallel.trial(expander, row, template, 0)
        try:
            example = expander.example(row, template, 0)
        except Skipped as exc:
            assert result == (f"template {expander.templates[template].id}: {exc}", str(exc))
            continue
        except RenderError as exc:
            assert result == (f"template {expander.templates[template].id}: {exc}", "render error")
            continue
        if example is None:
            assert isinstance(result, tuple) and result[1] == "rendered empty"
        else:
            shots, record = result
            assert shots == example.source.shots and isinstance(record, bytes)
            location, query_input, query_target, exemplars = unpack(record)
            rebuilt = expander.example_from(row, template, 0, Rendered(query_input, query_target),
                                            [Rendered(i, t) for i, t in exemplars], location)
            assert rebuilt == example  # what the export builds from the record is the example itself


def test_few_candidates_or_one_worker_start_no_pool() -> None:
    assert not select_parallel.worth_a_pool(1, 10**6)
    assert not select_parallel.worth_a_pool(None, 10**6)
    assert not select_parallel.worth_a_pool(2, select_parallel.MIN_PARALLEL - 1)
    assert select_parallel.worth_a_pool(2, select_parallel.MIN_PARALLEL)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}


def test_build_bytes_are_the_same_for_any_worker_count(small_project: Path, tmp_path: Path, helpers: Any,
                                                      pooled: list[int]) -> None:
    data = helpers.yaml.safe_load(small_project.read_text())
    data["few_shot"] = {"share": 0.4, "k": 2, "max_chars": 500}
    data["expansion"] = {"assignment": "random", "options": "random"}
    data["mixing"] = {"mode": "proportional", "total": 200}  # a sample of some datasets, epochs of others
    helpers.write_yaml(small_project, data)
    outs = {}
    for workers in (1, 2):
        result = run_build(small_project, tmp_path / f"out{workers}", workers=workers)
        outs[workers] = (_files(tmp_path / f"out{workers}"), result.manifest["datasets"])
    assert pooled  # the two-worker build used selection pools
    assert outs[1] == outs[2]
    assert outs[1][0]["train.segments.jsonl"].count(b"\n") == 200


def test_an_error_ends_the_workers_under_the_cli_signal_handlers(pack: TemplatePack, pooled: list[int],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI turns SIGTERM into an exception; forked workers must still die when the pool is ended on an
    error (with tasks in flight), not hang the build."""
    from ift_data.interrupts import raise_interrupted

    before = {signum: signal.signal(signum, raise_interrupted) for signum in (signal.SIGTERM, signal.SIGHUP)}
    real = DatasetOutcome.record
    seen: list[int] = []

    def failing(self: DatasetOutcome, *args: Any) -> bool:
        seen.append(1)
        if len(seen) == 20:
            raise RuntimeError("stop here")
        return real(self, *args)

    monkeypatch.setattr(DatasetOutcome, "record", failing)
    faulthandler.dump_traceback_later(60, exit=True)  # a hang fails the run instead of stalling it
    try:
        with pytest.raises(RuntimeError, match="stop here"):
            _select(_expander(pack, 3000, "round-robin", 0.0), 3000, 2)
    finally:
        faulthandler.cancel_dump_traceback_later()
        for signum, handler in before.items():
            signal.signal(signum, handler)
    assert pooled == [2]
