"""Exact duplicates: hash of the normalized (case, whitespace, edge punctuation; see ``audit/text.py``:
math, code and symbols count) prompt (instruction+input),
response and whole example. A group id is the row_id of the group's first row, its representative;
only the other members of a whole-example group are flagged."""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import normalize_expr

SEP = "\x1f"


def exact_groups(table: pl.DataFrame) -> pl.DataFrame:
    """row_id -> representative row_id of the prompt / response / whole groups (cached by consistency)."""
    keys = table.select(
        "row_id",
        (normalize_expr(pl.col("instruction")) + SEP + normalize_expr(pl.col("input"))).alias("_prompt"),
        normalize_expr(pl.col("response")).alias("_response"),
    ).with_columns((pl.col("_prompt") + SEP + SEP + pl.col("_response")).alias("_whole"))
    return keys.select(
        "row_id",
        *[pl.col("row_id").min().over(f"_{k}").alias(f"dedup_exact_{k}_group") for k in ("prompt", "response")],
        pl.col("row_id").min().over("_whole").alias("dedup_exact_cluster"),
        pl.col("_prompt"), pl.col("_response"),
    )


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
