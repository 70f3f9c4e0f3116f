"""The masking recommendation follows rules/masking.yaml and never changes the mode in use."""

from __future__ import annotations

import pytest

from ift_data.chat.recommend import (
    DEFAULT_RULES,
    RULES_FILE,
    Recommendation,
    load_rules,
    recommend_for_texts,
    recommend_mask_mode,
    text_lengths,
)
from ift_data.errors import SpecError


def test_rules_file_matches_built_in_defaults():
    assert RULES_FILE.exists()
    assert load_rules() == DEFAULT_RULES


@pytest.mark.parametrize(("inst", "resp", "n", "mode", "why"), [
    ([30.0], [10.0], 50_000, "instruction", "R = 3.00 >= 3"),
    ([10.0], [10.0], 5_000, "instruction", "N = 5,000 <= 10,000"),
    ([5.0], [10.0], 326_000, "response", "R = 0.50 <= 1"),
    ([20.0], [10.0], 50_000, "response", "no clear evidence"),
    ([], [], 0, "response", "no examples"),
    ([5.0], [0.0], 50_000, "response", "R = n/a"),
])
def test_recommendation_rules(inst, resp, n, mode, why):
    rec = recommend_mask_mode(inst * n, resp * n, "words")
    assert rec.mode == mode
    assert why in rec.reason
    assert "\n" not in rec.reason
    assert rec.to_json()["n_examples"] == n
    assert Recommendation.from_json(rec.to_json()) == rec


def test_ratio_is_a_ratio_of_means():
    """R = mean instruction length / mean response length (arXiv 2405.14394), not mean of row ratios."""
    rec = recommend_mask_mode([10, 2], [1, 9], "words")
    assert rec.ratio == 1.2 and rec.mean_instruction_length == 6 and rec.mean_response_length == 5
    with pytest.raises(ValueError):
        recommend_mask_mode([1], [1, 2], "words")
    with pytest.raises(ValueError):
        recommend_mask_mode([1], [1], "characters")


def test_custom_rules_and_bad_rules(tmp_path):
    path = tmp_path / "masking.yaml"
    path.write_text("small_dataset_max: 100\n", encoding="utf-8")
    rules = load_rules(path)
    assert recommend_mask_mode([1.0] * 5_000, [1.0] * 5_000, "words", rules).mode == "response"
    path.write_text("small_dataset_max: -1\n", encoding="utf-8")
    with pytest.raises(SpecError, match="non-negative"):
        load_rules(path)
    path.write_text("typo: 1\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_rules(path)
    assert info.value.field == "typo"
    with pytest.raises(SpecError, match="not found"):
        load_rules(tmp_path / "missing.yaml")


def test_units():
    """Words are the audit's script-aware units: each character of an unspaced script is one."""
    assert text_lengths(["a b  c", ""], "words") == [3, 0]
    assert text_lengths(["今天 好", "说 hello world。"], "words") == [3, 3]
    assert recommend_for_texts(["今天天气很好"], ["好"]).ratio == 6.0
    with pytest.raises(ValueError):
        text_lengths(["x"], "tokens")
    with pytest.raises(ValueError):
        text_lengths(["x"], "characters")
