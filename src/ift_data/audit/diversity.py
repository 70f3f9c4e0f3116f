"""Dataset-level diversity figures (no flags).

- ``distinct_1`` / ``distinct_2``: distinct unigrams (bigrams) / all unigrams (bigrams) of the
  instructions, lower-cased; units are words, and single characters in unspaced scripts (Chinese,
  Japanese, Thai ...), see ``audit/text.py``.
- Leading verb-object pairs (the Self-Instruct figure, without a parser): after dropping polite
  openers ("please", "can you" ...), the first word is the verb when it is alphabetic and not a
  function word (question word, pronoun, article, auxiliary, preposition); the object is the first
  later word that is neither a function word nor a common modifier ("short", "few", "following" ...).
  English-like instructions only; others have no pair. Reported: share with a pair, distinct pairs,
  pair entropy, top pairs.
- ``dispersion``: mean pairwise cosine distance of the embeddings, computed exactly over all rows
  from ``|sum x|^2`` (no sampling needed for unit vectors).
- k-means (faiss, seeded) over the embeddings: entropy of the cluster sizes, normalized by log k.
- Task-type coverage when the table has a ``category``: count, shares, normalized entropy.

Rules (``diversity:``): ``clusters`` (50; capped at rows / 10), ``kmeans_iterations`` (20),
``top_pairs`` (20). Column: ``diversity_cluster`` (k-means cluster of each row, null without embeddings).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.table_texts import TableTexts
from ift_data.audit.text import units

_OPENERS = {"please", "kindly", "can", "could", "would", "will", "you", "now", "then", "also", "i", "want", "need",
            "to", "help", "me", "let's", "lets", "additionally", "first", "next", "finally", "briefly", "simply",
            "carefully", "quickly", "just", "further", "furthermore", "instead", "again", "so", "ok", "okay", "hey",
            "hi", "hello"}
_FUNCTION_WORDS = """a an the this that these those what which who whom whose when where why how is are was were be
been being am do does did have has had i you he she it we they me him her us them my your his its our their
in on at of for with by from as about into over under between to and or but if not no yes there here all any each
every some many much more most other such than so very can could would should will shall may might must let
"""
_MODIFIER_WORDS = """short brief long new good best simple following given list few several one two three four five
detailed creative different main new short small large possible unique interesting better top original random
step specific basic single whole entire appropriate correct suitable proper"""
_FUNCTION = frozenset(_FUNCTION_WORDS.split())
_MODIFIERS = frozenset(_MODIFIER_WORDS.split())
_WORD = re.compile(r"[a-z][a-z'-]*")


class DistinctGrams:
    """distinct-1 and distinct-2 (distinct n-grams / all n-grams) counted a text at a time: only the distinct
    words and word pairs are held, each word once, never every token of every row (1M rows: ~15M tokens)."""

    def __init__(self) -> None:
        self._words: dict[str, str] = {}  # each distinct word, the one object the pairs share
        self._pairs: set[tuple[str, str]] = set()
        self._totals = [0, 0]

    def add(self, tokens: list[str]) -> None:
        words = self._words
        shared = [words.setdefault(token, token) for token in tokens]
        self._pairs.update(pairwise(shared))
        self._totals[0] += len(shared)
        self._totals[1] += max(len(shared) - 1, 0)

    def share(self, n: int) -> float:
        """distinct-``n`` for n = 1 or 2 (0.0 when there is no n-gram)."""
        distinct = len(self._words) if n == 1 else len(self._pairs)
        return distinct / self._totals[n - 1] if self._totals[n - 1] else 0.0


def distinct_n(token_lists: list[list[str]], n: int) -> float:
    """distinct-``n`` (1 or 2) of the tokenized texts."""
    grams = DistinctGrams()
    for tokens in token_lists:
        grams.add(tokens)
    return grams.share(n)


def verb_object(instruction: str) -> tuple[str, str] | None:
    """The leading (verb, object) pair of an English-like instruction, or None (see module doc)."""
    words = _WORD.findall(instruction.lower()[:300])
    while words and words[0] in _OPENERS:
        words.pop(0)
    if not words or words[0] in _FUNCTION or len(words[0]) < 2:
        return None
    obj = next((w for w in words[1:] if w not in _FUNCTION and w not in _MODIFIERS and len(w) > 1), None)
    return (words[0], obj) if obj else None


def entropy(counts: list[int] | np.ndarray) -> float:
    total = float(np.sum(counts))
    return -sum((c / total) * math.log(c / total) for c in counts if c > 0) if total else 0.0


def dispersion(vectors: np.ndarray, batch_rows: int = 65_536) -> float:
    """1 - the mean cosine of two different rows of L2-normalized ``vectors``, from the sum of the vectors and
    the sum of their squared norms (in float64, ``batch_rows`` rows at a time: no float64 copy of them all)."""
    n = len(vectors)
    total = np.zeros(vectors.shape[1], dtype=np.float64)
    squares = 0.0
    for start in range(0, n, batch_rows):
        part = vectors[start:start + batch_rows].astype(np.float64)
        total += part.sum(axis=0)
        squares += float((part * part).sum())
    return 1.0 - (float(np.linalg.norm(total)) ** 2 - squares) / (n * (n - 1))


class DiversitySignal:
    name: ClassVar[str] = "diversity"
    needs_embeddings: ClassVar[bool] = False  # lexical figures always; embedding figures when a graph exists

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        grams = DistinctGrams()
        pair_counts: Counter[tuple[str, str]] = Counter()
        for text in TableTexts(table, pl.col("instruction").fill_null("")):  # a chunk of rows at a time
            grams.add(units(text.lower()))
            pair = verb_object(text)
            if pair:
                pair_counts[pair] += 1
        top = int(ctx.rule(self.name, "top_pairs", 20))
        summary: dict[str, Any] = {
            "rows": table.height,
            "distinct_1": grams.share(1),
            "distinct_2": grams.share(2),
            "verb_object": {
                "share_with_pair": sum(pair_counts.values()) / table.height if table.height else 0.0,
                "distinct_pairs": len(pair_counts),
                "distinct_verbs": len({v for v, _ in pair_counts}),
                "entropy": entropy(list(pair_counts.values())),
                "top": [{"verb": v, "object": o, "count": c}
                        for (v, o), c in sorted(pair_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]],
            },
        }
        if "category" in table.columns:
            categories = table.get_column("category").drop_nulls().cast(pl.Utf8).to_list()
            if categories:
                counts = Counter(categories)
                summary["task_types"] = {
                    "count": len(counts), "rows_with_type": len(categories),
                    "normalized_entropy": entropy(list(counts.values())) / math.log(len(counts)) if len(counts) > 1 else 0.0,
                    "shares": {k: v / len(categories) for k, v in sorted(counts.items())}}
        columns: dict[str, Any] = {}
        graph = ctx.knn()
        if graph is not None and graph.embeddings is not None and len(graph.embeddings) >= 2:
            n = len(graph.embeddings)
            summary["dispersion"] = dispersion(graph.embeddings)
            clusters = self._kmeans(graph.embeddings, ctx)
            if clusters is not None:
                sizes = np.bincount(clusters)
                k = len(sizes)
                summary["clusters"] = {"k": k, "entropy": entropy(sizes),
                                       "normalized_entropy": entropy(sizes) / math.log(k) if k > 1 else 0.0,
                                       "largest_share": float(sizes.max() / n)}
                columns["diversity_cluster"] = pl.Series(clusters, dtype=pl.Int64)
        else:
            summary["embedding_figures"] = "skipped: no embeddings (dispersion and cluster entropy need them)"
        return SignalResult(columns=columns, summary=summary)

    def _kmeans(self, x: np.ndarray, ctx: AuditContext) -> np.ndarray | None:
        k = min(int(ctx.rule(self.name, "clusters", 50)), len(x) // 10)
        if k < 2:
            return None
        import faiss

        x = np.ascontiguousarray(x, dtype=np.float32)
        kmeans = faiss.Kmeans(x.shape[1], k, niter=int(ctx.rule(self.name, "kmeans_iterations", 20)),
                              seed=int(ctx.seed) + 1, spherical=True, verbose=False,
                              min_points_per_centroid=5)
        kmeans.train(x)
        return kmeans.index.search(x, 1)[1][:, 0].astype(np.int64)
