"""Reader: every shape, every format, every bad input; rows in = rows in table + rejects."""

from __future__ import annotations

import csv
import hashlib
import json

import polars as pl
import pytest

from ift_data.errors import UserError
from ift_data.io.instructions import read_instructions

ALPACA = [{"instruction": f"Question {i}?", "input": "" if i % 2 else "ctx", "output": f"Answer {i}."} for i in range(5)]


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _accounted(data):
    assert data.rows_in == data.table.height + len(data.rejects)


@pytest.mark.parametrize("shape,record,expected", [
    ("alpaca", {"instruction": "Do X", "input": "with Y", "output": "Done"}, ("Do X", "with Y", "Done")),
    ("sharegpt", {"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "Hi"},
                                    {"from": "gpt", "value": "Hello"}]}, ("Hi", "", "Hello")),
    ("openai", {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}, ("Q", "", "A")),
    ("prompt_completion", {"prompt": "P", "completion": "C"}, ("P", "", "C")),
    ("ift", {"id": "x", "messages": [{"role": "user", "content": "U"}, {"role": "assistant", "content": "V"}],
             "segments": [], "source": {"task": "sst2"}}, ("U", "", "V")),
])
def test_shapes_detected(tmp_path, shape, record, expected):
    data = read_instructions([_jsonl(tmp_path / "d.jsonl", [record, record])])
    assert data.sources[0].shape == shape
    assert data.table.select("instruction", "input", "response").row(0) == expected
    assert data.table.columns[:3] == ["row_id", "source_file", "source_line"]
    _accounted(data)


def test_ift_category_and_system(tmp_path):
    record = {"id": "x", "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "U"},
                                      {"role": "assistant", "content": "V"}], "segments": [],
              "source": {"task": "sst2"}}
    table = read_instructions([_jsonl(tmp_path / "d.jsonl", [record])]).table
    assert table["system"][0] == "sys" and table["category"][0] == "sst2"


def test_mapping(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [{"question": "Q", "answer": "A", "topic": "t"}])
    with pytest.raises(UserError, match="--map"):
        read_instructions([path])
    data = read_instructions([path], "instruction=question,output=answer,category=topic")
    assert data.sources[0].shape == "mapped"
    assert data.table.select("instruction", "response", "category").row(0) == ("Q", "A", "t")
    with pytest.raises(UserError, match="lacks"):
        read_instructions([path], "instruction=nope,output=answer")


@pytest.mark.parametrize("fmt", ["json", "jsonl", "parquet", "csv", "tsv", "hf_disk"])
def test_formats(tmp_path, fmt):
    path = tmp_path / f"d.{fmt}"
    if fmt == "json":
        path.write_text(json.dumps(ALPACA), encoding="utf-8")
    elif fmt == "jsonl":
        _jsonl(path, ALPACA)
    elif fmt == "parquet":
        pl.DataFrame(ALPACA).write_parquet(path)
    elif fmt in ("csv", "tsv"):
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(ALPACA[0]), delimiter="\t" if fmt == "tsv" else ",")
            writer.writeheader()
            writer.writerows(ALPACA)
    else:
        import datasets

        path = tmp_path / "hf"
        datasets.Dataset.from_list(ALPACA).save_to_disk(str(path))
    data = read_instructions([path])
    assert data.table["instruction"].to_list() == [r["instruction"] for r in ALPACA]
    assert data.table["input"].to_list() == [r["input"] for r in ALPACA]
    assert data.sources[0].format == fmt and not data.rejects


def test_row_ids_run_across_files(tmp_path):
    a = _jsonl(tmp_path / "a.jsonl", ALPACA[:2])
    b = _jsonl(tmp_path / "b.jsonl", ALPACA[2:])
    table = read_instructions([a, b]).table
    assert table["row_id"].to_list() == list(range(5))
    assert table["source_line"].to_list() == [1, 2, 1, 2, 3]


