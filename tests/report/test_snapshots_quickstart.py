"""docs/quickstart.md stays true: its task spec and recipe, on the CoLA files in ../shared/data/raw/cola,
build exactly the output the page shows (skipped when the shared data is absent)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ift_data.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "quickstart.md"
COLA = ROOT.parent / "shared" / "data" / "raw" / "cola"


def _block(text: str, after: str, lang: str) -> str:
    """The first ```lang block after the line containing ``after``."""
    start = text.index(after)
    match = re.compile(rf"```{lang}\n(.*?)\n```", re.S).search(text, start)
    assert match is not None, after
    return match.group(1)


@pytest.mark.skipif(not (COLA / "train.tsv").is_file(), reason="../shared/data/raw/cola not present")
def test_the_quickstart_build_prints_what_the_page_shows(tmp_path, monkeypatch) -> None:
    page = PAGE.read_text(encoding="utf-8")
    (tmp_path / "cola").mkdir()
    for name in ("train.tsv", "dev.tsv"):
        shutil.copy(COLA / name, tmp_path / "cola" / name)
    (tmp_path / "cola" / "task.yaml").write_text(_block(page, "## 1. The task spec", "yaml") + "\n", encoding="utf-8")
    (tmp_path / "recipe.yaml").write_text(_block(page, "## 2. The recipe", "yaml") + "\n", encoding="utf-8")
    shown = _block(page, "## 3. Build", "console").splitlines()
    assert shown[0] == "$ ift-data build recipe.yaml --out out"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(main, ["build", "recipe.yaml", "--out", "out"])
    assert result.exit_code == 0, result.output
    printed = [line.rstrip() for line in result.output.splitlines()]
    assert printed == shown[1:], "the build output changed: rerun the walk-through and update docs/quickstart.md"
    head = _block(page, "One example:", "console").splitlines()
    assert head[0] == "$ head -n 1 out/train.alpaca.jsonl"
    first = head[1]
    assert (tmp_path / "out" / "train.alpaca.jsonl").read_text(encoding="utf-8").splitlines()[0] == first
