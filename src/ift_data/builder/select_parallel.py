"""Selection's renders spread over worker processes, with the picks the sequential loop makes.

Selecting an example renders it to learn whether its row and template make one (and with how many shots).
Those renders are independent of each other (every random choice comes from a generator seeded by the
assignment's own keys), so they can run anywhere: :func:`select_epoch` takes the candidates of one pass in
their sampled order, ``TASK`` at a time, has a ``fork`` pool render them (the workers inherit the expander
through ``fork``: nothing is pickled but assignment indices and the results, each made example's
``render_cache`` record included) and applies the results
in candidate order, stopping where the sequential loop stops (when ``requested`` examples are made). The
picks, failures and their order are therefore those of the sequential loop, whatever the number of workers;
candidates rendered past the stopping point are dropped (no more are sent ahead than examples are still
wanted, plus at most one task).
"""

from __future__ import annotations

import multiprocessing
import signal
from array import array
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from itertools import islice
from typing import TYPE_CHECKING, Any

from ift_data.builder.expand import DatasetExpander, Skipped
from ift_data.builder.render_cache import pack
from ift_data.io.ray_runtime import cluster_cpus, fetched, import_ray
from ift_data.io.workers import pool_result, started
from ift_data.templates.render import RenderError

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

    from ift_data.builder.outcome import DatasetOutcome

# An example made: (its shots, its render_cache record or None); or a failure: (reason, kind).
Trial = tuple[int, bytes | None] | tuple[str, str]

MIN_PARALLEL = 4_096   # candidates below which a pool costs more than it saves
TASK = 1_024           # candidates one worker task renders

_expander: DatasetExpander | None = None  # the worker's expander (inherited through fork)


def trial(expander: DatasetExpander, row_index: int, template_index: int, epoch: int) -> Trial:
    """Render one assignment to learn its fate: when it makes an example, its number of shots and what the
    export needs to build it without rendering it again (``render_cache.pack``); else the failure (the
    reason recorded against its row, and its kind for the counts)."""
    template = expander.templates[template_index]
    try:
        made = expander.made(row_index, template_index, epoch)
    except Skipped as exc:
        return f"template {template.id}: {exc}", str(exc)
    except RenderError as exc:
        return f"template {template.id}: {exc}", "render error"
    if made is None:
        return f"template {template.id} rendered empty for this row", "rendered empty"
    query, exemplars = made
    return len(exemplars), pack(expander.rows[row_index].location, query, exemplars)


