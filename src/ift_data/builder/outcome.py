"""What happened to one dataset split: the rows rendered into examples, the rows that failed, and the
settling of every row into a ``Ledger`` (used, or dropped once at the stage that dropped it)."""

from __future__ import annotations

import random
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ift_data.builder.counters import Ledger, RowRange
from ift_data.builder.expand import DatasetExpander
from ift_data.builder.picks import Part, Picks, Selection
from ift_data.builder.seeds import rng_for
from ift_data.builder.select_parallel import (
    MIN_PARALLEL,
    RayTrials,
    Trial,
    ray_trials,
    select_epoch,
    trial,
    worker_pool,
    worth_a_pool,
)
from ift_data.builder.sources import LoadedDataset
from ift_data.schema import Reject

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

NOT_SAMPLED = "not sampled: the dataset's mixing share was filled by other rows"
ROW_DROPPED_AT_EXPORT = "every example of the row was dropped at export: "  # + the first example's reason


@dataclass
class DatasetOutcome:
    """One dataset split through expansion (the manifest's per-dataset record is made from it)."""

    loaded: LoadedDataset
    pool: int
    requested_rate: float = 0.0
    requested: int = 0
    picks: Picks = field(default_factory=Picks)                   # the examples made, as assignments
    expander: DatasetExpander | None = field(default=None, repr=False)
    failures: dict[int, list[str]] = field(default_factory=dict)  # row index -> render failures, in order
    render_failed: int = 0                                        # failed (row, template) attempts
    failed_by_kind: Counter[str] = field(default_factory=Counter)  # those attempts by kind (a skip: its reason)
    epochs: int = 0
    lint_errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.loaded.entry.name

    @property
    def count(self) -> int:
        """Examples made."""
        return len(self.picks)

    @property
    def part(self) -> Part:
        if self.expander is None:
            raise AssertionError(f"{self.name}: nothing was rendered")
        return Part(self.picks, self.expander)

    @property
    def examples(self) -> Selection:
        """The examples made, in order, rendered again when read (only their assignments are kept)."""
        return Selection([self.part] if self.expander is not None else [])

    def attempt(self, expander: DatasetExpander, row_index: int, template_index: int, epoch: int) -> bool:
        """Render one assignment; a failure is recorded against its row. True when an example was made."""
        return self.record(expander, row_index, template_index, epoch,
                           trial(expander, row_index, template_index, epoch))

    def record(self, expander: DatasetExpander, row_index: int, template_index: int, epoch: int,
               result: Trial) -> bool:
        """Record the ``trial`` of one assignment (made here or by a selection worker): a pick, or a failure
        against its row. True when an example was made."""
        self.expander = expander
        shots_or_reason, detail = result
        if isinstance(shots_or_reason, int):
            self.picks.add(row_index, template_index, epoch, shots_or_reason, None if isinstance(detail, str) else detail)
            return True
        return self._failed(row_index, shots_or_reason, str(detail))

    def record_made(self, expander: DatasetExpander, rows: array[int], templates: array[int], epoch: int,
                    results: list[Trial]) -> int:
        """``record`` of trials that all made an example (a worker's task, every result kept), in one go."""
        self.expander = expander
        self.picks.extend(rows, templates, epoch, [r[0] for r in results],  # type: ignore[misc]
                          [r[1] if isinstance(r[1], bytes) else None for r in results])
        return len(results)

    def _failed(self, row_index: int, reason: str, kind: str) -> bool:
        self.failures.setdefault(row_index, []).append(reason)
        self.render_failed += 1
        self.failed_by_kind[kind] += 1
        return False

    def render_rejects(self) -> list[Reject]:
        """One reject per row that was tried and never rendered, with its first reason."""
        made = self._made()
        return [self._render_reject(index) for index in sorted(self.failures) if not made[index]]

    def _made(self) -> np.ndarray:
        """One bool a row: True when the row made an example."""
        made = np.zeros(len(self.loaded.rows), dtype=np.bool_)
        made[np.frombuffer(self.picks.rows, dtype=np.int64)] = True
        return made

    def _render_reject(self, index: int) -> Reject:
        reasons = self.failures[index]
        file, line = self.loaded.rows.file_line(index)
        more = f" (and {len(reasons) - 1} more failed attempt(s))" if len(reasons) > 1 else ""
        return Reject(file, line, reasons[0] + more, stage="render", dataset=self.name)

    def settle(self, export_rejects: Mapping[str, Reject], list_unsampled: bool = False) -> Ledger:
        """Every row of the split, once: read/map/limit rejects, capped, render rejects, dropped at export
        (all its examples were: ``export_rejects`` holds the examples written nowhere), not sampled, or used.
        Rows not sampled are one ``RowRange`` per run of consecutive rows (one ``Reject`` each with
        ``list_unsampled``). Only the rows dropped one by one are looked at (their file and line: no row is
        decoded); runs of rows not sampled are found with numpy, and the rows used are counted."""
        loaded, name = self.loaded, self.name
        ledger = Ledger(name, loaded.split, loaded.rows_in)
        for reject in loaded.rejects:
            ledger.drop(reject)
        capped_reason = f"hard cap {loaded.entry.hard_cap:,} reached" if len(loaded.capped) else ""
        for index in range(len(loaded.capped)):
            file, line = loaded.capped.file_line(index)
            ledger.drop(Reject(file, line, capped_reason, stage="cap", dataset=name))
        made = self._made()
        tried = made.copy()
        if self.failures:
            tried[np.fromiter(self.failures, dtype=np.int64, count=len(self.failures))] = True
        singles: dict[int, Reject] = {}  # rows dropped one by one, by row index
        for index in self.failures:
            if not made[index]:
                singles[index] = self._render_reject(index)
        for index, ids in self._ids_by_row(export_rejects).items():
            if all(i in export_rejects for i in ids):
                dropped = export_rejects[ids[0]]
                file, line = loaded.rows.file_line(index)
                singles[index] = Reject(file, line, f"{ROW_DROPPED_AT_EXPORT}{dropped.reason}", dropped.field,
                                        "export", name)
        untried = _runs(~tried)
        for index in sorted(singles):
            while untried and untried[0][0] < index:
                self._unsampled(ledger, *untried.popleft(), list_unsampled)
            ledger.drop(singles[index])
        while untried:
            self._unsampled(ledger, *untried.popleft(), list_unsampled)
        ledger.keep(int(np.count_nonzero(made)) - sum(1 for r in singles.values() if r.stage == "export"))
        ledger.check()
        return ledger

    def _ids_by_row(self, export_rejects: Mapping[str, Reject]) -> dict[int, list[str]]:
        """The example ids of each row that has an example dropped at export (none: an empty dict)."""
        if not export_rejects or self.expander is None:
            return {}
        out: dict[int, list[str]] = {}
        for row, records in self.picks.by_row():
            ids = [self.picks.example_id(self.expander, at) for at in records]
            if any(i in export_rejects for i in ids):
                out[row] = ids
        return out

    def _unsampled(self, ledger: Ledger, start: int, stop: int, one_by_one: bool) -> None:
        """Rows ``start:stop`` not sampled: one range per file they span (one reject each with ``one_by_one``)."""
        rows = self.loaded.rows
        if one_by_one:
            for index in range(start, stop):
                file, line = rows.file_line(index)
                ledger.drop(Reject(file, line, NOT_SAMPLED, stage="mix", dataset=self.name))
            return
        for first, end, file in rows.file_segments(start, stop):  # a range never spans two files
            ledger.drop(RowRange(file, rows.file_line(first)[1], rows.file_line(end - 1)[1], end - first,
                                 NOT_SAMPLED, "mix", self.name))


