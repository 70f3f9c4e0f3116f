"""Exact duplicates: rows whose normalized (case, whitespace, edge punctuation; see ``audit/text.py``:
math, code and symbols count) prompt (instruction+input), response, or both (the whole example) are the
same. A group id is the row_id of the group's first row, its representative; only the other members of a
whole-example group are flagged."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import normalize_expr

SEP = "\x1f"
BATCH_ROWS = 65_536  # rows whose normalized texts are built at a time
_HASH_SEED = 0x5EED_D0B1


def exact_groups(table: pl.DataFrame, batch_rows: int = BATCH_ROWS) -> pl.DataFrame:
    """row_id -> representative row_id of the prompt / response / whole groups (cached by consistency).
    The normalized texts are built ``batch_rows`` rows at a time and kept only as 64-bit hashes: rows whose
    hash another row shares get their texts built again and compared as strings, so a hash collision never
    joins two different texts. Two rows are the same whole example when both their prompts and their
    responses are."""
    prompt = normalize_expr(pl.col("instruction")) + SEP + normalize_expr(pl.col("input"))
    row_ids = table["row_id"].to_numpy().astype(np.int64)
    prompt_group = first_equal_rows(table, prompt, row_ids, batch_rows)
    response_group = first_equal_rows(table, normalize_expr(pl.col("response")), row_ids, batch_rows)
    pairs = pl.DataFrame({"row_id": row_ids, "p": prompt_group, "r": response_group})
    return pairs.select(
        "row_id",
        pl.col("p").alias("dedup_exact_prompt_group"),
        pl.col("r").alias("dedup_exact_response_group"),
        pl.col("row_id").min().over("p", "r").alias("dedup_exact_cluster"),
    )


def first_equal_rows(table: pl.DataFrame, key: pl.Expr, row_ids: np.ndarray, batch_rows: int = BATCH_ROWS
                     ) -> np.ndarray:
    """Per row, the smallest row_id among the rows whose ``key`` (a string expression) equals its own."""
    n = table.height
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    hashes = key_hashes(table, key, batch_rows)
    first = row_ids.copy()
    shared = np.flatnonzero(pl.DataFrame({"h": hashes}).select(pl.len().over("h") > 1).to_series().to_numpy())
    if len(shared):  # only these can equal another row; every row with an equal key is among them
        keys = pl.concat([table[shared[start:start + batch_rows]].select(key.alias("k"))
                          for start in range(0, len(shared), batch_rows)])
        first[shared] = keys.with_columns(pl.Series("r", row_ids[shared])).select(
            pl.col("r").min().over("k")).to_series().to_numpy()
    return first


def key_hashes(table: pl.DataFrame, key: pl.Expr, batch_rows: int) -> np.ndarray:
    """64-bit hashes of ``key``'s values, built ``batch_rows`` rows at a time."""
    return np.concatenate([table.slice(start, batch_rows).select(key.hash(seed=_HASH_SEED)).to_series().to_numpy()
                           for start in range(0, table.height, batch_rows)])


class DedupExactSignal:
    name: ClassVar[str] = "dedup_exact"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        groups = exact_groups(table)
        ctx.cache["dedup_exact"] = groups
        whole = groups["dedup_exact_cluster"]
        is_dup = whole != groups["row_id"]
        sizes = groups.group_by("dedup_exact_cluster").len().filter(pl.col("len") > 1)
        in_group = whole.is_in(sizes["dedup_exact_cluster"].implode()) if sizes.height else pl.Series([False] * table.height)
        cluster = pl.when(pl.Series(in_group)).then(whole).otherwise(None)
        summary = {
            "duplicate_rows": int(is_dup.sum()),
            "groups": sizes.height,
            "largest_groups": sizes.sort(["len", "dedup_exact_cluster"], descending=[True, False]).head(10)
            .rename({"dedup_exact_cluster": "representative", "len": "size"}).to_dicts(),
            "prompt_duplicate_rows": int((groups["dedup_exact_prompt_group"] != groups["row_id"]).sum()),
            "response_duplicate_rows": int((groups["dedup_exact_response_group"] != groups["row_id"]).sum()),
        }
        return SignalResult(columns={
            "dedup_exact_prompt_group": groups["dedup_exact_prompt_group"],
            "dedup_exact_response_group": groups["dedup_exact_response_group"],
            "dedup_exact_cluster": pl.select(cluster.alias("c"))["c"],
        }, flags={"flag_exact_duplicate": is_dup}, summary=summary)
