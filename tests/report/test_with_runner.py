"""The report on a real audit result from the runner (cheap signals, no embeddings)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

pytest.importorskip("ift_data.audit.runner")

from ift_data.audit.options import AuditOptions  # noqa: E402
from ift_data.audit.runner import run_audit  # noqa: E402
from ift_data.report import write_reports  # noqa: E402

ROWS = [
    {"instruction": "Name three primary colors.", "input": "", "output": "Red, yellow and blue."},
    {"instruction": "Name three primary colors.", "input": "", "output": "Red, yellow and blue."},
    {"instruction": "Summarize the plot of Hamlet in two sentences.", "input": "",
     "output": "Prince Hamlet seeks revenge on his uncle, who murdered his father to take the throne. His "
               "hesitation and feigned madness lead to a tragedy in which nearly everyone dies."},
    {"instruction": "Fill in the template.", "input": "", "output": "Dear {name}, thanks for {text} |||"},
    {"instruction": "把下面的句子翻译成英文：我今天很高兴。", "input": "", "output": "I am very happy today."},
    {"instruction": "Write <b>bold</b> & <script>alert(1)</script> safely.", "input": "", "output": "Done."},
]


@pytest.fixture
def audited(tmp_path: Path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps(ROWS, ensure_ascii=False), encoding="utf-8")
    return run_audit([data], tmp_path / "audit", AuditOptions(embeddings=False, progress=False)), tmp_path / "audit"


def test_report_from_result_object(audited) -> None:
    result, out = audited
    buffer = io.StringIO()
    path = write_reports(result, out, Console(file=buffer, width=140, color_system=None))
    html = path.read_text(encoding="utf-8")
    text = buffer.getvalue()
    assert "6 examples audited" in text and "exact_duplicate" in text and "masking:" in text
    assert "exact_duplicate" in html and "cluster mate: row 0" in html
    assert "Red, yellow and blue." in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_report_from_folder_rereads_texts(audited) -> None:
    """Given only the audit folder, the texts come back from the inputs named in summary.json."""
    _, out = audited
    html = write_reports(out, out, None).read_text(encoding="utf-8")
    assert "Red, yellow and blue." in html and "text not available" not in html
