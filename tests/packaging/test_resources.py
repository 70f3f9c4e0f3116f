"""The bundled folders are found through the package, never through the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

import ift_data
from ift_data.audit.rules import load_rules
from ift_data.builder.pipeline import default_recipe_path
from ift_data.chat.recommend import RULES_FILE
from ift_data.resources import BUNDLED, bundled

PACKAGE = Path(ift_data.__file__).parent


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_folder_lives_in_the_package(name: str) -> None:
    folder = bundled(name)
    assert folder == PACKAGE / "bundled" / name
    assert folder.is_dir() and any(folder.iterdir())


def test_bundled_files_the_commands_start_from() -> None:
    assert (bundled("rules") / "default.yaml").is_file()
    assert bundled("rules") / "masking.yaml" == RULES_FILE
    assert default_recipe_path() == bundled("data_samples") / "default_recipe.yaml"
    assert {"sentiment", "nli"} <= {p.stem for p in bundled("templates").glob("*.yaml")}


def test_unknown_bundled_folder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown bundled folder"):
        bundled("../secrets")


def test_rules_in_the_working_directory_do_not_replace_the_bundled_ones(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "default.yaml").write_text("length: {max_chars: 7}\n", encoding="utf-8")
    (tmp_path / "rules" / "strict.yaml").write_text("extends: default\nlength: {max_chars: 7}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in (None, "default", "strict"):
        rules = load_rules(name)
        assert Path(rules.path).parent == bundled("rules"), name
        assert rules.values["length"]["max_chars"] != 7
    named = load_rules("rules/strict.yaml")  # a user file is used when named
    assert Path(named.path).resolve() == (tmp_path / "rules" / "strict.yaml").resolve()
    assert named.values["length"]["max_chars"] == 7
