"""A kept row is the input's row as it was: a JSON array's record keeps its own text (``1E5``, ``2.50``,
``1.0000000000000000001``, ``"\\u00e9"``, a big integer, the key order), not a re-serialization that rounded
floats and rewrote escapes. Every input row is kept or in rejected.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

from hardening_helpers import FAST, run_cli

RECORDS = [
    '{"output": "Red \\u00e9 \\ud83d\\ude00 \\/ is a primary color.", "instruction": "Name a primary color.", '
    '"input": "", "extra": {"n": [1E5, 2.50, 1.0000000000000000001, 123456789012345678901234567890, -0.0]}}',
    '{"instruction": "Explain gravity.", "input": "", "output": "Mass attracts mass.", "z": null}',
    '{"instruction": "Is the sky blue on a clear day?", "output": "Yes, it is.", "input": ""}',
]
DUPLICATE = RECORDS[1]


def test_clean_keeps_a_json_arrays_records_as_their_original_text(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("[\n  " + ",\n  ".join([*RECORDS, DUPLICATE]) + "\n]\n", encoding="utf-8")
    result = run_cli("clean", data, "--out", tmp_path / "out", *FAST)
    result.assert_ok()
    kept = (tmp_path / "out" / "data.json").read_text(encoding="utf-8")
    assert kept == "[\n" + ",\n".join(RECORDS) + "\n]\n"
    assert json.loads(kept) == json.loads(data.read_text(encoding="utf-8"))[:3]
    rejected = (tmp_path / "out" / "rejected.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["source_record"] for line in rejected] == [3]


def test_clean_of_a_json_array_past_max_rows_keeps_the_first_records_text(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("[" + ",".join(RECORDS) + "]", encoding="utf-8")
    result = run_cli("clean", data, "--out", tmp_path / "out", "--remove", "none", "--max-rows", "1", *FAST)
    result.assert_ok()
    assert (tmp_path / "out" / "data.json").read_text(encoding="utf-8") == "[\n" + RECORDS[0] + "\n]\n"
