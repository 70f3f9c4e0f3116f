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
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING

from ift_data.builder.expand import DatasetExpander, Skipped
from ift_data.builder.render_cache import pack
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
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_start, initargs=(expander,))
    try:
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()  # the tasks sent past the stopping point (a few) finish, then the workers leave
    pool.join()


def select_epoch(outcome: DatasetOutcome, expander: DatasetExpander, rows: array[int], templates: array[int],
                 order: Iterator[int], epoch: int, pool: Pool, workers: int) -> int:
    """The sequential pass ``for position in order: attempt(...)`` (stopping once ``outcome.requested``
    examples are made), its renders made by ``pool``; returns the examples made. Tasks of ``TASK`` candidates
    are sent ahead while fewer candidates are out than examples still wanted (and at most ``4 * workers``
    tasks); their results are applied in candidate order as they come back."""
    made = 0
    pending: deque[tuple[array[int], array[int], AsyncResult[list[Trial]]]] = deque()
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
        results = answer.get()
        if len(results) <= outcome.requested - outcome.count and all(isinstance(r[0], int) for r in results):
            made += outcome.record_made(expander, task_rows, task_templates, epoch, results)  # all kept: at once
            continue
        for at, result in enumerate(results):
            if outcome.count >= outcome.requested:
                return made
            made += outcome.record(expander, task_rows[at], task_templates[at], epoch, result)
    return made


def worth_a_pool(workers: int | None, candidates: int) -> bool:
    """Whether to render a selection with a pool: more than one worker, fork available, enough candidates."""
    return workers is not None and workers > 1 and candidates >= MIN_PARALLEL and can_fork()


__all__ = ["MIN_PARALLEL", "Trial", "can_fork", "select_epoch", "trial", "worker_pool", "worth_a_pool"]

