"""The contract every signal family fills.

A signal reads the normalized audit table (one row per example) and returns per-example columns,
boolean flags (each flag is a removable reason that ``clean`` can act on) and dataset-level figures.
The runner (``audit/runner.py``) times each signal, merges the columns into ``signals.parquet`` and
the figures into ``summary.json``; it never lets a signal write files itself.

Audit table columns (polars): ``row_id`` (int64, input order across all files), ``source_file``,
``source_line`` (int64), ``instruction``, ``input``, ``response`` (str, never null; "" when absent),
``system`` (str: the system prompt; a chat's system and developer turns), ``context`` (str: a chat's other
turns, one ``role: text`` per turn, tool calls and results included; "" for single-turn rows; see
``io/instructions_shapes.py``), ``turns`` (int64: assistant text answers), ``category`` (str or null:
task/category when the data has one), ``source_record`` (int64, 0-based record index within its file; the
cleaner uses it), ``id`` (str or null: the dataset's own row id with ``--id FIELD`` / ``--map id=FIELD``,
unique across the inputs). A chat is audited on its last user turn (``instruction``) and its last assistant
text answer (``response``); rows whose normalized ``system`` or ``context`` differ are never duplicates or
conflicts of each other (``dedup_exact.setting_groups``, ``audit/pair_keys.py``).

Conventions: a duplicate-style family names its cluster column ``<family>_cluster`` holding the row_id of
a cluster member (null for rows in no cluster) and flags every member but that one. After all signals
ran, ``audit/kept_copy.py`` re-picks each cluster's kept member by one quality order for every family
and re-draws those flags, so a signal need not choose well; the cleaner reads the columns for
``rejected.jsonl`` (naming the row actually kept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import polars as pl


@dataclass
class SignalResult:
    """What a signal produces.

    ``columns``: per-example values, each of length ``len(table)``, named ``<family>_<what>``.
    ``flags``: per-example booleans named ``flag_<reason>``; True means "this row has the problem".
    For duplicate clusters only non-representative members are flagged, so the cleaner keeps one.
    ``summary``: dataset-level figures (JSON-serializable), stored under the family name in
    ``summary.json`` (``AuditSummary.signals``). A signal that finds nothing it can judge returns
    ``summary={"skipped": "why"}``; the run is then recorded as skipped with that reason.
    """

    columns: dict[str, pl.Series | np.ndarray | list[Any]] = field(default_factory=dict)
    flags: dict[str, pl.Series | np.ndarray | list[bool]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class AuditContext:
    """Shared, lazily computed resources and settings handed to every signal."""

    rules: dict[str, Any]
    seed: int = 0
    tokenizer: Any | None = None
    # Returns the shared kNN graph (computed once, reused by every kNN signal); None when embeddings are off.
    knn: Callable[[], Any | None] = lambda: None
    cache: dict[str, Any] = field(default_factory=dict)
    # The run's AuditOptions (model path, device, batch size, ifd_model ...); None in unit tests.
    options: Any | None = None

    def rule(self, family: str, key: str, default: Any = None) -> Any:
        """A threshold or list from the active rule set, e.g. ``ctx.rule('noise', 'max_repetition')``."""
        return self.rules.get(family, {}).get(key, default)


class Signal(Protocol):
    """One signal family; the families and their order are ``audit.registry.SIGNALS``."""

    name: ClassVar[str]
    needs_embeddings: ClassVar[bool]

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult: ...
