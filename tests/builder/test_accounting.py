"""Row accounting merged from per-stage counters: every input row of every dataset split (train and
held-out eval) is used or dropped exactly once, at the stage that dropped it, with render failures,
sandbox refusals and export drops present."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ift_data.builder.counters import ROW_STAGES, Ledger
from ift_data.builder.pipeline import BuildChecks, run_build
from ift_data.cli import main
from ift_data.schema import Reject

BAD_CHAR = "\ufdd0"  # a Unicode noncharacter: the renderer refuses it in any value
TOPICS = ["World", "Sports", "Business"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sentiment_rows(n: int, prefix: str, bad: set[int], long_every: int = 0) -> list[dict]:
    rows = []
    for i in range(n):
        words = " and more words" * 25 if long_every and i % long_every == 0 else ""
        text = f"{prefix} {i}: the film was {'great' if i % 2 else 'dull'}{words}."
        rows.append({"text": text + (BAD_CHAR if i in bad else ""), "label": i % 2})
    return rows


@pytest.fixture(scope="module")
def tokenizer_path(tmp_path_factory) -> str:
    """A tiny byte-level BPE tokenizer, so ``--max-len`` can drop examples at export."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, show_progress=False,
                                  special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(["the film was great and dull, more words. Review sentiment"] * 20, trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|endoftext|>",
                                      eos_token="<|im_end|>", pad_token="<|endoftext|>")
    path = tmp_path_factory.mktemp("bpe")
    wrapped.save_pretrained(path)
    return str(path)


