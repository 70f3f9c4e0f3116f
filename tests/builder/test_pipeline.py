"""``ift-data build`` end to end: default recipe, determinism, rejects and accounting, held-out clusters,
DMT stages, recipe validation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ift_data.builder.pipeline import run_build
from ift_data.cli import main

PROJECT = Path(__file__).resolve().parents[2]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def manifest_of(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_accounting(manifest: dict) -> None:
    for name, d in manifest["datasets"].items():
        assert d["rows_in"] == d["rows_used"] + d["rows_hard_capped"] + d["rows_not_sampled"] + d["rows_rejected"], name
    acc = manifest["accounting"]
    assert acc["rows_in"] == acc["rows_used"] + acc["rows_hard_capped"] + acc["rows_not_sampled"] + acc["rows_rejected"]


# -- the bundled default ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def default_build(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """``ift-data build`` with no arguments, run in a folder holding copies of templates/ and data_samples/."""
    work = tmp_path_factory.mktemp("fresh")
    shutil.copytree(PROJECT / "templates", work / "templates")
    shutil.copytree(PROJECT / "data_samples", work / "data_samples")
    env = dict(os.environ, COLUMNS="200")
    cli = [sys.executable, "-c", "from ift_data.cli import main; main()", "build"]
    done = subprocess.run(cli, cwd=work, capture_output=True, text=True, timeout=300, env=env)
    return work, done


def test_default_build_with_no_arguments(default_build) -> None:
    work, done = default_build
    assert done.returncode == 0, done.stderr
    assert "ift-data build: default" in done.stdout
    for column in ("dataset", "examples"):
        assert column in done.stdout
    out = work / "out"
    manifest = manifest_of(out)
    for name in manifest["datasets"]:
        assert name[:12] in done.stdout
    assert manifest["mixing"]["total_written"] > 0
    assert (out / "train.segments.jsonl").is_file() and (out / "rejects.jsonl").is_file()
    train = read_jsonl(out / "train.segments.jsonl")
    assert len(train) == manifest["mixing"]["total_written"]
    assert_accounting(manifest)
    # the default recipe holds NLI out: nothing from that cluster is trained on
    held = manifest["held_out"]["datasets"]
    assert held and all(not d["in_train"] for d in held.values())
    assert not {row["source"]["dataset"] for row in train} & set(held)


def test_same_recipe_and_seed_give_byte_identical_files(default_build) -> None:
    work, done = default_build
    assert done.returncode == 0, done.stderr
    first = files_of(work / "out")
    again = subprocess.run([sys.executable, "-c", "from ift_data.cli import main; main()", "build"], cwd=work,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    second = files_of(work / "out")
    assert first.keys() == second.keys()
    assert len(first) >= 4
    for name in first:
        assert first[name] == second[name], name


def test_in_process_build_is_deterministic_with_every_random_choice(small_project, tmp_path, helpers) -> None:
    data = helpers.yaml.safe_load(small_project.read_text())
    data["expansion"] = {"assignment": "random", "options": "random", "option_target": "marker"}
    data["few_shot"] = {"share": 0.5, "k": 2, "max_chars": 600}
    data["datasets"][0]["hard_cap"] = 40
    data["mixing"] = {"mode": "temperature", "temperature": 2.0, "total": 150}
    helpers.write_yaml(small_project, data)
    out = tmp_path / "out"
    run_build(small_project, out)
    first = files_of(out)
    run_build(small_project, out)
    assert files_of(out) == first
    run_build(small_project, out, seed=99)
    other = files_of(out)
    assert other["train.segments.jsonl"] != first["train.segments.jsonl"]


# -- malformed raw input: rejects and accounting ----------------------------------------------------------

@pytest.fixture
def messy_recipe(tasks, make_recipe, helpers) -> Path:
    csv_spec = {"family": "sentiment", "source": {"format": "csv", "splits": {"train": "train.csv"}},
                "fields": {"text": "text", "label": "label"}, "labels": {0: "negative", 1: "positive"}}
    good = "".join(f"row {i} is fine,{i % 2}\n" for i in range(30))
    csv_path = tasks.raw("csv_reviews", "train.csv",
                         "text,label\n" + good + '"broken "quote" row",1\nunknown label row,7\n', csv_spec)
    records = [{"text": f"json row {i}", "label": i % 2} for i in range(40)]
    jsonl = "".join(json.dumps(r) + "\n" for r in records[:20])
    jsonl += '{"text": "cut off\n' + json.dumps({"txt": "missing text", "label": 0}) + "\n"
    jsonl += "".join(json.dumps(r) + "\n" for r in records[20:])
    jsonl_spec = dict(csv_spec, source={"format": "jsonl", "splits": {"train": "train.jsonl"}})
    jsonl_path = tasks.raw("jsonl_reviews", "train.jsonl", jsonl, jsonl_spec)
    big = tasks.jsonl("big_reviews", helpers.sentiment_records(120, "big"))
    return make_recipe([{"task": str(csv_path)}, {"task": str(jsonl_path), "hard_cap": 30},
                        {"task": str(big)}], mixing={"mode": "proportional", "weight_cap": 50})


def test_malformed_inputs_become_rejects_with_file_line_field(messy_recipe, tmp_path, tasks) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(messy_recipe), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rejects = read_jsonl(out / "rejects.jsonl")
    for reject in rejects:  # paths may be written relative to the recipe's folder
        reject["file"] = str((messy_recipe.parent / reject["file"]).resolve())
    csv_file = str(tasks.root / "csv_reviews" / "train.csv")
    jsonl_file = str(tasks.root / "jsonl_reviews" / "train.jsonl")
    read_map = {(r["file"], r["line"], r["field"]) for r in rejects if r["stage"] in ("read", "map")}
    assert read_map == {(csv_file, 32, None), (csv_file, 33, "label"), (jsonl_file, 21, None),
                        (jsonl_file, 22, "text")}
    reasons = {(r["file"], r["line"]): r["reason"] for r in rejects if r["stage"] in ("read", "map")}
    assert "malformed CSV row" in reasons[(csv_file, 32)]
    assert "unknown label '7'" in reasons[(csv_file, 33)]
    assert "JSON" in reasons[(jsonl_file, 21)]
    assert "missing field 'text'" in reasons[(jsonl_file, 22)]

    manifest = manifest_of(out)
    assert_accounting(manifest)
    d = manifest["datasets"]
    assert (d["csv_reviews"]["rows_in"], d["csv_reviews"]["rows_rejected"]) == (32, 2)
    assert (d["jsonl_reviews"]["rows_in"], d["jsonl_reviews"]["rows_rejected"]) == (42, 2)
    assert (d["jsonl_reviews"]["rows_hard_capped"], d["jsonl_reviews"]["hard_cap"]) == (10, 30)
    assert d["big_reviews"]["rows_not_sampled"] == 70  # weight cap 50 limits its share, not its rows
    assert d["big_reviews"]["rows_used"] == 50
    assert manifest["rejects"]["count"] == len(rejects)
    by_stage = manifest["rejects"]["by_stage"]
    assert by_stage["cap"] == 10 and by_stage["mix"] == 70
    assert by_stage.get("read", 0) + by_stage.get("map", 0) == 4
    # every input row is either used or explained
    inputs = {i["dataset"]: i for i in manifest["inputs"] if i["kind"] == "data"}
    assert inputs["csv_reviews"]["rows"] == 32 and len(inputs["csv_reviews"]["sha256"]) == 64


# -- held-out clusters ------------------------------------------------------------------------------------

def test_held_out_cluster_and_related_datasets(tasks, make_recipe, helpers, tmp_path) -> None:
    topic_rows = [{"text": f"news {i}", "title": f"Head {i}", "label": i % 3} for i in range(30)]
    eval_rows = [{"text": f"eval news {i}", "title": f"Eval head {i}", "label": i % 3} for i in range(9)]
    topic = tasks.jsonl("topics", topic_rows, family="topic", labels=["World", "Sports", "Business"],
                        fields={"text": "text", "title": "title", "label": "label"},
                        extra_splits={"validation": eval_rows})
    related = tasks.jsonl("headline_mood", helpers.sentiment_records(20, "mood"), cluster="mood", related=["topic"])
    kept = tasks.jsonl("reviews", helpers.sentiment_records(25, "rev"))
    recipe = make_recipe([{"task": str(topic)}, {"task": str(related)}, {"task": str(kept)}],
                         held_out={"clusters": ["topic"], "write_eval": True, "eval_split": "validation"})
    out = tmp_path / "out"
    run_build(recipe, out)
    train = read_jsonl(out / "train.segments.jsonl")
    assert {row["source"]["dataset"] for row in train} == {"reviews"}
    assert len(train) == 25
    evals = read_jsonl(out / "eval.segments.jsonl")
    assert {row["source"]["dataset"] for row in evals} == {"topics"}
    assert len(evals) == 9 and {row["source"]["split"] for row in evals} == {"validation"}
    manifest = manifest_of(out)
    assert set(manifest["datasets"]) == {"reviews"}
    held = manifest["held_out"]["datasets"]
    assert set(held) == {"topics", "headline_mood"}
    assert held["topics"]["eval_examples"] == 9 and held["topics"]["in_train"] is False
    assert held["headline_mood"]["related"] == ["topic"]


def test_holding_out_everything_is_a_user_error(tasks, make_recipe, tmp_path) -> None:
    only = tasks.jsonl("only", [{"text": "a", "label": 0}])
    recipe = make_recipe([{"task": str(only)}], held_out={"clusters": ["sentiment"]})
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "held_out.clusters" in result.output


# -- DMT two-stage schedule -------------------------------------------------------------------------------

def test_dmt_writes_two_stages_with_the_domain_share(tasks, make_recipe, helpers, tmp_path) -> None:
    domain_a = tasks.jsonl("domain_a", helpers.sentiment_records(120, "da"))
    domain_b = tasks.jsonl("domain_b", helpers.sentiment_records(80, "db"))
    general = tasks.jsonl("general", [{"text": f"topic {i}", "label": i % 3} for i in range(150)], family="topic",
                          labels=["World", "Sports", "Business"])
    recipe = make_recipe(
        [{"collection": "domain", "datasets": [{"task": str(domain_a)}, {"task": str(domain_b)}]},
         {"task": str(general)}],
        schedule={"mode": "dmt", "domain": ["domain"], "domain_share": 0.25})
    out = tmp_path / "out"
    run_build(recipe, out)
    assert not (out / "train.segments.jsonl").exists()
    stage1 = read_jsonl(out / "stage1.segments.jsonl")
    stage2 = read_jsonl(out / "stage2.segments.jsonl")
    assert {r["source"]["dataset"] for r in stage1} == {"domain_a", "domain_b"}
    assert len(stage1) == 200
    domain_in_2 = [r for r in stage2 if r["source"]["dataset"] != "general"]
    assert len(domain_in_2) == round(200 * 0.25) == 50
    assert len(stage2) - len(domain_in_2) == 150
    ids1 = {r["id"] for r in stage1}
    assert {r["id"] for r in domain_in_2} <= ids1  # replayed domain examples come from stage 1


def test_dmt_unknown_domain_is_an_error(tasks, make_recipe, helpers, tmp_path) -> None:
    a = tasks.jsonl("a", helpers.sentiment_records(5))
    recipe = make_recipe([{"task": str(a)}], schedule={"mode": "dmt", "domain": ["nope"]})
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "schedule.domain" in result.output


# -- recipe validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("edit", "field"), [
    (lambda r: r["datasets"][0].update(hard_cap=-5), "datasets[0].hard_cap"),
    (lambda r: r["datasets"][0].update(weight=float("nan")), "datasets[0].weight"),
    (lambda r: r["datasets"][0].update(weight=float("inf")), "datasets[0].weight"),
    (lambda r: r["mixing"].update(weight_cap=-1), "mixing.weight_cap"),
    (lambda r: r["mixing"].update(mode="zipf"), "mixing.mode"),
    (lambda r: r["mixing"].update(temperature=0), "mixing.temperature"),
    (lambda r: r["datasets"][0].update(colour="red"), "datasets[0].colour"),
    (lambda r: r["expansion"].update(assignmnet="all"), "expansion.assignmnet"),
    (lambda r: r["datasets"][0].update(split="nosuchsplit"), "datasets[0].split"),
    (lambda r: r.update(seed=-1), "seed"),
    (lambda r: r.update(few_shot={"share": 1.5}), "few_shot.share"),
])
def test_bad_recipe_values_exit_2_naming_file_and_field(tasks, make_recipe, helpers, tmp_path, edit, field) -> None:
    a = tasks.jsonl("a", helpers.sentiment_records(5))
    data = helpers.recipe_dict([{"task": str(a)}])
    edit(data)
    recipe = helpers.write_yaml(tmp_path / "bad.yaml", data)
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert str(recipe) in lines[0] and f"field '{field}'" in lines[0]
    assert "Traceback" not in result.output


def test_unknown_top_level_key_names_it(tasks, helpers, tmp_path) -> None:
    a = tasks.jsonl("a", helpers.sentiment_records(5))
    data = helpers.recipe_dict([{"task": str(a)}], mixnig={"mode": "equal"})
    recipe = helpers.write_yaml(tmp_path / "bad.yaml", data)
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "mixnig" in result.output and str(recipe) in result.output


def test_missing_recipe_file_exits_2(tmp_path) -> None:
    result = CliRunner().invoke(main, ["build", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "nope.yaml" in result.output
