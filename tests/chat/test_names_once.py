"""Mode, format, preset and signal names are defined once; the CLI and the docs follow the definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ift_data.audit.registry import SIGNAL_NAMES, load_signals
from ift_data.chat.masking import MASK_MODES
from ift_data.chat.registry import PRESETS
from ift_data.cli import main
from ift_data.errors import UserError
from ift_data.export import ALIASES, EXPORTERS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_cli_build_help_lists_every_name() -> None:
    text = " ".join(CliRunner().invoke(main, ["build", "--help"], terminal_width=400).output.split())
    assert f"[{'|'.join(MASK_MODES)}]" in text
    assert all(name in text for name in [*EXPORTERS, *ALIASES, *PRESETS])


def test_unknown_signal_name_lists_the_registry() -> None:
    assert [r.name for r in load_signals(("noise", "length"))] == ["length", "noise"]
    with pytest.raises(UserError, match=", ".join(SIGNAL_NAMES)):
        load_signals(("lenght",))


def test_docs_name_every_export_format_and_mask_mode() -> None:
    trainers = (DOCS / "trainers.md").read_text(encoding="utf-8")
    missing = [n for n in [*EXPORTERS, *MASK_MODES] if f"`{n}`" not in trainers]
    assert missing == []
