"""Label noise: out-of-fold probabilities + confident learning, with synthetic vectors (``graph: shared``)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ift_data.audit.base import AuditContext
from ift_data.audit.label_noise import (
    LabelNoiseSignal,
    anchor_noise_matrix,
    classification_groups,
    error_probability,
    group_probabilities,
    instruction_key,
    normalize_label,
    select_at_precision,
    suspicion_order,
)
from ift_data.embed.knn import KnnGraph
from ift_data.errors import UserError

RULES = {"label_noise": {"graph": "shared", "tfidf": False}}
PHRASINGS = ("Is this review positive, negative or neutral?", "Classify the sentiment of the text.",
             "What is the tone of this review?")


def classification_table(n_per_class: int = 60, flips: tuple[int, ...] = (3, 70, 97, 150), seed: int = 0,
                         spread: float = 0.3):
    rng = np.random.default_rng(seed)
    names = ["positive", "negative", "neutral"]
    centres = rng.normal(size=(3, 48))
    classes = np.repeat(np.arange(3), n_per_class)
    x = centres[classes] + spread * rng.normal(size=(len(classes), 48))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    labels = [names[c] for c in classes]
    for i in flips:
        labels[i] = names[(classes[i] + 1) % 3]
    labels = [lab.capitalize() + "." if i % 4 == 0 else lab for i, lab in enumerate(labels)]  # "Positive."
    n = len(labels)
    table = pl.DataFrame({"row_id": range(n), "instruction": [PHRASINGS[i % 3] for i in range(n)],
                          "input": [f"text {i}" for i in range(n)], "response": labels})
    return table, x, classes, names


def context(x: np.ndarray, rules: dict | None = None) -> AuditContext:
    graph = KnnGraph(np.zeros((len(x), 0), np.int64), np.zeros((len(x), 0), np.float32), x)
    return AuditContext(rules=rules or RULES, knn=lambda: graph)


def test_flipped_labels_are_found_with_suggestion() -> None:
    table, x, classes, names = classification_table(spread=0.15)
    result = LabelNoiseSignal().compute(table, context(x))
    flagged = np.flatnonzero(result.flags["flag_label_noise"]).tolist()
    assert flagged == [3, 70, 97, 150]
    suggested = result.columns["label_noise_suggested_label"].to_list()
    assert [suggested[i] for i in flagged] == [names[classes[i]] for i in flagged]
    error = result.columns["label_noise_error_probability"].to_numpy()
    assert error[flagged].min() > 0.5 > 0.1 > np.median(error)
    given = result.columns["label_noise_given_label_probability"].to_numpy()
    assert given[flagged].max() < np.median(given)
    assert result.columns["label_noise_label"].to_list()[0] == normalize_label("Positive.") == "positive"
    note = result.summary["classification_groups"]["negative/neutral/positive"]
    assert note["flagged"] == 4 and note["estimated_precision"] >= 0.8 and "not_flagged" not in note


def test_same_seed_same_result() -> None:
    table, x, _, _ = classification_table(spread=0.8)
    a = LabelNoiseSignal().compute(table, context(x))
    b = LabelNoiseSignal().compute(table, context(x))
    assert a.columns["label_noise_error_probability"].equals(b.columns["label_noise_error_probability"])
    assert np.array_equal(a.flags["flag_label_noise"], b.flags["flag_label_noise"])


def test_not_classification_like_is_skipped() -> None:
    table = pl.DataFrame({"row_id": range(30), "instruction": ["Write."] * 30, "input": [""] * 30,
                          "response": [f"A long free-form answer number {i} with many words in it." for i in range(30)]})
    result = LabelNoiseSignal().compute(table, AuditContext(rules={}))
    assert "not classification-like" in result.summary["skipped"] and not result.flags


def test_two_tasks_in_one_file_are_two_groups_and_free_rows_stay_out() -> None:
    sentiment = pl.DataFrame({"instruction": ["Is this review positive or negative?", "Label the sentiment."] * 10,
                              "input": [f"review {i}" for i in range(20)],
                              "response": ["positive", "negative", "Negative", "positive."] * 5})
    topics = pl.DataFrame({"instruction": [f"What is the topic of this article? Article {i}: ..." for i in range(24)],
                           "input": [""] * 24, "response": ["Sports", "World", "Business"] * 8})
    free = pl.DataFrame({"instruction": [f"Write a poem about {i}." for i in range(10)], "input": [""] * 10,
                         "response": [f"A poem about the number {i}, in several lines of verse." for i in range(10)]})
    table = pl.concat([sentiment, topics, free]).with_row_index("row_id")
    labels = [normalize_label(r) for r in table["response"].to_list()]
    groups = classification_groups(table, labels, AuditContext(rules={}), "label_noise")
    assert [(g.name, g.rows.tolist()) for g in groups] == [
        ("business/sports/world", list(range(20, 44))), ("negative/positive", list(range(20)))]


def test_instruction_key_joins_phrasings_with_the_text_inside() -> None:
    a = instruction_key("What is the topic of this article? Article 1: Stocks fell.", 6)
    b = instruction_key("what is the TOPIC of this article? Article 2: A goal.", 6)
    assert a == b == "what is the topic of this"


def test_unpredictable_group_abstains_with_the_reason() -> None:
    table, x, _, _ = classification_table()
    x = np.random.default_rng(7).permutation(x)  # vectors no longer tell the classes apart
    result = LabelNoiseSignal().compute(table, context(x))
    assert not np.asarray(result.flags["flag_label_noise"]).any()
    note = result.summary["classification_groups"]["negative/neutral/positive"]
    assert note["flagged"] == 0 and note["not_flagged"]
    # no skill over the majority label: no review list either (it would be the minority class), with the reason
    assert note["oof_skill"] < 0.2 and note["no_review_list"].startswith("the classifier hardly beats")
    assert result.columns["label_noise_issue"].null_count() == table.height and note["issues"] == 0
    assert result.columns["label_noise_suggested_label"].null_count() == table.height


def test_weak_but_skilled_group_keeps_its_review_list_while_the_flag_abstains() -> None:
    table, x, _, _ = classification_table(spread=1.2, seed=1)
    result = LabelNoiseSignal().compute(table, context(x))
    note = result.summary["classification_groups"]["negative/neutral/positive"]
    assert note["flagged"] == 0 and note["not_flagged"] and note["oof_skill"] >= 0.2 and "no_review_list" not in note
    issues = result.columns["label_noise_issue"].to_numpy()
    assert 0 < note["issues"] == issues.sum() == result.summary["issues"]
    suggested = result.columns["label_noise_suggested_label"]
    assert np.array_equal(suggested.is_not_null().to_numpy(), issues)  # suggested only where there is an issue


def test_weakly_predictable_group_abstains_when_few_errors_are_separable() -> None:
    table, x, _, _ = classification_table(n_per_class=80, flips=tuple(range(0, 240, 10)))
    rng = np.random.default_rng(3)
    vague = np.arange(240) % 4 != 0  # three rows in four carry no class signal at all
    x[vague] = rng.normal(size=(int(vague.sum()), x.shape[1]))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    result = LabelNoiseSignal().compute(table, context(x))
    note = result.summary["classification_groups"]["negative/neutral/positive"]
    assert not np.asarray(result.flags["flag_label_noise"]).any()
    assert "not_flagged" in note


def test_error_probability_follows_the_noise_model() -> None:
    matrix = np.array([[0.9, 0.1], [0.1, 0.9]])  # N[given][true]: 10 % flips each way
    clean = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    probs = clean @ matrix.T
    error, recovered = error_probability(probs, np.array([1, 1, 0]), matrix)
    assert np.allclose(recovered, clean)
    # row 0 is surely class 0 but labelled 1: wrong; row 1 surely 1: right; row 2: half and half, so wrong only if flipped: 0.05 / 0.5
    assert np.allclose(error, [1.0, 0.0, 0.1])


def test_anchor_noise_matrix_reads_the_most_confident_rows() -> None:
    probs = np.array([[0.9, 0.1]] * 5 + [[0.5, 0.5]] * 90 + [[0.2, 0.8]] * 5)
    matrix = anchor_noise_matrix(probs, 0.95)
    assert np.allclose(matrix, [[0.9, 0.2], [0.1, 0.8]])


def test_select_at_precision_keeps_the_largest_prefix_of_the_ranking() -> None:
    error = np.array([0.99, 0.2, 0.9, 0.7, 0.6, 0.95])
    order = np.array([0, 2, 3, 4, 1])  # row 5 is not ranked
    # running means along the order: 0.99, 0.945, 0.863, 0.798, 0.678
    assert np.flatnonzero(select_at_precision(error, order, 0.8)).tolist() == [0, 2, 3]
    assert not select_at_precision(error, order, 0.999).any()
    assert not select_at_precision(error, np.array([], np.int64), 0.5).any()


def test_suspicion_order_by_self_confidence_or_by_error_among_candidates() -> None:
    probs = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8], [0.55, 0.45]])
    codes = np.array([0, 0, 1, 1, 0])
    error = np.array([0.0, 0.9, 0.5, 0.1, 0.95])
    assert suspicion_order(probs, codes, error, "self_confidence").tolist() == [1, 2, 4, 3, 0]
    # candidates: thresholds 0.583 (class 0) and 0.6 (class 1) -> rows 1 and 2 only; row 4 (0.55 < 0.583) has
    # no other class at its threshold (0.45 < 0.6)
    assert suspicion_order(probs, codes, error, "error").tolist() == [1, 2]
    with pytest.raises(UserError, match="label_noise.rank"):
        suspicion_order(probs, codes, error, "margin")
    table, x, _, _ = classification_table()
    with pytest.raises(UserError, match="self_confidence, error, not 'margin'"):
        LabelNoiseSignal().compute(table, context(x, {"label_noise": {**RULES["label_noise"], "rank": "margin"}}))
    before = LabelNoiseSignal().compute(table, context(x, {"label_noise": {**RULES["label_noise"], "rank": "error"}}))
    assert np.flatnonzero(before.flags["flag_label_noise"]).tolist() == [3, 70, 97, 150]


def test_flags_follow_the_given_label_probability() -> None:
    table, x, _, _ = classification_table(spread=0.6, seed=1)
    result = LabelNoiseSignal().compute(table, context(x))
    flagged = np.asarray(result.flags["flag_label_noise"], bool)
    given = result.columns["label_noise_given_label_probability"].to_numpy()
    assert flagged.any() and given[flagged].max() <= given[~flagged].min()
    note = result.summary["classification_groups"]["negative/neutral/positive"]
    error = result.columns["label_noise_error_probability"].to_numpy()
    assert note["estimated_precision"] == round(float(error[flagged].mean()), 4) >= 0.8


def test_group_probabilities_are_the_signals() -> None:
    table, x, _, _ = classification_table(spread=0.6, seed=1)
    result = LabelNoiseSignal().compute(table, context(x))
    labels = result.columns["label_noise_label"].to_list()
    classes = sorted(set(labels))
    codes = np.array([classes.index(label) for label in labels])
    probs = group_probabilities([f"text {i}" for i in range(table.height)], x, codes, 3, 5, context(x))
    given = result.columns["label_noise_given_label_probability"].to_numpy()
    assert np.allclose(probs[np.arange(codes.size), codes], given)
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_issue_column_is_cleanlabs_find_label_issues_on_the_same_probabilities() -> None:
    """The review list is exactly cleanlab's ``find_label_issues`` (defaults) on the signal's probabilities; it
    holds more rows than the flag, includes the flagged rows here, and rows outside every group are null."""
    from cleanlab.filter import find_label_issues

    table, x, _, _ = classification_table(spread=0.6, seed=1)
    free = pl.DataFrame({"row_id": [900, 901], "instruction": ["Write a poem.", "Write a song."], "input": ["", ""],
                         "response": ["Roses bloom in the quiet garden at dawn.", "La la la, the night is long."]})
    result = LabelNoiseSignal().compute(pl.concat([table, free]), context(np.vstack([x, x[:2]])))
    labels = result.columns["label_noise_label"].to_list()[: table.height]
    classes = sorted(set(labels))
    codes = np.array([classes.index(label) for label in labels])
    probs = group_probabilities([f"text {i}" for i in range(table.height)], x, codes, 3, 5, context(x))
    issues = result.columns["label_noise_issue"].to_list()
    assert issues[table.height:] == [None, None]
    assert np.array_equal(np.array(issues[: table.height], bool), find_label_issues(codes, probs))
    flagged = np.asarray(result.flags["flag_label_noise"], bool)[: table.height]
    assert flagged.any() and sum(issues[: table.height]) > flagged.sum()
    assert np.array(issues[: table.height], bool)[flagged].all()
    assert result.summary["issues"] == sum(issues[: table.height])


def test_small_classes_abstain_with_the_reason() -> None:
    table, x, _, _ = classification_table(n_per_class=30, flips=(3, 40), spread=0.15)  # 30 rows a class
    result = LabelNoiseSignal().compute(table, context(x))
    note = result.summary["classification_groups"]["negative/neutral/positive"]
    assert not np.asarray(result.flags["flag_label_noise"]).any()
    assert note["not_flagged"].startswith("too few rows to show precision")
    loose = {"label_noise": {**RULES["label_noise"], "min_class_rows": 20}}
    assert np.flatnonzero(LabelNoiseSignal().compute(table, context(x, loose)).flags["flag_label_noise"]).tolist() \
        == [3, 40]


def test_groups_with_the_same_labels_get_distinct_names() -> None:
    a = pl.DataFrame({"instruction": ["Is this review positive or negative?"] * 12, "input": [""] * 12,
                      "response": ["positive", "negative"] * 6})
    b = pl.DataFrame({"instruction": ["Rate the tweet below as positive or negative."] * 12, "input": [""] * 12,
                      "response": ["positive", "negative"] * 6})
    table = pl.concat([a, b]).with_row_index("row_id").with_columns(
        category=pl.Series(["reviews"] * 12 + ["tweets"] * 12))
    labels = [normalize_label(r) for r in table["response"].to_list()]
    names = [g.name for g in classification_groups(table, labels, AuditContext(rules={}), "label_noise")]
    assert names == ["reviews: negative/positive", "tweets: negative/positive"]
    same_scope = table.with_columns(category=pl.lit("x"))
    # one scope, two phrasings sharing labels: one group
    assert len(classification_groups(same_scope, labels, AuditContext(rules={}), "label_noise")) == 1
