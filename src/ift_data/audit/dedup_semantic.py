"""Semantic near duplicates: rows whose embeddings are closer than a cosine threshold.

Edges are the kNN graph's neighbour pairs with cosine >= ``dedup_semantic.threshold`` (default
0.95); union-find joins them into clusters (so a cluster can be larger than k + 1). The
representative of a cluster is its lowest ``row_id``; every other member is flagged.

Each edge must also share at least ``min_char_jaccard`` of its two texts' character 3-grams (lower-cased,
spaces collapsed): an embedding model maps every text of a language it does not know to nearly one point
(the bundled static model puts unrelated Russian passages at cosine 0.96-0.99), while real near copies,
reorders and paraphrases share most of their 3-grams (0.47 and up on the planted pairs of
``benchmarks/bench_embedder.py``; unrelated passages in one language: 0.17 at most).

The two rows of an edge must also have the same setting (system prompt and conversation context) and,
unless ``same_numbers`` is off, numbers that agree (``audit/pair_keys.py``): the embedding hardly sees
either (the bundled static model puts "Ben has 57 stickers and gets 42 more ..." and "... 53 stickers and gets
44 more ..." at cosine 0.953, and 60 of 200 such word problems have a neighbour at 0.95 or more).

Rules (``dedup_semantic:``): ``threshold`` (0.95, cosine similarity), ``min_char_jaccard`` (0.25),
``same_numbers`` (true).
Columns: ``dedup_semantic_cluster`` (cluster id = representative's row_id, null for singletons),
``dedup_semantic_representative`` (row_id kept for the cluster, null for singletons),
``dedup_semantic_nearest_row`` / ``dedup_semantic_nearest_similarity`` (closest neighbour's row_id
and cosine). Flag: ``flag_semantic_duplicate`` (non-representative cluster members).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.components import component_representatives
from ift_data.audit.dedup_exact import settings_of
from ift_data.audit.pair_keys import alike_pairs
from ift_data.embed.knn import row_text_sequence

_SHORT = np.uint64(1 << 63)  # marks the one "gram" of a text under 3 characters (never a 3-gram's code)


def char_gram_codes(text: str) -> np.ndarray:
    """The character 3-grams of the lower-cased text with runs of whitespace collapsed (a text under 3
    characters is one gram) as sorted unique uint64 codes, one per gram and exact (three code points
    of 21 bits each; a text under 3 characters is its own gram, coded with its length and the ``_SHORT``
    bit): the same Jaccard as the string sets, in about an eighth of their memory."""
    text = " ".join(text.lower().split())
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(points) < 3:
        code = _SHORT | np.uint64(len(points) << 42)
        for i, point in enumerate(points):
            code |= point << np.uint64(21 * (1 - i))
        return np.array([code], dtype=np.uint64)
    return np.unique((points[:-2] << np.uint64(42)) | (points[1:-1] << np.uint64(21)) | points[2:])


def lexical_confirmation(table: pl.DataFrame, fields: tuple[str, ...], left: np.ndarray, right: np.ndarray,
                         min_jaccard: float, batch_rows: int = 20_000) -> np.ndarray:
    """For each edge (left[i], right[i]) of row positions: do its two texts (``row_text_sequence`` of
    ``fields``) share at least ``min_jaccard`` of their character 3-grams? Only the rows on an edge are read,
    a batch at a time, and each one's 3-grams are kept as codes (``char_gram_codes``)."""
    out = np.ones(len(left), dtype=bool)
    if min_jaccard <= 0 or not len(left):
        return out
    involved = np.unique(np.concatenate([left, right])).tolist()
    texts = row_text_sequence(table, fields)
    grams: dict[int, np.ndarray] = {}
    for start in range(0, len(involved), batch_rows):
        part = involved[start:start + batch_rows]
        grams.update(zip(part, map(char_gram_codes, texts.take(part)), strict=True))
    for k, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        x, y = grams[a], grams[b]
        shared = len(np.intersect1d(x, y, assume_unique=True))
        union = len(x) + len(y) - shared
        out[k] = union == 0 or shared / union >= min_jaccard
    return out