def write_project(tasks, make_recipe, *, n_a: int, bad_a: set[int], n_b: int, hard_cap: int | None,
                  weight_cap: int | None, n_eval: int, bad_eval: set[int], tokenizer: str | None,
                  max_len: int | None) -> tuple[Path, dict[str, int]]:
    """Two sentiment datasets (one with a broken JSON line and bad characters) and a held-out topic
    dataset whose eval split has both too; returns the recipe and each split's true row count."""
    a = tasks.jsonl("reviews_a", sentiment_rows(n_a, "a", bad_a, long_every=3))
    with (a.parent / "train.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"text": "cut off\n')
    b = tasks.jsonl("reviews_b", sentiment_rows(n_b, "b", set(), long_every=4))
    evals = [{"text": f"eval story {i}" + (BAD_CHAR if i in bad_eval else ""), "title": f"Head {i}",
              "label": i % 3} for i in range(n_eval)]
    topic = tasks.jsonl("topics", [{"text": f"story {i}", "title": f"T {i}", "label": i % 3} for i in range(10)],
                        family="topic", labels=TOPICS, fields={"text": "text", "title": "title", "label": "label"},
                        extra_splits={"validation": evals})
    with (topic.parent / "validation.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("not json\n")
    first: dict = {"task": str(a)}
    if hard_cap is not None:
        first["hard_cap"] = hard_cap
    output: dict = {"formats": ["segments"]}
    if tokenizer is not None:
        output.update(tokenizer=tokenizer, max_len=max_len, overflow="drop")
    recipe = make_recipe([first, {"task": str(b)}, {"task": str(topic)}],
                         mixing={"mode": "proportional", "weight_cap": weight_cap},
                         held_out={"clusters": ["topic"], "eval_split": "validation"}, output=output)
    return recipe, {"reviews_a": n_a + 1, "reviews_b": n_b, "topics": n_eval + 1}


def check_every_row_once(out: Path, rows_in: dict[str, int]) -> dict:
    """The invariants, checked against the files themselves (not only the manifest's own sums)."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rejects = read_jsonl(out / "rejects.jsonl")
    where = Counter((r["file"], r["line"]) for r in rejects)
    assert max(where.values(), default=1) == 1, [k for k, n in where.items() if n > 1]  # each row once
    written: dict[str, set[tuple[str, int]]] = {}
    for path in out.glob("*.segments.jsonl"):
        for row in read_jsonl(path):
            file, line = row["source"]["row"].rsplit(":", 1)
            written.setdefault(row["source"]["dataset"], set()).add((file, int(line)))
    records = {**manifest["datasets"], **manifest["held_out"]["datasets"]}
    for name, count in rows_in.items():
        d = records[name]
        mine = [r for r in rejects if r["dataset"] == name]
        stages: Counter[str] = Counter()
        for r in mine:  # a line of rows not sampled stands for r["rows"] rows, from r["line"] to r["last_line"]
            stages[r["stage"]] += r.get("rows", 1)
        used = written.get(name, set())
        assert not used & {(r["file"], r["line"]) for r in mine}, name
        for r in mine:
            if "rows" in r:
                assert r["stage"] == "mix" and 1 <= r["rows"] <= r["last_line"] - r["line"] + 1, r
                assert not any(f == r["file"] and r["line"] <= n <= r["last_line"] for f, n in used), (name, r)
        assert d["rows_in"] == count == len(used) + sum(stages.values()), (name, d, len(used), stages)
        assert d["rows_used"] == len(used), name
        assert d["rows_in"] == d["rows_used"] + d["rows_hard_capped"] + d["rows_not_sampled"] + d["rows_rejected"]
        assert d["rows_hard_capped"] == stages["cap"] and d["rows_not_sampled"] == stages["mix"], name
        assert d["rows_rejected"] == sum(n for s, n in stages.items() if s not in ("cap", "mix")), name
        flow = d["stages"]
        assert [flow[s]["in"] for s in ROW_STAGES][1:] == [flow[s]["out"] for s in ROW_STAGES][:-1]
        assert all(flow[s]["dropped"] == stages[s] for s in ROW_STAGES), (name, flow)
    acc = manifest["accounting"]
    train = [manifest["datasets"][n] for n in manifest["datasets"]]
    for key in ("rows_in", "rows_used", "rows_hard_capped", "rows_not_sampled", "rows_rejected"):
        assert acc[key] == sum(d[key] for d in train), key
    assert acc["eval"]["rows_in"] == rows_in["topics"]
    assert manifest["rejects"]["count"] == len(rejects)
    rows_by_stage: Counter[str] = Counter()
    for r in rejects:
        rows_by_stage[r["stage"]] += r.get("rows", 1)
    assert manifest["rejects"]["by_stage"] == dict(sorted(rows_by_stage.items()))
    assert acc["examples_dropped_at_export"] == sum(s["counts"]["rejected"] for s in manifest["outputs"].values())
    return manifest


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rows_in_equals_used_capped_not_sampled_rejected(tasks, make_recipe, tmp_path, tokenizer_path,
                                                         data) -> None:
    n_a = data.draw(st.integers(8, 40), "n_a")
    bad_a = set(data.draw(st.lists(st.integers(0, n_a - 1), max_size=4), "bad_a"))
    n_eval = data.draw(st.integers(3, 15), "n_eval")
    recipe, rows_in = write_project(
        tasks, make_recipe, n_a=n_a, bad_a=bad_a, n_b=data.draw(st.integers(5, 40), "n_b"),
        hard_cap=data.draw(st.one_of(st.none(), st.integers(5, 30)), "hard_cap"),
        weight_cap=data.draw(st.one_of(st.none(), st.integers(3, 30)), "weight_cap"), n_eval=n_eval,
        bad_eval=set(data.draw(st.lists(st.integers(0, n_eval - 1), max_size=2), "bad_eval")),
        tokenizer=data.draw(st.sampled_from([None, tokenizer_path]), "tokenizer"),
        max_len=data.draw(st.integers(60, 160), "max_len"))
    out = tmp_path / "out"
    one_by_one = data.draw(st.booleans(), "list_unsampled")
    run_build(recipe, out, seed=data.draw(st.integers(0, 50), "seed"), allow_outside_paths=True,  # tokenizer fixture
              list_unsampled=one_by_one, checks=BuildChecks(allow_empty_datasets=True))  # a short max_len may drop all
    check_every_row_once(out, rows_in)
    if one_by_one:
        assert not any("rows" in r for r in read_jsonl(out / "rejects.jsonl"))


def test_bad_character_row_is_one_render_reject(tasks, make_recipe, tmp_path) -> None:
    recipe, rows_in = write_project(tasks, make_recipe, n_a=20, bad_a={4}, n_b=10, hard_cap=None, weight_cap=None,
                                    n_eval=6, bad_eval={2}, tokenizer=None, max_len=None)
    out = tmp_path / "out"
    run_build(recipe, out)
    manifest = check_every_row_once(out, rows_in)
    rejects = read_jsonl(out / "rejects.jsonl")
    bad = [r for r in rejects if r["line"] == 5 and r["dataset"] == "reviews_a"]
    assert len(bad) == 1 and bad[0]["stage"] == "render" and "noncharacter" in bad[0]["reason"]
    assert not any("not sampled" in r["reason"] for r in rejects)  # nothing was left over here
    assert manifest["datasets"]["reviews_a"]["rows_rejected"] == 2  # the bad character + the cut-off line
    # the held-out eval split accounts for its rejects too: 6 rows + 1 broken line = 5 written + 2 rejected
    held = manifest["held_out"]["datasets"]["topics"]
    assert (held["rows_in"], held["rows_used"], held["rows_rejected"], held["eval_examples"]) == (7, 5, 2, 5)
    assert held["rejected_by_stage"] == {"read": 1, "render": 1}
    assert manifest["accounting"]["eval"]["rows_rejected"] == 2


def test_export_drops_are_accounted_and_printed(tasks, make_recipe, tmp_path, tokenizer_path) -> None:
    recipe, rows_in = write_project(tasks, make_recipe, n_a=30, bad_a=set(), n_b=20, hard_cap=None,
                                    weight_cap=None, n_eval=4, bad_eval=set(), tokenizer=tokenizer_path,
                                    max_len=90)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(out), "--allow-outside-paths"],
                                env={"COLUMNS": "200"})  # the tokenizer fixture lies outside the recipe's folder
    assert result.exit_code == 0, result.output
    manifest = check_every_row_once(out, rows_in)
    export = manifest["accounting"]["export"]["train"]
    assert 0 < export["dropped"] < export["in"], export  # the long rows are dropped, the short ones kept
    assert manifest["accounting"]["examples_dropped_at_export"] >= export["dropped"]
    assert manifest["accounting"]["rejected_by_stage"]["export"] == export["dropped"]  # one example per row
    assert f"export train: dropped {export['dropped']:,} of {export['in']:,} examples" in result.stdout
    assert "rejected rows by stage:" in result.stdout and f"export {export['dropped']}" in result.stdout


def test_rows_refused_by_the_sandbox_are_render_rejects(tasks, make_recipe, helpers, tmp_path) -> None:
    """A template the sandbox refuses for some rows only: those rows are render rejects, not 'not sampled'."""
    pack = {"family": "sentiment", "slots": ["text", "label"], "templates": [
        {"id": "greedy", "variant": "forward", "input": "{{ text * (label * 2000000 + 1) }}", "target": "{{ answer }}"}]}
    helpers.write_yaml(tmp_path / "packs" / "sentiment.yaml", pack)
    data = tasks.jsonl("reviews", helpers.sentiment_records(10))
    recipe = make_recipe([{"task": str(data)}], templates=str(tmp_path / "packs"))
    out = tmp_path / "out"
    run_build(recipe, out)
    rejects = read_jsonl(out / "rejects.jsonl")
    assert len(rejects) == 5 and {r["stage"] for r in rejects} == {"render"}
    assert all("repetition" in r["reason"] for r in rejects)
    d = json.loads((out / "manifest.json").read_text())["datasets"]["reviews"]
    assert (d["rows_used"], d["rows_rejected"], d["rows_not_sampled"]) == (5, 5, 0)


def test_ledger_refuses_a_row_counted_twice_or_lost() -> None:
    ledger = Ledger("d", "train", rows_in=3)
    ledger.keep()
    ledger.drop(Reject("f", 2, "bad", stage="render"))
    with pytest.raises(AssertionError):
        ledger.check()
    ledger.drop(Reject("f", 3, "late", stage="export"))
    assert ledger.accounting()["rejected_by_stage"] == {"render": 1, "export": 1}
    with pytest.raises(ValueError):
        ledger.drop(Reject("f", 1, "x", stage="elsewhere"))
