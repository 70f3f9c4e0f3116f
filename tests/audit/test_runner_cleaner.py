"""Runner determinism, clean row accounting, the CLI end to end, and the real-data integration run."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from ift_data.audit.cleaner import run_clean
from ift_data.audit.options import AuditOptions
from ift_data.audit.runner import run_audit
from ift_data.audit.summary import AuditSummary, RowCounts
from ift_data.cli import main

OPTS = AuditOptions(embeddings=False, progress=False)
SHARED = Path(__file__).parents[2] / ".." / "shared" / "data" / "instructions"

ROWS = [
    {"instruction": "Name a primary color.", "input": "", "output": "Red is a primary color."},
    {"instruction": "Name a primary color.", "input": "", "output": "Red is a primary color."},
    {"instruction": "Explain gravity.", "input": "", "output": "As an AI language model, I cannot explain it."},
    {"instruction": "请解释水循环。", "input": "", "output": "水从地面蒸发，凝结成云，再以降水落下。"},
    {"instruction": "Is the sky blue?", "input": "", "output": "Yes"},
]


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in ROWS] + ["{broken"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _without_timings(path: Path) -> dict:
    return AuditSummary.load(path).to_json(timings=False)


def test_two_runs_are_identical(tmp_path):
    data = _write(tmp_path)
    a = run_audit([data], tmp_path / "a", OPTS)
    run_audit([data], tmp_path / "b", OPTS)
    assert (tmp_path / "a" / "signals.parquet").read_bytes() == (tmp_path / "b" / "signals.parquet").read_bytes()
    assert _without_timings(tmp_path / "a" / "summary.json") == _without_timings(tmp_path / "b" / "summary.json")
    assert set(a.timings["signals"]) >= {"length", "dedup_exact", "dedup_minhash", "language", "noise"}
    assert a.summary.rows == RowCounts(read=6, audited=5, rejected_on_read=1)
    assert a.summary.signals["dedup_semantic"].status in ("skipped", "missing")
    assert a.signals.height == 5 and "flag_exact_duplicate" in a.signals.columns


def test_clean_accounts_for_every_row(tmp_path):
    data = _write(tmp_path)
    result = run_clean([data], tmp_path / "out", OPTS)
    assert result.rows_in == 6 and result.kept + result.rejected == 6
    kept = [json.loads(line) for line in (tmp_path / "out" / "data.jsonl").read_text(encoding="utf-8").splitlines()]
    assert kept == [ROWS[0], ROWS[3], ROWS[4]]
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    by_row = {r["row_id"]: r for r in rejected}
    assert "flag_exact_duplicate" in by_row[1]["reasons"] and by_row[1]["representative_id"] == 0
    assert by_row[1]["record"] == ROWS[1]
    assert by_row[2]["reasons"] == ["flag_refusal"]
    assert by_row[None]["stage"] == "read" and by_row[None]["raw"] == "{broken"
    assert by_row[None]["source_record"] == 5 and by_row[None]["raw_decoded_with_replacement"] is False
    # reuse the audit's signals, remove only refusals
    again = run_clean([data], tmp_path / "out2", OPTS, signals=tmp_path / "out", remove=["flag_refusal"])
    assert (again.kept, again.rejected) == (4, 2)


@pytest.mark.parametrize("fmt", ["json", "parquet", "csv"])
def test_clean_keeps_input_format(tmp_path, fmt):
    frame = pl.DataFrame(ROWS)
    path = tmp_path / f"d.{fmt}"
    {"json": lambda: path.write_text(json.dumps(ROWS, ensure_ascii=False)), "parquet": lambda: frame.write_parquet(path),
     "csv": lambda: frame.write_csv(path)}[fmt]()
    result = run_clean([path], tmp_path / "out", OPTS)
    out = tmp_path / "out" / path.name
    read = {"json": lambda: pl.DataFrame(json.loads(out.read_text())), "parquet": lambda: pl.read_parquet(out),
            "csv": lambda: pl.read_csv(out)}[fmt]()
    assert read.columns == ["instruction", "input", "output"] and read.height == result.kept == 3


def test_removed_parquet_row_with_values_json_cannot_write_is_written_as_their_text(tmp_path):
    """A removed Parquet row's record holding NaN, a timestamp, a Decimal or bytes stopped clean with a
    traceback ("Out of range float values are not JSON compliant", "... is not JSON serializable")."""
    import datetime
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"instruction": ["Explain gravity."],
                             "output": ["As an AI language model, I cannot explain it."],
                             "score": [float("nan")], "at": [datetime.datetime(2020, 1, 2)],
                             "price": [decimal.Decimal("1.50")], "blob": [b"\xff"]}), path)
    result = run_clean([path], tmp_path / "out", OPTS)
    assert (result.kept, result.rejected) == (0, 1)
    [line] = (tmp_path / "out" / "rejected.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["record"] == {"instruction": "Explain gravity.",
                                          "output": "As an AI language model, I cannot explain it.",
                                          "score": "NaN", "at": "2020-01-02 00:00:00", "price": "1.50",
                                          "blob": "b'\\xff'"}


@pytest.mark.parametrize("fmt", ["parquet", "hf_disk"])
def test_clean_of_an_arrow_input_that_keeps_no_row_writes_an_empty_readable_copy(tmp_path, fmt):
    """Every row removed: pyarrow could not take an (untyped) empty list of rows (a traceback), and datasets
    wrote a folder without a shard that it cannot load again."""
    refusal = {"instruction": "Explain gravity.", "output": "As an AI language model, I cannot explain it.",
               "tags": ["physics"]}
    table = pl.DataFrame([refusal]).to_arrow()
    path = tmp_path / ("d.parquet" if fmt == "parquet" else "d")
    if fmt == "parquet":
        pl.from_arrow(table).write_parquet(path)  # type: ignore[union-attr]
    else:
        import datasets

        datasets.Dataset(table).save_to_disk(str(path))
    result = run_clean([path], tmp_path / "out", OPTS)
    assert (result.rows_in, result.kept) == (1, 0)
    out = tmp_path / "out" / path.name
    if fmt == "parquet":
        kept = pl.read_parquet(out)
    else:
        import datasets

        kept = pl.from_arrow(datasets.load_from_disk(str(out)).data.table)  # type: ignore[assignment]
    assert kept.height == 0 and kept.columns == ["instruction", "output", "tags"]


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_read_rejects_of_a_one_line_array_or_parquet_can_be_found(tmp_path, fmt):
    """Every record of a minified JSON array is on line 1 and a Parquet file has no text: read rejects carry
    their record's position (source_record, as the audit's rows do) and the record itself as ``raw``."""
    rows = [*ROWS[2:], {"instruction": None, "input": "", "output": "lost content here"}, ROWS[4],
            {"instruction": "Hi", "input": "", "output": None}]
    path = tmp_path / f"d.{fmt}"
    if fmt == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    else:
        pl.DataFrame(rows).write_parquet(path)
    run_clean([path], tmp_path / "out", OPTS)
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    read = [r for r in rejected if r["stage"] == "read"]
    assert [r["source_record"] for r in read] == [3, 5]
    assert [json.loads(r["raw"]) for r in read] == [rows[3], rows[5]]
    assert not any(r["raw_decoded_with_replacement"] for r in read)


def test_read_rejects_say_when_their_raw_line_replaced_invalid_utf8(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"instruction,input,output\nSay hi,,Hello\nSay \xe9 hi,,Hello there\n")
    run_clean([path], tmp_path / "out", OPTS)
    [reject] = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    assert reject["raw"] == "Say \ufffd hi,,Hello there" and reject["raw_decoded_with_replacement"] is True
    assert reject["source_line"] == 3 and reject["source_record"] == 1


def test_cli_audit_and_clean(tmp_path):
    data = _write(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["audit", str(data), "--out", str(tmp_path / "a"), "--no-embeddings"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a" / "signals.parquet").is_file() and (tmp_path / "a" / "summary.json").is_file()
    res = runner.invoke(main, ["clean", str(data), "--out", str(tmp_path / "c"), "--no-embeddings"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "c" / "rejected.jsonl").is_file()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    res = runner.invoke(main, ["audit", str(empty), "--out", str(tmp_path / "e"), "--no-embeddings"])
    assert res.exit_code == 2 and "empty" in res.output
    res = runner.invoke(main, ["audit", str(data), "--out", str(tmp_path / "e"), "--no-embeddings", "--rules", "nope"])
    assert res.exit_code == 2


def test_strict_rules_extend_default():
    from ift_data.audit.rules import load_rules

    strict = load_rules("strict").values
    assert strict["dedup_minhash"]["threshold"] == 0.7 and strict["dedup_minhash"]["num_perm"] == 128
    assert "flag_conflict" in strict["clean"]["remove"]


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is absent")
def test_real_alpaca_and_dolly(tmp_path):
    files = [SHARED / "alpaca_random_9k.json", SHARED / "dolly_3k.json"]
    result = run_clean(files, tmp_path / "out", OPTS)
    assert result.rows_in == 9229 + 2996 and result.kept + result.rejected == result.rows_in
    summary = result.audit.summary
    assert summary.family("language")["instruction_shares"]["en"] > 0.9
    assert summary.flags["flag_language_mismatch"].share < 0.01