def can_fork() -> bool:
    """Whether worker processes can inherit the expanders (the ``fork`` start method exists here)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _start(expander: DatasetExpander) -> None:
    global _expander
    _expander = expander
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it ends the pool)
    for signum in (signal.SIGTERM, signal.SIGHUP):  # the CLI's handlers (raise in the parent) are not the
        signal.signal(signum, signal.SIG_DFL)       # worker's: ending the pool must end the worker


def _trials(task: tuple[array[int], array[int], int]) -> list[Trial]:
    rows, templates, epoch = task
    expander = _expander
    if expander is None:  # pragma: no cover - set by the pool's initializer
        raise RuntimeError("selection worker started without an expander")
    return [trial(expander, r, t, epoch) for r, t in zip(rows, templates, strict=True)]


@contextmanager
def worker_pool(expander: DatasetExpander, workers: int) -> Iterator[Pool]:
    """A ``fork`` pool of ``workers`` processes that render with ``expander``; closed on leaving."""
    pool = started(multiprocessing.get_context("fork").Pool(workers, initializer=_start, initargs=(expander,)))
    try:
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()  # the tasks sent past the stopping point (a few) finish, then the workers leave
    pool.join()


def select_epoch(outcome: DatasetOutcome, expander: DatasetExpander, rows: array[int], templates: array[int],
                 order: Iterator[int], epoch: int, pool: Pool | RayTrials, workers: int) -> int:
    """The sequential pass ``for position in order: attempt(...)`` (stopping once ``outcome.requested``
    examples are made), its renders made by ``pool``; returns the examples made. Tasks of ``TASK`` candidates
    are sent ahead while fewer candidates are out than examples still wanted (and at most ``4 * workers``
    tasks); their results are applied in candidate order as they come back."""
    made = 0
    pending: deque[tuple[array[int], array[int], AsyncResult[list[Trial]] | _RayAnswer]] = deque()
    out = 0  # candidates sent and not yet applied
    exhausted = False
    while outcome.count < outcome.requested:
        while not exhausted and len(pending) < 4 * workers and (not pending or out < outcome.requested - outcome.count):
            positions = list(islice(order, TASK))
            if not positions:
                exhausted = True
                break
            task_rows = array("q", (rows[p] for p in positions))
            task_templates = array("i", (templates[p] for p in positions))
            pending.append((task_rows, task_templates, pool.apply_async(_trials, ((task_rows, task_templates, epoch),))))
            out += len(positions)
        if not pending:
            break
        task_rows, task_templates, answer = pending.popleft()
        out -= len(task_rows)
        results = answer.get() if isinstance(answer, _RayAnswer) else pool_result(answer, pool, "a render worker process")
        if len(results) <= outcome.requested - outcome.count and all(isinstance(r[0], int) for r in results):
            made += outcome.record_made(expander, task_rows, task_templates, epoch, results)  # all kept: at once
            continue
        for at, result in enumerate(results):
            if outcome.count >= outcome.requested:
                return made
            made += outcome.record(expander, task_rows[at], task_templates[at], epoch, result)
    return made


class _RayAnswer:
    """A Ray task's result, read like ``AsyncResult.get``; its error raised as the task raised it."""

    def __init__(self, ray: Any, ref: Any, pending: set[Any]) -> None:
        self.ray, self.ref, self.pending = ray, ref, pending

    def get(self) -> list[Trial]:
        try:
            result: list[Trial] = self.ray.get(self.ref)
            return result
        except self.ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, Exception):
                raise cause from exc
            raise
        finally:
            self.pending.discard(self.ref)  # read: its result may leave the object store


class RayTrials:
    """``select_epoch``'s pool on Ray (``--engine ray``): each task of candidates is a Ray task; the expander
    goes to the object store once and each Ray worker process fetches it once (``_ray_trials``)."""

    def __init__(self, ray: Any, expander: DatasetExpander) -> None:
        self.ray = ray
        self.work = [ray.put(expander)]  # nested in a list: Ray passes the reference on unresolved
        self.task = ray.remote(num_cpus=1, max_retries=0)(_ray_trials)
        self.pending: set[Any] = set()  # tasks sent and not read yet
        self.cpus = cluster_cpus(ray)

    def apply_async(self, fn: Any, args: tuple[tuple[array[int], array[int], int]]) -> _RayAnswer:
        """``fn`` (``_trials``) on ``args`` as a Ray task (``_ray_trials``, the same renders)."""
        ref = self.task.remote(self.work, *args)
        self.pending.add(ref)
        return _RayAnswer(self.ray, ref, self.pending)

    def cancel(self) -> None:
        for ref in self.pending:
            with suppress(Exception):
                self.ray.cancel(ref, force=True)


def _ray_trials(work: list[Any], task: tuple[array[int], array[int], int]) -> list[Trial]:
    """A Ray task: ``_trials`` with the expander fetched once per worker process."""
    expander: DatasetExpander = fetched(work)
    rows, templates, epoch = task
    return [trial(expander, r, t, epoch) for r, t in zip(rows, templates, strict=True)]


@contextmanager
def ray_trials(expander: DatasetExpander) -> Iterator[RayTrials]:
    """Selection's renders on the Ray that the build started or joined (``export.parallel.engine_session``);
    tasks still out when the block ends are cancelled."""
    pool = RayTrials(import_ray(), expander)
    try:
        yield pool
    finally:
        pool.cancel()


def worth_a_pool(workers: int | None, candidates: int) -> bool:
    """Whether to render a selection with a pool: more than one worker, fork available, enough candidates."""
    return workers is not None and workers > 1 and candidates >= MIN_PARALLEL and can_fork()


__all__ = ["MIN_PARALLEL", "RayTrials", "Trial", "can_fork", "ray_trials", "select_epoch", "trial", "worker_pool",
           "worth_a_pool"]

