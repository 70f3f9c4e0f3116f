"""Figures both reports show, taken from the ``AuditSummary`` (and cluster sizes from signals.parquet):
counts, flag shares, language shares, difficulty buckets, diversity, format concentration, the
masking recommendation. Nothing is recomputed or guessed: a family that did not run shows nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ift_data.audit.summary import CleanPlan
from ift_data.chat.recommend import Recommendation
from ift_data.report.data import ReportData

LANGUAGE_FIELDS = ("instruction", "response")  # the language family's ``<field>_shares``


@dataclass
class FlagShare:
    flag: str
    family: str
    count: int
    share: float


@dataclass
class Facts:
    rows_audited: int
    rows_read: int
    rows_rejected: int
    flags: list[FlagShare]
    rows_flagged: int
    clean: CleanPlan
    masking: Recommendation | None
    language_shares: dict[str, dict[str, float]] = field(default_factory=dict)
    difficulty_buckets: dict[str, int] = field(default_factory=dict)
    diversity: dict[str, Any] = field(default_factory=dict)
    format_warning: str | None = None
    format_figures: dict[str, Any] = field(default_factory=dict)
    cluster_sizes: dict[str, list[int]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # family -> "ok" / "skipped: why" / "missing: why"


def flag_family(data: ReportData, flag: str) -> str:
    """The signal family that wrote ``flag`` (recorded by the runner)."""
    return data.summary.flags[flag].family


def flag_shares(data: ReportData) -> list[FlagShare]:
    out = [FlagShare(flag, info.family, info.count, info.share) for flag, info in data.summary.flags.items()]
    return sorted(out, key=lambda f: (-f.count, f.flag))


def _figures(data: ReportData, family: str) -> dict[str, Any] | None:
    """A family's figures when it ran (``ok``), else None."""
    run = data.summary.signals.get(family)
    return run.summary if run is not None and run.status == "ok" else None


def language_shares(data: ReportData) -> dict[str, dict[str, float]]:
    """Share of each detected language per field."""
    figures = _figures(data, "language")
    return {name: figures[f"{name}_shares"] for name in LANGUAGE_FIELDS} if figures else {}


def difficulty_buckets(data: ReportData) -> dict[str, int]:
    figures = _figures(data, "difficulty")
    return dict(figures["buckets"]) if figures else {}


def _scalar_figures(block: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in block.items():
        if isinstance(value, bool | int | float | str) or value is None:
            out[prefix + key] = value
        elif isinstance(value, dict) and len(value) <= 12:
            out.update(_scalar_figures(value, f"{prefix}{key}."))
    return out


def cluster_sizes(data: ReportData) -> dict[str, list[int]]:
    """Sizes of duplicate clusters (> 1 member) per family that wrote a ``<family>_cluster`` column."""
    out: dict[str, list[int]] = {}
    for family, run in data.summary.signals.items():
        if f"{family}_cluster" not in run.columns:
            continue
        counts = data.signals[f"{family}_cluster"].drop_nulls().value_counts()["count"]
        sizes = sorted(int(c) for c in counts if c > 1)
        if sizes:
            out[f"{family}_cluster"] = sizes
    return out


def statuses(data: ReportData) -> dict[str, str]:
    return {name: run.status + (f": {run.reason}" if run.reason else "") for name, run in data.summary.signals.items()}


def compute_facts(data: ReportData) -> Facts:
    summary = data.summary
    any_flag = 0
    if summary.flags:
        any_flag = int(data.signals.select(pl.any_horizontal(list(summary.flags))).to_series().sum())
    fmt = _figures(data, "format_concentration") or {}
    return Facts(
        rows_audited=summary.rows.audited,
        rows_read=summary.rows.read,
        rows_rejected=summary.rows.rejected_on_read,
        flags=flag_shares(data),
        rows_flagged=any_flag,
        clean=summary.clean,
        masking=summary.masking,
        language_shares=language_shares(data),
        difficulty_buckets=difficulty_buckets(data),
        diversity=_scalar_figures(_figures(data, "diversity") or {}),
        format_warning="; ".join(fmt["warnings"]) if fmt.get("warnings") else None,
        format_figures=_scalar_figures(fmt),
        cluster_sizes=cluster_sizes(data),
        statuses=statuses(data),
    )
