"""The terminal summary shows the runner's figures: counts, flags, languages, difficulty, masking."""

from __future__ import annotations

import io

from rich.console import Console

from ift_data.report import write_reports


def _text(result_or_dir, out, width: int = 140) -> str:
    buffer = io.StringIO()
    write_reports(result_or_dir, out, Console(file=buffer, width=width, color_system=None))
    return buffer.getvalue()


def test_terminal_summary(audited, tmp_path) -> None:
    text = _text(audited, tmp_path)
    summary = audited.summary
    assert summary.rows.read == 62 and summary.rows.rejected_on_read == 2 and summary.rows.audited == 60
    for expected in ("60 examples audited", "62 rows read", "2 rejected on read", "near_duplicate",
                     "exact_duplicate", "template_leftover", "response: ", "difficulty: easy",
                     "distinct_2", "of responses come from a small closed set", "masking: recommended instruction"):
        assert expected in text, expected
    assert f"would remove {summary.clean.rows_removed} rows, keep {summary.clean.rows_kept}" in text
    masking = summary.masking
    assert masking is not None
    assert f"R = {masking.ratio:.2f}, N = 60" in text and "mean response length, in words" in text
    near = summary.flags["flag_near_duplicate"]
    assert f"{near.share:.2%}" in text and near.family == "dedup_minhash"
    assert "dedup_semantic (skipped: embeddings off" in text


def test_folder_and_result_object_print_the_same(audited, audit_dir, tmp_path) -> None:
    from_object = _text(audited, tmp_path / "a").replace(str(tmp_path / "a"), "OUT")
    from_folder = _text(audit_dir, tmp_path / "b").replace(str(tmp_path / "b"), "OUT")
    assert from_object == from_folder

