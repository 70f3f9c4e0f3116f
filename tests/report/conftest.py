"""An audit folder made by the real runner (cheap signals, no embeddings), for the report tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ift_data.audit.options import AuditOptions
from ift_data.audit.runner import AuditResult, run_audit

EVIL = '<script>alert("x")</script><img src="https://evil.example/x.png">'
CHINESE = "把这句话翻译成英文：我今天很高兴，因为天气很好。"
TOPICS = ("rivers", "bridges", "volcanoes", "forests", "deserts", "glaciers", "harbors", "canyons")


def audit_rows() -> list[str]:
    """60 good JSONL lines and 2 that are rejected on read: yes/no answers (format concentration), an
    exact duplicate pair, a near-duplicate pair, markup, a template leftover and Chinese text."""
    rows = []
    for i in range(36):
        topic = TOPICS[i % len(TOPICS)]
        rows.append({"instruction": f"Is statement number {i} about {topic} true? Answer yes or no.", "input": "",
                     "output": ("Yes." if i % 3 else "No.")})
    for i in range(16):
        topic = TOPICS[i % len(TOPICS)]
        rows.append({"instruction": f"Write a few sentences about {topic}, part {i}.", "input": "",
                     "output": f"{topic.capitalize()} change slowly over time. " * (1 + i % 5)
                     + f"This note number {i} explains why {topic} matter to people who live near them."})
    long_text = ("The committee met on a rainy Tuesday to review the annual budget, the new library hours, the "
                 "repairs to the old stone bridge and the plan for planting trees along the river path.")
    rows.append({"instruction": "Summarize the meeting notes.", "input": long_text, "output": "Budget, library, bridge, trees."})
    rows.append({"instruction": "Summarize the meeting notes.", "input": long_text.replace("rainy", "windy"),
                 "output": "Budget, library, bridge, trees."})
    rows.append({"instruction": "Name three primary colors.", "input": "", "output": "Red, yellow and blue."})
    rows.append({"instruction": "Name three primary colors.", "input": "", "output": "Red, yellow and blue."})
    rows.append({"instruction": EVIL, "input": "", "output": "I will not run that [red]boom[/] [/]."})
    rows.append({"instruction": "填写这封信 (fill in the letter).", "input": "",
                 "output": "Dear {name}, thanks for {text} |||"})
    rows.append({"instruction": CHINESE, "input": "", "output": "I am very happy today because the weather is good."})
    rows.append({"instruction": "Write <b>bold</b> & <i>italic</i> safely.", "input": "", "output": "Done."})
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    return [*lines[:10], '{"instruction": 5, "output": null}', *lines[10:], "{not json"]


def make_audit(folder: Path) -> AuditResult:
    data = folder / "data.jsonl"
    folder.mkdir(parents=True, exist_ok=True)
    data.write_text("\n".join(audit_rows()) + "\n", encoding="utf-8")
    return run_audit([data], folder / "audit", AuditOptions(embeddings=False, progress=False))


@pytest.fixture(scope="session")
def audited(tmp_path_factory) -> AuditResult:
    return make_audit(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="session")
def audit_dir(audited: AuditResult) -> Path:
    return audited.out_dir


def _load_browser_helper():
    """tests/report/browser.py, loaded by path so it works whatever pytest's import mode."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ift_report_browser", Path(__file__).with_name("browser.py"))
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


browser = _load_browser_helper()


@pytest.fixture
def chromium() -> str:
    path = browser.find_chromium()
    if path is None:
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    return path


@pytest.fixture
def open_page():
    return browser.open_page
