"""``source_line`` (clean's ``rejected.jsonl``) and ``line`` (the build's ``rejects.jsonl``) are the physical
line of the file where the record starts: JSONL the line, a JSON array the line of the record's ``{``,
CSV/TSV the record's first line, counting the header and the lines of quoted newlines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ift_data.builder.pipeline import run_build
from ift_data.cli import main
from ift_data.io.sources import ReadOptions, open_source
from ift_data.schema import RawRow

GOOD = [{"instruction": f"Say the number {i} in words", "input": "", "output": f"The number is {i} indeed"}
        for i in range(6)]
MISSING = {"instruction": "No answer here", "input": ""}  # no output: a read reject
DUPLICATE = dict(GOOD[1])  # an exact duplicate: removed by clean


def _line_of(text: str, needle: str) -> int:
    """The 1-based physical line holding ``needle``."""
    return text[:text.index(needle)].count("\n") + 1


def _clean(tmp_path: Path, data: Path) -> tuple[list[dict], Path]:
    out = tmp_path / "clean"
    result = CliRunner().invoke(main, ["clean", str(data), "--out", str(out), "--no-embeddings"])
    assert result.exit_code == 0, result.output
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    return rejected, out


def _records_of(rejected: list[dict], stage: str) -> list[dict]:
    return [r for r in rejected if r["stage"] == stage]


@pytest.mark.parametrize("indent", [2, None], ids=["pretty", "one-line"])
def test_json_array_lines_are_where_each_record_starts(tmp_path: Path, indent: int | None) -> None:
    records = [*GOOD[:3], MISSING, *GOOD[3:], DUPLICATE]
    text = json.dumps(records, indent=indent)
    data = tmp_path / "data.json"
    data.write_text(text, encoding="utf-8")
    rejected, out = _clean(tmp_path, data)
    (read,) = _records_of(rejected, "read")
    (audit,) = _records_of(rejected, "audit")
    if indent is None:
        assert read["source_line"] == 1 and audit["source_line"] == 1  # every record is on line 1
    else:
        lines = text.splitlines()
        assert lines[read["source_line"] - 1].strip() == "{"
        assert lines[read["source_line"]].strip().startswith('"instruction": "No answer here"')
        starts = [n + 1 for n, line in enumerate(lines) if line == "  {"]
        assert read["source_line"] == starts[3] and audit["source_line"] == starts[-1]
        assert "flag_exact_duplicate" in audit["reasons"]
    # records sharing a line are still told apart: the kept file holds exactly the other records
    kept = json.loads((out / "data.json").read_text(encoding="utf-8"))
    assert kept == [*GOOD[:3], *GOOD[3:]]
    assert audit["record"] == DUPLICATE


def test_jsonl_lines_count_blank_lines(tmp_path: Path) -> None:
    lines = [json.dumps(GOOD[0]), "", json.dumps(GOOD[1]), "   ", json.dumps(MISSING), json.dumps(GOOD[2]),
             json.dumps(DUPLICATE)]
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejected, _ = _clean(tmp_path, data)
    assert [r["source_line"] for r in _records_of(rejected, "read")] == [5]
    assert [r["source_line"] for r in _records_of(rejected, "audit")] == [7]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_delimited_lines_count_the_header_and_quoted_newlines(tmp_path: Path, fmt: str) -> None:
    sep = "," if fmt == "csv" else "\t"
    rows = [["instruction", "input", "output"],
            ['"Write two lines\nabout rain"', "", '"Rain falls.\nIt stops."'],
            ["Say one", "", "One"],
            ['"A third\nrecord over\nthree lines"', "", "Done"],
            ["No answer", ""],  # a missing cell: a read reject
            ["Say one", "", "One"]]  # an exact duplicate
    if fmt == "tsv":  # the audit reads TSV with `quoting: none`: a quote is text, a newline ends the record
        rows = [[cell.replace('"', "").replace("\n", " ") for cell in row] for row in rows]
    text = "".join(sep.join(row) + "\n" for row in rows)
    data = tmp_path / f"data.{fmt}"
    data.write_text(text, encoding="utf-8")
    rejected, _ = _clean(tmp_path, data)
    (read,) = _records_of(rejected, "read")
    (audit,) = _records_of(rejected, "audit")
    assert read["source_line"] == _line_of(text, "No answer")
    assert audit["source_line"] == text.count("\n")  # the last line
    # csv: the header, a record over lines 2-4, line 5, a record over lines 6-8, then "No answer"
    assert read["source_line"] == (9 if fmt == "csv" else 5)


def test_build_rejects_name_the_physical_line_of_a_json_record(tasks, make_recipe, tmp_path: Path) -> None:
    records = [{"text": f"review {i} was good", "label": i % 2} for i in range(8)]
    records[5] = {"text": "", "label": 1}  # empty text: a map reject
    spec = {"family": "sentiment", "source": {"format": "json", "splits": {"train": "data.json"}},
            "fields": {"text": "text", "label": "label"}, "labels": ["negative", "positive"]}
    text = json.dumps(records, indent=1)
    path = tasks.raw("reviews", "data.json", text, spec)
    result = run_build(make_recipe([{"task": str(path)}]), tmp_path / "out")
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    (empty,) = [r for r in rejects if r["stage"] == "map"]
    assert empty["line"] == _line_of(text, '"text": ""') - 1  # the record's "{" is the line before
    assert result.manifest["datasets"]["reviews"]["rows_rejected"] == 1


def test_nested_records_start_lines(tmp_path: Path) -> None:
    document = {"data": [{"title": "T", "paragraphs": [
        {"context": "c1", "qas": [{"id": "q1"}, {"id": "q2"}]},
        {"context": "c2", "qas": [{"id": "q3"}]}]}]}
    text = json.dumps(document, indent=2)
    path = tmp_path / "d.json"
    path.write_text(text, encoding="utf-8")
    items = list(open_source(path, ReadOptions(format="json", records="data[].paragraphs[].qas[]")).items())
    assert all(isinstance(i, RawRow) for i in items)
    lines = text.splitlines()
    for item in items:
        assert lines[item.line - 1].strip() == "{" and f'"id": "{item.fields["id"]}"' in lines[item.line]


def test_crlf_and_a_bom_do_not_shift_lines(tmp_path: Path) -> None:
    text = json.dumps(GOOD[:3], indent=1).replace("\n", "\r\n")
    path = tmp_path / "d.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    items = list(open_source(path, ReadOptions(format="json")).items())
    lines = text.split("\r\n")
    assert [lines[i.line - 1].strip() for i in items] == ["{"] * 3
    assert [i.line for i in items] == [2, 7, 12]
