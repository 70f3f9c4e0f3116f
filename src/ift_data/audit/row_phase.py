"""Per-row phases: the part of a signal that is a pure function of a batch of rows.

A signal with a per-row phase has two steps:

- ``row_features(batch, ctx) -> pl.DataFrame``: one row per row of ``batch``, holding the signal's
  per-row columns and flags and whatever per-row evidence its dataset-level decision needs (columns
  whose names start with ``_``). Any split of the table into batches gives the same rows.
- ``finalize(features, table, ctx) -> SignalResult``: on the driver, over the gathered features of the
  whole table (in row order): the dataset-level statistic, the decision, the figures.

``language``, ``noise`` and ``format_concentration`` have both steps themselves (the dataset's usual
prompt language per script; each file's habit of ending prose with punctuation; the label names, answers
that recur among the short responses). ``length``, ``difficulty`` (without ``--ifd-model``)
and ``use_case`` are per-row as they are (``RowWise``): their figures come from the gathered columns.

The local engine runs ``row_features`` over row batches in worker processes (``audit/row_pool.py``),
the Ray engine as ``map_batches`` (``audit/engine_ray.py``); both call ``features_of`` on each batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.difficulty import DifficultySignal
from ift_data.audit.length import LengthSignal
from ift_data.audit.options import AuditOptions
from ift_data.audit.use_case import UseCaseSignal


class RowPhased(Protocol):
    """A signal split into a per-row phase and a dataset-level finalize phase."""

    @property
    def name(self) -> str: ...

    def row_features(self, batch: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame: ...

    def finalize(self, features: pl.DataFrame, table: pl.DataFrame, ctx: AuditContext) -> SignalResult: ...


# ---- per-row signals as they are: figures from the gathered columns -----------------------------------

def _length_summary(frame: pl.DataFrame, ctx: AuditContext) -> dict[str, Any]:
    return LengthSignal._summary(frame, "tokens" if ctx.tokenizer is not None else "words")


def _difficulty_summary(frame: pl.DataFrame, ctx: AuditContext) -> dict[str, Any]:
    """``DifficultySignal``'s figures from its gathered columns (the same expressions)."""
    rule = lambda key, default=None: ctx.rule("difficulty", key, default)  # noqa: E731
    weights = rule("weights", {"length": 0.35, "reasoning": 0.25, "constraints": 0.15, "steps": 0.15,
                               "readability": 0.10})
    score, bucket = frame["difficulty_score"], frame["difficulty_bucket"]
    return {"buckets": {b: int((bucket == b).sum()) for b in ("easy", "medium", "hard")},
            "mean_score": round(float(score.mean() or 0.0), 6), "weights": weights,  # type: ignore[arg-type]
            "bounds": {"medium_from": rule("medium_from", 0.3), "hard_from": rule("hard_from", 0.55)}}


_AUDIT_TEXT_SCHEMA = {"instruction": pl.String, "input": pl.String, "response": pl.String, "turns": pl.Int64}
# Audit table columns no per-row phase reads (a chat's earlier turns can be most of its text): the engines do not
# send them to worker processes or Ray tasks.
UNSHIPPED_COLUMNS = ("context",)


def _use_case_summary(frame: pl.DataFrame, ctx: AuditContext) -> dict[str, Any]:
    """``UseCaseSignal``'s figures: its fixed ones from a run on no rows, the counts from the gathered tags."""
    summary = UseCaseSignal().compute(pl.DataFrame(schema=_AUDIT_TEXT_SCHEMA), ctx).summary
    counts = {name: 0 for name in summary["distribution"]}
    for name, n in frame["use_case"].value_counts().iter_rows():
        counts[name] = int(n)
    total = max(frame.height, 1)
    return {**summary, "distribution": counts, "shares": {k: round(v / total, 4) for k, v in counts.items()}}


# family -> its dataset-level figures from the gathered columns and flags
ROW_WISE: dict[str, Callable[[pl.DataFrame, AuditContext], dict[str, Any]]] = {
    "length": _length_summary,
    "difficulty": _difficulty_summary,
    "use_case": _use_case_summary,
}


