"""What the CLI prints: names as they are (no ``:emoji:`` codes turned into pictures), and a reader that
closes stdout early (``| head -1``) is no failure once the work is done."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hardening_helpers import CLEAN_ROWS, FAST, ROWS, BuildCase, run_cli, write_jsonl

CLI = [sys.executable, "-m", "ift_data"]


# ---- names printed verbatim -----------------------------------------------------------------------

def test_emoji_codes_in_a_missing_file_name_are_printed_as_written(tmp_path: Path) -> None:
    missing = tmp_path / "nosuch:fire:.jsonl"
    line = run_cli("audit", missing, "--out", tmp_path / "o").assert_user_error(str(missing))
    assert "\N{FIRE}" not in line


def test_emoji_codes_in_kept_files_titles_and_map_are_printed_as_written(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data:cat:.jsonl", CLEAN_ROWS)
    audited = run_cli("audit", data, "--out", tmp_path / "a", *FAST)
    audited.assert_ok()
    assert "Audit of data:cat:.jsonl" in audited.stdout  # the report panel's title
    cleaned = run_cli("clean", data, "--out", tmp_path / "c", *FAST)
    cleaned.assert_ok()
    assert f"kept rows: {tmp_path / 'c' / 'data:cat:.jsonl'}" in cleaned.stdout
    mapped = run_cli("audit", data, "--out", tmp_path / "m", "--map", "instruction=:fire:,output=output", *FAST)
    assert "[':fire:']" in mapped.assert_user_error("--map")
    for outcome in (audited, cleaned, mapped):
        assert not {"\N{CAT FACE}", "\N{FIRE}"} & set(outcome.stdout + outcome.stderr)


# ---- stdout closed early --------------------------------------------------------------------------

def _closed_stdout(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command with stdout a pipe whose reader has already gone (as ``| head -0`` would)."""
    proc = subprocess.Popen([*CLI, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read()
    return subprocess.CompletedProcess(proc.args, proc.wait(timeout=300), "", stderr)


@pytest.mark.parametrize("command", ["clean", "audit"])
def test_a_closed_stdout_after_the_work_exits_0_quietly(tmp_path: Path, command: str) -> None:
    """`ift-data clean ... | head -1` exited 1 with no message although every file was written (red-team)."""
    write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    done = _closed_stdout([command, "data.jsonl", "--out", "o", *FAST], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert "BrokenPipe" not in done.stderr
    assert {"signals.parquet", "summary.json"} <= {p.name for p in (tmp_path / "o").iterdir()}
    if command == "clean":
        assert json.loads((tmp_path / "o" / "clean.json").read_text(encoding="utf-8"))["kept"] > 0


def test_build_into_a_closed_stdout_exits_0_quietly(case: BuildCase) -> None:
    recipe = case.write(ROWS)
    done = _closed_stdout(["build", str(recipe), "--out", "out"], case.root)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert (case.root / "out" / "manifest.json").is_file()


def test_render_into_a_closed_stdout_exits_0_quietly(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps({"text": f"film {i}", "label": i % 2}) + "\n" for i in range(50)),
                       encoding="utf-8")
    pack = Path(__file__).resolve().parents[2] / "templates" / "sentiment.yaml"
    done = _closed_stdout(["templates", "render", str(pack), "--template", "sentiment-fwd-01", "--records",
                           str(records), "--label-names", "negative,positive"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
