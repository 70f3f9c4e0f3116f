"""The HTML report: self-contained, offline, escaped, with the plots and flagged examples; it reads
only signals.parquet and summary.json (and the inputs again, when they are unchanged)."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from ift_data.errors import UserError
from ift_data.report import write_reports

EVIL = '<script>alert("x")</script><img src="https://evil.example/x.png">'  # a row of the fixture's data


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


@pytest.fixture(scope="module")
def html(audit_dir: Path, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("html")
    path = write_reports(audit_dir, out, Console(file=None, quiet=True))
    assert path == out / "report.html"
    return path.read_text(encoding="utf-8")


def test_report_is_self_contained_and_offline(html: str) -> None:
    assert external_urls(html) == []
    parser = _Resources()
    parser.feed(html)
    assert "link" not in parser.tags  # no stylesheet links, no fonts
    assert html.count("<script") == 1  # only our inline marker script, no src


def test_data_is_escaped(html: str) -> None:
    assert EVIL in (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(" in html
    assert "https://evil.example" not in external_urls(html)
    assert "填写这封信" in html  # non-Latin text kept as is


def test_plots_and_sections(html: str, audited) -> None:
    for title in ("instruction length (words)", "response length (words)", "instruction / response ratio R",
                  "difficulty buckets", "language shares: response", "dedup_minhash_cluster: clusters by size"):
        assert f"<title>{title}" in html, title
    assert "of responses come from a small closed set" in html  # format-concentration warning
    assert "distinct_2" in html
    masking = audited.summary.masking
    assert f"R = {masking.ratio:.2f} (instruction / response, in words)" in html
    assert f"N = {masking.n_examples:,}." in html


def test_duplicates_show_their_cluster_mate(html: str, audited) -> None:
    table = audited.table
    first, second = table.filter(table["instruction"] == "Name three primary colors.")["row_id"].to_list()
    assert f"cluster mate: row {first} (same dedup_exact_cluster)" in html
    assert "Red, yellow and blue." in html


def test_texts_need_unchanged_inputs(audited, tmp_path: Path) -> None:
    """From a folder, texts are read back only from inputs whose sha256 still matches the summary."""
    folder = tmp_path / "audit"
    shutil.copytree(audited.out_dir, folder)
    data = Path(audited.summary.inputs[0].path)
    original = data.read_bytes()
    try:
        data.write_bytes(original.replace(b"primary colors", b"primary colours"))
        page = write_reports(folder, folder, None).read_text(encoding="utf-8")
    finally:
        data.write_bytes(original)
    assert "text not available" in page and "primary colo" not in page
    page = write_reports(folder, folder, None).read_text(encoding="utf-8")
    assert "Name three primary colors." in page and "text not available" not in page


def test_rerun_page_is_byte_identical(audited, tmp_path: Path) -> None:
    a = write_reports(audited, tmp_path / "a", None).read_bytes()
    b = write_reports(audited.out_dir, tmp_path / "b", None).read_bytes()
    assert a == b


@pytest.mark.parametrize(("change", "field"), [
    (lambda s: s.pop("version"), "version"),
    (lambda s: s.update(version=1), "version"),
    (lambda s: s["rows"].update(rejected=2), "rows"),
    (lambda s: s["flags"]["flag_too_long"].pop("family"), "flags.flag_too_long"),
])
def test_summary_of_another_shape_is_refused(audited, tmp_path: Path, change, field) -> None:
    folder = tmp_path / "audit"
    shutil.copytree(audited.out_dir, folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    change(summary)
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.raises(UserError) as info:
        write_reports(folder, folder, None)
    assert info.value.field == field and info.value.file == str(folder / "summary.json")
    assert "rerun `ift-data audit`" in str(info.value) and "\n" not in str(info.value)


def test_signals_of_another_audit_are_refused(audited, tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    shutil.copytree(audited.out_dir, folder)
    import polars as pl

    pl.read_parquet(folder / "signals.parquet").head(5).write_parquet(folder / "signals.parquet")
    with pytest.raises(UserError, match="does not belong to summary.json"):
        write_reports(folder, folder, None)


def test_missing_summary_is_one_line(tmp_path: Path, audited) -> None:
    shutil.copy(audited.out_dir / "signals.parquet", tmp_path / "signals.parquet")
    with pytest.raises(UserError, match="no summary.json here"):
        write_reports(tmp_path, tmp_path, None)
