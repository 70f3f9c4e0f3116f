"""MinHash clustering in bounded memory: batch size never changes the clusters or the counts."""

from __future__ import annotations

import random

import numpy as np

from ift_data.audit.minhash import band_keys, candidate_pairs, near_duplicate_clusters

WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau "
         "upsilon phi chi psi omega").split()


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(WORDS) for _ in range(30)) for _ in range(n)]
    for i in range(0, n - 1, 5):  # near copies: one word changed at the end
        texts[i + 1] = texts[i].rsplit(" ", 1)[0] + " changed"
    texts[3] = ""  # no shingles: never a candidate
    texts[4] = "日本語の文章です。" * 5  # an unspaced script: character shingles
    texts[6] = texts[4]
    return texts


def test_batch_size_does_not_change_clusters() -> None:
    texts = _texts(120)
    whole = near_duplicate_clusters(texts, threshold=0.8, batch_rows=10_000)
    for batch in (1, 7, 50):
        part = near_duplicate_clusters(texts, threshold=0.8, batch_rows=batch)
        assert np.array_equal(part.representative, whole.representative)
        assert np.array_equal(part.jaccard, whole.jaccard, equal_nan=True)
        assert (part.candidate_pairs, part.verified_pairs) == (whole.candidate_pairs, whole.verified_pairs)
    assert whole.representative[1] == 0 and whole.representative[0] == 0
    assert whole.representative[3] == -1
    assert whole.representative[6] == 4


def test_band_keys_equal_exactly_when_bands_equal() -> None:
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, size=(6, 8), dtype=np.uint64).astype(np.uint32)
    sig[1, :4] = sig[0, :4]  # same first band (rows 0-3 with 2 bands x 4 rows)
    sig[2, 4:] = sig[0, 4:]  # same second band
    keys = band_keys(sig, bands=2, rows=4)
    assert keys[0, 0] == keys[1, 0] and keys[0, 1] != keys[1, 1]
    assert keys[0, 1] == keys[2, 1] and keys[0, 0] != keys[2, 0]
    pairs = candidate_pairs(keys, np.ones(6, dtype=bool))
    assert pairs.tolist() == [[0, 1], [0, 2]]
    assert candidate_pairs(keys, np.array([True, False, True, True, True, True])).tolist() == [[0, 2]]