def test_bad_jsonl_lines_are_rejected_with_line_and_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    with path.open("wb") as fh:
        fh.write(b'{"instruction": "ok", "output": "fine"}\n\n')
        fh.write(b'{"instruction": "broken", \n')  # line 3: broken JSON
        fh.write(b'{"instruction": ["a list"], "output": "x"}\n')  # line 4: wrong type
        fh.write(b'{"instruction": "no output"}\n')  # line 5: missing field
        fh.write(b'{"instruction": "bad \xff byte", "output": "x"}\n')  # line 6: invalid UTF-8
        fh.write(b'[1, 2]\n')  # line 7: not an object
        fh.write(b'{"instruction": 7, "output": 8}\n')  # line 8: numbers are stringified
    data = read_instructions([path])
    _accounted(data)
    by_line = {r.line: r for r in data.rejects}
    assert set(by_line) == {3, 4, 5, 6, 7}
    assert "invalid JSON" in by_line[3].reason
    assert by_line[4].field == "instruction" and "got an array" in by_line[4].reason
    assert by_line[5].field == "output"
    assert "UTF-8" in by_line[6].reason
    assert by_line[7].reason == "expected a JSON object, found an array"  # JSON's words, not Python's (list)
    assert data.table["source_line"].to_list() == [1, 8]
    assert data.table["instruction"].to_list() == ["ok", "7"]


def test_huge_line_is_rejected(tmp_path):
    path = tmp_path / "huge.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(ALPACA[0]) + "\n")
        fh.write(json.dumps({"instruction": "x", "output": "y" * (50 * 2**20)}) + "\n")
        fh.write(json.dumps(ALPACA[1]) + "\n")
    data = read_instructions([path])
    _accounted(data)
    assert [r.line for r in data.rejects] == [2] and "MiB" in data.rejects[0].reason
    assert data.table.height == 2


def test_oversized_field_is_rejected(tmp_path):
    data = read_instructions([_jsonl(tmp_path / "d.jsonl", ALPACA[:1] + [{"instruction": "x", "output": "y" * 500}])],
                             max_field_chars=100)
    assert data.rejects[0].field == "output" and data.rejects[0].line == 2
    _accounted(data)


def test_oversized_field_reject_names_the_users_column(tmp_path):
    alpaca = read_instructions([_jsonl(tmp_path / "a.jsonl", ALPACA[:1] + [{"instruction": "x", "output": "y" * 500}])],
                               max_field_chars=100)
    assert alpaca.rejects[0].reason == "field 'output' has 500 characters, over the 100 limit"
    records = [{"q": "Question?", "a": "Answer."}, {"q": "x", "a": "y" * 500}]
    mapped = read_instructions([_jsonl(tmp_path / "m.jsonl", records)], "instruction=q,output=a", max_field_chars=100)
    assert (mapped.rejects[0].field, mapped.rejects[0].line) == ("a", 2)
    assert mapped.rejects[0].reason == "field 'a' has 500 characters, over the 100 limit"


@pytest.mark.parametrize("content,match", [
    (b"", "empty"), (b"  \n\n", "empty"), (b"[]", "no records"),
    (b'[{"instruction": "a", "output": "b"},\n {"instruction": ', "invalid JSON"),
    (b'[{"instruction": "a\xff", "output": "b"}]', "UTF-8"),
])
def test_bad_json_files_raise_user_error(tmp_path, content, match):
    path = tmp_path / "d.json"
    path.write_bytes(content)
    with pytest.raises(UserError, match=match) as info:
        read_instructions([path])
    assert str(path) in str(info.value)


