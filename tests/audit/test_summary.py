"""AuditSummary: what the runner writes loads back equal; another shape is refused in one line; an
audit or clean of a file whose every row is rejected stops with the first reject, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ift_data.audit.options import AuditOptions
from ift_data.audit.runner import run_audit
from ift_data.audit.summary import SUMMARY_VERSION, AuditSummary, input_sha256
from ift_data.cli import main
from ift_data.errors import UserError

OPTS = AuditOptions(embeddings=False, progress=False, signals=("length", "dedup_exact", "noise"))
ROWS = [{"instruction": "Name a primary color.", "input": "", "output": "Red."},
        {"instruction": "Name a primary color.", "input": "", "output": "Red."},
        {"instruction": "Explain gravity in one sentence.", "input": "", "output": "Masses attract each other."}]


@pytest.fixture
def audited(tmp_path: Path):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS) + "{broken\n", encoding="utf-8")
    return run_audit([data], tmp_path / "audit", OPTS)


def test_round_trip(audited) -> None:
    path = audited.out_dir / "summary.json"
    loaded = AuditSummary.load(path)
    assert loaded == audited.summary and loaded.timings == audited.summary.timings
    assert json.loads(path.read_text(encoding="utf-8")) == loaded.to_json()
    assert loaded.version == SUMMARY_VERSION and list(loaded.signals) == ["length", "dedup_exact", "noise"]
    assert loaded.inputs[0].sha256 == input_sha256(loaded.inputs[0].path) and loaded.inputs[0].records == 4
    assert loaded.read_rejects[0].line == 4 and loaded.rows.rejected_on_read == 1
    assert loaded.flag_families["flag_exact_duplicate"] == "dedup_exact"
    assert "length_ratio" in loaded.signals["length"].columns and "dedup_exact_cluster" in loaded.signals["dedup_exact"].columns
    assert set(audited.signals.columns) == {"row_id", *(c for run in loaded.signals.values()
                                                       for c in (*run.columns, *run.flags))}
    assert loaded.masking is not None and loaded.masking.n_examples == 3
    assert loaded.audit_options() == OPTS.__class__(**{**OPTS.__dict__, "progress": True})
    assert "timings" not in loaded.to_json(timings=False)


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda s: s.pop("version"), "version", "no version (an older ift-data)"),
    (lambda s: s.update(version=99), "version", "version 99"),
    (lambda s: s.update(extra=1), None, "unknown extra"),
    (lambda s: s["inputs"][0].pop("sha256"), "inputs", "missing sha256"),
    (lambda s: s["rows"].update(audited="3"), "rows.audited", "expected int, found str"),
    (lambda s: s["signals"]["noise"].update(status="done"), "signals.noise.status", "unknown status"),
    (lambda s: s["masking"].pop("ratio"), "masking", "ratio"),
    (lambda s: s["options"].update(mapping_typo=None), "options", "unknown mapping_typo"),
])
def test_another_shape_is_refused(audited, change, field, words) -> None:
    path = audited.out_dir / "summary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UserError) as info:
        AuditSummary.load(path)
    message = str(info.value)
    assert info.value.file == str(path) and info.value.field == field
    assert words in message and "rerun `ift-data audit`" in message and "\n" not in message


def test_clean_with_an_old_summary_is_one_line(audited, tmp_path: Path) -> None:
    path = audited.out_dir / "summary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("version")
    path.write_text(json.dumps(data), encoding="utf-8")
    res = CliRunner().invoke(main, ["clean", audited.summary.inputs[0].path, "--out", str(tmp_path / "c"),
                                    "--signals", str(audited.out_dir), "--no-embeddings"])
    assert res.exit_code == 2 and "field 'version'" in res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output


@pytest.mark.parametrize("command", ["audit", "clean"])
def test_every_row_rejected_is_one_line(tmp_path: Path, command: str) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"instruction": 5, "output": null}\n{"instruction": 6, "output": null}\n', encoding="utf-8")
    res = CliRunner().invoke(main, [command, str(data), "--out", str(tmp_path / "out"), "--no-embeddings"])
    assert res.exit_code == 2, res.output
    line = " ".join(res.output.split())
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
    assert f"{data}:1:" in line and "every row was rejected, 2 in all; this is the first" in line
    assert not (tmp_path / "out" / "summary.json").exists()
