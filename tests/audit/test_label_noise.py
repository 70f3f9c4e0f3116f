"""kNN label noise (confident learning on the graph) with synthetic vectors and a shared graph."""

from __future__ import annotations

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext
from ift_data.audit.label_noise import LabelNoiseSignal, confident_learning, normalize_label
from ift_data.embed.knn import build_knn


def classification_table(n_per_class: int = 40, flips: tuple[int, ...] = (3, 50, 97), seed: int = 0):
    rng = np.random.default_rng(seed)
    names = ["positive", "negative", "neutral"]
    centres = rng.normal(size=(3, 48))
    classes = np.repeat(np.arange(3), n_per_class)
    x = centres[classes] + 0.3 * rng.normal(size=(len(classes), 48))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    labels = [names[c] for c in classes]
    for i in flips:
        labels[i] = names[(classes[i] + 1) % 3]
    labels = [lab.capitalize() + "." if i % 4 == 0 else lab for i, lab in enumerate(labels)]  # "Positive."
    table = pl.DataFrame({"row_id": range(len(labels)), "instruction": ["Classify."] * len(labels),
                          "input": [f"text {i}" for i in range(len(labels))], "response": labels})
    return table, x, classes, names


def test_flipped_labels_are_found_with_suggestion() -> None:
    table, x, classes, names = classification_table()
    graph = build_knn(x, 10, method="flat")
    ctx = AuditContext(rules={"label_noise": {"graph": "shared"}}, knn=lambda: graph)
    result = LabelNoiseSignal().compute(table, ctx)
    flagged = np.flatnonzero(result.flags["flag_label_noise"]).tolist()
    assert flagged == [3, 50, 97]
    suggested = result.columns["label_noise_suggested_label"].to_list()
    assert [suggested[i] for i in flagged] == [names[classes[i]] for i in flagged]
    probability = result.columns["label_noise_given_label_probability"].to_numpy()
    assert probability[flagged].max() < np.nanmedian(probability)
    assert result.columns["label_noise_label"].to_list()[0] == normalize_label("Positive.") == "positive"


def test_not_classification_like_is_skipped() -> None:
    table = pl.DataFrame({"row_id": range(30), "instruction": ["Write."] * 30, "input": [""] * 30,
                          "response": [f"A long free-form answer number {i} with many words in it." for i in range(30)]})
    result = LabelNoiseSignal().compute(table, AuditContext(rules={}))
    assert "not classification-like" in result.summary["skipped"] and not result.flags


def test_groups_by_category() -> None:
    table, x, _, _ = classification_table(flips=(5,))
    free = pl.DataFrame({"row_id": range(120, 150), "instruction": ["Write."] * 30, "input": [""] * 30,
                         "response": [f"Essay {i} about things and more things." for i in range(30)]})
    both = pl.concat([table.with_columns(category=pl.lit("sentiment")), free.with_columns(category=pl.lit("essay"))])
    xs = np.concatenate([x, np.random.default_rng(1).normal(size=(30, 48)).astype(np.float32)])
    xs /= np.linalg.norm(xs, axis=1, keepdims=True)
    graph = build_knn(xs, 10, method="flat")
    result = LabelNoiseSignal().compute(both, AuditContext(rules={"label_noise": {"graph": "shared"}},
                                                           knn=lambda: graph))
    assert list(result.summary["classification_groups"]) == ["sentiment"]
    assert np.flatnonzero(result.flags["flag_label_noise"]).tolist() == [5]
    assert result.columns["label_noise_label"].to_list()[130] is None


def test_confident_learning_thresholds() -> None:
    codes = np.array([0, 0, 0, 1, 1, 1])
    neighbours = np.array([[1, 2], [0, 2], [0, 1], [4, 5], [3, 5], [0, 1]])  # row 5 sits among class 0
    given, suggested, flagged, agrees = confident_learning(codes, neighbours, 2, min_neighbours=2,
                                                           max_probability=0.2)
    assert flagged.tolist() == [False] * 5 + [True] and suggested[5] == 0 and given[5] == 0.0
    assert agrees.tolist() == [True] * 5 + [False]


def test_unpredictable_group_is_not_flagged() -> None:
    table, x, _, _ = classification_table()
    x = np.random.default_rng(7).permutation(x)  # vectors no longer tell the classes apart
    graph = build_knn(x, 10, method="flat")
    result = LabelNoiseSignal().compute(table, AuditContext(rules={"label_noise": {"graph": "shared"}},
                                                            knn=lambda: graph))
    assert not np.asarray(result.flags["flag_label_noise"]).any()
    assert "not predictable" in result.summary["classification_groups"]["(all)"]["not_flagged"]
