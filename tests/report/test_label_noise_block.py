"""The label-noise block of the terminal summary and the HTML page: per classification group, the flagged rows
(or why none were) and the rows to review (``label_noise_issue``)."""

from __future__ import annotations

import dataclasses
import io

from rich.console import Console

from ift_data.audit.summary import SignalRun
from ift_data.report import write_reports
from ift_data.report.data import label_noise_groups
from ift_data.report.terminal import label_noise_text

FIGURES = {"flagged": 27, "issues": 530, "classification_groups": {
    "business/sci/tech/sports/world": {"labelled_rows": 627, "flagged": 27, "issues": 98, "estimated_precision": 0.8071},
    "negative/positive": {"labelled_rows": 2000, "flagged": 0, "issues": 432,
                          "not_flagged": "labels too weakly predictable from the text: skill 0.40 < 0.5"},
    "acceptable/unacceptable": {"labelled_rows": 300, "flagged": 0, "issues": 0, "not_flagged": "skill -0.01 < 0.5",
                                "no_review_list": "the classifier hardly beats always answering the majority label "
                                                  "(skill -0.01 < 0.2)"}}}


def _with_label_noise(audited):  # type: ignore[no-untyped-def]
    run = SignalRun("ok", None, ("label_noise_issue",), ("flag_label_noise",), FIGURES)
    summary = dataclasses.replace(audited.summary, signals={**audited.summary.signals, "label_noise": run})
    return dataclasses.replace(audited, summary=summary)


def test_groups_and_their_lines(audited) -> None:
    groups = label_noise_groups(_with_label_noise(audited).summary)
    assert [(g["name"], g["rows"], g["flagged"], g["issues"]) for g in groups] == [
        ("business/sci/tech/sports/world", 627, 27, 98), ("negative/positive", 2000, 0, 432),
        ("acceptable/unacceptable", 300, 0, 0)]
    assert label_noise_text(groups[2]).endswith("; no review list (the classifier hardly beats always answering "
                                                "the majority label (skill -0.01 < 0.2))")
    assert label_noise_text(groups[0]) == ("label noise (business/sci/tech/sports/world, 627 rows): 27 flagged "
                                           "(estimated precision 0.81); 98 to review")
    assert label_noise_text(groups[1]).endswith("0 flagged (labels too weakly predictable from the text: skill "
                                                "0.40 < 0.5); 432 to review")


def test_terminal_and_page_show_the_block(audited, tmp_path) -> None:
    buffer = io.StringIO()
    write_reports(_with_label_noise(audited), tmp_path, Console(file=buffer, width=200, color_system=None))
    printed = buffer.getvalue()
    assert "label noise (negative/positive, 2,000 rows): 0 flagged" in printed and "432 to review" in printed
    assert "column label_noise_issue" in printed
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="label-noise"' in page and "negative/positive" in page and ">432<" in page
    assert "estimated precision 0.81" in page
    assert '<span title="the classifier hardly beats always answering the majority label (skill -0.01 &lt; 0.2)">none' \
        in page


def test_no_block_without_the_signal(audited, tmp_path) -> None:
    buffer = io.StringIO()
    write_reports(audited, tmp_path, Console(file=buffer, width=200, color_system=None))
    assert "label noise (" not in buffer.getvalue()
    assert 'id="label-noise"' not in (tmp_path / "report.html").read_text(encoding="utf-8")
