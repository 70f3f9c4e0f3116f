"""The worst flagged examples per flag, with their reason and (for duplicates) the kept copy of their
cluster; with ``--id`` each example and mate carries the dataset's own id (shown first among its details)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ift_data.report.data import TEXT_COLUMNS, ReportData
from ift_data.report.facts import flag_family

SCORE_WORDS = ("similarity", "jaccard", "cosine", "score", "distance", "repetition", "ratio", "prob",
               "confidence", "margin")
# Lower is worse for these (e.g. the neighbours' probability of the given label).
ASCENDING_WORDS = ("prob", "confidence", "margin", "agreement")
MAX_TEXT = 900


@dataclass
class ShownExample:
    row_id: int
    texts: dict[str, str]
    details: dict[str, str]
    mate: dict[str, Any] | None = None  # {"row_id", "id", "texts", "relation"}
    id: str | None = None  # the dataset's own id (audit --id), else None


@dataclass
class FlagExamples:
    flag: str
    family: str
    count: int
    ranked_by: str | None
    examples: list[ShownExample] = field(default_factory=list)


def _clip(text: Any) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"… [{len(text) - MAX_TEXT:,} more chars]"


def _family_columns(data: ReportData, family: str) -> list[str]:
    """The columns the runner recorded for ``family``."""
    return list(data.summary.signals[family].columns)


def _score_column(data: ReportData, flag: str, family: str, columns: list[str],
                  shared_family: bool) -> tuple[str | None, bool]:
    """The family's float score column to rank a flag's rows by. When several flags share the family
    (noise), the column must share a word with the flag's reason, else rows keep their input order."""
    reason_words = set(flag.removeprefix("flag_").split("_")) - set(family.split("_"))
    for word in SCORE_WORDS:
        for col in columns:
            if word not in col or not data.signals[col].dtype.is_float():
                continue
            if shared_family and not reason_words & set(col.removeprefix(family + "_").split("_")):
                continue
            return col, any(w in col for w in ASCENDING_WORDS)
    if shared_family:
        for col in columns:
            if data.signals[col].dtype.is_float() and reason_words & set(col.removeprefix(family + "_").split("_")):
                return col, any(w in col for w in ASCENDING_WORDS)
    return None, False


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value[:8])
    return str(value)


class _Texts:
    """Row texts by row_id."""

    def __init__(self, data: ReportData) -> None:
        self.by_id: dict[int, dict[str, str]] = {}
        self.frame = data.examples

    def get(self, row_ids: list[int]) -> dict[int, dict[str, str]]:
        missing = [r for r in row_ids if r not in self.by_id]
        if missing and self.frame is not None:
            rows = self.frame.filter(pl.col("row_id").is_in(missing))
            for row in rows.iter_rows(named=True):
                self.by_id[int(row["row_id"])] = {c: _clip(row.get(c)) for c in TEXT_COLUMNS if c in row}
        return {r: self.by_id.get(r, {}) for r in row_ids}


def _mates(flagged: pl.DataFrame, family: str) -> dict[int, tuple[int, str]]:
    """row_id -> (the kept copy's row_id, relation), from the family's ``<family>_cluster`` column (it holds
    the row_id of the cluster's best row, see audit/kept_copy.py)."""
    column = f"{family}_cluster"
    if column not in flagged.columns:
        return {}
    return {int(rid): (int(rep), f"same {column}")
            for rid, rep in zip(flagged["row_id"], flagged[column], strict=True) if rep is not None and rep != rid}


def _ids(data: ReportData) -> dict[int, str]:
    """row_id -> the dataset's own id (empty when the audit ran without --id)."""
    if "id" not in data.signals.columns:
        return {}
    return {int(r): i for r, i in zip(data.signals["row_id"], data.signals["id"], strict=True) if i is not None}


def worst_examples(data: ReportData, per_flag: int = 5) -> list[FlagExamples]:
    """For each flag with hits: up to ``per_flag`` flagged rows, worst first by the family's score."""
    texts = _Texts(data)
    ids = _ids(data)
    out = []
    families = [flag_family(data, f) for f in data.flag_columns]
    for flag in data.flag_columns:
        mask = data.signals[flag].fill_null(False).cast(pl.Boolean)
        count = int(mask.sum())
        if not count:
            continue
        family = flag_family(data, flag)
        columns = _family_columns(data, family)
        flagged = data.signals.filter(mask)
        score, ascending = _score_column(data, flag, family, columns, families.count(family) > 1)
        if score is not None:
            flagged = flagged.sort(score, descending=not ascending, nulls_last=True)
        flagged = flagged.head(per_flag)
        mates = _mates(flagged, family)
        row_ids = [int(r) for r in flagged["row_id"]]
        shown_texts = texts.get(row_ids + [m for m, _ in mates.values()])
        block = FlagExamples(flag, family, count, score)
        for row in flagged.select(["row_id", *columns]).iter_rows(named=True):
            rid = int(row["row_id"])
            details = {"id": ids[rid]} if rid in ids else {}
            details.update({c.removeprefix(family + "_"): _value_text(v) for c, v in row.items()
                            if c != "row_id" and v is not None and v != ""})
            mate = None
            if rid in mates:
                mate_id, relation = mates[rid]
                if mate_id in ids:
                    relation = f"id {ids[mate_id]}, {relation}"
                mate = {"row_id": mate_id, "id": ids.get(mate_id), "texts": shown_texts.get(mate_id, {}),
                        "relation": relation}
            block.examples.append(ShownExample(rid, shown_texts.get(rid, {}), details, mate, ids.get(rid)))
        out.append(block)
    return sorted(out, key=lambda b: (-b.count, b.flag))
