"""Vectorized MinHash + LSH banding + verification + union-find (used by dedup_minhash and consistency).

Shingles are n-grams of units (words, or characters for unspaced scripts) of the normalized text,
hashed deterministically (CRC32 of each unit, polynomial combination of n-gram members). Signatures use
``num_perm`` affine maps modulo 2^32 seeded by ``seed``. The band/row split is datasketch's
optimal parameters for the threshold with recall-favouring weights. Candidate pairs (members of one
bucket: each with its predecessor and with the bucket's first) are verified by their true Jaccard on
the hashed shingle sets; accepted pairs are joined by union-find; a cluster's representative is its
smallest row index.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ift_data.audit.text import shingle_units

_MASK32 = np.uint64(0xFFFFFFFF)
_PRIMES = np.array([1000003, 999983, 998117, 997991, 997847, 997643, 997511, 997459], dtype=np.uint64)


@dataclass
class Clusters:
    representative: np.ndarray  # int64 index of each row's cluster representative, -1 when alone
    jaccard: np.ndarray  # float64 Jaccard with the representative (nan when alone)
    bands: int
    rows_per_band: int
    candidate_pairs: int
    verified_pairs: int


def lsh_params(threshold: float, num_perm: int, fp_weight: float, fn_weight: float) -> tuple[int, int]:
    try:
        from datasketch.lsh import _optimal_param

        return tuple(int(x) for x in _optimal_param(threshold, num_perm, fp_weight, fn_weight))  # type: ignore[return-value]
    except ImportError:  # pragma: no cover - datasketch moved its helper
        return 16, num_perm // 16


def shingle_hashes(texts: Sequence[str], n_words: int, n_chars: int, min_units: int) -> list[np.ndarray]:
    """Sorted unique uint32 shingle hashes per text (empty for texts under ``min_units`` units)."""
    vocab: dict[str, int] = {}
    out = []
    for text in texts:
        tokens, n = shingle_units(text, n_words, n_chars)
        if len(tokens) < min_units:
            out.append(np.empty(0, dtype=np.uint32))
            continue
        ids = np.fromiter((vocab.get(t) or vocab.setdefault(t, zlib.crc32(t.encode("utf-8")) or 1) for t in tokens),
                          dtype=np.uint64, count=len(tokens))
        n = min(n, len(ids))
        width = len(ids) - n + 1
        h = np.zeros(width, dtype=np.uint64)
        for i in range(n):
            h = h * _PRIMES[i % len(_PRIMES)] + ids[i:i + width]
        out.append(np.unique(((h >> np.uint64(32)) ^ h) & _MASK32).astype(np.uint32))
    return out


def signatures(shingles: list[np.ndarray], num_perm: int, seed: int, chunk: int = 40000) -> np.ndarray:
    """(rows, num_perm) uint32 MinHash signatures; rows without shingles get all-max values."""
    rng = np.random.default_rng(seed)
    a = (rng.integers(1, 2**32, size=num_perm, dtype=np.uint64) | np.uint64(1)).astype(np.uint32)
    b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint64).astype(np.uint32)
    sig = np.full((len(shingles), num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    start = 0
    while start < len(shingles):
        stop, size = start, 0
        while stop < len(shingles) and (size < chunk or stop == start):
            size += len(shingles[stop])
            stop += 1
        members = [i for i in range(start, stop) if len(shingles[i])]
        if members:
            flat = np.concatenate([shingles[i] for i in members])
            offsets = np.cumsum([0] + [len(shingles[i]) for i in members[:-1]])
            hashed = flat[:, None] * a[None, :]  # uint32 arithmetic wraps modulo 2^32
            hashed += b[None, :]
            sig[members] = np.minimum.reduceat(hashed, offsets, axis=0)
        start = stop
    return sig


def _jaccard(x: np.ndarray, y: np.ndarray) -> float:
    if not len(x) and not len(y):
        return 1.0
    inter = len(np.intersect1d(x, y, assume_unique=True))
    return inter / (len(x) + len(y) - inter)


def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


def near_duplicate_clusters(texts: Sequence[str], *, threshold: float, num_perm: int = 128, n_words: int = 3,
                            n_chars: int = 5, min_units: int = 3, seed: int = 0, fp_weight: float = 0.1,
                            fn_weight: float = 0.9) -> Clusters:
    shingles = shingle_hashes(texts, n_words, n_chars, min_units)
    bands, rows = lsh_params(threshold, num_perm, fp_weight, fn_weight)
    sig = signatures(shingles, num_perm, seed)
    has = np.array([len(s) > 0 for s in shingles], dtype=bool)
    idx = np.flatnonzero(has)
    pairs = []
    for band in range(bands):
        block = np.ascontiguousarray(sig[idx, band * rows:(band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        _, inverse = np.unique(keys, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        sorted_keys = inverse[order]
        same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1]) + 1
        if not len(same):
            continue
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        first = order[starts[np.searchsorted(starts, same, side="right") - 1]]
        pairs.append(np.stack([order[same - 1], order[same]], axis=1))
        pairs.append(np.stack([first, order[same]], axis=1))
    representative = np.full(len(texts), -1, dtype=np.int64)
    jaccard = np.full(len(texts), np.nan)
    if not pairs:
        return Clusters(representative, jaccard, bands, rows, 0, 0)
    cand = idx[np.concatenate(pairs)]
    cand = np.sort(cand, axis=1)
    cand = cand[cand[:, 0] != cand[:, 1]]
    cand = np.unique(cand, axis=0)
    parent = np.arange(len(texts))
    verified = 0
    for i, j in cand:
        if _jaccard(shingles[i], shingles[j]) >= threshold:
            verified += 1
            ri, rj = _find(parent, int(i)), _find(parent, int(j))
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([_find(parent, i) for i in range(len(texts))])
    counts = np.bincount(roots, minlength=len(texts))
    for i in np.flatnonzero(counts[roots] > 1):
        representative[i] = roots[i]
        jaccard[i] = 1.0 if roots[i] == i else _jaccard(shingles[i], shingles[roots[i]])
    return Clusters(representative, jaccard, bands, rows, len(cand), verified)
