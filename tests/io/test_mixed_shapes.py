"""A file's shape comes from what its rows have: rows of another shape are rejects saying so (naming their own
line), an extra field on a row never changes its shape; JSON errors name the column within the line; a field
mapped twice is an error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ift_data.errors import UserError
from ift_data.io.instructions import read_instructions
from ift_data.io.instructions_shapes import Mapping_
from ift_data.io.sources.jsonl import parse_line
from ift_data.io.strict_json import StrictJSONError, loads_strict
from ift_data.schema import Reject

ALPACA = [{"instruction": f"Question {i}?", "input": "", "output": f"Answer {i}."} for i in range(50)]
SHAREGPT = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}
OPENAI = {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}


def _write(path: Path, records: list[Any], how: str) -> Path:
    """``how``: jsonl (the column-wise reader), jsonl_lines (a bad line sends it line by line), json (an array)."""
    if how == "json":
        path = path.with_suffix(".json")
        path.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n", encoding="utf-8")
        return path
    lines = [json.dumps(r) for r in records] + (['{"instruction": NaN}'] if how == "jsonl_lines" else [])
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _line_of(path: Path, index: int, how: str) -> int:
    return index + (2 if how == "json" else 1)  # an array's records start on line 2


def _shape_rejects(data: Any) -> list[Reject]:
    return [r for r in data.rejects if "but the file was read as" in r.reason]


@pytest.mark.parametrize("how", ["jsonl", "jsonl_lines", "json"])
@pytest.mark.parametrize("odd,label,field", [(SHAREGPT, "ShareGPT", "conversations"),
                                             (OPENAI, "OpenAI messages", "messages")])
def test_one_row_of_another_shape_is_rejected_not_the_file(tmp_path: Path, how: str, odd: dict[str, Any],
                                                           label: str, field: str) -> None:
    records = [*ALPACA[:20], odd, *ALPACA[20:]]
    path = _write(tmp_path / "mixed.jsonl", records, how)
    data = read_instructions([path])
    assert data.sources[0].shape == "alpaca"
    assert data.table["instruction"].to_list() == [r["instruction"] for r in ALPACA]
    (reject,) = _shape_rejects(data)
    assert reject.line == _line_of(path, 20, how) and reject.field == field
    assert reject.reason == f"row has {label} fields but the file was read as Alpaca (decided by 50 of 51 rows)"
    assert data.rows_in == data.table.height + len(data.rejects)


@pytest.mark.parametrize("how", ["jsonl", "jsonl_lines", "json"])
@pytest.mark.parametrize("value", ["some metadata", ["a", "list"], {"an": "object"}])
def test_an_extra_messages_field_on_one_alpaca_row_changes_nothing(tmp_path: Path, how: str, value: Any) -> None:
    records = [dict(r, messages=value) if i == 7 else r for i, r in enumerate(ALPACA)]
    data = read_instructions([_write(tmp_path / "meta.jsonl", records, how)])
    assert data.sources[0].shape == "alpaca"
    assert data.table.height == 50
    assert not _shape_rejects(data)
    assert all("messages" not in r.reason for r in data.rejects)


@pytest.mark.parametrize("how", ["jsonl", "json"])
def test_the_shape_most_rows_have_wins_and_the_odd_row_is_named(tmp_path: Path, how: str) -> None:
    path = _write(tmp_path / "chat.jsonl", [SHAREGPT, SHAREGPT, ALPACA[0], SHAREGPT], how)
    data = read_instructions([path])
    assert data.sources[0].shape == "sharegpt" and data.table.height == 3
    (reject,) = data.rejects
    assert reject.line == _line_of(path, 2, how) and reject.field == "instruction"
    assert "row has Alpaca fields but the file was read as ShareGPT (decided by 3 of 4 rows)" in reject.reason


@pytest.mark.parametrize("first,shape", [(ALPACA[0], "alpaca"), (SHAREGPT, "sharegpt")])
def test_a_tie_goes_to_the_first_rows_shape(tmp_path: Path, first: dict[str, Any], shape: str) -> None:
    second = SHAREGPT if first is not SHAREGPT else ALPACA[0]
    data = read_instructions([_write(tmp_path / "tie.jsonl", [first, second], "jsonl")])
    assert data.sources[0].shape == shape
    assert [r.line for r in _shape_rejects(data)] == [2]


def test_alpaca_and_dolly_rows_are_one_family(tmp_path: Path) -> None:
    dolly = {"instruction": "D?", "context": "c", "response": "d."}
    data = read_instructions([_write(tmp_path / "ad.jsonl", [dolly, *ALPACA[:3], dolly], "jsonl_lines")])
    assert not _shape_rejects(data)
    assert data.table["response"].to_list() == ["d.", "Answer 0.", "Answer 1.", "Answer 2.", "d."]


# ---- F1: JSON errors name the column within the line ---------------------------------------------

def test_a_truncated_jsonl_line_names_its_own_column() -> None:
    text = '{"instruction": "x", "output": '
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        column = exc.colno
    for ending in ("\n", "\r\n", ""):
        reject = parse_line(text + ending, "f.jsonl", 4)
        assert isinstance(reject, Reject) and reject.line == 4
        assert reject.reason == f"invalid JSON: Expecting value at column {column}"


def test_a_truncated_line_in_a_file_names_its_column(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(ALPACA[0]) + '\n{"instruction": "x", "output": \n', encoding="utf-8")
    (reject,) = read_instructions([path]).rejects
    assert (reject.line, reject.reason) == (2, "invalid JSON: Expecting value at column 32")


@pytest.mark.parametrize("text,reason", [('{"a": "tex', "Unterminated string starting at column 7"),
                                         ('{"a": "b\nc"}', "Invalid control character at column 9")])
def test_no_doubled_at_in_json_errors(text: str, reason: str) -> None:
    with pytest.raises(StrictJSONError) as info:
        loads_strict(text)
    assert info.value.reason == reason and " at at " not in info.value.reason


# ---- D1: a field mapped twice ----------------------------------------------------------------------

@pytest.mark.parametrize("spec,field", [("instruction=question,instruction=answer", "instruction"),
                                        ("instruction=q,output=a,response=b", "output"),
                                        ("instruction=q,output=a,id=x,id=y", "id")])
def test_a_field_mapped_twice_is_an_error(spec: str, field: str) -> None:
    with pytest.raises(UserError, match=f"maps the {field} field twice"):
        Mapping_.parse(spec)
