"""The build keeps its selected examples as assignments and renders them again when it writes them:
the written order and content must be what shuffling the rendered ``Example`` objects gave."""

from __future__ import annotations

import json
import random
from array import array

import pytest

from ift_data.builder.expand import DatasetExpander
from ift_data.builder.picks import Picks, shuffled
from ift_data.builder.pipeline import run_build
from ift_data.builder.recipe import ExpansionSpec, FewShotSpec
from ift_data.builder.seeds import rng_for
from ift_data.resources import bundled
from ift_data.tasks.rows import TaskRow
from ift_data.templates.pack import load_pack


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000])
def test_shuffled_draws_as_random_shuffle(n: int) -> None:
    expected = list(range(n))
    random.Random(n).shuffle(expected)
    assert list(shuffled(random.Random(n), array("q", range(n)))) == expected


def test_records_are_small_and_grouped_by_row_in_creation_order() -> None:
    picks = Picks()
    for row, template, epoch, shots in [(3, 0, 0, 0), (1, 1, 0, 2), (3, 2, 1, 0), (0, 0, 1, 1)]:
        picks.add(row, template, epoch, shots)
    assert len(picks) == 4 and picks.few_shot() == 2
    assert list(picks.by_row()) == [(0, [3]), (1, [1]), (3, [0, 2])]
    assert picks.per_row(5).tolist() == [1, 1, 0, 2, 0]


def _ids(path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_written_order_is_the_shuffle_of_the_rendered_examples(small_project, tmp_path, helpers) -> None:
    data = helpers.yaml.safe_load(small_project.read_text())
    data["few_shot"] = {"share": 0.5, "k": 2, "max_chars": 600}
    data["mixing"] = {"mode": "proportional", "total": 300}  # more than one pass: epochs > 0
    helpers.write_yaml(small_project, data)
    out = tmp_path / "out"
    result = run_build(small_project, out)
    # the examples as the build made them before (a list of Example objects, shuffled as a whole)
    examples = [ex for o in result.outcomes.values() for ex in o.examples]
    assert len(examples) == 300 and any(ex.id.endswith(":e1") for ex in examples)
    rng_for(result.recipe.seed, "mixture-order").shuffle(examples)
    assert _ids(out / "train.segments.jsonl") == [ex.id for ex in examples]
    written = [json.loads(line) for line in (out / "train.segments.jsonl").read_text().splitlines()]
    again = {ex.id: ex for ex in examples}
    for row in written[:20]:  # rendered again at export: the same example as at selection
        example = again[row["id"]]
        assert row["source"]["shots"] == example.source.shots
        assert [m["content"] for m in row["messages"]] == [m.content for m in example.messages]
    manifest = json.loads((out / "manifest.json").read_text())
    for name, outcome in result.outcomes.items():
        made = list(outcome.examples)
        record = manifest["datasets"][name]
        assert record["examples"] == len(made)
        assert record["shots"]["few"] == sum(1 for ex in made if ex.source.shots)
        assert sum(record["templates"].values()) == len(made)


@pytest.mark.parametrize("expansion", [
    {"assignment": "round-robin"}, {"assignment": "random"}, {"assignment": "all"}, {"assignment": "k", "k": 2},
    {"assignment": "round-robin", "inverted_share": 0.3}, {"assignment": "random", "inverted_share": 0.3},
    {"assignment": "k", "k": 3, "inverted_share": 0.25}])
def test_assignment_arrays_and_pool_size_match_the_assignments(expansion) -> None:
    pack = load_pack(bundled("templates") / "sentiment.yaml")
    rows = [TaskRow({"text": f"row {i} was fine", "label": i % 2}, f"f:{i + 1}", "f", i + 1) for i in range(50)]
    expander = DatasetExpander("reviews", "train", rows, pack, ("negative", "positive"), ExpansionSpec(**expansion),
                               FewShotSpec(), seed=11)
    for epoch in (0, 1):
        pairs = expander.assignments(epoch)
        got_rows, got_templates = expander.assignment_arrays(epoch)
        assert list(zip(got_rows, got_templates, strict=True)) == pairs
    assert expander.pool_size() == len(expander.assignments(0)) > 0
