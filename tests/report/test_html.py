"""The HTML report: self-contained, offline, escaped, with the plots and flagged examples."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import polars as pl
from rich.console import Console

from ift_data.report import write_reports
from ift_data.report.data import load_report_data


class _Resources(HTMLParser):
    """Every URL the page would fetch: src/href/xlink:href/srcset attributes and CSS url()."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "data", "action", "poster") and value:
                self.urls.append(value)

    def handle_data(self, data):
        if self.in_style and "url(" in data:
            self.urls.append(data[data.index("url("):][:80])


def external_urls(html: str) -> list[str]:
    parser = _Resources()
    parser.feed(html)
    return [u for u in parser.urls if not u.startswith("#") and not u.startswith("data:")]


def test_report_is_self_contained_and_offline(audit_dir: Path) -> None:
    path = write_reports(audit_dir, audit_dir, Console(file=None, quiet=True))
    html = path.read_text(encoding="utf-8")
    assert path == audit_dir / "report.html"
    assert external_urls(html) == []
    parser = _Resources()
    parser.feed(html)
    assert "link" not in parser.tags  # no stylesheet links, no fonts
    assert html.count("<script") == 1  # only our inline marker script, no src


def test_data_is_escaped(audit_dir: Path) -> None:
    html = write_reports(audit_dir, audit_dir, None).read_text(encoding="utf-8")
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(" in html
    assert "https://evil.example" not in external_urls(html)
    assert "把这句话翻译成英文。" in html  # non-Latin text kept as is


def test_plots_and_sections(audit_dir: Path) -> None:
    html = write_reports(audit_dir, audit_dir, None).read_text(encoding="utf-8")
    for title in ("instruction length (words)", "response length (words)", "instruction / response ratio R",
                  "difficulty buckets", "language shares: response", "dedup_minhash_cluster: clusters by size"):
        assert f"<title>{title}" in html, title
    assert html.count("<svg") >= 6
    assert "62% of responses are yes/no" in html  # format-concentration warning
    assert "distinct_2" in html


def test_duplicates_show_their_cluster_mate(audit_dir: Path) -> None:
    html = write_reports(audit_dir, audit_dir, None).read_text(encoding="utf-8")
    assert "cluster mate: row 10" in html
    assert "cluster mate: row 20" in html
    assert "Write item 10 about topic 3." in html and "Write item 11 about topic 4." in html


def test_result_object_and_texts_inside_signals(audit_dir: Path, tmp_path: Path) -> None:
    """A result object whose signals carry the texts (no examples.parquet) works the same."""
    signals = pl.read_parquet(audit_dir / "signals.parquet")
    examples = pl.read_parquet(audit_dir / "examples.parquet")

    class Result:
        def __init__(self) -> None:
            self.signals = signals.join(examples.select("row_id", "instruction", "response"), on="row_id")
            self.summary = {}

    data = load_report_data(Result())
    assert data.examples is not None and "instruction" in data.examples.columns
    path = write_reports(Result(), tmp_path, None)
    assert "Write item 10 about topic 3." in path.read_text(encoding="utf-8")


def test_minimal_audit_without_optional_columns(tmp_path: Path) -> None:
    pl.DataFrame({"row_id": [0, 1], "flag_empty_response": [True, False]}).write_parquet(
        tmp_path / "signals.parquet")
    path = write_reports(tmp_path, tmp_path, None)
    html = path.read_text(encoding="utf-8")
    assert "empty_response" in html and "text not available" in html
