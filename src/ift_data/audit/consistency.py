"""Consistency: the same or a near-same prompt (instruction+input) answered differently.

Prompt groups are exact groups (normalized hash, reused from dedup_exact via ``ctx.cache``) joined with
MinHash near-duplicate prompts (``consistency.near_threshold``). A group whose short (answer-like)
responses differ is a conflict and all its rows are flagged; groups of long responses that differ are
counted as open-ended variants (different essays for the same prompt are not an error)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.dedup_exact import exact_groups
from ift_data.audit.minhash import near_duplicate_clusters
from ift_data.audit.text import unit_count_expr


class ConsistencySignal:
    name: ClassVar[str] = "consistency"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        groups = ctx.cache.get("dedup_exact")
        if groups is None:
            groups = exact_groups(table)
        prompts = table.select(pl.concat_str(["instruction", "input"], separator="\n")).to_series().to_list()
        near = near_duplicate_clusters(prompts, threshold=ctx.rule("consistency", "near_threshold", 0.9),
                                       n_words=ctx.rule("consistency", "ngram_words", 2), seed=ctx.seed, min_units=3)
        n = table.height
        exact_rep = groups["dedup_exact_prompt_group"].to_numpy() - table["row_id"][0] if n else np.zeros(0, np.int64)
        parent = np.arange(n)
        for i in range(n):  # join exact prompt groups and near-duplicate prompt clusters
            for j in (exact_rep[i], near.representative[i]):
                if j >= 0:
                    a, b = _root(parent, i), _root(parent, int(j))
                    if a != b:
                        parent[max(a, b)] = min(a, b)
        roots = np.array([_root(parent, i) for i in range(n)], dtype=np.int64)
        frame = pl.DataFrame({"root": roots, "response": groups["_response"],
                              "units": table.select(unit_count_expr(pl.col("response"))).to_series()})
        stats = frame.group_by("root").agg(pl.len().alias("size"), pl.col("response").n_unique().alias("distinct"),
                                           pl.col("units").max().alias("max_units"))
        frame = frame.join(stats, on="root", how="left", maintain_order="left")
        short = frame["max_units"] <= ctx.rule("consistency", "max_response_units", 20)
        grouped, differ = frame["size"] > 1, frame["distinct"] > 1
        conflict = grouped & differ & short
        row_ids = table["row_id"].to_numpy()
        group = pl.select(pl.when(pl.Series(grouped.to_numpy())).then(pl.Series(row_ids[roots] if n else row_ids))
                          .otherwise(None).alias("g"))["g"]
        variants = stats.filter((pl.col("size") > 1) & (pl.col("distinct") > 1))
        summary = {
            "prompt_groups": int(stats.filter(pl.col("size") > 1).height),
            "conflict_groups": int(variants.filter(pl.col("max_units") <= ctx.rule("consistency", "max_response_units", 20)).height),
            "conflict_rows": int(conflict.sum()),
            "open_ended_variant_groups": int(variants.filter(pl.col("max_units") > ctx.rule("consistency", "max_response_units", 20)).height),
        }
        return SignalResult(columns={"consistency_group": group.cast(pl.Int64),
                                     "consistency_responses": frame["distinct"].cast(pl.Int64)},
                            flags={"flag_conflict": conflict}, summary=summary)


def _root(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return int(i)
