"""Vectorized MinHash + LSH banding + verification + union-find (used by dedup_minhash and consistency).

Shingles are n-grams of units of the lower-cased text: words, each character of an unspaced script, and
each symbol or punctuation mark (so "2+2" and "2*2", or "a < b" and "a > b", never share a shingle set).
A batch of texts is shingled at once, on its UTF-8 bytes in numpy, with no Python code per text or per
unit: polars lower-cases the texts; every byte gets its character's class (ASCII by a table, each
distinct other character classified once by the same regex engine as ``text.symbol_units_expr``); units
are hashed from their little-endian 8-byte words and length (MurmurHash3's 64-bit finalizer), n-grams by
a polynomial combination of their units' hashes folded to 32 bits. Every step is integer arithmetic with
fixed constants, so the values are the same on every run and platform. Signatures use ``num_perm`` affine
maps modulo 2^32 seeded by ``seed``, computed permutation-major on cache-sized blocks of shingles with
``np.minimum.reduceat``. The band/row split is datasketch's optimal parameters for the threshold with
recall-favouring weights (``lsh_params``). Candidate pairs (members of one bucket: each with its predecessor and with the
bucket's first) are verified by their true Jaccard on the hashed shingle sets; accepted pairs form
connected components; a cluster's representative is its smallest row index.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from ift_data.audit.components import component_representatives
from ift_data.audit.table_texts import values_at
from ift_data.audit.text import _UNSPACED_RANGES as _UNSPACED
from ift_data.audit.text import UNSPACED_CLASS_RS

_MASK32 = np.uint64(0xFFFFFFFF)
PairFilter = Callable[[np.ndarray], np.ndarray]  # (m, 2) row positions -> m booleans: may the pair be a duplicate?
_PRIMES = np.array([1000003, 999983, 998117, 997991, 997847, 997643, 997511, 997459], dtype=np.uint64)
_SPACE, _WORD, _SINGLE, _LEAD, _CONTINUATION = 0, 1, 2, 3, 4  # byte classes (see _units)
_CHUNK_CHARS = 1_000_000  # characters of text shingled at once (see _chunks)
_LONG_UNIT = 64  # bytes: longer units are hashed by a polynomial over their bytes, shorter ones 8 bytes a step
_BYTE_BASE = 0x100000001B3
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_STEP = np.uint64(0xC2B2AE3D27D4EB4F)


@dataclass
class Clusters:
    representative: np.ndarray  # int64 index of each row's cluster representative, -1 when alone
    jaccard: np.ndarray  # float64 Jaccard with the representative (nan when alone)
    bands: int
    rows_per_band: int
    candidate_pairs: int
    verified_pairs: int


@functools.lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int, fp_weight: float, fn_weight: float) -> tuple[int, int]:
    """(bands, rows per band) minimizing ``fp_weight`` x the false positive probability below ``threshold``
    plus ``fn_weight`` x the false negative probability above it: datasketch's ``MinHashLSH`` choice, the
    first of equals in its order (bands, then rows, ascending).

    Both probabilities are integrals of polynomials of degree at most ``num_perm`` in the Jaccard, so a
    Gauss-Legendre rule of ``num_perm // 2 + 1`` nodes gives them exactly, for every (b, r) at once; this
    avoids datasketch's scipy import (a third of a second) in the middle of an audit."""
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)],
                     dtype=np.float64)
    bands, rows = pairs[:, :1], pairs[:, 1:]

    def integral(lo: float, hi: float, collision: bool) -> np.ndarray:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2  # the nodes mapped from [-1, 1] onto [lo, hi]
        missed = (1 - s[None, :] ** rows) ** bands  # no band of the pair collides
        return np.asarray((hi - lo) / 2 * ((1 - missed if collision else missed) @ weights))

    error = fp_weight * integral(0.0, threshold, True) + fn_weight * integral(threshold, 1.0, False)
    best = int(np.argmin(error))
    return int(pairs[best, 0]), int(pairs[best, 1])


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, in place."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def _classify(chars: list[str]) -> np.ndarray:
    """Class of each one-character string, by the regex engine of polars' expressions (so by the same
    rules as ``text.symbol_units_expr``): space (``\\s``), single (a symbol or punctuation mark, or a
    character of an unspaced script: a unit of its own), else word."""
    s = pl.Series(chars, dtype=pl.Utf8)
    space = s.str.contains(r"^\s$").to_numpy()
    single = s.str.contains(f"^(?:[^\\w\\s]|[{UNSPACED_CLASS_RS}])$").to_numpy()
    return np.where(space, _SPACE, np.where(single, _SINGLE, _WORD)).astype(np.uint8)


