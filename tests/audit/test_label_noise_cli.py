"""The audit command with the label-noise signal on a classification file: it runs cleanlab in this process, so
nothing leaks to standard error (cleanlab's own worker pool, shut down with SIGTERM, printed a traceback per
worker under the command line's signal handlers) and the review list reaches the signals and the summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl

GOOD = ("the soup was warm and the staff were kind", "a lovely walk along the river at dusk",
        "the film made me laugh from start to end", "our new neighbours brought us fresh bread",
        "the concert was bright, loud and joyful", "this chair is comfortable and well made")
BAD = ("the train was late again and nobody said why", "the soup was cold and the bill was wrong",
       "the film dragged on and the ending made no sense", "my phone broke after two days",
       "the hotel room smelled of smoke and damp", "the shoes fell apart in the first week of rain")
PHRASINGS = ("Is the sentiment of this review positive or negative?", "Classify the sentiment of the text.")


def _rows() -> list[dict[str, str]]:
    rows = []
    for i in range(240):
        good = i % 2 == 0
        text = f"{(GOOD if good else BAD)[i % 6]}, visit {i}"
        label = "positive" if good else "negative"
        if i % 40 == 3:  # a few flipped labels
            label = "negative" if good else "positive"
        rows.append({"instruction": PHRASINGS[i % 2], "input": text, "output": label})
    return rows


def test_audit_with_label_noise_writes_nothing_to_stderr(tmp_path: Path) -> None:
    data = tmp_path / "reviews.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _rows()), encoding="utf-8")
    out = tmp_path / "audit"
    done = subprocess.run([sys.executable, "-m", "ift_data", "audit", str(data), "--out", str(out), "--embedder",
                           "static", "--cache-dir", str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "psutil" not in done.stderr + done.stdout, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["signals"]["label_noise"]["summary"]
    assert summary["classification_groups"]["negative/positive"]["labelled_rows"] == 240
    issues = pl.read_parquet(out / "signals.parquet")["label_noise_issue"]
    assert issues.null_count() == 0 and summary["issues"] == int(issues.sum())
