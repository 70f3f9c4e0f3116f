"""Raw readers and task rows: every bad row becomes a reject naming file, line (and field)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ift_data.builder.recipe import DatasetEntry
from ift_data.builder.sources import load_dataset
from ift_data.errors import UserError
from ift_data.io.sources import ReadOptions, open_source
from ift_data.schema import RawRow, Reject
from ift_data.tasks.rows import TaskRow, to_task_row
from ift_data.tasks.spec import load_task_spec


def items(path: Path, fmt: str, **kw) -> list[RawRow | Reject]:
    return list(open_source(path, ReadOptions(format=fmt, **kw)).items())


def load(tasks, name: str, filename: str, content: str | bytes, spec: dict) -> tuple[list[TaskRow], list[Reject]]:
    path = tasks.raw(name, filename, content, spec)
    loaded = load_dataset(DatasetEntry(name=name, task=load_task_spec(path)), "train", seed=0)
    return loaded.rows, loaded.rejects


# -- csv / tsv ---------------------------------------------------------------------------------------

def test_malformed_csv_row_is_a_reject_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text('text,label\nfirst row,1\n"bad "quote" here",0\nthird row,1\n', encoding="utf-8")
    got = items(path, "csv")
    assert [type(i).__name__ for i in got] == ["RawRow", "Reject", "RawRow"]
    reject = got[1]
    assert reject.file == str(path) and reject.line == 3
    assert "malformed CSV row" in reject.reason and "quoting: none" in reject.reason
    assert got[0].fields == {"text": "first row", "label": "1"} and got[0].line == 2
    assert got[2].fields == {"text": "third row", "label": "1"} and got[2].line == 4


def test_unterminated_quote_rejects_its_line_and_the_next_lines_are_read_again(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text('text,label\nok,1\n"never closed,0\nlost,1\nalso kept,0\n', encoding="utf-8")
    got = items(path, "csv")
    assert [(type(i).__name__, i.line) for i in got] == [("RawRow", 2), ("Reject", 3), ("RawRow", 4), ("RawRow", 5)]
    assert "runs on to line 5" in got[1].reason and "quoting: none" in got[1].reason
    assert got[2].fields == {"text": "lost", "label": "1"}


def test_quote_closing_lines_later_with_wrong_cells_is_one_reject_not_swallowed_rows(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text('q,a\n"He said "hi,x\nb,y\nc,"z"\nd,w\n', encoding="utf-8")
    got = items(path, "csv")
    good = [i.fields["q"] for i in got if isinstance(i, RawRow)]
    assert [i.line for i in got if isinstance(i, Reject)] == [2]
    assert good == ["b", "c", "d"]


def test_multiline_quoted_field_is_one_row(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text('text,label\n"first line\nsecond line",1\nnext,0\n', encoding="utf-8")
    got = items(path, "csv")
    assert [(i.fields["text"], i.line) for i in got] == [("first line\nsecond line", 2), ("next", 4)]


def test_every_physical_line_is_a_row_or_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    lines = ["text,label", "a,1", '"b,0', "c,1", 'd "x" e,0', '"e""",1', "f,1,2", '"g', "h,0"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = items(path, "csv")
    assert sorted(i.line for i in got) == list(range(2, len(lines) + 1))


def test_duplicate_column_names_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,text\na,b\n", encoding="utf-8")
    with pytest.raises(UserError, match="duplicate column") as info:
        items(path, "csv")
    assert info.value.line == 1


def test_csv_format_on_a_tab_separated_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_text("text\tlabel\na, b\t1\n", encoding="utf-8")
    with pytest.raises(UserError, match="format: tsv") as info:
        items(path, "csv")
    assert (info.value.line, info.value.field) == (1, "source.format")


