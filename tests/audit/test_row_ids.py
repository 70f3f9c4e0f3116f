"""A dataset's own row ids (issue 11): ``--id FIELD`` (or ``--map id=FIELD``) carries them into
signals.parquet (column ``id``), the report's examples and rejected.jsonl; a missing, empty or repeated id
is an error naming the file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from ift_data.audit.cleaner import run_clean
from ift_data.audit.options import AuditOptions
from ift_data.audit.runner import run_audit
from ift_data.cli import main
from ift_data.errors import UserError
from ift_data.io.instructions import read_instructions
from ift_data.io.instructions_shapes import Mapping_
from ift_data.report.data import ReportData
from ift_data.report.examples import worst_examples

ROWS = [
    {"uid": "alpha", "instruction": "Name a primary color.", "input": "", "output": "Red is a primary color."},
    {"uid": "beta", "instruction": "NAME A PRIMARY COLOR.", "input": "", "output": "Red is a primary color."},
    {"uid": "gamma", "instruction": "Explain gravity.", "input": "", "output": "As an AI language model, I cannot."},
    {"uid": "delta", "instruction": "Is the sky blue?", "input": "", "output": "Yes, on a clear day."},
]


def _jsonl(path: Path, rows: list[dict], extra: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + extra, encoding="utf-8")
    return path


def _opts(**kw) -> AuditOptions:
    return AuditOptions(embeddings=False, progress=False, **kw)


def _cli(*args: object) -> tuple[int, str]:
    res = CliRunner().invoke(main, [str(a) for a in args])
    return res.exit_code, res.output


def test_ids_reach_signals_rejected_and_report(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "d.jsonl", ROWS, "{broken\n")
    result = run_clean([data], tmp_path / "out", _opts(id_field="uid"))
    signals = pl.read_parquet(tmp_path / "out" / "signals.parquet")
    assert signals.columns[:2] == ["row_id", "id"] and signals["id"].to_list() == ["alpha", "beta", "gamma", "delta"]
    rejected = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "rejected.jsonl").read_text().splitlines())}
    assert rejected["beta"]["kept_id"] == "alpha" and rejected["beta"]["representative_id"] == 0
    assert rejected["gamma"]["reasons"] == ["flag_refusal"] and rejected["gamma"]["kept_id"] is None
    assert rejected[None]["stage"] == "read" and rejected[None]["kept_id"] is None  # a line that is not JSON
    assert result.audit is not None and result.audit.summary.options["id_field"] == "uid"
    blocks = {b.flag: b for b in worst_examples(ReportData(signals=result.audit.signals, summary=result.audit.summary,
                                                           examples=result.audit.table))}
    shown = blocks["flag_exact_duplicate"].examples[0]
    assert shown.id == "beta" and shown.details["id"] == "beta" and list(shown.details)[0] == "id"
    assert shown.mate is not None and shown.mate["id"] == "alpha" and "id alpha" in shown.mate["relation"]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "parquet"])
def test_read_rejects_name_their_own_id(tmp_path: Path, fmt: str) -> None:
    rows = [*ROWS, {"uid": "epsilon", "instruction": None, "input": "", "output": "No instruction."},
            {"uid": "zeta", "instruction": "Say hi.", "input": "", "output": "Hi " * 40},
            {"uid": "eta", "instruction": "Say bye.", "input": "", "output": "Bye."}]
    path = tmp_path / f"d.{fmt}"
    {"jsonl": lambda: _jsonl(path, rows), "json": lambda: path.write_text(json.dumps(rows)),
     "parquet": lambda: pl.DataFrame(rows).write_parquet(path)}[fmt]()
    run_clean([path], tmp_path / "out", _opts(id_field="uid", max_rows=4, max_field_chars=100))
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    read = {r["id"]: r["reasons"][0] for r in rejected if r["stage"] == "read"}
    assert set(read) == {"epsilon", "zeta", "eta"}, read  # missing field, too long, over --max-rows
    assert read["eta"] == "over --max-rows 4: not audited" and "over the 100 limit" in read["zeta"]


def test_without_id_nothing_changes(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "d.jsonl", ROWS)
    run_clean([data], tmp_path / "out", _opts())
    assert "id" not in pl.read_parquet(tmp_path / "out" / "signals.parquet").columns
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    assert all(r["id"] is None and r["kept_id"] is None for r in rejected)


def test_map_id_is_the_same_as_id_and_keeps_the_detected_shape(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "d.jsonl", ROWS)
    by_map = read_instructions([data], "id=uid")
    assert by_map.table["id"].to_list() == ["alpha", "beta", "gamma", "delta"] and by_map.sources[0].shape == "alpaca"
    mapped = read_instructions([data], "instruction=instruction,output=output,id=uid")
    assert mapped.table["id"].to_list() == by_map.table["id"].to_list() and mapped.sources[0].shape == "mapped"
    assert Mapping_.parse("id=uid") == Mapping_({}, "uid")
    with pytest.raises(UserError, match="different id fields"):
        read_instructions([data], "id=uid", id_field="other")
    with pytest.raises(UserError, match="instruction and output"):
        Mapping_.parse("category=task")


@pytest.mark.parametrize("fmt", ["jsonl", "json", "parquet", "csv"])
def test_integer_ids_in_every_format(tmp_path: Path, fmt: str) -> None:
    rows = [{**r, "uid": 10 + i} for i, r in enumerate(ROWS)]
    path = tmp_path / f"d.{fmt}"
    frame = pl.DataFrame(rows)
    {"jsonl": lambda: _jsonl(path, rows), "json": lambda: path.write_text(json.dumps(rows)),
     "parquet": lambda: frame.write_parquet(path), "csv": lambda: frame.write_csv(path)}[fmt]()
    assert read_instructions([path], id_field="uid").table["id"].to_list() == ["10", "11", "12", "13"]


def test_chat_rows_carry_their_id(tmp_path: Path) -> None:
    rows = [{"conversation_id": f"c{i}", "messages": [{"role": "user", "content": f"Question {i}?"},
                                                      {"role": "assistant", "content": f"Answer {i}."}]}
            for i in range(3)]
    data = _jsonl(tmp_path / "chat.jsonl", rows)
    assert read_instructions([data], id_field="conversation_id").table["id"].to_list() == ["c0", "c1", "c2"]


@pytest.mark.parametrize(("rows", "needles"), [
    (ROWS[:2] + [{**ROWS[2], "uid": "alpha"}], ["d.jsonl:1", "field 'uid'", "duplicate id 'alpha'", "line 3"]),
    (ROWS[:2] + [{k: v for k, v in ROWS[2].items() if k != "uid"}], ["d.jsonl:3", "field 'uid'", "missing"]),
    (ROWS[:1] + [{**ROWS[1], "uid": None}], ["d.jsonl:2", "field 'uid'", "null"]),
    (ROWS[:1] + [{**ROWS[1], "uid": "  "}], ["d.jsonl:2", "field 'uid'", "empty"]),
    (ROWS[:1] + [{**ROWS[1], "uid": ["x"]}], ["d.jsonl:2", "field 'uid'", "string or a number"]),
])
def test_bad_ids_are_one_line_errors(tmp_path: Path, rows: list[dict], needles: list[str]) -> None:
    data = _jsonl(tmp_path / "d.jsonl", rows)
    code, output = _cli("audit", data, "--out", tmp_path / "a", "--no-embeddings", "--id", "uid")
    assert code == 2, output
    line = output.strip().splitlines()[-1]
    for needle in needles:
        assert needle in line, (needle, line)
    assert not (tmp_path / "a" / "signals.parquet").exists()


def test_a_float_id_is_its_text_and_nan_is_an_error(tmp_path: Path) -> None:
    """A float id column (an id column with a gap, written by pandas) reads as its text; NaN or infinity is no
    id (NaN ids all read 'nan' and collided as duplicates)."""
    good = tmp_path / "good.parquet"
    pl.DataFrame({"uid": [1.0, 2.5], "instruction": ["a", "b"], "output": ["c", "d"]}).write_parquet(good)
    assert read_instructions([good], id_field="uid").table["id"].to_list() == ["1.0", "2.5"]
    for bad_value in (float("nan"), float("inf")):
        bad = tmp_path / "bad.parquet"
        pl.DataFrame({"uid": [1.0, bad_value], "instruction": ["a", "b"], "output": ["c", "d"]}).write_parquet(bad)
        with pytest.raises(UserError, match="the id is (nan|inf)") as caught:
            read_instructions([bad], id_field="uid")
        assert caught.value.line == 2 and caught.value.field == "uid"


def test_duplicate_ids_across_files_name_both(tmp_path: Path) -> None:
    first = _jsonl(tmp_path / "a.jsonl", ROWS[:2])
    second = _jsonl(tmp_path / "b.jsonl", [ROWS[2], {**ROWS[3], "uid": "beta"}])
    with pytest.raises(UserError) as err:
        run_audit([first, second], tmp_path / "out", _opts(id_field="uid"))
    assert err.value.file == str(first) and err.value.line == 2 and f"line 2 of {second}" in str(err.value)


def test_cli_id_option_and_map_id(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "d.jsonl", ROWS)
    code, output = _cli("clean", data, "--out", tmp_path / "c", "--no-embeddings", "--map", "id=uid")
    assert code == 0, output
    rejected = [json.loads(line) for line in (tmp_path / "c" / "rejected.jsonl").read_text().splitlines()]
    assert {r["id"] for r in rejected} == {"beta", "gamma"}
    code, output = _cli("audit", "--help")
    assert "--id FIELD" in output


def test_unknown_remove_flag_lists_the_valid_ones(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "d.jsonl", ROWS)
    code, output = _cli("clean", data, "--out", tmp_path / "c", "--no-embeddings", "--id", "uid",
                        "--remove", "flag_exact_duplicat")
    assert code == 2
    assert "flag_exact_duplicat" in output and "valid flags:" in output and "flag_exact_duplicate" in output
    assert not (tmp_path / "c" / "rejected.jsonl").exists()
