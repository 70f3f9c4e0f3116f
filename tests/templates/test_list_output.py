"""`templates list` never cuts a file path: short paths (<bundled>/, relative, ~), a table when it fits,
one block per pack when it does not."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from ift_data.resources import bundled
from ift_data.templates.commands import list_packs, shown_path


def _listing(dirs: list[Path], width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    list_packs(dirs, console)
    return [line.rstrip() for line in console.file.getvalue().splitlines()]  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [60, 80, 200])
def test_bundled_paths_whole_at_any_width(width: int) -> None:
    lines = _listing([], width)
    files = sorted(p.name for p in bundled("templates").glob("*.yaml"))
    assert files
    for name in files:
        assert any(f"<bundled>/{name}" in line for line in lines), (width, name)
    assert lines[-1] == f"<bundled> = {bundled('templates').resolve()}"
    assert all(len(line) <= width for line in lines[:-1])  # the footer path is never cut either
    assert ("┃ family" in "\n".join(lines)) is (width == 200)  # a table only when it fits


def test_own_packs_relative_to_the_working_folder(tmp_path, monkeypatch) -> None:
    packs = tmp_path / "my_packs"
    packs.mkdir()
    shutil.copy(bundled("templates") / "sentiment.yaml", packs / "sentiment.yaml")
    monkeypatch.chdir(tmp_path)
    lines = _listing([Path("my_packs")], 80)
    assert any("│ my_packs/sentiment.yaml │" in line for line in lines)  # one pack: the table fits
    assert "  file: my_packs/sentiment.yaml" in _listing([Path("my_packs")], 40)  # narrow: a block
    assert not any(line.startswith("<bundled> =") for line in lines)  # no bundled pack listed


def test_shown_path_forms(tmp_path) -> None:
    assert shown_path(bundled("templates") / "nli.yaml") == "<bundled>/nli.yaml"
    assert shown_path(tmp_path / "a" / "b.yaml", cwd=tmp_path) == "a/b.yaml"
    home = Path.home() / "packs" / "x.yaml"
    if not home.resolve().is_relative_to(Path.cwd().resolve()):
        assert shown_path(home, cwd=tmp_path) == "~/packs/x.yaml"


def test_show_names_the_bundled_file_short() -> None:
    from ift_data.templates.commands import show_template

    console = Console(file=io.StringIO(), width=200, force_terminal=False, color_system=None)
    show_template("sentiment-fwd-01", [], console)
    first = console.file.getvalue().splitlines()[0]  # type: ignore[attr-defined]
    assert first == "sentiment-fwd-01 (forward, family sentiment, <bundled>/sentiment.yaml:5)"


def test_show_a_family_lists_its_ids_and_an_unknown_id_lists_families() -> None:
    from ift_data.errors import TemplateError
    from ift_data.templates.commands import show_template

    console = Console(file=io.StringIO(), width=200)
    with pytest.raises(TemplateError, match="'sentiment' is a template family.*sentiment-fwd-01"):
        show_template("sentiment", [], console)
    with pytest.raises(TemplateError, match="no template with id 'nope'; give a family .*sentiment"):
        show_template("nope", [], console)