def test_other_encoding_is_used(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes("text,label\ncaf\u00e9,1\n".encode("latin-1"))
    assert items(path, "csv", encoding="latin-1")[0].fields["text"] == "caf\u00e9"
    assert isinstance(items(path, "csv")[0], Reject)  # read as UTF-8 the byte is invalid


@pytest.mark.parametrize(("fmt", "text"), [("csv", "text,label\nsea.salt,1\n"), ("json", '[{"text": "sea.salt"}]')])
def test_a_codec_that_cannot_decode_a_file_is_a_one_line_error(tmp_path: Path, fmt: str, text: str) -> None:
    """A UnicodeError that is no UnicodeDecodeError (punycode, undefined) escaped as a traceback (red-team)."""
    path = tmp_path / f"data.{fmt}"
    path.write_text(text, encoding="utf-8")
    for codec in ("punycode", "undefined"):
        with pytest.raises(UserError) as info:
            items(path, fmt, encoding=codec)
        assert (info.value.file, info.value.field) == (str(path), "source.encoding")
        assert f"cannot decode the file as {codec}" in str(info.value) and "\n" not in str(info.value)


def test_wrong_column_count_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_text("text\tlabel\na\t1\nb\t0\textra\n\nc\t1\n", encoding="utf-8")
    got = items(path, "tsv")
    assert [(type(i).__name__, i.line) for i in got] == [("RawRow", 2), ("Reject", 3), ("RawRow", 5)]
    assert "expected 2 columns, found 3" in got[1].reason and got[1].file == str(path)


def test_bom_is_stripped_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_bytes("\ufeffQuality\tString\r\n1\tA sentence\r\n".encode())
    got = items(path, "tsv", encoding="utf-8-sig")
    assert got == [RawRow({"Quality": "1", "String": "A sentence"}, str(path), 2)]


def test_headerless_file_uses_the_given_columns(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_text("The cat sat.\t1\nCat the sat.\t0\n", encoding="utf-8")
    got = items(path, "tsv", header=False, columns=("sentence", "label"))
    assert [(r.fields, r.line) for r in got] == [({"sentence": "The cat sat.", "label": "1"}, 1),
                                                ({"sentence": "Cat the sat.", "label": "0"}, 2)]


def test_columns_override_a_header_line(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_text("label\tcontent\n1\tnice\n", encoding="utf-8")
    got = items(path, "tsv", columns=("label", "sentence"))
    assert got == [RawRow({"label": "1", "sentence": "nice"}, str(path), 2)]


def test_quoting_none_keeps_unbalanced_quotes(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    lines = ['Quality\t#1 String\t#2 String', '1\t"He said it\tShe said "it" too', '0\tA "quote\tplain "', 'x\ty\tz']
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    got = items(path, "tsv", quoting="none")
    assert all(isinstance(i, RawRow) for i in got)
    assert [r.fields["#1 String"] for r in got] == ['"He said it', 'A "quote', "y"]
    assert [r.fields["#2 String"] for r in got] == ['She said "it" too', 'plain "', "z"]
    # The same file with standard quoting mangles it: the quote runs on across lines.
    standard = items(path, "tsv")
    assert [r.fields.get("#1 String") for r in standard if isinstance(r, RawRow)] != ['"He said it', 'A "quote', "y"]


def test_invalid_utf8_line_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"text,label\ngood,1\nbad \xff byte,0\n")
    got = items(path, "csv")
    rejects = [i for i in got if isinstance(i, Reject)]
    assert [(r.file, r.line) for r in rejects] == [(str(path), 3)]
    assert "UTF-8" in rejects[0].reason
    assert [r.fields for r in got if isinstance(r, RawRow)] == [{"text": "good", "label": "1"}]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("columns", [None, ("text", "label")])
def test_header_line_not_utf8_is_an_error_naming_line_1(tmp_path: Path, stream: bool, columns) -> None:
    """The next line is never taken for the header (row A would be lost without a reject)."""
    path = tmp_path / "data.csv"
    path.write_bytes(b"te\xe9xt,label\nA,1\nB,0\nC,1\n")
    with pytest.raises(UserError) as info:
        list(open_source(path, ReadOptions(format="csv", columns=columns), stream=stream).items())
    assert info.value.line == 1 and "cannot read the header line: invalid UTF-8 at byte 2" in info.value.reason


def test_header_line_over_the_line_limit_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"text," + b"x" * 100 + b"\nA,1\n")
    with pytest.raises(UserError) as info:
        items(path, "csv", max_line_bytes=50)
    assert info.value.line == 1 and "header line" in info.value.reason


@pytest.mark.parametrize("stream", [False, True])
def test_csv_cells_up_to_the_field_limit_are_read(tmp_path: Path, stream: bool) -> None:
    """Past the csv module's own 131,072-character default, up to ``max_field_chars`` (default 1,000,000)."""
    path = tmp_path / "data.csv"
    big = "y" * 200_000
    path.write_text(f'text,label\n"{big}",1\nsmall,0\n{big},1\n', encoding="utf-8")

    def read(**kw) -> list[RawRow | Reject]:
        return list(open_source(path, ReadOptions(format="csv", **kw), stream=stream).items())

    assert [len(r.fields["text"]) for r in read() if isinstance(r, RawRow)] == [200_000, 5, 200_000]
    limited = read(max_field_chars=1000)
    assert [(type(i).__name__, i.line) for i in limited] == [("Reject", 2), ("RawRow", 3), ("Reject", 4)]
    assert all("longer than 1,000 characters (the --max-field-chars limit)" in r.reason
               for r in limited if isinstance(r, Reject))
    assert [type(i).__name__ for i in read()] == ["RawRow"] * 3  # the default again: no state carried over


def test_a_small_line_limit_is_told_in_bytes(tmp_path: Path) -> None:
    """``read.max_line_bytes: 10`` read "line is 0.0 MiB, over the 0 MiB limit"."""
    from ift_data.io.sources.base import line_too_long

    path = tmp_path / "data.csv"
    path.write_text("text,label\nshort,1\na longer line here,0\n", encoding="utf-8")
    assert [i.reason for i in items(path, "csv", max_line_bytes=12) if isinstance(i, Reject)] == [
        "line is 21 bytes, over the 12 bytes limit"]
    assert line_too_long("f", 1, 50 * 2**20 + 2**19, 16 * 2**20).reason == "line is 50.5 MiB, over the 16 MiB limit"


def test_unreadable_file_raises_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        items(tmp_path / "missing.csv", "csv")
    assert "missing.csv" in str(info.value)


# -- jsonl / json --------------------------------------------------------------------------------------

def test_broken_json_line_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "a", "label": 1}\n{"text": "b", "label": \n\n[1, 2]\n{"text": "c", "label": 0}\n',
                    encoding="utf-8")
    got = items(path, "jsonl")
    assert [(type(i).__name__, i.line) for i in got] == [("RawRow", 1), ("Reject", 2), ("Reject", 4), ("RawRow", 5)]
    assert "invalid JSON" in got[1].reason and got[1].file == str(path)
    assert "expected a JSON object" in got[2].reason


def test_nested_squad_records(tmp_path: Path, tasks) -> None:
    document = {"version": "1.1", "data": [
        {"title": "Super_Bowl", "paragraphs": [
            {"context": "Denver won.", "qas": [
                {"id": "q1", "question": "Who won?", "answers": [{"text": "Denver", "answer_start": 0},
                                                                 {"text": "Denver Broncos", "answer_start": 0}]},
                {"id": "q2", "question": "What happened?", "answers": [{"text": "won", "answer_start": 7}]}]},
            {"context": "It rained.", "qas": [
                {"id": "q3", "question": "Weather?", "answers": [{"text": "rained", "answer_start": 3}]}]}]}]}
    spec = {"family": "extractive_qa", "source": {"format": "json", "splits": {"train": "dev.json"},
                                                   "records": "data[].paragraphs[].qas[]"},
            "fields": {"context": "../context", "title": "../../title", "question": "question",
                       "answers": "answers[].text"},
            "replace": {"title": {"_": " "}}}
    rows, rejects = load(tasks, "squadish", "dev.json", json.dumps(document), spec)
    assert rejects == []
    assert [r.slots for r in rows] == [
        {"context": "Denver won.", "title": "Super Bowl", "question": "Who won?", "answers": ["Denver", "Denver Broncos"]},
        {"context": "Denver won.", "title": "Super Bowl", "question": "What happened?", "answers": ["won"]},
        {"context": "It rained.", "title": "Super Bowl", "question": "Weather?", "answers": ["rained"]},
    ]
    assert rows[2].location.endswith("dev.json#data[0].paragraphs[1].qas[0]")
    assert [r.line for r in rows] == [1, 1, 1]  # the physical line each record starts on (a one-line file)


def test_json_records_path_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"data": {"not": "a list"}}), encoding="utf-8")
    with pytest.raises(UserError) as info:
        items(path, "json", records="data[].qas[]")
    assert info.value.field == "source.records" and info.value.file == str(path)
    path.write_text("{broken", encoding="utf-8")
    with pytest.raises(UserError, match="invalid JSON"):
        items(path, "json")


