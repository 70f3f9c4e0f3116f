"""Vectorized MinHash + LSH banding + verification + union-find (used by dedup_minhash and consistency).

Shingles are n-grams of units of the lower-cased text: words, each character of an unspaced script, and
each symbol or punctuation mark (so "2+2" and "2*2", or "a < b" and "a > b", never share a shingle set),
hashed deterministically (CRC32 of each unit, polynomial combination of n-gram members). Signatures use
``num_perm`` affine maps modulo 2^32 seeded by ``seed``. The band/row split is datasketch's
optimal parameters for the threshold with recall-favouring weights. Candidate pairs (members of one
bucket: each with its predecessor and with the bucket's first) are verified by their true Jaccard on
the hashed shingle sets; accepted pairs form connected components; a cluster's representative is its
smallest row index.
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ift_data.audit.components import component_representatives
from ift_data.audit.text import UNIT_PATTERN_RS, UNSPACED_CLASS_RS, symbol_units_expr

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
    """Sorted unique uint32 shingle hashes per text (empty for texts under ``min_units`` units).

    Normalization, unit splitting and unit hashing run column-wise in polars (each distinct unit is
    CRC32-hashed once, so hashes are stable across versions); n-gram hashes and per-text deduplication
    run on flat numpy arrays, so no Python code runs per unit.
    """
    frame = pl.DataFrame({"text": list(texts)}, schema={"text": pl.Utf8}).select(
        symbol_units_expr(pl.col("text").fill_null("")).alias("norm"))
    units_list = frame.select(
        pl.col("norm").str.extract_all(UNIT_PATTERN_RS).alias("units"),
        pl.col("norm").str.count_matches(f"[{UNSPACED_CLASS_RS}]").alias("unspaced"),
        (pl.col("norm").str.len_chars() - pl.col("norm").str.count_matches(r"\s")).alias("nonspace"),
    )
    lengths = units_list["units"].list.len().fill_null(0).to_numpy().astype(np.int64)
    unspaced = units_list["unspaced"].to_numpy()
    nonspace = units_list["nonspace"].to_numpy()
    n_per_text = np.where((nonspace > 0) & (unspaced >= 0.5 * np.maximum(nonspace, 1)), n_chars, n_words)
    flat_units = units_list["units"].explode().drop_nulls()
    distinct = flat_units.unique(maintain_order=True)
    codes = np.array([zlib.crc32(u.encode("utf-8")) or 1 for u in distinct.to_list()], dtype=np.uint64)
    ids = pl.DataFrame({"u": flat_units}).join(
        pl.DataFrame({"u": distinct, "c": pl.Series(codes, dtype=pl.UInt64)}), on="u", how="left",
        maintain_order="left")["c"].to_numpy()
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)

    out: list[np.ndarray] = [np.empty(0, dtype=np.uint32)] * len(lengths)
    keep = lengths >= min_units
    for n in np.unique(n_per_text[keep]):
        group = np.flatnonzero(keep & (n_per_text == n))
        short = group[lengths[group] < n]
        for i in short:  # fewer units than the n-gram size: one shingle of all units
            out[i] = _grams(ids[starts[i]:starts[i] + lengths[i]], int(lengths[i]))
        group = group[lengths[group] >= n]
        if not len(group):
            continue
        width = lengths[group] - n + 1
        owner = np.repeat(np.arange(len(group)), width)
        position = np.repeat(starts[group], width) + (np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width))
        h = np.zeros(len(position), dtype=np.uint64)
        for k in range(int(n)):
            h = h * _PRIMES[k % len(_PRIMES)] + ids[position + k]
        h32 = ((h >> np.uint64(32)) ^ h) & _MASK32
        keys = np.sort((owner.astype(np.uint64) << np.uint64(32)) | h32)
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]  # sort + diff: faster than np.unique's hashing here
        bounds = np.searchsorted(keys >> np.uint64(32), np.arange(len(group) + 1, dtype=np.uint64))
        values = (keys & _MASK32).astype(np.uint32)
        for j, i in enumerate(group):
            out[i] = values[bounds[j]:bounds[j + 1]]
    return out


def _grams(ids: np.ndarray, n: int) -> np.ndarray:
    width = len(ids) - n + 1
    h = np.zeros(width, dtype=np.uint64)
    for i in range(n):
        h = h * _PRIMES[i % len(_PRIMES)] + ids[i:i + width]
    return np.unique(((h >> np.uint64(32)) ^ h) & _MASK32).astype(np.uint32)


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
            # (num_perm, shingles): each permutation's row is contiguous, so the reduction streams memory
            # (7x faster than the shingle-major layout); uint32 arithmetic wraps modulo 2^32.
            hashed = a[:, None] * flat[None, :]
            hashed += b[:, None]
            sig[members] = np.minimum.reduceat(hashed, offsets, axis=1).T
        start = stop
    return sig


def _jaccard(x: np.ndarray, y: np.ndarray) -> float:
    if not len(x) and not len(y):
        return 1.0
    inter = len(np.intersect1d(x, y, assume_unique=True))
    return inter / (len(x) + len(y) - inter)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(rows, bands) uint64: one hash per band of each signature (equal bands give equal keys; unequal
    bands collide with probability ~2^-64, and a collision only adds a candidate that verification drops)."""
    keys = np.zeros((sig.shape[0], bands), dtype=np.uint64)
    wide = sig.astype(np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            keys = keys * np.uint64(0x100000001B3) + wide[:, r::rows][:, :bands] + np.uint64(r + 1)
            keys ^= keys >> np.uint64(29)
    return keys


def candidate_pairs(keys: np.ndarray, has: np.ndarray) -> np.ndarray:
    """(m, 2) sorted, unique row pairs sharing a band key: in each bucket every member is paired with its
    predecessor and with the bucket's first member (linear in the bucket's size, yet connected)."""
    idx = np.flatnonzero(has)
    pairs = []
    for band in range(keys.shape[1]):
        column = keys[idx, band]
        order = np.argsort(column, kind="stable")
        sorted_keys = column[order]
        same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1]) + 1
        if not len(same):
            continue
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        first = order[starts[np.searchsorted(starts, same, side="right") - 1]]
        pairs.append(np.stack([order[same - 1], order[same]], axis=1))
        pairs.append(np.stack([first, order[same]], axis=1))
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    cand = np.sort(idx[np.concatenate(pairs)], axis=1)
    cand = cand[cand[:, 0] != cand[:, 1]]
    return np.unique(cand, axis=0)


