"""The terminal summary names the counts, flags, languages, difficulty and masking figures."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from ift_data.report import write_reports


def test_terminal_summary(audit_dir: Path) -> None:
    buffer = io.StringIO()
    write_reports(audit_dir, audit_dir, Console(file=buffer, width=140, color_system=None))
    text = buffer.getvalue()
    for expected in ("60 examples audited", "62 rows read", "2 rejected", "near_duplicate", "5.00%",
                     "language_mismatch", "response: en 98.0%", "easy 20", "distinct_2 0.77",
                     "62% of responses are yes/no", "would remove 3 rows", "masking:", "N = 60", "report:"):
        assert expected in text, expected


def test_markup_in_data_is_not_interpreted(audit_dir: Path) -> None:
    buffer = io.StringIO()
    write_reports(audit_dir, audit_dir, Console(file=buffer, width=200, color_system=None))
    assert '<script>alert("x")</script>' in buffer.getvalue()  # printed literally
    assert "[red]boom[/] [/]" in buffer.getvalue()  # rich markup in data is not interpreted