def test_broken_json_names_line(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('[\n{"instruction": "a", "output": "b"},\n{"instruction": oops}\n]')
    with pytest.raises(UserError) as info:
        read_instructions([path])
    assert info.value.line == 3


def test_unknown_shape_and_missing_file(tmp_path):
    with pytest.raises(UserError, match="shape"):
        read_instructions([_jsonl(tmp_path / "d.jsonl", [{"foo": 1}])])
    with pytest.raises(UserError, match="no such file"):
        read_instructions([tmp_path / "missing.jsonl"])


def test_all_lines_broken_is_a_user_error(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("nope\nstill nope\n")
    with pytest.raises(UserError, match="line 1"):
        read_instructions([path])


def test_csv_ragged_row_rejected(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('instruction,output\nq1,a1\nq2,a2,extra\n"multi\nline",a3\n', encoding="utf-8")
    data = read_instructions([path])
    assert [(r.line, "expected 2 columns, found 3" in r.reason) for r in data.rejects] == [(3, True)]
    assert data.table["source_line"].to_list() == [2, 4]
    _accounted(data)


def test_chat_without_assistant_rejected(tmp_path):
    ok = {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}
    bad = {"messages": [{"role": "user", "content": "Q"}]}
    data = read_instructions([_jsonl(tmp_path / "d.jsonl", [ok, bad])])
    assert data.rejects[0].line == 2 and "assistant" in data.rejects[0].reason


def test_csv_unbalanced_quote_loses_no_line(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('instruction,output\n"Say "hi" now,a1\nq2,a2\nq3,"a3"\nq4,a4\n', encoding="utf-8")
    data = read_instructions([path])
    assert data.table["instruction"].to_list() == ["q2", "q3", "q4"]
    assert [r.line for r in data.rejects] == [2]
    assert data.rows_in == 4


def test_csv_duplicate_column_names_are_an_error(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("instruction,output,output\nq,a,b\n", encoding="utf-8")
    with pytest.raises(UserError, match="duplicate column"):
        read_instructions([path])


def test_tsv_text_keeps_its_quotes(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text('instruction\toutput\n"Quoted" question\tsay "yes\n"open\t"a"\n', encoding="utf-8")
    data = read_instructions([path])
    assert data.table["instruction"].to_list() == ['"Quoted" question', '"open']
    assert data.table["response"].to_list() == ['say "yes', '"a"']


def test_list_or_object_in_a_text_field_of_jsonl_is_rejected_not_stringified(tmp_path):
    """polars' JSONL reader wrote ["b"] into a String column as its JSON text: the record was audited as the
    instruction '["b"]'. Such a file now takes the line reader, which rejects the record with its reason."""
    records = [ALPACA[0], {**ALPACA[1], "instruction": ["b"]}, {**ALPACA[2], "output": {"text": "c"}}]
    data = read_instructions([_jsonl(tmp_path / "d.jsonl", records)])
    assert data.table["instruction"].to_list() == [ALPACA[0]["instruction"]]
    assert [(r.line, r.field, r.reason) for r in data.rejects] == [
        (2, "instruction", "expected a string, got an array"), (3, "output", "expected a string, got an object")]
    _accounted(data)


@pytest.mark.parametrize("layout", ["plain", "no final newline", "blank lines", "crlf", "lone cr", "bom"])
def test_jsonl_fast_path_keeps_line_numbers_whatever_the_line_layout(tmp_path, monkeypatch, layout):
    """Polars reads clean JSONL column-wise from the file's own bytes: blank lines, CRLF or a lone CR, a
    BOM and a missing final newline give the rows and line numbers of the line-by-line reader, and the
    fast path is taken for every layout (a fallback would hide a regression in its speed and memory)."""
    from ift_data.io import instructions

    lines = [json.dumps(r) for r in ALPACA]
    text = {"plain": "\n".join(lines) + "\n", "no final newline": "\n".join(lines),
            "blank lines": "\n\n" + "\n  \n".join(lines) + "\n\n", "crlf": "\r\n".join(lines) + "\r\n",
            "lone cr": "\r".join(lines) + "\r", "bom": "\ufeff" + "\n".join(lines) + "\n"}[layout]
    path = tmp_path / "d.jsonl"
    path.write_bytes(text.encode("utf-8"))
    fast_results = []
    real = instructions._jsonl_fast
    monkeypatch.setattr(instructions, "_jsonl_fast", lambda *a, **k: fast_results.append(real(*a, **k))
                        or fast_results[-1])
    data = read_instructions([path])
    assert fast_results and fast_results[0] is not None
    expected_lines = {"blank lines": [3, 5, 7, 9, 11]}.get(layout, [1, 2, 3, 4, 5])
    assert data.table["source_line"].to_list() == expected_lines
    assert data.table["instruction"].to_list() == [r["instruction"] for r in ALPACA]
    assert data.table["input"].to_list() == [r["input"] for r in ALPACA]
    monkeypatch.setattr(instructions, "_jsonl_fast", lambda *a, **k: None)  # the line-by-line reader
    slow = read_instructions([path])
    assert slow.table.equals(data.table)


def _messy_array(n: int) -> list:
    """Records of a JSON array with every kind of problem among them: nulls and non-objects, missing or
    wrongly typed fields, an unknown key now and then."""
    records: list = []
    for i in range(n):
        record: dict = {"instruction": f"Question {i} ünï?", "input": "" if i % 3 else f"ctx {i}",
                        "output": f"Answer {i}."}
        if i % 13 == 0:
            record["extra"] = i
        if i % 17 == 3:
            records.append(None)
        elif i % 19 == 4:
            records.append([1, 2])
        elif i % 23 == 5:
            records.append({"instruction": "no output"})
        elif i % 29 == 6:
            records.append({"instruction": ["a list"], "input": "", "output": "x"})
        else:
            records.append(record)
    return records


@pytest.mark.parametrize("layout", ["indented", "one line"])
@pytest.mark.parametrize("bad_first", [0, 1_200])
def test_json_array_converted_in_batches_equals_all_at_once(tmp_path, monkeypatch, layout, bad_first):
    """A JSON array is streamed and converted a batch of records at a time: the same table, rejects (in the
    same order, also when many share one line), record positions and shape as converting every record at
    once; with more bad records first than a batch holds, the shape still comes from the first good ones."""
    from ift_data.io import instructions

    records = [None, 7] * (bad_first // 2) + _messy_array(3_000)
    path = tmp_path / "d.json"
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1 if layout == "indented" else None),
                    encoding="utf-8")
    whole = read_instructions([path])
    monkeypatch.setattr(instructions, "RECORD_BATCH", 7)
    batched = read_instructions([path])
    assert batched.table.equals(whole.table) and whole.table.height > 2_000
    assert batched.rejects == whole.rejects and len(whole.rejects) > 300
    assert [s.to_json() for s in batched.sources] == [s.to_json() for s in whole.sources]
    assert whole.sources[0].shape == "alpaca"
    _accounted(batched)


def test_json_array_is_never_read_whole(tmp_path, monkeypatch):
    from ift_data.io.sources import json_records

    def whole(*args, **kw):
        raise AssertionError("the JSON array was read whole")

    monkeypatch.setattr(json_records, "open_json", whole)
    path = tmp_path / "d.json"
    path.write_text(json.dumps(ALPACA), encoding="utf-8")
    data = read_instructions([path])
    assert data.table.height == 5 and data.sources[0].format == "json"


def test_text_sources_let_their_bytes_go_and_are_read_again_for_clean(tmp_path):
    """A JSONL input's bytes are not held through the audit (the table is); clean reads the file again, the
    same bytes (its sha256 is checked: a file changed since it was read is an error, not a wrong write-back)."""
    path = _jsonl(tmp_path / "d.jsonl", ALPACA)
    data = read_instructions([path])
    info = data.sources[0]
    assert info.source is None and info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    again = info.reopened()
    assert again.data == path.read_bytes() and info.reopened() is again  # read once, then kept for clean
    info.source = None
    path.write_text(path.read_text(encoding="utf-8").replace("Question 1", "Question one"), encoding="utf-8")
    with pytest.raises(UserError, match="changed after it was read") as error:
        info.reopened()
    assert error.value.file == str(path)


def _chat(content, answer="The sky is blue."):
    return {"messages": [{"role": "user", "content": content}, {"role": "assistant", "content": answer}]}


@pytest.mark.parametrize("layout", ["all parts", "mixed", "with a bad line"])
def test_openai_content_parts_are_joined_not_audited_as_json_text(tmp_path, layout):
    """OpenAI messages may hold content as a list of parts: the text parts are the text (polars had written
    the list's JSON text into the instruction wherever another record held a plain string)."""
    parts = [{"type": "text", "text": "Describe the sky."}, {"type": "text", "text": "Be brief."}]
    records = [_chat(parts), _chat([{"type": "text", "text": "And the sea?"}], "Blue too.")]
    if layout != "all parts":
        records.append(_chat("A plain string prompt.", "Fine."))
    path = _jsonl(tmp_path / "d.jsonl", records)
    if layout == "with a bad line":
        with path.open("a") as fh:
            fh.write("{broken\n")
    data = read_instructions([path])
    assert data.table["instruction"].to_list()[:2] == ["Describe the sky.\nBe brief.", "And the sea?"]
    assert data.table["response"].to_list()[0] == "The sky is blue."
    _accounted(data)


def test_a_non_text_content_part_rejects_the_row_with_its_reason(tmp_path):
    image = {"type": "image_url", "image_url": {"url": "https://example.com/sky.png"}}
    records = [_chat([{"type": "text", "text": "What is in this picture?"}, image]), _chat("Hello?", "Hi.")]
    data = read_instructions([_jsonl(tmp_path / "d.jsonl", records)])
    assert data.table["instruction"].to_list() == ["Hello?"]
    [reject] = data.rejects
    assert (reject.line, reject.field) == (1, "messages[0].content[1]")
    assert reject.reason == "content part 1 is of type 'image_url', not text: only text parts can be audited"


def _both_readers(path, monkeypatch):
    """The table as JSONL is read column-wise (polars) and line by line."""
    from ift_data.io import instructions

    fast = read_instructions([path])
    monkeypatch.setattr(instructions, "_jsonl_fast", lambda *a, **k: None)
    slow = read_instructions([path])
    monkeypatch.undo()
    return fast, slow


def test_numbers_in_text_fields_read_as_their_json_text_beside_other_rows(tmp_path, monkeypatch):
    """polars gives a field one type: beside 2.5 the answer 5 read "5.0", beside a text 1.0 read "1", and a
    float column read as polars writes it ("0.00001"); an exact duplicate of `"output": 5` in another file
    was missed. Numbers read as Python writes the JSON value, whichever reader reads the file."""
    records = [{"instruction": "Half of 10?", "input": "", "output": 5},
               {"instruction": "Half of 5?", "input": "", "output": 2.5},
               {"instruction": "Tiny?", "input": "", "output": 1e-05},
               {"instruction": "One?", "input": 1.0, "output": "one"},
               {"instruction": "Big?", "input": "", "output": 2**64}]
    fast, slow = _both_readers(_jsonl(tmp_path / "d.jsonl", records), monkeypatch)
    assert fast.table["response"].to_list() == ["5", "2.5", "1e-05", "one", "18446744073709551616"]
    assert fast.table["input"].to_list() == ["", "", "", "1.0", ""]
    assert fast.table.equals(slow.table)
    pl.DataFrame({"instruction": ["a", "b"], "output": [1e-05, 2.0]}).write_parquet(tmp_path / "d.parquet")
    assert read_instructions([tmp_path / "d.parquet"]).table["response"].to_list() == ["1e-05", "2.0"]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_alpaca_and_dolly_rows_or_sharegpt_key_pairs_mixed_in_one_file(tmp_path, monkeypatch, fmt):
    """Read through a table (JSONL column-wise, Parquet) every record has every column: a Dolly row's
    `output` and a role/content turn's `from` are null there, not absent. Such rows were rejected ("missing
    or null field", "missing or non-string 'from'") though the line reader reads them."""
    flat = [{"instruction": "Capital of France?", "input": "", "output": "Paris."},
            {"instruction": "Capital of Spain?", "context": "", "response": "Madrid."}]
    chats = [{"conversations": [{"from": "human", "value": "Capital of France?"}, {"from": "gpt", "value": "Paris."}]},
             {"conversations": [{"role": "user", "content": "Capital of Spain?"},
                                {"role": "assistant", "content": "Madrid."}]}]
    for name, records in (("flat", flat), ("chats", chats)):
        path = _jsonl(tmp_path / f"{name}.jsonl", records)
        if fmt == "parquet":
            path = tmp_path / f"{name}.parquet"
            pl.read_ndjson(tmp_path / f"{name}.jsonl").write_parquet(path)
            data = read_instructions([path])
        else:
            data, slow = _both_readers(path, monkeypatch)
            assert data.table.equals(slow.table)
        assert not data.rejects
        assert data.table["response"].to_list() == ["Paris.", "Madrid."]


def test_category_column_wise_is_each_rows_first_category_key(tmp_path, monkeypatch):
    """The column-wise reader took the first category column for every row: a row with only `task`, or a
    category beside a 2**63 elsewhere in its column, had none."""
    records = [{"instruction": "a", "input": "", "output": "b", "category": "qa"},
               {"instruction": "c", "input": "", "output": "d", "task": "summarize"},
               {"instruction": "e", "input": "", "output": "f", "source": {"task": "sst2"}},
               {"instruction": "g", "input": "", "output": "h", "task_name": -1},
               {"instruction": "i", "input": "", "output": "j", "task_name": 2**63}]
    fast, slow = _both_readers(_jsonl(tmp_path / "d.jsonl", records), monkeypatch)
    assert fast.table["category"].to_list() == ["qa", "summarize", "sst2", "-1", str(2**63)]
    assert fast.table.equals(slow.table)
