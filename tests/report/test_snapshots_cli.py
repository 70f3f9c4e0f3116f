"""The commands a newcomer copies from the output work as printed: the audit's `next:` clean command,
and `--remove` with the flag names the audit prints (without the `flag_` prefix)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from click.testing import CliRunner

from ift_data.cli import main


def _audit(tmp_path: Path, monkeypatch, audited) -> str:
    """Audit a copy of the report fixture's data (tests/report/conftest.py) from inside ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    Path("data.jsonl").write_bytes((audited.out_dir.parent / "data.jsonl").read_bytes())
    result = CliRunner().invoke(main, ["audit", "data.jsonl", "--out", "audit", "--no-embeddings"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_printed_next_command_runs(tmp_path, monkeypatch, audited) -> None:
    output = _audit(tmp_path, monkeypatch, audited)
    assert output.startswith("╭─ Audit of data.jsonl ")
    line = next(x for x in output.splitlines() if x.startswith("next: "))
    args = shlex.split(line.removeprefix("next: "))
    assert args[:3] == ["ift-data", "clean", "data.jsonl"] and "--signals" in args
    result = CliRunner().invoke(main, args[1:])
    assert result.exit_code == 0, result.output
    clean = json.loads((tmp_path / "audit_clean" / "clean.json").read_text(encoding="utf-8"))
    assert f"{clean['rows_in']:,} rows in = {clean['kept']:,} kept + {clean['rejected']:,} removed" in result.output
    assert "removed rows by flag" in result.output


def test_remove_takes_the_names_the_audit_prints(tmp_path, monkeypatch, audited) -> None:
    _audit(tmp_path, monkeypatch, audited)
    runs = {}
    for name, flags in (("short", "exact_duplicate,near_duplicate"),
                        ("prefixed", "flag_exact_duplicate,flag_near_duplicate")):
        result = CliRunner().invoke(main, ["clean", "data.jsonl", "--signals", "audit", "--out", name,
                                           "--remove", flags])
        assert result.exit_code == 0, result.output
        runs[name] = json.loads((tmp_path / name / "clean.json").read_text(encoding="utf-8"))
    assert runs["short"]["remove"] == runs["prefixed"]["remove"] == ["flag_exact_duplicate", "flag_near_duplicate"]
    assert runs["short"]["rejected"] == runs["prefixed"]["rejected"] > 0
    bad = CliRunner().invoke(main, ["clean", "data.jsonl", "--signals", "audit", "--out", "bad", "--remove", "nope"])
    assert bad.exit_code == 2 and "flag_nope" in bad.output
