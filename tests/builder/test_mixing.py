"""Mixing rates (seqio's formulas), exact allocation, nested collections, and realized rates of a real build."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ift_data.builder.mixing import (
    allocate,
    equal_rates,
    fixed_rates,
    proportional_rates,
    rates_for,
    temperature_rates,
)
from ift_data.builder.plan import default_total, leaf_rates, plan_counts
from ift_data.builder.recipe import Collection, DatasetEntry, MixingSpec

SIZES = {"big": 50_000, "mid": 8_000, "small": 1_200, "tiny": 90}


def formula(sizes: dict[str, int], cap: int | None) -> dict[str, float]:
    capped = {k: min(n, cap) if cap is not None else n for k, n in sizes.items()}
    total = sum(capped.values())
    return {k: v / total for k, v in capped.items()}


@pytest.mark.parametrize("cap", [None, 100, 3_000, 10_000, 10**9])
def test_proportional_with_cap_matches_formula(cap: int | None) -> None:
    rates = proportional_rates(SIZES, cap)
    expected = formula(SIZES, cap)
    assert rates.keys() == expected.keys()
    for name in SIZES:
        assert rates[name] == pytest.approx(expected[name], rel=1e-12)
    assert math.fsum(rates.values()) == pytest.approx(1.0)


def test_proportional_cap_values() -> None:
    rates = proportional_rates(SIZES, 3_000)
    # min(n, 3000) = 3000, 3000, 1200, 90 -> sum 7290
    assert rates == pytest.approx({"big": 3000 / 7290, "mid": 3000 / 7290, "small": 1200 / 7290, "tiny": 90 / 7290})


@pytest.mark.parametrize("temperature", [1.0, 2.0, 3.0, 0.5, 100.0])
def test_temperature_formula(temperature: float) -> None:
    cap = 10_000
    base = formula(SIZES, cap)
    powered = {k: v ** (1 / temperature) for k, v in base.items()}
    expected = {k: v / sum(powered.values()) for k, v in powered.items()}
    assert temperature_rates(SIZES, temperature, cap) == pytest.approx(expected, rel=1e-12)


def test_temperature_one_is_proportional_and_large_is_near_equal() -> None:
    assert temperature_rates(SIZES, 1.0) == pytest.approx(proportional_rates(SIZES))
    hot = temperature_rates(SIZES, 1e6)
    assert all(abs(v - 0.25) < 1e-3 for v in hot.values())
    with pytest.raises(ValueError):
        temperature_rates(SIZES, 0)


def test_equal_and_fixed() -> None:
    sizes = dict(SIZES, empty=0)
    assert equal_rates(sizes) == {"big": 0.25, "mid": 0.25, "small": 0.25, "tiny": 0.25, "empty": 0.0}
    weights = {"big": 1.0, "mid": 3.0, "small": 0.0, "tiny": 4.0, "empty": 5.0}
    assert fixed_rates(weights, sizes) == pytest.approx({"big": 0.125, "mid": 0.375, "small": 0.0, "tiny": 0.5,
                                                        "empty": 0.0})


def test_rates_for_dispatch() -> None:
    weights = dict.fromkeys(SIZES, 1.0)
    assert rates_for("proportional", SIZES, weights, weight_cap=500, temperature=2) == proportional_rates(SIZES, 500)
    assert rates_for("temperature", SIZES, weights, weight_cap=500, temperature=2) == temperature_rates(SIZES, 2, 500)
    assert rates_for("equal", SIZES, weights, weight_cap=None, temperature=1) == equal_rates(SIZES)
    with pytest.raises(ValueError):
        rates_for("zipf", SIZES, weights, weight_cap=None, temperature=1)


def test_all_empty_gives_zero_rates() -> None:
    assert proportional_rates({"a": 0, "b": 0}) == {"a": 0.0, "b": 0.0}


@settings(max_examples=200, deadline=None)
@given(sizes=st.dictionaries(st.text("abcdefgh", min_size=1, max_size=4), st.integers(1, 10**6), min_size=1,
                             max_size=8),
       cap=st.one_of(st.none(), st.integers(1, 10**5)), total=st.integers(0, 10**6))
def test_allocate_sums_to_total_and_stays_within_one(sizes, cap, total) -> None:
    rates = proportional_rates(sizes, cap)
    counts = allocate(rates, total)
    assert sum(counts.values()) == total
    for name, rate in rates.items():
        assert abs(counts[name] - rate * total) < 1 + 1e-9
        assert counts[name] >= 0


def test_allocate_is_deterministic_on_ties() -> None:
    assert allocate({"b": 1 / 3, "a": 1 / 3, "c": 1 / 3}, 4) == {"a": 2, "b": 1, "c": 1}
    with pytest.raises(ValueError):
        allocate({"a": 1.0}, -1)


# -- nested collections ----------------------------------------------------------------------------

def entry(name: str, weight: float = 1.0) -> DatasetEntry:
    return DatasetEntry(name=name, task=None, weight=weight)  # type: ignore[arg-type]


def test_nested_collections_multiply_shares() -> None:
    inner = Collection("inner", (entry("a"), entry("b")), MixingSpec(mode="equal"))
    other = Collection("other", (entry("c"), entry("d")), MixingSpec(mode="proportional"))
    root = Collection("root", (inner, other, entry("e")), MixingSpec(mode="proportional", weight_cap=1_000))
    sizes = {"a": 300, "b": 100, "c": 3_000, "d": 1_000, "e": 250}
    rates = leaf_rates(root, sizes)
    # root: min(400, 1000)=400, min(4000, 1000)=1000, 250 -> 400/1650, 1000/1650, 250/1650
    inner_share, other_share, e_share = 400 / 1650, 1000 / 1650, 250 / 1650
    assert rates == pytest.approx({"a": inner_share / 2, "b": inner_share / 2, "c": other_share * 0.75,
                                   "d": other_share * 0.25, "e": e_share})
    assert math.fsum(rates.values()) == pytest.approx(1.0)
    assert default_total(root, sizes) == 1650


def test_fixed_weights_in_a_collection_and_plan_total() -> None:
    root = Collection("root", (entry("a", 3.0), entry("b", 1.0)), MixingSpec(mode="fixed", total=1_001))
    rates, counts, total = plan_counts(root, {"a": 10, "b": 10_000})
    assert rates == pytest.approx({"a": 0.75, "b": 0.25})
    assert total == 1_001 and sum(counts.values()) == 1_001
    assert counts == {"a": 751, "b": 250}


# -- a real build of >= 20,000 examples: realized rates within 1 percentage point of the formula -----

@pytest.mark.parametrize("scale", [pytest.param(1, id="20k"), pytest.param(4, id="5k")])
def test_realized_rates_of_a_20k_build(tmp_path: Path, tasks, make_recipe, helpers, scale: int) -> None:
    """The issue's check (20,000 examples, ~12 s) and the same build at a quarter of the size."""
    from ift_data.builder.pipeline import run_build

    sizes = {name: n // scale for name, n in {"huge": 12_000, "large": 6_000, "medium": 2_500, "small": 400}.items()}
    cap, total = 4_000 // scale, 20_000 // scale
    entries = [{"task": str(tasks.jsonl(name, helpers.sentiment_records(n, name)))} for name, n in sizes.items()]
    recipe = make_recipe(entries, mixing={"mode": "proportional", "weight_cap": cap, "total": total})
    result = run_build(recipe, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    expected = formula(sizes, cap)
    assert manifest["mixing"]["total_written"] == total >= 20_000 // scale
    for name, rate in expected.items():
        record = manifest["datasets"][name]
        assert abs(record["realized_rate"] - rate) <= 0.01, (name, record["realized_rate"], rate)
        assert record["requested_rate"] == pytest.approx(rate, abs=1e-6)
        assert abs(record["examples"] - rate * total) <= 1
    lines = (tmp_path / "out" / "train.segments.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == total
    by_dataset: dict[str, int] = {}
    for line in lines:
        dataset = json.loads(line)["source"]["dataset"]
        by_dataset[dataset] = by_dataset.get(dataset, 0) + 1
    for name, rate in expected.items():
        assert abs(by_dataset[name] / total - rate) <= 0.01
    assert result.manifest["datasets"] == manifest["datasets"]
