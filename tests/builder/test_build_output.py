"""What ``ift-data build`` prints and records about its files: one "wrote" line per file (dataset_info.json
is shared by train and eval), numbers with thousands separators, the held-out eval file among the inputs."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from ift_data.cli import main


def _project(tasks, make_recipe, helpers, n: int = 30, **extra) -> Path:
    train = tasks.jsonl("reviews", helpers.sentiment_records(n))
    pairs = [{"premise": f"p {i}", "hypothesis": f"h {i}", "label": i % 2} for i in range(20)]
    nli = tasks.jsonl("pairs", pairs[:10], family="nli", labels=["entailment", "not_entailment"],
                      fields={"premise": "premise", "hypothesis": "hypothesis", "label": "label"},
                      extra_splits={"validation": pairs})
    return make_recipe([{"task": str(train), **extra}, {"task": str(nli)}], held_out={"clusters": ["nli"]})


def _build(recipe: Path, out: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(out), *args], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return result.output


def test_one_wrote_line_per_file(tasks, make_recipe, helpers, tmp_path: Path) -> None:
    out = tmp_path / "out"
    output = _build(_project(tasks, make_recipe, helpers), out, "--format", "segments,sharegpt,alpaca")
    wrote = [line.split()[1] for line in output.splitlines() if line.startswith("wrote ")]
    assert wrote and all(n == 1 for n in Counter(wrote).values()), wrote
    on_disk = {p.name for p in out.iterdir() if p.suffix in (".jsonl", ".json")} - {"manifest.json", "rejects.jsonl"}
    assert {Path(w).name for w in wrote} == on_disk
    # the shared dataset_info.json: every section's listing has the final file's hash and entry count
    manifest = json.loads((out / "manifest.json").read_text())
    info = out / "dataset_info.json"
    entries = json.loads(info.read_text())
    listings = [f for s in manifest["outputs"].values() for f in s["files"] if f["path"] == "dataset_info.json"]
    assert len(listings) == 2
    for listing in listings:
        assert listing["sha256"] == hashlib.sha256(info.read_bytes()).hexdigest()
        assert listing["rows"] == len(entries) == 4
    assert sorted(e for listing in listings for e in listing["entries"]) == sorted(entries)


def test_numbers_have_thousands_separators(tasks, make_recipe, helpers, tmp_path: Path) -> None:
    out = tmp_path / "out"
    output = _build(_project(tasks, make_recipe, helpers, n=1200, hard_cap=1050), out)
    words = [w for w in output.split() if "/" not in w]  # paths may hold digits
    assert "1,200" in words and not [w for w in words if re.fullmatch(r"\D*\d{4,}\D*", w)], output
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert {r["reason"] for r in rejects if r["stage"] == "cap"} == {"hard cap 1,050 reached"}


def test_the_held_out_eval_file_is_an_input(tasks, make_recipe, helpers, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(_project(tasks, make_recipe, helpers), out)
    manifest = json.loads((out / "manifest.json").read_text())
    data = {(i["dataset"], i["split"]): i for i in manifest["inputs"] if i["kind"] == "data"}
    assert set(data) == {("reviews", "train"), ("pairs", "validation")}
    eval_input = data[("pairs", "validation")]
    eval_file = tasks.root / "pairs" / "validation.jsonl"
    assert eval_input["purpose"] == "eval" and data[("reviews", "train")]["purpose"] == "train"
    assert eval_input["sha256"] == hashlib.sha256(eval_file.read_bytes()).hexdigest()
    assert eval_input["rows"] == 20 and eval_input["path"].endswith("pairs/validation.jsonl")
