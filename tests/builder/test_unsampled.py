"""Rows the mixture does not sample: counted in the accounting, listed as one line per run of consecutive rows
(``line``, ``last_line``, ``rows``), or one line per row with ``--list-unsampled``; the sample itself is the
same either way, and the lazy draw is the order ``Random.sample`` gives."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from ift_data.builder.outcome import lazy_permutation
from ift_data.cli import main


def _build(recipe: Path, out: Path, *args: str) -> tuple[dict, list[dict]]:
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(out), *args], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    return manifest, rejects


def test_runs_of_unsampled_rows_are_one_line_each(tasks, make_recipe, helpers, tmp_path):
    train = tasks.jsonl("reviews", helpers.sentiment_records(300))
    recipe = make_recipe([{"task": str(train)}], mixing={"mode": "proportional", "total": 12})
    manifest, ranges = _build(recipe, tmp_path / "ranges")
    _, rows = _build(recipe, tmp_path / "rows", "--list-unsampled")
    d = manifest["datasets"]["reviews"]
    assert (d["rows_in"], d["rows_used"], d["rows_not_sampled"]) == (300, 12, 288)
    assert manifest["rejects"]["by_stage"] == {"mix": 288}
    assert manifest["rejects"]["count"] == len(ranges) <= 13  # at most one run before, between and after 12 rows
    assert sum(r["rows"] for r in ranges) == 288 and all(r["stage"] == "mix" for r in ranges)
    assert len(rows) == 288 and not any("rows" in r for r in rows)
    listed = {r["line"] for r in rows}  # the runs cover exactly the rows listed one by one
    assert {n for r in ranges for n in range(r["line"], r["last_line"] + 1)} == listed
    assert all(r["last_line"] - r["line"] + 1 == r["rows"] for r in ranges)  # one JSONL line per row here
    assert (tmp_path / "ranges" / "train.segments.jsonl").read_bytes() == \
        (tmp_path / "rows" / "train.segments.jsonl").read_bytes()


def test_same_seed_same_rejects_bytes(tasks, make_recipe, helpers, tmp_path):
    train = tasks.jsonl("reviews", helpers.sentiment_records(120))
    recipe = make_recipe([{"task": str(train)}], mixing={"mode": "proportional", "total": 30})
    _build(recipe, tmp_path / "a")
    _build(recipe, tmp_path / "b")
    for name in ("rejects.jsonl", "train.segments.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000, 4097])
def test_lazy_permutation_is_random_sample_order(n):
    for seed in range(4):
        assert list(lazy_permutation(random.Random(seed), n)) == random.Random(seed).sample(range(n), n)


def test_lazy_permutation_prefix_needs_no_full_list():
    taken = []
    for position in lazy_permutation(random.Random(3), 10**12):  # a list this long could never be made
        taken.append(position)
        if len(taken) == 5:
            break
    assert len(set(taken)) == 5 and all(0 <= p < 10**12 for p in taken)
