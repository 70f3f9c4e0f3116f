"""When no row is left to audit, the one-line error names the first reject in input order: with
``--max-rows 0`` that is line 1 ("over --max-rows 0"), not a bad line further down that the reader
happened to list first."""

from __future__ import annotations

from pathlib import Path

import pytest
from hardening_helpers import CLEAN_ROWS, FAST, run_cli, write_jsonl


@pytest.mark.parametrize("command", ["audit", "clean"])
def test_max_rows_zero_names_line_one(tmp_path: Path, command: str) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    with data.open("a", encoding="utf-8") as fh:
        fh.write("not json\n")
    line = run_cli(command, data, "--out", tmp_path / "out", "--max-rows", "0", *FAST).assert_user_error()
    assert line.startswith(f"error: {data}:1: over --max-rows 0"), line
