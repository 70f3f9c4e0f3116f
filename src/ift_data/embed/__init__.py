"""Sentence embeddings and the one kNN graph every kNN signal reads.

``model`` loads a local sentence-transformers model offline, ``encode`` embeds texts (fast path on
the bare transformer, stock ``encode`` as fallback), ``cache`` keeps embeddings on disk, ``knn``
builds the neighbour graph and exposes ``knn_provider`` for the audit runner.
"""

from ift_data.embed.knn import EmbedOptions, KnnGraph, build_knn, knn_provider

__all__ = ["EmbedOptions", "KnnGraph", "build_knn", "knn_provider"]