# class of each byte value: ASCII characters classified, UTF-8 continuation and lead bytes marked
_BYTE_CLASS = np.concatenate([_classify([chr(b) for b in range(128)]),
                              np.full(64, _CONTINUATION, dtype=np.uint8), np.full(64, _LEAD, dtype=np.uint8)])


def _lowered(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """The lower-cased texts as one UTF-8 byte array, and the (n + 1) byte offsets of the texts in it."""
    arr = pl.Series("t", list(texts), dtype=pl.Utf8).fill_null("").str.to_lowercase().to_arrow()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    data_buffer = arr.buffers()[2]
    data = (np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None
            else np.zeros(0, dtype=np.uint8))[offsets[0]:offsets[-1]]
    return data, offsets - offsets[0]


def _long_unit_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Sum of byte * base^(position in unit) modulo 2^64 for each unit."""
    length = ends - starts
    first = np.cumsum(length) - length  # each unit's first byte among the gathered bytes
    within = np.arange(int(length.sum())) - np.repeat(first, length)
    power = np.concatenate([np.ones(1, dtype=np.uint64),
                            np.cumprod(np.full(int(length.max()) - 1, _BYTE_BASE, dtype=np.uint64))])
    terms = data[np.repeat(starts, length) + within].astype(np.uint64) * power[within]  # wraps modulo 2^64
    return np.add.reduceat(terms, first)


def _unit_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """64-bit hash of the bytes ``data[start:end]`` of every unit: its little-endian 8-byte words folded
    together with its length, then MurmurHash3's finalizer; units over ``_LONG_UNIT`` bytes fold a
    polynomial over their bytes instead (so no unit costs more than a few numpy passes)."""
    padded = np.zeros(len(data) + 8, dtype=np.uint8)
    padded[:len(data)] = data
    # the 8 bytes from each position, as one little-endian word (an unaligned view: no copy)
    words = np.ndarray(shape=(len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
    length = ends - starts
    h = words[starts] & _LOW_BYTES[np.minimum(length, 8)]
    h ^= length.astype(np.uint64) * _GOLDEN
    longer = np.flatnonzero((length > 8) & (length <= _LONG_UNIT))
    offset = 8
    while len(longer):
        word = words[starts[longer] + offset] & _LOW_BYTES[np.minimum(length[longer] - offset, 8)]
        h[longer] = (h[longer] * _STEP) ^ word
        offset += 8
        longer = longer[length[longer] > offset]
    huge = np.flatnonzero(length > _LONG_UNIT)
    if len(huge):
        h[huge] ^= _long_unit_hashes(data, starts[huge], ends[huge]) * _STEP
    return _fmix64(h)


def _units(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every unit's 64-bit hash (in text order), each text's unit count, and whether each text is mostly
    written in an unspaced script (then shingled by characters). A unit is a run of word characters, or
    one symbol, punctuation mark or unspaced-script character: what ``text.UNIT_PATTERN_RS`` finds in
    ``text.symbol_units_expr``'s output, found here on the bytes of the whole batch at once."""
    data, offsets = _lowered(texts)
    cls = np.take(_BYTE_CLASS, data)
    leads = np.flatnonzero(cls == _LEAD)
    unspaced_at = np.zeros(0, dtype=np.int64)
    if len(leads):  # characters beyond ASCII: decoded, each distinct one classified once
        b0 = data[leads].astype(np.int64)
        size = np.where(b0 < 0xE0, 2, np.where(b0 < 0xF0, 3, 4))
        code = np.where(size == 2, b0 & 0x1F, np.where(size == 3, b0 & 0x0F, b0 & 0x07))
        for k in range(1, 4):
            follow = data[np.minimum(leads + k, len(data) - 1)].astype(np.int64) & 0x3F
            code = np.where(size > k, (code << 6) | follow, code)
        distinct, inverse = np.unique(code, return_inverse=True)
        char_class = _classify([chr(c) for c in distinct.tolist()])[inverse]
        for k in range(4):  # every byte of a character takes its class
            more = np.flatnonzero(size > k)
            cls[leads[more] + k] = char_class[more]
        inside = np.zeros(len(code), dtype=bool)
        for lo, hi in _UNSPACED:
            inside |= (code >= lo) & (code <= hi)
        unspaced_at = leads[inside]
    word, single = cls == _WORD, cls == _SINGLE
    char_start = (data & 0xC0) != 0x80
    text_first = offsets[:-1][offsets[:-1] < offsets[1:]]
    text_last = offsets[1:][offsets[1:] > offsets[:-1]] - 1
    begin = single & char_start  # first byte of a unit (units never span two texts)
    begin[1:] |= word[1:] & ~word[:-1]
    begin[text_first] = single[text_first] | word[text_first]
    next_start = np.ones(len(data), dtype=bool)
    next_start[:-1] = char_start[1:]
    finish = single & next_start  # last byte of a unit
    finish[:-1] |= word[:-1] & ~word[1:]
    finish[text_last] = single[text_last] | word[text_last]
    starts = np.flatnonzero(begin)
    ends = np.flatnonzero(finish) + 1
    del word, single, begin, finish, next_start
    hashes = _unit_hashes(data, starts, ends)
    counts = np.diff(np.searchsorted(starts, offsets))
    mostly = np.zeros(len(counts), dtype=bool)
    if len(unspaced_at):  # at least half of the text's non-space characters in an unspaced script
        owner = np.searchsorted(offsets, unspaced_at, side="right") - 1
        texts_with, unspaced = np.unique(owner, return_counts=True)
        size = offsets[texts_with + 1] - offsets[texts_with]
        first = np.cumsum(size) - size
        where = np.repeat(offsets[texts_with] - first, size) + np.arange(int(size.sum()))
        visible = np.add.reduceat((char_start[where] & (cls[where] != _SPACE)).astype(np.int64), first)
        mostly[texts_with] = unspaced >= 0.5 * visible
    return hashes, counts, mostly


def shingles_flat(texts: Sequence[str | None], n_words: int, n_chars: int,
                  min_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Every text's uint32 shingle hashes, in text order with repeats (``values``), and the (n + 1)
    ``bounds`` of each text's run in them. A text under ``min_units`` units has none; one with fewer
    units than the n-gram size has one shingle of all its units."""
    units, counts, mostly_unspaced = _units(texts)
    n = np.where(mostly_unspaced, n_chars, n_words).astype(np.int64)
    size = np.minimum(n, counts)
    width = np.where((counts >= max(min_units, 1)) & (size > 0), counts - size + 1, 0)
    bounds = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(width, out=bounds[1:])
    unit_start = np.cumsum(counts) - counts
    position = np.repeat(unit_start - bounds[:-1], width) + np.arange(bounds[-1], dtype=np.int64)
    sizes = np.unique(size[width > 0])
    h = np.empty(bounds[-1], dtype=np.uint64)
    for gram in sizes.tolist():  # usually one n-gram size in a batch
        rolled = _rolling(units, gram)
        if len(sizes) == 1:
            h = rolled[position]
        else:
            mine = np.flatnonzero(np.repeat(size == gram, width))
            h[mine] = rolled[position[mine]]
    return (((h >> np.uint64(32)) ^ h) & _MASK32).astype(np.uint32), bounds


def _rolling(units: np.ndarray, n: int) -> np.ndarray:
    """The n-gram hash of ``units[i:i + n]`` for every i (a polynomial combination; uint64 wraps)."""
    h = units[:len(units) - n + 1].copy()
    for k in range(1, n):
        h *= _PRIMES[k % len(_PRIMES)]
        h += units[k:len(units) - n + 1 + k]
    return h


def shingle_hashes(texts: Sequence[str | None], n_words: int, n_chars: int, min_units: int) -> list[np.ndarray]:
    """Sorted unique uint32 shingle hashes per text (empty for texts under ``min_units`` units)."""
    out: list[np.ndarray] = []
    for start, stop in _chunks(texts):
        out.extend(_shingle_sets(texts[start:stop], n_words, n_chars, min_units))
    return out


def _shingle_sets(texts: Sequence[str | None], n_words: int, n_chars: int, min_units: int) -> list[np.ndarray]:
    values, bounds = shingles_flat(texts, n_words, n_chars, min_units)
    owner = np.repeat(np.arange(len(bounds) - 1, dtype=np.uint64), np.diff(bounds))
    keys = np.sort((owner << np.uint64(32)) | values.astype(np.uint64))
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys  # sort + diff: faster than np.unique
    cut = np.searchsorted(keys >> np.uint64(32), np.arange(len(bounds), dtype=np.uint64))
    unique = (keys & _MASK32).astype(np.uint32)
    return [unique[cut[i]:cut[i + 1]] for i in range(len(bounds) - 1)]


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = (rng.integers(1, 2**32, size=num_perm, dtype=np.uint64) | np.uint64(1)).astype(np.uint32)
    b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint64).astype(np.uint32)
    return a, b


def signatures_flat(values: np.ndarray, bounds: np.ndarray, num_perm: int, seed: int,
                    block: int = 5000) -> np.ndarray:
    """(rows, num_perm) uint32 MinHash signatures of the rows ``values[bounds[i]:bounds[i + 1]]``
    (repeats allowed); rows without shingles get all-max values. Shingles are hashed ``block`` at a
    time into one reused (num_perm, block) buffer that stays in cache, however long a row is (a row cut
    by a block's edge takes the minimum of its parts); each permutation's row is contiguous, so the
    reduction streams memory. (5,000 measured faster than 4,096, 6,000 or 8,000: a power-of-two row
    stride costs ~20 %.)"""
    a, b = _permutations(num_perm, seed)
    sig = np.full((len(bounds) - 1, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    rows = np.flatnonzero(bounds[1:] > bounds[:-1])
    starts = bounds[rows]
    buffer = np.empty((num_perm, block), dtype=np.uint32)
    for lo in range(0, int(bounds[-1]), block):
        hi = min(lo + block, int(bounds[-1]))
        first = int(np.searchsorted(starts, lo, side="right")) - 1  # the row holding shingle lo
        stop = int(np.searchsorted(starts, hi, side="left"))
        hashed = buffer[:, :hi - lo]
        np.multiply(a[:, None], values[None, lo:hi], out=hashed)  # uint32 arithmetic wraps modulo 2^32
        hashed += b[:, None]
        part = np.minimum.reduceat(hashed, np.maximum(starts[first:stop] - lo, 0), axis=1).T
        if starts[first] < lo:  # the first row began in an earlier block
            part[0] = np.minimum(part[0], sig[rows[first]])
        sig[rows[first:stop]] = part
    return sig


def signatures(shingles: list[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """(rows, num_perm) uint32 MinHash signatures of shingle arrays (as ``shingle_hashes`` gives them);
    rows without shingles get all-max values. Equal to ``text_signatures`` of the same texts."""
    bounds = np.zeros(len(shingles) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in shingles], out=bounds[1:])
    values = np.concatenate(shingles).astype(np.uint32) if len(shingles) else np.zeros(0, dtype=np.uint32)
    return signatures_flat(values, bounds, num_perm, seed)


def text_signatures(texts: Sequence[str | None], num_perm: int, seed: int, n_words: int = 3, n_chars: int = 5,
                    min_units: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(rows, num_perm) uint32 signatures of ``texts`` straight from their flat shingles (no per-text
    sets: repeats do not change a minimum), and which rows have shingles."""
    sig = np.empty((len(texts), num_perm), dtype=np.uint32)
    has = np.zeros(len(texts), dtype=bool)
    for start, stop in _chunks(texts):
        values, bounds = shingles_flat(texts[start:stop], n_words, n_chars, min_units)
        sig[start:stop] = signatures_flat(values, bounds, num_perm, seed)
        has[start:stop] = bounds[1:] > bounds[:-1]
    return sig, has


def _chunks(texts: Sequence[str | None]) -> list[tuple[int, int]]:
    """(start, stop) of consecutive runs of texts of about ``_CHUNK_CHARS`` characters in all (at least
    one text each): the byte-level arrays of a run stay in cache, which is faster than one large run."""
    chars = _CHUNK_CHARS
    ends = np.cumsum([len(t) if t else 0 for t in texts]) if len(texts) else np.zeros(0, dtype=np.int64)
    runs, start = [], 0
    while start < len(texts):
        stop = max(int(np.searchsorted(ends, (ends[start - 1] if start else 0) + chars, side="right")), start + 1)
        runs.append((start, stop))
        start = stop
    return runs


def _jaccard(x: np.ndarray, y: np.ndarray) -> float:
    if not len(x) and not len(y):
        return 1.0
    inter = len(np.intersect1d(x, y, assume_unique=True))
    return inter / (len(x) + len(y) - inter)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(rows, bands) uint64: one hash per band of each signature (equal bands give equal keys; unequal
    bands collide with probability ~2^-64, and a collision only adds a candidate that verification drops)."""
    keys = np.zeros((sig.shape[0], bands), dtype=np.uint64)
    block = sig[:, :bands * rows].reshape(sig.shape[0], bands, rows)  # band j: columns j*rows .. j*rows+rows-1
    with np.errstate(over="ignore"):
        for r in range(rows):
            keys *= np.uint64(0x100000001B3)
            keys += block[:, :, r]
            keys += np.uint64(r + 1)
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
                            batch_rows: int = 20000, pairs_ok: PairFilter | None = None) -> Clusters:
    """Clusters of texts whose shingle sets' Jaccard is at least ``threshold``; with ``keys``, a pair of
    texts whose keys differ is never a near duplicate, however similar, nor is a candidate pair that
    ``pairs_ok`` turns down (given an (m, 2) array of positions, it answers with m booleans).

    Memory is bounded by ``batch_rows``: texts are shingled and signed a batch at a time and only each
    row's band keys are kept (``bands`` x 8 bytes a row); shingles are computed again, in batches, for
    the rows of candidate pairs only, to verify their true Jaccard. ``texts`` and ``keys`` are read only
    by slices and gathers, so a ``table_texts.TableTexts`` makes just the rows asked for."""
    bands, rows = lsh_params(threshold, num_perm, fp_weight, fn_weight)
    n = len(texts)
    band_key = np.zeros((n, bands), dtype=np.uint64)
    has = np.zeros(n, dtype=bool)
    for start in range(0, n, batch_rows):
        sig, has[start:start + batch_rows] = text_signatures(texts[start:start + batch_rows], num_perm, seed,
                                                             n_words, n_chars, min_units)
        band_key[start:start + batch_rows] = band_keys(sig, bands, rows)
    cand = candidate_pairs(band_key, has)
    del band_key
    return verified_clusters(texts, cand, threshold=threshold, bands=bands, rows=rows, n_words=n_words,
                             n_chars=n_chars, min_units=min_units, keys=keys, batch_rows=batch_rows,
                             pairs_ok=pairs_ok)


def verified_clusters(texts: Sequence[str], cand: np.ndarray, *, threshold: float, bands: int, rows: int,
                      n_words: int = 3, n_chars: int = 5, min_units: int = 3, keys: Sequence[Hashable] | None = None,
                      batch_rows: int = 20000, pairs_ok: PairFilter | None = None) -> Clusters:
    """The clusters of ``texts`` from their LSH candidate pairs ``cand`` (as ``candidate_pairs`` gives them):
    each pair that ``pairs_ok`` lets through has its true Jaccard verified on re-shingled rows, accepted pairs
    are joined by union-find. ``near_duplicate_clusters`` and the Ray engine (``audit/engine_ray.py``) share it."""
    n = len(texts)
    representative = np.full(n, -1, dtype=np.int64)
    jaccard = np.full(n, np.nan)
    if not len(cand):
        return Clusters(representative, jaccard, bands, rows, 0, 0)
    ok = np.ones(len(cand), dtype=bool) if pairs_ok is None else np.asarray(pairs_ok(cand), dtype=bool)
    involved = np.unique(cand[ok])
    sets: dict[int, np.ndarray] = {}
    key_of: dict[int, Hashable] = {}
    for start in range(0, len(involved), batch_rows):
        part = involved[start:start + batch_rows].tolist()
        sets.update(zip(part, shingle_hashes(values_at(texts, part), n_words, n_chars, min_units), strict=True))
        if keys is not None:
            key_of.update(zip(part, values_at(keys, part), strict=True))
    accepted = np.array([bool(passed) and (keys is None or key_of[i] == key_of[j])
                         and _jaccard(sets[i], sets[j]) >= threshold
                         for (i, j), passed in zip(cand.tolist(), ok.tolist(), strict=True)], dtype=bool)
    verified = int(accepted.sum())
    roots = component_representatives(n, cand[accepted, 0], cand[accepted, 1], np.arange(n))
    counts = np.bincount(roots, minlength=n)
    for i in np.flatnonzero(counts[roots] > 1).tolist():
        representative[i] = roots[i]
        jaccard[i] = 1.0 if roots[i] == i else _jaccard(sets[i], sets[int(roots[i])])
    return Clusters(representative, jaccard, bands, rows, len(cand), verified)
