"""Per-stage row counters, as datatrove's steps keep ``total / forwarded / dropped_<reason>``.

Every row of a dataset split passes the build's stages in order and either leaves the last one (used)
or is dropped at exactly one stage, with one ``Reject`` saying why. A ``Ledger`` holds those rejects;
the stage counters, the manifest's accounting and ``rejects.by_stage`` are all derived from it, so
``rows_in = used + hard-capped + not sampled + rejected`` holds by construction.

Rows not sampled by the mixture are not rejects one by one: a run of consecutive rows left out is one
``RowRange`` (one line of ``rejects.jsonl`` with its first and last line and its number of rows), so
sampling 10k examples from 10M rows writes thousands of lines, not millions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ift_data.schema import Reject

# Row stages in build order. cap drops rows over a hard cap, mix drops rows not needed for the
# dataset's share; every other stage drops rows as rejects.
ROW_STAGES = ("read", "map", "limit", "cap", "render", "mix", "export")
CAPPED, NOT_SAMPLED = "cap", "mix"
REJECTING = tuple(s for s in ROW_STAGES if s not in (CAPPED, NOT_SAMPLED))


def reason_kind(reject: Reject) -> str:
    """The reason with its specifics (quoted values, numbers) blanked, to count rejects by kind."""
    return f"{reject.stage}: " + re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", reject.reason)


@dataclass(frozen=True, slots=True)
class RowRange:
    """Consecutive rows of one dataset split dropped at one stage for one reason (rows not sampled):
    ``rows`` rows from line ``line`` to ``last_line`` (rows between them dropped otherwise are listed on
    their own)."""

    file: str
    line: int
    last_line: int
    rows: int
    reason: str
    stage: str
    dataset: str | None = None
    field: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "last_line": self.last_line, "rows": self.rows,
                "field": self.field, "reason": self.reason, "stage": self.stage, "dataset": self.dataset}


Dropped = Reject | RowRange


def rows_of(entry: Dropped) -> int:
    """How many rows one line of ``rejects.jsonl`` stands for."""
    return entry.rows if isinstance(entry, RowRange) else 1


@dataclass
class StageCount:
    """Rows (or examples) into one stage, out of it, and dropped there by reason kind."""

    stage: str
    rows_in: int = 0
    rows_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def add(self, other: StageCount) -> None:
        self.rows_in += other.rows_in
        self.rows_out += other.rows_out
        self.dropped.update(other.dropped)

    def to_json(self) -> dict[str, Any]:
        return {"in": self.rows_in, "out": self.rows_out, "dropped": self.dropped_total,
                "dropped_by_reason": dict(sorted(self.dropped.items()))}


@dataclass
class Ledger:
    """Where every row of one dataset split went."""

    dataset: str
    split: str
    rows_in: int
    rejects: list[Dropped] = field(default_factory=list)  # the lines of rejects.jsonl, in order
    used: int = 0
    _counts: dict[str, StageCount] | None = field(default=None, repr=False, compare=False)

    @property
    def dropped(self) -> int:
        """Rows dropped (a range counts its rows)."""
        return sum(rows_of(r) for r in self.rejects)

    def drop(self, reject: Dropped) -> None:
        if reject.stage not in ROW_STAGES:
            raise ValueError(f"unknown stage {reject.stage!r}")
        self.rejects.append(reject)
        self._counts = None

    def keep(self, rows: int = 1) -> None:
        self.used += rows

    def check(self) -> None:
        """Every row is used or dropped once: a mismatch is a bug in the build, never the user's."""
        if self.used + self.dropped != self.rows_in:
            raise AssertionError(f"{self.dataset}/{self.split}: {self.rows_in} rows in, but {self.used} used "
                                 f"+ {self.dropped} dropped")

    def stages(self) -> dict[str, StageCount]:
        """The counter of each row stage: one stage's rows out are the next one's rows in."""
        if self._counts is None:
            self._counts = self._count()
        return self._counts

    def _count(self) -> dict[str, StageCount]:
        by_stage: dict[str, Counter[str]] = {stage: Counter() for stage in ROW_STAGES}
        for reject in self.rejects:
            by_stage[reject.stage][reject.reason] += rows_of(reject)
        counts: dict[str, StageCount] = {}
        rows = self.rows_in
        for stage in ROW_STAGES:
            reasons = by_stage[stage]  # many rows share a reason: blank each one once
            kinds: Counter[str] = Counter()
            for reason, n in reasons.items():
                kinds[reason_kind(Reject("", 0, reason, stage=stage))] += n
            dropped = sum(reasons.values())
            counts[stage] = StageCount(stage, rows, rows - dropped, kinds)
            rows -= dropped
        return counts

    def accounting(self) -> dict[str, Any]:
        """rows_in = rows_used + rows_hard_capped + rows_not_sampled + rows_rejected, from the counters."""
        self.check()
        stages = self.stages()
        return _accounting(self.rows_in, stages[ROW_STAGES[-1]].rows_out, stages)


def merged(ledgers: Iterable[Ledger]) -> dict[str, Any]:
    """The accounting of several ledgers together (the manifest's top level), merged stage by stage."""
    total: dict[str, StageCount] = {stage: StageCount(stage) for stage in ROW_STAGES}
    rows_in = used = 0
    for ledger in ledgers:
        ledger.check()
        rows_in, used = rows_in + ledger.rows_in, used + ledger.used
        for stage, count in ledger.stages().items():
            total[stage].add(count)
    return _accounting(rows_in, used, total)


def _accounting(rows_in: int, used: int, stages: dict[str, StageCount]) -> dict[str, Any]:
    return {
        "rows_in": rows_in,
        "rows_used": used,
        "rows_hard_capped": stages[CAPPED].dropped_total,
        "rows_not_sampled": stages[NOT_SAMPLED].dropped_total,
        "rows_rejected": sum(stages[s].dropped_total for s in REJECTING),
        "rejected_by_stage": {s: stages[s].dropped_total for s in REJECTING if stages[s].dropped_total},
        "stages": {s: c.to_json() for s, c in stages.items()},
    }


def by_stage(ledgers: Iterable[Ledger]) -> dict[str, int]:
    """Dropped rows per stage (capped and not sampled included; a range line counts its rows)."""
    counts: Counter[str] = Counter()
    for ledger in ledgers:
        counts.update({s: c.dropped_total for s, c in ledger.stages().items() if c.dropped_total})
    return dict(sorted(counts.items()))


def by_reason(ledgers: Iterable[Ledger]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for ledger in ledgers:
        for count in ledger.stages().values():
            counts.update(count.dropped)
    return dict(counts.most_common())
