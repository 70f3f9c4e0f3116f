"""Duplicate clusters as connected components of a pair graph (scipy's C implementation, no Python loop)."""

from __future__ import annotations

import numpy as np


def component_representatives(n: int, left: np.ndarray, right: np.ndarray, rank_key: np.ndarray) -> np.ndarray:
    """For every node, the member of its connected component with the smallest ``rank_key``
    (a node without edges is its own representative)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if n == 0:
        return np.zeros(0, dtype=np.int64)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.lexsort((np.arange(n), np.asarray(rank_key), labels))  # by component, then rank, then index
    first = np.r_[True, labels[order][1:] != labels[order][:-1]]
    best = np.empty(labels.max() + 1, dtype=np.int64)
    best[labels[order][first]] = order[first]
    return best[labels]
