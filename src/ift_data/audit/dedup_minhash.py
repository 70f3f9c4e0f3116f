"""Near duplicates of whole examples by MinHash LSH (see ``audit/minhash.py``); clusters by union-find,
the representative (kept row) is the cluster's first row; the other members are flagged.

A short prompt or response (fewer than ``short_field_units`` units) must be the same after normalization
in both rows of a pair: "Evaluate 2+2" and "Evaluate 2*2", or the answers "<" and ">", make two examples
even when the rest of the text is long and shared. The two rows must also have one setting (system prompt
and conversation context) and, unless ``same_numbers`` is off, numbers that agree (``audit/pair_keys.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.dedup_exact import settings_of
from ift_data.audit.minhash import Clusters, near_duplicate_clusters
from ift_data.audit.pair_keys import pair_filter
from ift_data.audit.table_texts import TableTexts
from ift_data.audit.text import normalize_expr, symbol_units_expr, unit_count_expr


def example_texts(table: pl.DataFrame) -> TableTexts:
    """Each row's instruction, input and response joined by newlines (made a batch at a time)."""
    return TableTexts(table, pl.concat_str(["instruction", "input", "response"], separator="\n"))


def short_field_keys(table: pl.DataFrame, short_units: int) -> TableTexts:
    """Per row: the normalized prompt and response where they are shorter than ``short_units`` units
    (``None`` where longer); two rows are near duplicates only when these agree."""
    prompt = pl.concat_str(["instruction", "input"], separator="\n")
    return TableTexts(table, *[pl.when(unit_count_expr(symbol_units_expr(text)) < short_units).then(normalize_expr(text))
                               for text in (prompt, pl.col("response"))])


class DedupMinhashSignal:
    name: ClassVar[str] = "dedup_minhash"
    needs_embeddings: ClassVar[bool] = False

    def __init__(self, find_clusters: Callable[..., Clusters] = near_duplicate_clusters) -> None:
        self.find_clusters = find_clusters  # the Ray engine (audit/engine_ray.py) plugs in its banding

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        r = lambda key, default: ctx.rule("dedup_minhash", key, default)  # noqa: E731
        threshold = r("threshold", 0.8)
        clusters = self.find_clusters(
            example_texts(table), threshold=threshold, num_perm=r("num_perm", 128), n_words=r("ngram_words", 3),
            n_chars=r("ngram_chars", 5), min_units=r("min_units", 3), seed=ctx.seed,
            fp_weight=r("false_positive_weight", 0.1), fn_weight=r("false_negative_weight", 0.9),
            keys=short_field_keys(table, r("short_field_units", 5)),
            pairs_ok=pair_filter(table, settings_of(table, ctx), bool(r("same_numbers", True))))
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