# -- task rows: missing fields, labels, replacements ---------------------------------------------------

SENTIMENT = {"family": "sentiment", "source": {"format": "jsonl", "splits": {"train": "train.jsonl"}},
             "fields": {"text": "text", "label": "label"}, "labels": {0: "negative", 1: "positive"}}


def test_missing_field_and_unknown_label_are_rejects_naming_file_line_field(tasks) -> None:
    content = "\n".join(json.dumps(r) for r in [
        {"text": "fine", "label": 1},
        {"txt": "typo in the field name", "label": 0},
        {"text": "label out of range", "label": 7},
        {"text": "label not an id", "label": "maybe"},
        {"text": None, "label": 0},
        {"text": "last", "label": 0},
    ]) + "\n"
    rows, rejects = load(tasks, "reviews", "train.jsonl", content, SENTIMENT)
    assert [(r.slots, r.line) for r in rows] == [({"text": "fine", "label": 1}, 1), ({"text": "last", "label": 0}, 6)]
    file = str(tasks.root / "reviews" / "train.jsonl")
    assert [(r.file, r.line, r.field) for r in rejects] == [(file, 2, "text"), (file, 3, "label"), (file, 4, "label"),
                                                           (file, 5, "text")]
    assert "missing field 'text'" in rejects[0].reason
    assert "unknown label '7'" in rejects[1].reason
    assert all(r.stage == "map" and r.dataset == "reviews" for r in rejects)


