"""The use-case tagger's shipped linear model: fitted on the project's own labelled rows (train.jsonl, whose
digest the weights record), loads offline from plain JSON, refuses broken or mismatched weights (use_model
included), tags deterministically and the same in any batches (model path: the weights with use_model true);
the shipped weights say use_model false because the rules beat the model on our rows; on all of Dolly (test
data only) the shipped tagger and the model path reach the documented accuracy, and on Alpaca the shipped
tagger gives a spread of categories, not one."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bench_modules import load_benchmark

from ift_data.audit import use_case_model
from ift_data.audit.use_case import USE_CASES, rule_tags, tag_rows
from ift_data.audit.use_case_model import (
    INPUT_RULES,
    SHAPE_FEATURES,
    TRAIN_PATH,
    WEIGHTS_PATH,
    LinearModel,
    load_model,
    load_training_rows,
    shape_features,
)
from ift_data.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".." / "shared" / "data" / "instructions"
MODEL_CLASSES = {"generation", "open_qa", "brainstorming", "summarization", "closed_qa", "extraction"}
ROWS = [("What is the capital of Peru?", "", "Lima."),
        ("Give me some ideas for a rainy Sunday.", "", "- bake bread\n- board games\n- a film marathon"),
        ("What year did it open?", "The museum opened in 1897 on the river bank.", "1897."),
        ("Name the rivers mentioned.", "The Rhine and the Main meet at Mainz, near the Nahe.", "Rhine, Main, Nahe"),
        ("Sum up this report for me.", "A long report on harbour traffic. " * 8, "Harbour traffic grew. Ships are larger. "
         "Ports must adapt. The report urges new investment in cranes and deeper channels over ten years."),
        ("Hello there", "", "Hi!")]


def _columns(rows: list[tuple[str, str, str]]) -> tuple[list[str], list[str], list[str]]:
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def test_shipped_weights_are_plain_json_for_the_bundled_static_model() -> None:
    data = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    model = load_model()
    assert set(model.classes) == MODEL_CLASSES and model.rule_names == USE_CASES
    assert model.coef.shape == (len(MODEL_CLASSES), data["embedding_dim"] + len(SHAPE_FEATURES) + len(USE_CASES))
    assert np.isfinite(model.coef).all() and np.isfinite(model.intercept).all()
    assert model.input_rule in INPUT_RULES and 0.0 <= model.other_threshold < 1.0
    training = model.meta["training"]
    assert training["data"] == TRAIN_PATH.name
    assert training["data_sha256"] == hashlib.sha256(TRAIN_PATH.read_bytes()).hexdigest()
    assert model.meta["embedder_fingerprint"] == use_case_model.static_fingerprint()


def test_shipped_weights_choose_rules_only_on_real_labelled_rows() -> None:
    """use_model false: the tagger with the model beats the rules in cross-validation on our own rows (0.892 vs
    the rules' 0.869 on all rows, no parameters fitted) but loses on the real hand-labelled dev rows (0.684 vs
    0.776), and it must win both; the model is still stored."""
    model = load_model()
    training = model.meta["training"]
    assert model.use_model is False
    assert (training["rules_accuracy"], max(training["cv_accuracy"].values())) == (0.8694, 0.892)
    validation = training["validation"]
    assert validation["used"] is True and validation["rows"] == 575
    assert (validation["rules_accuracy"], validation["model_accuracy"]) == (0.7757, 0.6835)
    assert training["choice"].startswith("rules only: the tagger with the model wins in CV")
    rows = load_training_rows(TRAIN_PATH, USE_CASES)
    tags = rule_tags([r.instruction for r in rows], [r.input for r in rows], [r.response for r in rows],
                     [r.turns for r in rows])
    assert round(sum(t == r.category for t, r in zip(tags, rows, strict=True)) / len(rows), 4) == \
        training["rules_accuracy"]


def test_training_rows_are_ours_and_cover_every_category() -> None:
    rows = load_training_rows(TRAIN_PATH, USE_CASES)
    counts = Counter(r.category for r in rows)
    assert set(counts) == set(USE_CASES) and min(counts.values()) >= 60
    assert len({(r.instruction, r.input) for r in rows}) == len(rows)
    assert load_model().meta["training"]["rows"] == len(rows)


@pytest.mark.skipif(not (DATA / "dolly_3k.json").is_file(), reason="../shared/data is absent")
def test_no_training_instruction_is_a_dolly_instruction() -> None:
    bench = load_benchmark("bench_use_case")
    model = load_model()
    same, shared = bench.training_overlap(model, bench.load_rows(DATA / "dolly_3k.json"))
    assert same and shared == 0


@pytest.mark.parametrize(("line", "field"), [('{"category": "poetry", "instruction": "x", "input": "", "response": ""}',
                                              "category"),
                                             ('{"category": "chat", "instruction": " ", "input": "", "response": ""}',
                                              "instruction"),
                                             ('{"category": "chat", "instruction": "x", "input": 3, "response": ""}',
                                              "input"),
                                             ('{"category": "chat", "instruction": "x", "input": "", "response": "",'
                                              ' "turns": 0}', "turns"),
                                             ("[1, 2]", None), ("{oops", None)])
def test_bad_training_rows_name_file_line_and_field(tmp_path: Path, line: str, field: str | None) -> None:
    path = tmp_path / "train.jsonl"
    good = '{"category": "open_qa", "instruction": "Why?", "input": "", "response": "Because."}'
    path.write_text(good + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(UserError) as error:
        load_training_rows(path, USE_CASES)
    assert error.value.file == str(path) and error.value.line == 3 and error.value.field == field


def test_loads_and_tags_with_the_network_cut(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the use-case tagger tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    use_case_model._load_default.cache_clear()
    use_case_model._static_model.cache_clear()
    tags = tag_rows(*_columns(ROWS))
    assert tags == ["open_qa", "brainstorming", "closed_qa", "extraction", "summarization", "chat"]
    data = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    data["use_model"] = True
    path = tmp_path / "weights.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert tag_rows(*_columns(ROWS), model=load_model(path)) == tags  # the model path: static model loaded


@pytest.mark.parametrize("with_model", [False, True], ids=["shipped", "model-on"])
def test_same_tags_and_probabilities_every_time_and_in_any_batches(with_model: bool, model_on: LinearModel) -> None:
    chosen = model_on if with_model else None
    instructions, inputs, responses = _columns(ROWS * 3)
    whole = tag_rows(instructions, inputs, responses, model=chosen)
    assert tag_rows(instructions, inputs, responses, model=chosen) == whole
    pieces = [tag_rows(instructions[i:i + 4], inputs[i:i + 4], responses[i:i + 4], model=chosen)
              for i in range(0, len(ROWS) * 3, 4)]
    assert [t for piece in pieces for t in piece] == whole
    model = model_on
    features = use_case_model.feature_matrix(instructions, inputs, responses, ["open_qa"] * len(instructions),
                                             model.rule_names)
    first = model.probabilities(features)
    assert np.array_equal(first, model.probabilities(features)) and np.allclose(first.sum(axis=1), 1.0)
    one_by_one = np.vstack([model.probabilities(features[i:i + 1]) for i in range(len(features))])
    assert np.allclose(first, one_by_one, atol=1e-12)


def test_shape_features_read_the_row() -> None:
    named = dict(zip(SHAPE_FEATURES, shape_features("List fruit?", "", "- apple\n- pear"), strict=True))
    assert named["has_input"] == 0.0 and named["instruction_question_mark"] == 1.0
    assert named["response_list_lines"] == 0.2 and named["response_multiline"] == 1.0
    assert named["response_under_6_words"] == 1.0 and named["response_input_ratio"] == 0.0
    with_input = dict(zip(SHAPE_FEATURES, shape_features("Shorten it.", "one two three four", "one two"), strict=True))
    assert with_input["has_input"] == 1.0 and with_input["response_input_ratio"] == 0.5


def _write(path: Path, **changes: Any) -> Path:
    data = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_missing_broken_or_mismatched_weights_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="missing") as missing:
        load_model(tmp_path / "weights.json")
    assert missing.value.file == str(tmp_path / "weights.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="cannot read"):
        load_model(tmp_path / "bad.json")
    with pytest.raises(UserError) as shape:
        load_model(_write(tmp_path / "shape.json", coef=[[0.0, 1.0]] * 7))
    assert shape.value.field == "coef"
    with pytest.raises(UserError) as other_model:
        load_model(_write(tmp_path / "fp.json", embedder_fingerprint="0" * 32))
    assert other_model.value.field == "embedder_fingerprint" and "another static embedding model" in str(other_model.value)
    with pytest.raises(UserError) as rule:
        load_model(_write(tmp_path / "rule.json", input_rule="sometimes"))
    assert rule.value.field == "input_rule"
    with pytest.raises(UserError) as fmt:
        load_model(_write(tmp_path / "fmt.json", format=99))
    assert fmt.value.field == "format"
    for bad in ("yes", 1, 0, None, "false"):
        with pytest.raises(UserError) as use_model:
            load_model(_write(tmp_path / "use.json", use_model=bad))
        assert use_model.value.field == "use_model" and "use_model" in str(use_model.value)
    data = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    del data["use_model"]
    (tmp_path / "no_use.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UserError, match="use_model is missing") as missing_use:
        load_model(tmp_path / "no_use.json")
    assert missing_use.value.field == "use_model"
    assert load_model(_write(tmp_path / "on.json", use_model=True)).use_model is True
    assert load_model(_write(tmp_path / "same.json")).classes == load_model().classes


@pytest.mark.skipif(not (DATA / "dolly_3k.json").is_file(), reason="../shared/data is absent")
def test_dolly_accuracy_is_the_documented_figure(model_on: LinearModel) -> None:
    """All 2,996 Dolly rows are test data. Documented (docs/benchmarks.md): the shipped tagger (rules only)
    0.786 / macro-F1 0.677, the model path 0.759 / 0.643: the goal of 0.8 is not met."""
    bench = load_benchmark("bench_use_case")
    rows = bench.load_rows(DATA / "dolly_3k.json")
    truth = [bench.DOLLY_TO_USE_CASE[r["category"]] for r in rows]
    shipped, rules = bench.evaluate(truth, bench.tag_model(rows)), bench.evaluate(truth, bench.tag_rules(rows))
    assert shipped == rules
    assert round(shipped["accuracy"], 3) == 0.786 and round(shipped["macro_f1"], 3) == 0.677
    assert shipped["per_class"]["classification"]["f1"] >= 0.9
    result = bench.evaluate(truth, bench.tag_model(rows, model_on))
    assert round(result["accuracy"], 3) == 0.759 and round(result["macro_f1"], 3) == 0.643


@pytest.mark.skipif(not (DATA / "alpaca_random_9k.json").is_file() or
                    not (DATA / "selfinstruct_seed_tasks.jsonl").is_file(), reason="../shared/data is absent")
def test_hand_labelled_non_dolly_accuracy_is_the_documented_figure() -> None:
    """Hand-labelled Alpaca and Self-Instruct rows (benchmarks/labels/, indices and labels only). Documented
    (docs/benchmarks.md "Use-case tagger"): dev sets read while the rules were extended, the Alpaca test set
    only scored (0.570 before, 0.690 after)."""
    bench = load_benchmark("bench_use_case")
    scores = bench.labelled_accuracy(load_model())
    assert {name: (s["role"], s["rows"], round(s["accuracy"], 3)) for name, s in scores.items()} == {
        "Alpaca dev": ("dev", 400, 0.815), "Self-Instruct seeds": ("dev", 175, 0.686),
        "Alpaca test": ("test", 300, 0.69)}


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "alpaca_random_9k.json").is_file(), reason="../shared/data is absent")
def test_training_script_reproduces_the_shipped_weights(tmp_path: Path) -> None:
    out = tmp_path / "weights.json"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "train_use_case_model.py"), "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == WEIGHTS_PATH.read_bytes()


@pytest.mark.skipif(not (DATA / "alpaca_random_9k.json").is_file(), reason="../shared/data is absent")
def test_alpaca_gets_a_spread_of_categories() -> None:
    rows = load_benchmark("bench_use_case").load_rows(DATA / "alpaca_random_9k.json")[:3000]
    counts = Counter(tag_rows(*_columns([(r["instruction"], r["input"], r["output"]) for r in rows])))
    assert set(counts) >= set(USE_CASES) - {"chat"}  # single-turn data: every other category appears
    # documented on all 9,229 rows (rules only): generation 23 %, open_qa 18 %, closed_qa 12 %, other 11 %
    assert max(counts.values()) < 0.45 * len(rows) and counts["other"] < 0.15 * len(rows)
    assert counts["rewrite"] > 0.03 * len(rows) and counts["classification"] > 0.03 * len(rows)
