"""Red-team inputs through the real CLI: a stray row of another shape is one reject, not the whole file; a
``--out`` under a file says so; ``--map`` repeated is merged and a field mapped twice is an error."""

from __future__ import annotations

import json
from pathlib import Path

from hardening_helpers import run_cli

ALPACA = [{"instruction": f"Question {i}?", "input": "", "output": f"Answer {i}."} for i in range(50)]
SHAREGPT = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}


def _jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_clean_keeps_the_alpaca_rows_and_rejects_the_stray_sharegpt_row(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "f.jsonl", [*ALPACA, SHAREGPT])
    run_cli("clean", data, "--out", tmp_path / "o", "--no-embeddings").assert_ok()
    assert len((tmp_path / "o" / "f.jsonl").read_text(encoding="utf-8").splitlines()) == 50
    (reject,) = [json.loads(line) for line in (tmp_path / "o" / "rejected.jsonl").read_text().splitlines()]
    assert reject["source_line"] == 51 and reject["field"] == "conversations"
    assert reject["reasons"] == ["row has ShareGPT fields but the file was read as Alpaca (decided by 50 of 51 rows)"]


def test_clean_keeps_an_alpaca_row_with_a_messages_field(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "f.jsonl", [dict(r, messages="meta") if i == 7 else r for i, r in enumerate(ALPACA)])
    run_cli("clean", data, "--out", tmp_path / "o", "--no-embeddings").assert_ok()
    assert len((tmp_path / "o" / "f.jsonl").read_text(encoding="utf-8").splitlines()) == 50


def test_out_under_a_file_says_the_parent_is_a_file(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "f.jsonl", ALPACA[:5])
    blocker = tmp_path / "somefile"
    blocker.write_text("x")
    for args in (["clean", data, "--no-embeddings"], ["build"]):
        line = run_cli(*args, "--out", blocker / "sub").assert_user_error("is a file, not a folder", str(blocker))
        assert "lock file" not in line and "File exists" not in line
    run_cli("build", "--out", blocker / "a" / "b").assert_user_error("is a file, not a folder")
    assert blocker.read_text() == "x"


def test_repeated_map_options_are_merged(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "qa.jsonl", [{"question": f"q{i}", "answer": f"a{i}"} for i in range(5)])
    run_cli("clean", data, "--out", tmp_path / "o", "--no-embeddings", "--map", "instruction=question",
            "--map", "output=answer").assert_ok()
    assert len((tmp_path / "o" / "qa.jsonl").read_text(encoding="utf-8").splitlines()) == 5


def test_a_field_mapped_twice_is_refused(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "qa.jsonl", [{"question": f"q{i}", "answer": f"a{i}"} for i in range(5)])
    for maps in (["--map", "instruction=question,instruction=answer,output=answer"],
                 ["--map", "instruction=question,output=answer", "--map", "instruction=answer"]):
        run_cli("clean", data, "--out", tmp_path / "o", "--no-embeddings", *maps).assert_user_error(
            "--map", "instruction field twice")
        assert not (tmp_path / "o").exists()
