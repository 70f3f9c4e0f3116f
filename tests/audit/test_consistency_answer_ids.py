"""consistency's answer ids (issue 12: keys kept as hashes, built in batches): two rows of one prompt group
share an id exactly when their answer keys are equal, whatever the batch size, even when hashes collide."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ift_data.audit import consistency
from ift_data.audit.consistency import answer_ids, answer_key, differs_outside_cluster

RESPONSES = ["Red, blue and yellow.", "red, yellow and blue", "Green.", "green", "<", ">", "?", "!", "",
             "Paris", "paris!", "Lyon", "红色", "红色。", "蓝色"]
ROOTS = np.array([0, 0, 0, 0, 4, 4, 6, 6, 8, 9, 9, 9, 12, 12, 12])


def _keys(responses: list[str]) -> list[str]:
    return pl.select(answer_key(pl.lit(pl.Series(responses)))).to_series().to_list()


def _same_answer_pairs(ids: np.ndarray, roots: np.ndarray) -> set[tuple[int, int]]:
    n = len(ids)
    return {(i, j) for i in range(n) for j in range(i + 1, n) if roots[i] == roots[j] and ids[i] == ids[j]}


def _expected() -> set[tuple[int, int]]:
    keys = _keys(RESPONSES)
    n = len(keys)
    return {(i, j) for i in range(n) for j in range(i + 1, n) if ROOTS[i] == ROOTS[j] and keys[i] == keys[j]}


def test_expected_pairs_are_the_material_equalities() -> None:
    assert _expected() == {(0, 1), (2, 3), (9, 10), (12, 13)}  # "<"/">" and "?"/"!" stay different


@pytest.mark.parametrize("batch_rows", [1, 2, 4, 65_536])
def test_ids_match_keys_in_every_batch_size(batch_rows: int) -> None:
    ids = answer_ids(pl.Series(RESPONSES), ROOTS, batch_rows=batch_rows)
    assert ids.dtype == np.int64 and len(ids) == len(RESPONSES)
    assert _same_answer_pairs(ids, ROOTS) == _expected()


def test_colliding_hashes_never_merge_different_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consistency, "_key_hashes", lambda responses, batch_rows: np.zeros(len(responses), np.uint64))
    ids = answer_ids(pl.Series(RESPONSES), ROOTS, batch_rows=3)
    assert _same_answer_pairs(ids, ROOTS) == _expected()


def test_rows_of_different_groups_are_never_compared() -> None:
    roots = np.arange(len(RESPONSES))  # every row its own group: nothing to share
    ids = answer_ids(pl.Series(RESPONSES), roots)
    assert len(np.unique(ids)) == len(RESPONSES)
    assert answer_ids(pl.Series([], dtype=pl.Utf8), np.zeros(0, np.int64)).shape == (0,)


def _pairwise(group: np.ndarray, answer: np.ndarray, cluster: np.ndarray) -> list[bool]:
    n = len(group)
    return [any(group[j] == group[i] and answer[j] != answer[i] and cluster[j] != cluster[i] for j in range(n))
            for i in range(n)]


@pytest.mark.parametrize("seed", range(5))
def test_differs_outside_cluster_is_the_pairwise_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    group, answer, cluster = (rng.integers(0, k, n) for k in (120, 3, 3))
    got = differs_outside_cluster(group, answer, cluster)
    assert got.tolist() == _pairwise(group, answer, cluster)
    assert 0 < got.sum() < n  # both outcomes occur


def test_differs_outside_cluster_small_cases() -> None:
    # one group: rows 0 and 1 are one cluster with different answers (a duplicate, not a conflict);
    # row 2 answers like row 0 but is outside their cluster; row 3 answers otherwise, outside: a conflict.
    group = np.array([0, 0, 0, 0, 5])
    answer = np.array([1, 2, 1, 3, 9])
    cluster = np.array([7, 7, 8, 9, 5])
    assert differs_outside_cluster(group, answer, cluster).tolist() == [True, True, True, True, False]
    assert differs_outside_cluster(group[:2], answer[:2], cluster[:2]).tolist() == [False, False]
    assert differs_outside_cluster(*(np.zeros(0, np.int64),) * 3).shape == (0,)