def test_read_rejects_carry_the_file_and_dataset(tasks) -> None:
    spec = dict(SENTIMENT, source={"format": "csv", "splits": {"train": "train.csv"}})
    rows, rejects = load(tasks, "reviews", "train.csv", 'text,label\nok,1\n"x"y,0\n', spec)
    assert len(rows) == 1
    assert [(r.file, r.line, r.stage, r.dataset) for r in rejects] == [
        (str(tasks.root / "reviews" / "train.csv"), 3, "read", "reviews")]


def test_labels_file_with_label_base_one(tasks) -> None:
    folder = tasks.root / "news"
    folder.mkdir(parents=True)
    (folder / "classes.txt").write_text("World\nSports\nBusiness\nSci/Tech\n", encoding="utf-8")
    spec = {"family": "topic", "source": {"format": "csv", "splits": {"train": "train.csv"}, "header": False,
                                           "columns": ["class", "title", "description"]},
            "fields": {"text": "description", "title": "title", "label": "class"},
            "labels_file": "classes.txt", "label_base": 1, "replace": {"text": {"\\": " "}}}
    content = '"3","Wall St.","Stocks fell\\and rose."\n"1","Talks","Leaders met."\n"4","Chips","New\\chip."\n"5","?","x"\n'
    rows, rejects = load(tasks, "news", "train.csv", content, spec)
    task = load_task_spec(folder / "task.yaml")
    assert task.label_names == ("World", "Sports", "Business", "Sci/Tech")
    assert [task.label_names[r.slots["label"]] for r in rows] == ["Business", "World", "Sci/Tech"]
    assert [r.slots["text"] for r in rows] == ["Stocks fell and rose.", "Leaders met.", "New chip."]
    assert rows[0].slots["title"] == "Wall St."  # replace applies to the named slot only
    assert [(r.line, r.field) for r in rejects] == [(4, "class")]


def test_label_names_and_string_labels(tasks) -> None:
    spec = dict(SENTIMENT, labels={"neg": "negative", "pos": "positive"})
    content = '{"text": "a", "label": "pos"}\n{"text": "b", "label": "negative"}\n{"text": "c", "label": 1.0}\n'
    rows, rejects = load(tasks, "named", "train.jsonl", content, spec)
    assert [r.slots["label"] for r in rows] == [1, 0]
    assert [(r.line, r.field) for r in rejects] == [(3, "label")]


def test_replace_applies_to_lists(tasks) -> None:
    spec = {"family": "extractive_qa", "source": {"format": "jsonl", "splits": {"train": "train.jsonl"}},
            "fields": {"context": "c", "question": "q", "answers": "a"}, "replace": {"answers": {"``": '"'}}}
    rows, rejects = load(tasks, "lists", "train.jsonl", json.dumps({"c": "x", "q": "y", "a": ["``hi``", 3]}) + "\n",
                         spec)
    assert rejects == [] and rows[0].slots["answers"] == ['"hi"', 3]  # types kept


def test_to_task_row_parent_lookup_beyond_root_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text("name: t\nfamily: f\nsource: {format: jsonl, splits: {train: x.jsonl}}\n"
                    "fields: {text: ../../context}\n", encoding="utf-8")
    row = to_task_row(RawRow({"a": 1}, "x.jsonl", 9, parents=({"context": "c"},)), load_task_spec(path))
    assert isinstance(row, Reject) and (row.line, row.field) == (9, "../../context")


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        with pytest.raises(UserError, match="not a regular file"):
            items(path, "jsonl")


def test_json_document_in_another_encoding(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(json.dumps([{"text": "caf\u00e9", "label": 1}], ensure_ascii=False).encode("utf-16"))
    assert items(path, "json", encoding="utf-16")[0].fields == {"text": "caf\u00e9", "label": 1}
    with pytest.raises(UserError, match="invalid UTF-8"):
        items(path, "json")


def test_past_the_reread_limit_a_span_is_one_reject_naming_its_lines(tmp_path: Path, monkeypatch) -> None:
    from ift_data.io.sources import delimited

    monkeypatch.setattr(delimited, "MAX_REREADS", 0)
    path = tmp_path / "data.csv"
    path.write_text('text,label\nok,1\n"a,1\nb,2\nc",3,4\nd,0\n', encoding="utf-8")
    got = items(path, "csv")
    assert [(type(i).__name__, i.line) for i in got] == [("RawRow", 2), ("Reject", 3), ("RawRow", 6)]
    assert "lines 3-5" in got[1].reason
