"""Near duplicates of whole examples by MinHash LSH (see ``audit/minhash.py``); clusters by union-find,
the representative (kept row) is the cluster's first row; the other members are flagged."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.minhash import near_duplicate_clusters


def example_texts(table: pl.DataFrame) -> list[str]:
    joined = pl.concat_str(["instruction", "input", "response"], separator="\n")
    return table.select(joined).to_series().to_list()


class DedupMinhashSignal:
    name: ClassVar[str] = "dedup_minhash"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        r = lambda key, default: ctx.rule("dedup_minhash", key, default)  # noqa: E731
        threshold = r("threshold", 0.8)
        clusters = near_duplicate_clusters(
            example_texts(table), threshold=threshold, num_perm=r("num_perm", 128), n_words=r("ngram_words", 3),
            n_chars=r("ngram_chars", 5), min_units=r("min_units", 3), seed=ctx.seed,
            fp_weight=r("false_positive_weight", 0.1), fn_weight=r("false_negative_weight", 0.9))
        row_ids = table["row_id"].to_numpy()
        rep = clusters.representative
        member = rep >= 0
        cluster = pl.Series("dedup_minhash_cluster", np.where(member, row_ids[np.maximum(rep, 0)], 0), pl.Int64)
        cluster = pl.select(pl.when(pl.Series(member)).then(cluster).otherwise(None).alias("c"))["c"]
        flagged = member & (rep != np.arange(len(rep)))
        sizes = np.bincount(rep[member]) if member.any() else np.zeros(0, dtype=np.int64)
        sizes = sizes[sizes > 1]
        largest = sorted(((int(row_ids[i]), int(c)) for i, c in enumerate(np.bincount(rep[member]))
                          if c > 1), key=lambda t: (-t[1], t[0]))[:10] if member.any() else []
        summary = {
            "threshold": threshold, "num_perm": r("num_perm", 128), "bands": clusters.bands,
            "rows_per_band": clusters.rows_per_band, "candidate_pairs": clusters.candidate_pairs,
            "verified_pairs": clusters.verified_pairs, "clusters": int(len(sizes)),
            "duplicate_rows": int(flagged.sum()),
            "cluster_sizes": {str(k): int(v) for k, v in zip(*np.unique(sizes, return_counts=True), strict=True)},
            "largest_clusters": [{"representative": a, "size": b} for a, b in largest],
        }
        jaccard = pl.Series("dedup_minhash_jaccard", clusters.jaccard, pl.Float64).fill_nan(None)
        return SignalResult(columns={"dedup_minhash_cluster": cluster, "dedup_minhash_jaccard": jaccard},
                            flags={"flag_near_duplicate": flagged}, summary=summary)
