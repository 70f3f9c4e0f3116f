"""A synthetic audit folder shaped like the runner's output, for report tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

EVIL = '<script>alert("x")</script><img src="https://evil.example/x.png">'


def make_audit_dir(path: Path, n: int = 60) -> Path:
    rng = np.random.default_rng(0)
    instructions = [f"Write item {i} about topic {i % 7}." for i in range(n)]
    instructions[3] = EVIL
    instructions[4] = "把这句话翻译成英文。"
    responses = [f"Answer number {i}. " * int(rng.integers(1, 12)) for i in range(n)]
    responses[5] = "Réponse en français {text} |||"
    examples = pl.DataFrame({
        "row_id": list(range(n)), "source_file": ["x.jsonl"] * n, "source_line": list(range(1, n + 1)),
        "instruction": instructions, "input": [""] * n, "response": responses,
    })
    cluster = [-1] * n
    rep = [-1] * n
    for a, b in ((10, 11), (20, 21), (20, 22)):
        cluster[a] = cluster[b] = a
        rep[b] = a
    signals = pl.DataFrame({
        "row_id": list(range(n)),
        "length_instruction_words": [len(s.split()) for s in instructions],
        "length_input_words": [0] * n,
        "length_response_words": [len(s.split()) for s in responses],
        "length_instruction_chars": [len(s) for s in instructions],
        "length_response_chars": [len(s) for s in responses],
        "length_ratio": [len(a.split()) / max(len(b.split()), 1) for a, b in zip(instructions, responses, strict=True)],
        "dedup_minhash_cluster": cluster,
        "dedup_minhash_representative": rep,
        "dedup_minhash_jaccard": [0.9 if r >= 0 else 0.0 for r in rep],
        "language_instruction": ["zh-cn" if i == 4 else "en" for i in range(n)],
        "language_response": ["fr" if i == 5 else "en" for i in range(n)],
        "noise_repetition": rng.random(n),
        "difficulty_score": rng.random(n),
        "difficulty_bucket": [("easy", "medium", "hard")[i % 3] for i in range(n)],
        "flag_near_duplicate": [r >= 0 for r in rep],
        "flag_language_mismatch": [i in (4, 5) for i in range(n)],
        "flag_template_leftover": [i == 5 for i in range(n)],
        "flag_html_debris": [i == 3 for i in range(n)],
    })
    summary = {
        "rows": {"read": n + 2, "rejected": 2, "audited": n},
        "signals": {
            "dedup_minhash": {"clusters": 2, "threshold": 0.8},
            "language": {"response_shares": {"en": 0.98, "fr": 0.02}},
            "diversity": {"distinct_1": 0.41, "distinct_2": 0.77, "cluster_entropy": 2.3, "note": EVIL + " [red]boom[/] [/]"},
            "format_concentration": {"warnings": ["62% of responses are yes/no: mix in general data"],
                                     "top_format_share": 0.62},
        },
        "clean": {"remove": ["flag_near_duplicate"], "rows_removed": 3, "rows_kept": 57},
        "versions": {"ift-data": "0.1.0"},
        "timings": {"length": 0.01},
    }
    path.mkdir(parents=True, exist_ok=True)
    signals.write_parquet(path / "signals.parquet")
    examples.write_parquet(path / "examples.parquet")
    (path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return path


@pytest.fixture
def audit_dir(tmp_path: Path) -> Path:
    return make_audit_dir(tmp_path / "audit")


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