def duplicate_edges(table: pl.DataFrame, graph: Any, ctx: AuditContext) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """The kNN graph's edges (row positions ``left``, ``right``) that join semantic duplicates: cosine at least
    ``threshold``, character 3-grams shared (``min_char_jaccard``), the same setting and (``same_numbers``) numbers
    that agree; and how many edges each check after the cosine dropped. The consistency signal reads the same edges
    (computed once per audit and graph: kept in ``ctx.cache``)."""
    cached = ctx.cache.get("semantic_edges")
    if cached is not None and cached[0] is table and cached[1] is graph:
        edges: tuple[np.ndarray, np.ndarray, dict[str, int]] = cached[2]
        return edges
    edges = _duplicate_edges(table, graph, ctx)
    ctx.cache["semantic_edges"] = (table, graph, edges)
    return edges


def _duplicate_edges(table: pl.DataFrame, graph: Any, ctx: AuditContext) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    rule = lambda key, default: ctx.rule(SemanticDedupSignal.name, key, default)  # noqa: E731
    rows, cols = np.nonzero(graph.valid & (np.nan_to_num(graph.similarities, nan=-2.0) >= float(rule("threshold", 0.95))))
    right = graph.indices[rows, cols]
    info = getattr(graph, "info", {})
    fields = tuple(f for f in info.get("fields", ("instruction", "input", "response")) if f in table.columns)
    if fields and len(rows):
        shares_text = lexical_confirmation(table, fields, rows, right, float(rule("min_char_jaccard", 0.25)))
    else:  # no edge, or a table without its texts (vectors given directly): nothing to confirm
        shares_text = np.ones(len(rows), dtype=bool)
    rows, right = rows[shares_text], right[shares_text]
    numbers = bool(rule("same_numbers", True)) and "response" in table.columns  # pair_keys.PARTS
    same_setting, same_numbers = alike_pairs(table, rows, right, settings_of(table, ctx), numbers)
    keep = same_setting & same_numbers
    figures = {"pairs_without_shared_text": int((~shares_text).sum()),
               "pairs_in_other_settings": int((~same_setting).sum()),
               "pairs_with_other_numbers": int((same_setting & ~same_numbers).sum())}
    return rows[keep], right[keep], figures


class SemanticDedupSignal:
    name: ClassVar[str] = "dedup_semantic"
    needs_embeddings: ClassVar[bool] = True

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        graph = ctx.knn()
        if graph is None:
            return SignalResult(summary={"skipped": "no kNN graph (embeddings off)"})
        threshold = float(ctx.rule(self.name, "threshold", 0.95))
        n = table.height
        row_ids = table.get_column("row_id").to_numpy().astype(np.int64)
        min_jaccard = float(ctx.rule(self.name, "min_char_jaccard", 0.25))
        left, right, dropped = duplicate_edges(table, graph, ctx)
        roots = component_representatives(n, left, right, row_ids)
        sizes = np.bincount(roots, minlength=n)
        in_cluster = sizes[roots] > 1
        representative = np.where(in_cluster, row_ids[roots], -1)
        flagged = in_cluster & (roots != np.arange(n))
        has_nearest = graph.k > 0
        nearest_pos = graph.indices[:, 0] if has_nearest else np.full(n, -1)
        nearest_row = np.where(nearest_pos >= 0, row_ids[np.maximum(nearest_pos, 0)], -1)
        nearest_sim = graph.similarities[:, 0] if has_nearest else np.full(n, np.nan, np.float32)
        cluster_sizes = sizes[sizes > 1]
        as_nullable = lambda values: pl.Series(values, dtype=pl.Int64).replace(-1, None)  # noqa: E731
        return SignalResult(
            columns={
                "dedup_semantic_cluster": as_nullable(representative),
                "dedup_semantic_representative": as_nullable(representative),
                "dedup_semantic_nearest_row": as_nullable(nearest_row),
                "dedup_semantic_nearest_similarity": pl.Series(nearest_sim, dtype=pl.Float32).fill_nan(None),
            },
            flags={"flag_semantic_duplicate": flagged},
            summary={
                "threshold": threshold,
                "min_char_jaccard": min_jaccard,
                "same_numbers": bool(ctx.rule(self.name, "same_numbers", True)),
                **dropped,
                "clusters": int(len(cluster_sizes)),
                "rows_in_clusters": int(cluster_sizes.sum()),
                "duplicates_flagged": int(flagged.sum()),
                "largest_cluster": int(cluster_sizes.max()) if len(cluster_sizes) else 0,
                "cluster_size_counts": {str(s): int(c) for s, c in zip(*np.unique(cluster_sizes, return_counts=True),
                                                                         strict=True)},
                # timings stay out: summary.json is deterministic apart from its top-level "timings"
                "graph": {k: v for k, v in graph.info.items() if not k.endswith("_seconds")},
            },
        )