def near_duplicate_clusters(texts: Sequence[str], *, threshold: float, num_perm: int = 128, n_words: int = 3,
                            n_chars: int = 5, min_units: int = 3, seed: int = 0, fp_weight: float = 0.1,
                            fn_weight: float = 0.9, keys: Sequence[Hashable] | None = None,
                            batch_rows: int = 20000) -> Clusters:
    """Clusters of texts whose shingle sets' Jaccard is at least ``threshold``; with ``keys``, a pair of
    texts whose keys differ is never a near duplicate, however similar.

    Memory is bounded by ``batch_rows``: texts are shingled and signed a batch at a time and only each
    row's band keys are kept (``bands`` x 8 bytes a row); shingles are computed again, in batches, for
    the rows of candidate pairs only, to verify their true Jaccard."""
    bands, rows = lsh_params(threshold, num_perm, fp_weight, fn_weight)
    n = len(texts)
    band_key = np.zeros((n, bands), dtype=np.uint64)
    has = np.zeros(n, dtype=bool)
    for start in range(0, n, batch_rows):
        shingles = shingle_hashes(texts[start:start + batch_rows], n_words, n_chars, min_units)
        has[start:start + len(shingles)] = [len(sh) > 0 for sh in shingles]
        band_key[start:start + len(shingles)] = band_keys(signatures(shingles, num_perm, seed), bands, rows)
    cand = candidate_pairs(band_key, has)
    del band_key
    return verified_clusters(texts, cand, threshold=threshold, bands=bands, rows=rows, n_words=n_words,
                             n_chars=n_chars, min_units=min_units, keys=keys, batch_rows=batch_rows)


def verified_clusters(texts: Sequence[str], cand: np.ndarray, *, threshold: float, bands: int, rows: int,
                      n_words: int = 3, n_chars: int = 5, min_units: int = 3, keys: Sequence[Hashable] | None = None,
                      batch_rows: int = 20000) -> Clusters:
    """The clusters of ``texts`` from their LSH candidate pairs ``cand`` (as ``candidate_pairs`` gives them):
    each pair's true Jaccard is verified on re-shingled rows, accepted pairs are joined by union-find.
    ``near_duplicate_clusters`` and the Ray engine (``audit/engine_ray.py``) share it."""
    n = len(texts)
    representative = np.full(n, -1, dtype=np.int64)
    jaccard = np.full(n, np.nan)
    if not len(cand):
        return Clusters(representative, jaccard, bands, rows, 0, 0)
    involved = np.unique(cand)
    sets: dict[int, np.ndarray] = {}
    for start in range(0, len(involved), batch_rows):
        part = involved[start:start + batch_rows].tolist()
        sets.update(zip(part, shingle_hashes([texts[i] for i in part], n_words, n_chars, min_units), strict=True))
    accepted = np.array([(keys is None or keys[i] == keys[j]) and _jaccard(sets[i], sets[j]) >= threshold
                         for i, j in cand.tolist()], dtype=bool)
    verified = int(accepted.sum())
    roots = component_representatives(n, cand[accepted, 0], cand[accepted, 1], np.arange(n))
    counts = np.bincount(roots, minlength=n)
    for i in np.flatnonzero(counts[roots] > 1).tolist():
        representative[i] = roots[i]
        jaccard[i] = 1.0 if roots[i] == i else _jaccard(sets[i], sets[int(roots[i])])
    return Clusters(representative, jaccard, bands, rows, len(cand), verified)
