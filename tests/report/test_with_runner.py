"""The report of an audit with only some signals run shows what ran and says what did not."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from ift_data.audit.options import AuditOptions
from ift_data.audit.runner import run_audit
from ift_data.report import write_reports

ROWS = [
    {"instruction": "Name three primary colors.", "input": "", "output": "Red, yellow and blue."},
    {"instruction": "Name three primary colors.", "input": "", "output": "Red, yellow and blue."},
    {"instruction": "Write <b>bold</b> & <script>alert(1)</script> safely.", "input": "", "output": "Done."},
]


def test_report_of_a_partial_audit(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps(ROWS), encoding="utf-8")
    result = run_audit([data], tmp_path / "audit", AuditOptions(embeddings=False, progress=False,
                                                                signals=("dedup_exact", "noise")))
    assert result.summary.masking is None and list(result.summary.signals) == ["dedup_exact", "noise"]
    buffer = io.StringIO()
    html = write_reports(tmp_path / "audit", tmp_path / "audit", Console(file=buffer, width=140, color_system=None))
    text = buffer.getvalue()
    page = html.read_text(encoding="utf-8")
    assert "3 examples audited" in text and "exact_duplicate" in text
    assert "masking: the length signal did not run" in text
    assert "The length signal did not run: no recommendation." in page
    assert "cluster mate: row 0" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