class RowWise:
    """A signal whose columns and flags are per row as they are: ``row_features`` is its ``compute`` on the
    batch, ``finalize`` splits the gathered columns and computes the figures (``ROW_WISE``)."""

    def __init__(self, signal: Any, summary: Callable[[pl.DataFrame, AuditContext], dict[str, Any]]) -> None:
        self.signal, self.summary = signal, summary
        self.name = signal.name

    def row_features(self, batch: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame:
        result = self.signal.compute(batch, ctx)
        out = []
        for name, value in (*result.columns.items(), *result.flags.items()):
            series = value if isinstance(value, pl.Series) else pl.Series(name, value)
            if series.len() != batch.height:
                raise RuntimeError(f"signal {self.name}: {name} has {series.len()} values, the batch has "
                                   f"{batch.height} rows")
            out.append(series.alias(name))
        return pl.DataFrame(out)

    def finalize(self, features: pl.DataFrame, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        columns = {c: features[c] for c in features.columns if not c.startswith("flag_")}
        flags = {c: features[c] for c in features.columns if c.startswith("flag_")}
        return SignalResult(columns=dict(columns), flags=dict(flags), summary=self.summary(features, ctx))


def row_phase(name: str, signal: Any, options: AuditOptions | None) -> RowPhased | None:
    """``signal`` (the family ``name``) as a per-row phase and a finalize phase, or None when its result
    is not a function of each row (dedup, consistency, kNN signals; difficulty with ``--ifd-model``,
    whose causal LM stays on the driver)."""
    if callable(getattr(signal, "row_features", None)) and callable(getattr(signal, "finalize", None)):
        return signal
    if name == "difficulty" and options is not None and options.ifd_model:
        return None
    if name in ROW_WISE and isinstance(signal, _ROW_WISE_CLASSES[name]):
        return RowWise(signal, ROW_WISE[name])
    return None


_ROW_WISE_CLASSES: dict[str, type] = {"length": LengthSignal, "difficulty": DifficultySignal,
                                      "use_case": UseCaseSignal}


def has_row_phase(name: str, cls: type | None, options: AuditOptions | None) -> bool:
    """Whether ``row_phase`` gives the family ``name`` (class ``cls``) a per-row phase, without making one."""
    if cls is None:
        return False
    if callable(getattr(cls, "row_features", None)) and callable(getattr(cls, "finalize", None)):
        return True
    if name == "difficulty" and options is not None and options.ifd_model:
        return False
    return name in ROW_WISE and issubclass(cls, _ROW_WISE_CLASSES[name])


# ---- one batch, in whatever process runs it -----------------------------------------------------------

_PHASES: dict[str, RowPhased] = {}  # per process: each family's phase object, made once
_TOKENIZERS: dict[str, Any] = {}  # per process: a tokenizer is loaded once, not once a batch


def worker_context(rules: dict[str, Any], options: AuditOptions) -> AuditContext:
    """The ``AuditContext`` a per-row phase sees outside the driver (the tokenizer loaded once a process)."""
    tokenizer = None
    if options.tokenizer:
        if options.tokenizer not in _TOKENIZERS:
            from ift_data.audit.runner import _load_tokenizer

            _TOKENIZERS[options.tokenizer] = _load_tokenizer(options.tokenizer)
        tokenizer = _TOKENIZERS[options.tokenizer]
    return AuditContext(rules=rules, seed=options.seed, tokenizer=tokenizer, options=options)


def phase_of(family: str, options: AuditOptions) -> RowPhased:
    """The registered family's per-row phase (made once a process)."""
    if family not in _PHASES:
        from ift_data.audit.registry import load_signals

        entry = load_signals((family,))[0]
        phase = row_phase(family, entry.cls(), options) if entry.cls is not None else None
        if phase is None:
            raise RuntimeError(f"signal {family} has no per-row phase")
        _PHASES[family] = phase
    return _PHASES[family]


def features_of(batch: pl.DataFrame, family: str, rules: dict[str, Any], options: AuditOptions) -> pl.DataFrame:
    """``family``'s per-row features of one batch of the audit table (a worker's or a Ray task's job)."""
    features = phase_of(family, options).row_features(batch, worker_context(rules, options))
    if features.height != batch.height:
        raise RuntimeError(f"signal {family}: its per-row phase gave {features.height} rows for a batch of "
                           f"{batch.height}")
    return features
