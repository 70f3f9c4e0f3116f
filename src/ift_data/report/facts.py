"""Figures both reports show, computed once from ``ReportData``: counts, flag shares, language shares,
difficulty buckets, diversity, format concentration, duplicate clusters, the masking recommendation."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ift_data.report.data import ReportData, signal_status

FAMILIES = ("dedup_semantic", "dedup_minhash", "dedup_exact", "label_noise", "format_concentration",
            "consistency", "difficulty", "diversity", "language", "outliers", "length", "noise")
# Words in a flag's reason that point at its family when the runner records no mapping.
FLAG_HINTS = (("semantic", "dedup_semantic"), ("near_dup", "dedup_minhash"), ("minhash", "dedup_minhash"),
              ("exact", "dedup_exact"), ("label", "label_noise"), ("conflict", "consistency"),
              ("language", "language"), ("outlier", "outliers"), ("format", "format_concentration"),
              ("duplicate", "dedup_exact"))


@dataclass
class FlagShare:
    flag: str
    family: str
    count: int
    share: float


@dataclass
class MaskingAdvice:
    mode: str | None
    ratio: float | None
    n_examples: int
    unit: str
    reason: str
    available: bool = True


@dataclass
class Facts:
    rows_audited: int
    rows_read: int | None
    rows_rejected: int | None
    flags: list[FlagShare]
    rows_flagged: int
    language_shares: dict[str, dict[str, float]] = field(default_factory=dict)
    difficulty_buckets: dict[str, int] = field(default_factory=dict)
    diversity: dict[str, Any] = field(default_factory=dict)
    format_warning: str | None = None
    format_figures: dict[str, Any] = field(default_factory=dict)
    cluster_sizes: dict[str, list[int]] = field(default_factory=dict)
    masking: MaskingAdvice | None = None
    statuses: dict[str, str] = field(default_factory=dict)  # family -> "ok" / "skipped: why"
    clean: dict[str, Any] = field(default_factory=dict)  # what `ift-data clean` would remove, per the rules


def _find(summary: Any, keys: tuple[str, ...], depth: int = 0) -> Any:
    """First value under one of ``keys`` in a nested dict (breadth first, 3 levels deep)."""
    if not isinstance(summary, dict) or depth > 3:
        return None
    for key in keys:
        if key in summary and not isinstance(summary[key], dict):
            return summary[key]
    for value in summary.values():
        found = _find(value, keys, depth + 1) if isinstance(value, dict) else None
        if found is not None:
            return found
    return None


def _rows_block(summary: dict[str, Any]) -> dict[str, Any]:
    for key in ("rows", "counts", "input"):
        if isinstance(summary.get(key), dict):
            return summary[key]
    return summary


def flag_family(data: ReportData, flag: str) -> str:
    """The signal family that produced ``flag`` (runner's record first, then naming hints)."""
    recorded = (data.summary.get("flags") or {}).get(flag)
    if isinstance(recorded, dict) and recorded.get("signal"):
        return str(recorded["signal"])
    for name, fam in data.families.items():
        flags = fam.get("flags") if isinstance(fam, dict) else None
        if isinstance(flags, list | dict) and flag in flags:
            return name
    reason = flag.removeprefix("flag_")
    for family in FAMILIES:
        if reason.startswith(family):
            return family
    for hint, family in FLAG_HINTS:
        if hint in reason:
            return family
    return "noise"


def flag_shares(data: ReportData) -> list[FlagShare]:
    rows = max(data.n_rows, 1)
    out = []
    for flag in data.flag_columns:
        count = int(data.signals[flag].fill_null(False).cast(pl.Boolean).sum())
        out.append(FlagShare(flag, flag_family(data, flag), count, count / rows))
    return sorted(out, key=lambda f: (-f.count, f.flag))


def _value_shares(series: pl.Series) -> dict[str, float]:
    counts = series.cast(pl.Utf8).fill_null("unknown").value_counts(sort=True)
    total = max(int(counts["count"].sum()), 1)
    return {str(v): int(c) / total for v, c in zip(counts[counts.columns[0]], counts["count"], strict=True)}


def language_shares(data: ReportData) -> dict[str, dict[str, float]]:
    """Share of each detected language per field, from the summary or from the language columns."""
    fam = data.family("language")
    shares: dict[str, dict[str, float]] = {}
    for key, value in fam.items():
        if "share" in key and isinstance(value, dict) and value:
            if all(isinstance(v, int | float) for v in value.values()):
                shares[key.replace("_shares", "").replace("shares_", "").replace("share", "") or "all"] = value
            else:
                shares.update({k: v for k, v in value.items() if isinstance(v, dict)})
    if shares:
        return shares
    for col in data.signals.columns:
        if col.startswith("language_") and data.signals[col].dtype == pl.Utf8 and "mismatch" not in col:
            shares[col.removeprefix("language_")] = _value_shares(data.signals[col])
    return shares


def difficulty_buckets(data: ReportData) -> dict[str, int]:
    for col in ("difficulty_bucket", "difficulty_level", "difficulty_class"):
        series = data.column(col)
        if series is not None:
            counts = series.cast(pl.Utf8).fill_null("unknown").value_counts()
            found = {str(v): int(c) for v, c in zip(counts[col], counts["count"], strict=True)}
            order = ["easy", "medium", "hard"]
            return {k: found[k] for k in [*order, *sorted(set(found) - set(order))] if k in found}
    buckets = _find(data.family("difficulty"), ("buckets", "bucket_counts", "counts"))
    return dict(buckets) if isinstance(buckets, dict) else {}


def _scalar_figures(block: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in block.items():
        if isinstance(value, bool | int | float | str) or value is None:
            out[prefix + key] = value
        elif isinstance(value, dict) and len(value) <= 12:
            out.update(_scalar_figures(value, f"{prefix}{key}."))
    return out


def cluster_sizes(data: ReportData) -> dict[str, list[int]]:
    """Sizes of duplicate clusters (>1 member) per dedup family, from its cluster/group id column."""
    out: dict[str, list[int]] = {}
    for col in data.signals.columns:
        if not col.startswith("dedup_") or not col.endswith("_cluster"):
            continue
        series = data.signals[col].drop_nulls()
        if series.dtype.is_integer():
            series = series.filter(series >= 0)
        if series.len() == 0:
            continue
        counts = series.value_counts()["count"]
        sizes = sorted(int(c) for c in counts if c > 1)
        if sizes:
            out[col] = sizes
    return out


def _lengths(data: ReportData, field_name: str, unit: str) -> np.ndarray | None:
    series = data.column(f"length_{field_name}_{unit}")
    return None if series is None else series.fill_null(0).to_numpy().astype(float)


def masking_advice(data: ReportData) -> MaskingAdvice | None:
    """Call the chat helper's ``recommend_mask_mode`` on the length columns (imported lazily)."""
    unit = next((u for u in ("tokens", "words", "chars")
                 if data.column(f"length_instruction_{u}") is not None
                 and data.column(f"length_response_{u}") is not None), None)
    if unit is None:
        return None
    instruction = _lengths(data, "instruction", unit)
    extra = _lengths(data, "input", unit)
    if extra is not None:
        instruction = instruction + extra
    response = _lengths(data, "response", unit)
    n = data.n_rows
    ratio = float(np.sum(instruction) / max(np.sum(response), 1.0))
    try:
        recommend = importlib.import_module("ift_data.chat.recommend").recommend_mask_mode
    except (ImportError, AttributeError):
        return MaskingAdvice(None, ratio, n, unit, "masking recommender not available in this install",
                             available=False)
    advice = recommend(instruction.tolist(), response.tolist(), n, "characters" if unit == "chars" else unit)
    get = (lambda k: advice.get(k)) if isinstance(advice, dict) else (lambda k: getattr(advice, k, None))
    mode = get("mode") or get("mask_mode") or (advice if isinstance(advice, str) else None)
    value = next((get(k) for k in ("ratio", "R", "r", "length_ratio") if get(k) is not None), ratio)
    n_used = next((get(k) for k in ("n_examples", "n", "N") if get(k) is not None), n)
    return MaskingAdvice(str(mode) if mode else None, float(value), int(n_used), str(get("unit") or unit),
                         str(get("reason") or get("why") or ""))


def compute_facts(data: ReportData) -> Facts:
    summary = data.summary
    rows = _rows_block(summary)
    flags = flag_shares(data)
    any_flag = 0
    if data.flag_columns:
        any_flag = int(data.signals.select(pl.any_horizontal(
            [pl.col(c).fill_null(False).cast(pl.Boolean) for c in data.flag_columns])).to_series().sum())
    fmt = data.family("format_concentration")
    warning = fmt.get("warning") if isinstance(fmt.get("warning"), str) else None
    if warning is None and isinstance(fmt.get("warnings"), list) and fmt["warnings"]:
        warning = "; ".join(str(w.get("message", w)) if isinstance(w, dict) else str(w) for w in fmt["warnings"])
    if warning is None and fmt.get("warning") is True:
        warning = str(fmt.get("message") or "one rigid response format dominates: mix in general data")
    return Facts(
        rows_audited=data.n_rows,
        rows_read=_find(rows, ("rows_read", "read", "rows_in", "in", "total")),
        rows_rejected=_find(rows, ("rows_rejected", "rejected_on_read", "rejected", "malformed")),
        flags=flags,
        rows_flagged=any_flag,
        language_shares=language_shares(data),
        difficulty_buckets=difficulty_buckets(data),
        diversity=_scalar_figures(data.family("diversity")),
        format_warning=warning or None,
        format_figures=_scalar_figures(fmt),
        cluster_sizes=cluster_sizes(data),
        masking=masking_advice(data),
        statuses=signal_status(summary),
        clean=summary.get("clean") if isinstance(summary.get("clean"), dict) else {},
    )
