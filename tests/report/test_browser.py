"""The HTML report renders in headless Chromium without console errors and fetches nothing."""

from __future__ import annotations

from pathlib import Path

from ift_data.report import write_reports


def test_report_renders_without_console_errors(audit_dir: Path, chromium: str, open_page) -> None:
    path = write_reports(audit_dir, audit_dir, None)
    load = open_page(path, chromium)
    assert load.errors == []
    assert load.marker == "7 sections"  # the inline script ran to its end
    assert load.title.startswith("ift-data audit report")
    assert [u for u in load.requests if not u.startswith("file://")] == []


def test_detector_sees_errors_and_requests(tmp_path: Path, chromium: str, open_page) -> None:
    """Control: the same harness does catch console errors, exceptions and outside requests."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><script>console.error("bad thing"); missingFn();</script>'
                   '<img src="https://example.invalid/x.png"></body></html>', encoding="utf-8")
    load = open_page(bad, chromium)
    assert any("bad thing" in e for e in load.errors)
    assert any("missingFn" in e for e in load.errors)
    assert "https://example.invalid/x.png" in load.requests
