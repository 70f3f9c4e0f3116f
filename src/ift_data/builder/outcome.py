"""What happened to one dataset split: the rows rendered into examples, the rows that failed, and the
settling of every row into a ``Ledger`` (used, or dropped once at the stage that dropped it)."""

from __future__ import annotations

import random
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from ift_data.builder.counters import Ledger, RowRange
from ift_data.builder.expand import DatasetExpander, Skipped
from ift_data.builder.picks import Part, Picks, Selection
from ift_data.builder.seeds import rng_for
from ift_data.builder.sources import LoadedDataset
from ift_data.schema import Reject
from ift_data.tasks.rows import TaskRow
from ift_data.templates.render import RenderError

NOT_SAMPLED = "not sampled: the dataset's mixing share was filled by other rows"


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
        self.expander = expander
        template = expander.templates[template_index]
        try:
            example = expander.example(row_index, template_index, epoch)
        except Skipped as exc:
            return self._failed(row_index, f"template {template.id}: {exc}", str(exc))
        except RenderError as exc:
            return self._failed(row_index, f"template {template.id}: {exc}", "render error")
        if example is None:
            return self._failed(row_index, f"template {template.id} rendered empty for this row", "rendered empty")
        self.picks.add(row_index, template_index, epoch, example.source.shots)
        return True

    def _failed(self, row_index: int, reason: str, kind: str) -> bool:
        self.failures.setdefault(row_index, []).append(reason)
        self.render_failed += 1
        self.failed_by_kind[kind] += 1
        return False

    def render_rejects(self) -> list[Reject]:
        """One reject per row that was tried and never rendered, with its first reason."""
        made = self.picks.per_row(len(self.loaded.rows))
        return [self._render_reject(index) for index in sorted(self.failures) if not made[index]]

    def _render_reject(self, index: int) -> Reject:
        reasons, row = self.failures[index], self.loaded.rows[index]
        more = f" (and {len(reasons) - 1} more failed attempt(s))" if len(reasons) > 1 else ""
        return Reject(row.file, row.line, reasons[0] + more, stage="render", dataset=self.name)

    def settle(self, export_rejects: Mapping[str, Reject], list_unsampled: bool = False) -> Ledger:
        """Every row of the split, once: read/map/limit rejects, capped, render rejects, dropped at export
        (all its examples were: ``export_rejects`` holds the examples written nowhere), not sampled, or used.
        Rows not sampled are one ``RowRange`` per run of consecutive rows (one ``Reject`` each with
        ``list_unsampled``)."""
        loaded, name = self.loaded, self.name
        ledger = Ledger(name, loaded.split, loaded.rows_in)
        for reject in loaded.rejects:
            ledger.drop(reject)
        for row in loaded.capped:
            ledger.drop(Reject(row.file, row.line, f"hard cap {loaded.entry.hard_cap:,} reached", stage="cap",
                               dataset=name))
        made = (self.picks.per_row(len(loaded.rows)) > 0).tobytes()  # one byte a row: 1 when it made examples
        by_row = self._ids_by_row(export_rejects)
        run: list[TaskRow] = []  # rows not sampled since the last row that was
        for index, row in enumerate(loaded.rows):
            if not made[index] and index not in self.failures:
                run.append(row)
                continue
            self._unsampled(ledger, run, list_unsampled)
            run = []
            ids = by_row.get(index)
            if made[index] and (ids is None or not all(i in export_rejects for i in ids)):
                ledger.keep()
            elif ids:
                dropped = export_rejects[ids[0]]
                ledger.drop(Reject(row.file, row.line, f"every example of the row was dropped at export: "
                                   f"{dropped.reason}", dropped.field, "export", name))
            else:
                ledger.drop(self._render_reject(index))
        self._unsampled(ledger, run, list_unsampled)
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

    def _unsampled(self, ledger: Ledger, run: list[TaskRow], one_by_one: bool) -> None:
        if not run:
            return
        if one_by_one:
            for row in run:
                ledger.drop(Reject(row.file, row.line, NOT_SAMPLED, stage="mix", dataset=self.name))
            return
        first = 0
        for at in range(1, len(run) + 1):  # a range never spans two files (a folder source has several)
            if at == len(run) or run[at].file != run[first].file:
                ledger.drop(RowRange(run[first].file, run[first].line, run[at - 1].line, at - first, NOT_SAMPLED,
                                     "mix", self.name))
                first = at


def select(outcome: DatasetOutcome, expander: DatasetExpander, seed: int, advance: Callable[[int], None]) -> None:
    """Render ``outcome.requested`` examples: a seeded sample of the pool, or whole passes over it
    (each pass with other templates) plus a sample when more are asked than one pass holds."""
    epoch = 0
    while outcome.count < outcome.requested:
        rows, templates = expander.assignment_arrays(epoch)
        order = lazy_permutation(rng_for(seed, outcome.name, "mix", epoch), len(rows))
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
