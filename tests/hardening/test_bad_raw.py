"""Bad raw files through ``ift-data build``: each is a one-line error (exit 2) or rejects with reasons,
and the manifest accounts for every input row."""

from __future__ import annotations

import json

import pytest
from hardening_helpers import BuildCase, sentiment_spec


def _jl(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


GOOD = [{"text": f"review {i}: the film was {'great' if i % 2 else 'dull'}", "label": i % 2} for i in range(6)]

# name -> (raw bytes, rows in, reject reason substrings expected in rejects.jsonl)
JSONL_CASES = {
    "truncated_last_line": (_jl(*GOOD) + b'{"text": "cut in the mid', 7, ["invalid JSON"]),
    "invalid_utf8": (_jl(*GOOD) + b'{"text": "bad \xff\xfe byte", "label": 0}\n', 7, ["invalid UTF-8"]),
    "latin1_line": (_jl(*GOOD) + '{"text": "café", "label": 1}\n'.encode("latin-1"), 7, ["invalid UTF-8"]),
    "bom": (b"\xef\xbb\xbf" + _jl(*GOOD), 6, []),
    "crlf": (_jl(*GOOD).replace(b"\n", b"\r\n"), 6, []),
    "raw_nul_in_string": (_jl(*GOOD) + b'{"text": "a\x00b", "label": 0}\n', 7, ["invalid JSON"]),
    "nul_between_lines": (_jl(*GOOD) + b"\x00\n", 7, ["invalid JSON"]),
    "nan_text": (_jl(*GOOD) + b'{"text": NaN, "label": 0}\n', 7, ["NaN"]),
    "infinity_text": (_jl(*GOOD) + b'{"text": Infinity, "label": 0}\n', 7, ["Infinity"]),
    "nan_label": (_jl(*GOOD) + b'{"text": "x", "label": NaN}\n', 7, ["NaN"]),
    "deep_nesting": (_jl(*GOOD) + b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b', "label": 0}\n', 7,
                     ["nested"]),
    "duplicate_keys": (_jl(*GOOD) + b'{"text": "one", "text": "two", "label": 0}\n', 7, ["duplicate key"]),
    "not_an_object": (_jl(*GOOD) + b"[1, 2]\n" + b'"str"\n' + b"3\n" + b"null\n", 10, ["expected a JSON object"]),
    # values keep their types: a list, dict or bool reaches the template (which decides what to do with it)
    "text_list_of_dicts": (_jl(*GOOD, {"text": [{"a": 1}], "label": 0}), 7, []),
    "text_dict": (_jl(*GOOD, {"text": {"a": 1}, "label": 0}), 7, []),
    "text_bool": (_jl(*GOOD, {"text": True, "label": 0}), 7, []),
    "text_null": (_jl(*GOOD, {"text": None, "label": 0}), 7, ["value is null"]),
    "label_list": (_jl(*GOOD, {"text": "x", "label": [0]}), 7, ["label must be an integer or a string"]),
    "label_bool": (_jl(*GOOD, {"text": "x", "label": True}), 7, ["label must be an integer or a string"]),
    "label_float": (_jl(*GOOD, {"text": "x", "label": 0.5}), 7, ["not an integer"]),
    "label_unknown": (_jl(*GOOD, {"text": "x", "label": 7}), 7, ["unknown label"]),
    "label_huge": (_jl(*GOOD, {"text": "x", "label": 10**400}), 7, ["unknown label"]),
    "missing_field": (_jl(*GOOD, {"label": 0}), 7, ["missing field"]),
    "empty_text": (_jl(*GOOD, {"text": "", "label": 0}), 7, ["empty text value"]),
    "blank_text": (_jl(*GOOD, {"text": " \t\n", "label": 0}), 7, ["empty text value"]),
    "blank_lines_only_between": (_jl(*GOOD[:3]) + b"\n\n   \n" + _jl(*GOOD[3:]), 6, []),
    "noncharacter_in_text": (_jl(*GOOD, {"text": "a\ufdd0b", "label": 0}), 7, ["noncharacter"]),
    "int_over_4300_digits": (_jl(*GOOD) + b'{"text": "x", "label": ' + b"1" * 5000 + b"}\n", 7, ["4,300"]),
    "float_overflow": (_jl(*GOOD) + b'{"text": "x", "label": 1e999}\n', 7, ["too large"]),
    "lone_surrogate_escape": (_jl(*GOOD) + b'{"text": "a\\ud800b", "label": 0}\n', 7, ["surrogate"]),
}


@pytest.mark.parametrize("name", sorted(JSONL_CASES))
def test_bad_jsonl(case: BuildCase, name: str) -> None:
    raw, rows_in, reasons = JSONL_CASES[name]
    case.write(raw)
    outcome = case.build()
    outcome.assert_ok()
    case.assert_accounted(rows_in)
    text = json.dumps(case.rejects())
    for reason in reasons:
        assert reason in text, (reason, text[:2000])


CSV_GOOD = "text,label\n" + "".join(f"review {i} was fine,{i % 2}\n" for i in range(6))

CSV_CASES = {
    "unterminated_quote": ((CSV_GOOD + '"never closed,1\nmore,0\n').encode(), None, ["malformed CSV"]),
    "invalid_utf8": (CSV_GOOD.encode() + b"bad \xff,1\n", 7, ["invalid UTF-8"]),
    "bom": (b"\xef\xbb\xbf" + CSV_GOOD.encode(), 6, []),
    "crlf": (CSV_GOOD.replace("\n", "\r\n").encode(), 6, []),
    "nul": (CSV_GOOD.encode() + b"a\x00b,1\n", 7, []),
    "too_many_columns": ((CSV_GOOD + "a,1,extra\n").encode(), 7, ["expected 2 columns"]),
    "too_few_columns": ((CSV_GOOD + "only\n").encode(), 7, ["expected 2 columns"]),
    "empty_fields": ((CSV_GOOD + ",\n").encode(), 7, ["empty text value"]),
    "label_word": ((CSV_GOOD + "x,positive\n").encode(), 7, []),
}


@pytest.mark.parametrize("name", sorted(CSV_CASES))
def test_bad_csv(case: BuildCase, name: str) -> None:
    raw, rows_in, reasons = CSV_CASES[name]
    case.write(raw, "csv")
    outcome = case.build()
    outcome.assert_ok()
    acc = case.manifest()["accounting"]
    case.assert_accounted(acc["rows_in"] if rows_in is None else rows_in)
    text = json.dumps(case.rejects())
    for reason in reasons:
        assert reason in text, (reason, text[:2000])


def test_empty_csv_is_a_user_error(case: BuildCase) -> None:
    case.write(b"", "csv")
    case.build().assert_user_error("train.csv", "empty")


@pytest.mark.parametrize(("fmt", "raw"), [("jsonl", b""), ("jsonl", b" \n\n"), ("csv", b"text,label\n")])
def test_a_file_without_rows_is_a_user_error_like_an_empty_csv(case: BuildCase, fmt: str, raw: bytes) -> None:
    """They built 0 examples with exit 0 and no word of it (an empty CSV file was already an error)."""
    case.write(raw, fmt)
    case.build().assert_user_error(f"train.{fmt}", "no rows", "--allow-empty-datasets")
    case.build("--allow-empty-datasets").assert_ok()
    case.assert_accounted(0)


def test_tsv_quoting_none_nul(case: BuildCase) -> None:
    raw = b"text\tlabel\n" + b"ok\t1\n" + b"a\x00b\t0\n"
    case.write(raw, "tsv", spec=sentiment_spec("tsv", "train.tsv", source={"quoting": "none"}))
    case.build().assert_ok()
    case.assert_accounted(2)


JSON_ERRORS = {
    "truncated": (b'[{"text": "a", "label": 0}, {"text": "b"', ["train.json", "invalid JSON"]),
    "invalid_utf8": (b'[{"text": "\xff", "label": 0}]', ["train.json", "UTF-8"]),
    "deep": (b"[" * 200_000 + b"]" * 200_000, ["train.json", "nested"]),
    "not_list": (b'{"a": 1}', ["train.json", "source.records"]),
    "empty": (b"", ["train.json"]),
    "nan_top": (b"NaN", ["train.json"]),
    "nan_inside": (b'[{"text": NaN, "label": 0}]', ["train.json", "NaN"]),
    "surrogate_pair_ok_but_lone_bad": (b'[{"text": "\\ud83d\\ude00 \\udc00", "label": 0}]', ["surrogate"]),
}


@pytest.mark.parametrize("name", sorted(JSON_ERRORS))
def test_bad_json_document(case: BuildCase, name: str) -> None:
    raw, needles = JSON_ERRORS[name]
    case.write(raw, "json")
    case.build().assert_user_error(*needles)


def test_json_records_of_wrong_types(case: BuildCase) -> None:
    raw = json.dumps([*GOOD, 1, "x", None, [1], {"text": {"nested": 1}, "label": 0}]).encode()
    case.write(raw, "json")
    case.build().assert_ok()
    case.assert_accounted(11)
    assert "expected a JSON object" in json.dumps(case.rejects())


def test_duplicate_keys_in_json_document(case: BuildCase) -> None:
    raw = b'[{"text": "a", "label": 0}, {"text": "b", "text": "c", "label": 1}]'
    case.write(raw, "json")
    outcome = case.build()
    outcome.assert_ok()
    case.assert_accounted(2)
    assert "duplicate key" in json.dumps(case.rejects())


# -- spec mistakes that used to build with exit 0: each is one line naming file, line and field ---------

def test_fields_naming_a_column_the_csv_lacks(case: BuildCase) -> None:
    spec = sentiment_spec("csv", "train.csv", fields={"text": "review", "label": "label"})
    case.write(CSV_GOOD.encode(), "csv", spec=spec)
    line = case.build().assert_user_error("task.yaml:", "field 'fields.text'", "'review'", "train.csv",
                                          "text, label")
    assert line.split("task.yaml:")[1].split(":")[0].isdigit()  # the spec's line


def test_fields_naming_a_column_outside_the_declared_columns(case: BuildCase) -> None:
    spec = sentiment_spec("csv", "train.csv", source={"header": False, "columns": ["body", "label"]})
    case.write(b"a fine film,1\nawful,0\n", "csv", spec=spec)
    case.build().assert_user_error("task.yaml:", "field 'fields.text'", "'text'", "body, label")


def test_header_true_on_a_headerless_file_says_so(case: BuildCase) -> None:
    raw = b"".join(f"this film was number {i} on my list,{i % 2}\n".encode() for i in range(6))
    case.write(raw, "csv")
    case.build().assert_user_error("task.yaml:", "field 'fields.text'", "looks like data",
                                   "header: false", "columns:")


def test_csv_format_on_a_tsv_file(case: BuildCase) -> None:
    raw = b"text\tlabel\n" + b"".join(f"review {i}, fine\t{i % 2}\n".encode() for i in range(6))
    case.write(raw, "csv")
    case.build().assert_user_error("train.csv:1:", "field 'source.format'", "format: tsv")


def test_csv_format_on_a_headerless_tsv_file(case: BuildCase) -> None:
    raw = b"".join(f"review {i} was fine\t{i % 2}\n".encode() for i in range(6))
    spec = sentiment_spec("csv", "train.csv", source={"header": False, "columns": ["text", "label"]})
    case.write(raw, "csv", spec=spec)
    case.build().assert_user_error("train.csv:1:", "field 'source.format'", "first line", "format: tsv")


def test_duplicate_column_names(case: BuildCase) -> None:
    case.write(b"text,label,text\na,1,b\n", "csv")
    case.build().assert_user_error("train.csv:1:", "duplicate column")


def test_jsonl_fields_checked_against_the_first_good_records(case: BuildCase) -> None:
    spec = sentiment_spec("jsonl", "train.jsonl", fields={"text": "txet", "label": "label"})
    case.write(b"not json\n" + _jl(*GOOD), spec=spec)
    case.build().assert_user_error("task.yaml:", "field 'fields.text'", "'txet'", "first 1,000 records")


def test_jsonl_key_missing_from_the_first_record_only_is_a_column(case: BuildCase) -> None:
    """A key some records lack is still a column: those records are map rejects, not a spec error."""
    case.write(_jl({"label": 0}, *GOOD))
    outcome = case.build()
    outcome.assert_ok()
    assert [r["reason"] for r in case.rejects()] == ["missing field 'text'"]


def test_parquet_fields_checked_against_the_schema(case: BuildCase) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    spec = sentiment_spec("parquet", "train.parquet", fields={"text": "sentence", "label": "label"})
    case.write(b"", "parquet", spec=spec)
    pq.write_table(pa.Table.from_pylist(GOOD), case.root / "task" / "train.parquet")
    case.build().assert_user_error("task.yaml:", "field 'fields.text'", "'sentence'")


def test_unreadable_parquet_is_one_line(case: BuildCase) -> None:
    case.write(b"PAR1 not really", "parquet", spec=sentiment_spec("parquet", "train.parquet"))
    case.build().assert_user_error("train.parquet", "not a readable Parquet file")


def test_hf_disk_path_that_is_not_a_dataset_folder(case: BuildCase) -> None:
    spec = sentiment_spec("hf_disk", "data")
    case.write(b"", spec=spec)
    (case.root / "task" / "data").mkdir()
    case.build().assert_user_error("data", "not a datasets.save_to_disk folder")