def _runs(mask: np.ndarray) -> deque[tuple[int, int]]:
    """(start, stop) of each run of True in ``mask``, in order."""
    edge = np.zeros(1, dtype=np.int8)
    steps = np.diff(np.concatenate([edge, mask.view(np.int8), edge]))
    return deque(zip(np.flatnonzero(steps == 1).tolist(), np.flatnonzero(steps == -1).tolist(), strict=True))


def select(outcome: DatasetOutcome, expander: DatasetExpander, seed: int, advance: Callable[[int], None],
           workers: int | None = 1, engine: str = "local") -> None:
    """Render ``outcome.requested`` examples: a seeded sample of the pool, or whole passes over it
    (each pass with other templates) plus a sample when more are asked than one pass holds.
    ``workers`` > 1: the renders are made by that many processes (``select_parallel``), the same picks;
    ``engine="ray"``: by Ray tasks on the Ray the build started or joined, the same picks."""
    epoch = 0
    with ExitStack() as stack:
        pool: Pool | RayTrials | None = None
        while outcome.count < outcome.requested:
            rows, templates = expander.assignment_arrays(epoch)
            order = lazy_permutation(rng_for(seed, outcome.name, "mix", epoch), len(rows))
            candidates = min(len(rows), outcome.requested)
            if pool is None and engine == "ray" and candidates >= MIN_PARALLEL:
                pool = stack.enter_context(ray_trials(expander))
            elif pool is None and workers is not None and worth_a_pool(workers, candidates):
                pool = stack.enter_context(worker_pool(expander, workers))
            if pool is not None:
                width = pool.cpus if isinstance(pool, RayTrials) else workers or 1
                made = select_epoch(outcome, expander, rows, templates, order, epoch, pool, width)
            else:
                made = 0
                for position in order:
                    if outcome.count >= outcome.requested:
                        break
                    made += outcome.attempt(expander, rows[position], templates[position], epoch)
            advance(made)
            epoch += 1
            if made == 0:
                break
    outcome.epochs = epoch


def lazy_permutation(rng: random.Random, n: int) -> Iterator[int]:
    """``rng.sample(range(n), n)``, the same order, drawn one at a time: memory grows with what is taken,
    not with ``n`` (a sample of 10k from 10M rows never lists the 10M). The same draws as CPython's
    ``Random.sample`` selection (``_randbelow(n - i)`` and a swap into the vacancy), kept in a sparse dict
    while few are taken, then (past ``n / 8`` moves, where the dict would outgrow it) in an 8-byte array."""
    randbelow: Callable[[int], int] = rng._randbelow  # type: ignore[attr-defined]  # Random.sample's own draw
    moved: dict[int, int] = {}
    i = 0
    while i < n and len(moved) <= n // 8:
        j = randbelow(n - i)
        last = n - i - 1
        yield moved.get(j, j)
        moved[j] = moved.pop(last, last)
        i += 1
    if i == n:
        return
    pool = array("q", range(n))
    for position, value in moved.items():
        pool[position] = value
    moved.clear()
    for taken in range(i, n):
        j = randbelow(n - taken)
        yield pool[j]
        pool[j] = pool[n - taken - 1]


def render_all(outcome: DatasetOutcome, expander: DatasetExpander) -> None:
    """One pass over every assignment (the held-out eval split: every row, no sampling)."""
    for row_index, template_index in expander.iter_assignments(0):
        outcome.attempt(expander, row_index, template_index, 0)
    outcome.epochs = 1
