"""``stream_json`` (a JSON array read block by block) gives ``open_json``'s items and errors: the same rows,
rejects, lines and pointers for every layout, line end and block size, the same ``invalid JSON`` errors at
the same line and column, and it never holds the whole file."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from ift_data.builder.pipeline import run_build
from ift_data.errors import UserError
from ift_data.io import sources
from ift_data.io.sources import json_stream, open_source
from ift_data.io.sources.base import ReadOptions
from ift_data.io.sources.json_records import open_json
from ift_data.io.sources.json_stream import stream_json
from ift_data.schema import RawRow, Reject

BLOCKS = [1, 2, 7, 1 << 20]
OPTIONS = ReadOptions(format="json")

RECORDS: list[Any] = [
    {"instruction": "Say hi", "input": "", "output": "hi"},
    {"text": 'braces { } [ ] , and "quotes" and \\ back\\slashes \\"', "n": -1.5e3, "ok": True, "none": None},
    {"nested": {"a": [1, {"b": [2, [3, {}]]}], "c": {"d": "]},{["}}, "list": [[], {}, [{}]]},
    {"unicode": "é 日本語 ✓ 𝄞 😀 \u2028 ünïcödé", "日本": "キー"},
    {"escaped": "\n\r\t\b\f\u0000 \\u0041", "empty": ""},
]


def _items(opener: Any, path: Path, options: ReadOptions = OPTIONS) -> tuple[list[Any], str | None]:
    """The items read before an error, and the error's message (None when there was none)."""
    got: list[Any] = []
    try:
        for item in opener(path, options, "data.json").items():
            got.append(item)
    except UserError as exc:
        return got, str(exc)
    return got, None


def _fields(items: list[Any]) -> list[Any]:
    assert all(isinstance(item, RawRow) for item in items)
    return [item.fields for item in items]


def _write(tmp_path: Path, content: str | bytes, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _same_as_open_json(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], str | None]:
    """Read ``path`` with every block size; each gives ``open_json``'s items, or its error after the items
    of the records before the fault."""
    want, error = _items(open_json, path)
    for block in BLOCKS:
        monkeypatch.setattr(json_stream, "BLOCK_BYTES", block)
        got, got_error = _items(stream_json, path)
        assert got_error == error, block
        if error is None:
            assert got == want, block
    return want, error


def _layouts() -> dict[str, str]:
    one_line = json.dumps(RECORDS, ensure_ascii=False)
    pretty = json.dumps(RECORDS, ensure_ascii=False, indent=2)
    return {
        "one line": one_line,
        "ascii escapes": json.dumps(RECORDS, indent=1),
        "pretty": pretty,
        "crlf": pretty.replace("\n", "\r\n"),
        "lone cr": pretty.replace("\n", "\r"),
        "mixed ends": "[\r\n" + ",\r".join(json.dumps(r, ensure_ascii=False) for r in RECORDS) + "\n]\r\n",
        "space everywhere": " \t\r\n [ \n\t" + " \r\n , \t ".join(
            json.dumps(r, ensure_ascii=False, indent="\t", separators=(" , ", " : ")) for r in RECORDS)
            + "\n\n ] \t\r\n ",
        "one record a line": "[\n" + ",\n".join(json.dumps(r) for r in RECORDS) + "\n]",
        "leading comma layout": "[ " + "\n, ".join(json.dumps(r) for r in RECORDS) + "\n]",
    }


@pytest.mark.parametrize("layout", list(_layouts()))
@pytest.mark.parametrize("bom", [False, True])
def test_records_lines_and_pointers_match_open_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    layout: str, bom: bool) -> None:
    text = _layouts()[layout]
    path = _write(tmp_path, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    want, error = _same_as_open_json(path, monkeypatch)
    assert error is None and len(want) == len(RECORDS)
    assert _fields(want) == RECORDS
    assert [row.pointer for row in want] == [f"[{i}]" for i in range(len(RECORDS))]
    if layout in ("pretty", "crlf", "lone cr"):
        lines = re.split(r"\r\n|\r|\n", text)  # not str.splitlines: a record holds a raw U+2028
        assert [i + 1 for i, line in enumerate(lines) if line == "  {"] == [row.line for row in want] \
            == [2, 7, 13, 39, 43]


def test_a_multibyte_character_cut_by_every_block_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps([{"k": "é" * i + "𝄞日" * (i % 3), "é": i} for i in range(12)], ensure_ascii=False, indent=1)
    path = _write(tmp_path, text)
    for block in range(1, 9):
        monkeypatch.setattr(json_stream, "BLOCK_BYTES", block)
        assert _items(stream_json, path) == _items(open_json, path)


@pytest.mark.parametrize("document, rejects", [
    ('[1, "text", null, true, [1, 2], {"a": 1}]', 5),
    ('[{"a": 1, "a": 2}, {"b": 1}]', 1),                                  # a duplicate at the top level
    ('[{"a": {"b": 1, "b": 2}}, {"c": [{"d": 1, "d": 1}]}, {"e": 1}]', 2),  # duplicates inside a record
    ('[[{"a": 1, "a": 2}], {"a": 1}]', 1),                                # a duplicate inside a non-object
    ("[]", 0), ("[ \n\r\n\t ]", 0), ("\n\n[]\n\n", 0),
])
def test_rejects_match_open_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: str,
                                 rejects: int) -> None:
    want, error = _same_as_open_json(_write(tmp_path, document), monkeypatch)
    assert error is None and sum(isinstance(item, Reject) for item in want) == rejects


BROKEN = [
    ('[{"a": 1},]', "1: invalid JSON: Expecting value at column 11"),
    ('[\n  {"a": 1}\n  {"b": 2}\n]', "3: invalid JSON: Expecting ',' delimiter at column 3"),  # a missing comma
    ('[\n{"a": 1},\n{"b" 2}\n]', "3: invalid JSON: Expecting ':' delimiter at column 6"),
    ('[\n{"a": 1},\n{"b": 1', "3: invalid JSON: Expecting ',' delimiter at column 8"),  # truncated
    ('[\n{"a": 1},\n{"b": "tex', "3: invalid JSON: Unterminated string starting at column 7"),
    ('[{"a": 1},\n', "2: invalid JSON: Expecting value at column 1"),
    ('[{"a": 1}', "1: invalid JSON: Expecting ',' delimiter at column 10"),
    ("[", "1: invalid JSON: Expecting value at column 2"),
    ('[{"a": 1}]\n\n  x', "3: invalid JSON: Extra data at column 3"),  # trailing garbage
    ('[{"a": 1}]]', "1: invalid JSON: Extra data at column 11"),
    ("[1] [2]", "1: invalid JSON: Extra data at column 5"),
    ('[{"a": [1}]', "1: invalid JSON: Expecting ',' delimiter at column 10"),  # brackets that do not match
    ('[1}]', "1: invalid JSON: Expecting ',' delimiter at column 3"),
    ("[,1]", "1: invalid JSON: Expecting value at column 2"),
    ("[1,,2]", "1: invalid JSON: Expecting value at column 4"),
    ('[{"a": 1},\r\n{"a": tru}]', "2: invalid JSON: Expecting value at column 7"),
    ('[{"a":\n"b\nc"}]', "2: invalid JSON: Invalid control character at column 3"),
    ('[{"a": "\\x"}]', "1: invalid JSON: Invalid \\escape at column 9"),
    ('[{"a": "\\ud83d\\ude0"}]', "1: invalid JSON: Invalid \\uXXXX escape at column 16"),
    ('[\n{"a": 1},\n{"a": [1, 2,]}\n]', "3: invalid JSON: Expecting value at column 13"),
    ('[{"a": 1}, {"b": 2} "c"]', "1: invalid JSON: Expecting ',' delimiter at column 21"),
]


@pytest.mark.parametrize("document, where", BROKEN)
def test_a_broken_document_is_open_jsons_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: str,
                                               where: str) -> None:
    _, error = _same_as_open_json(_write(tmp_path, document), monkeypatch)
    assert error == f"data.json:{where}"


def test_the_records_before_a_fault_are_yielded_then_the_error(tmp_path: Path) -> None:
    path = _write(tmp_path, '[\n{"a": 1},\n{"a": 2},\n{"a": 3} {"a": 4}\n]')
    got, error = _items(stream_json, path)
    assert _fields(got) == [{"a": 1}, {"a": 2}]
    assert error == "data.json:4: invalid JSON: Expecting ',' delimiter at column 10"
    assert _items(open_json, path) == ([], error)  # open_json fails before the first record


@pytest.mark.parametrize("value, reason", [
    ("NaN", "non-standard JSON constant NaN (JSON has no NaN or Infinity)"),
    ("-Infinity", "non-standard JSON constant -Infinity (JSON has no NaN or Infinity)"),
    ('"\\ud800 lone"', "lone surrogate \\ud800 in a string (not valid Unicode text)"),
    ("1" * 5_000, "integer with 5,000 digits (over 4,300)"),
    ("1e999", "number 1e999 is too large for a float"),
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
])
def test_strict_rules_apply_to_each_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str,
                                           reason: str) -> None:
    """open_json refuses the whole document (no line: it parsed it all); the stream names the record's line."""
    path = _write(tmp_path, '[\n  {"a": 1},\n  {\n    "b": ' + value + '\n  }\n]')
    _, whole = _items(open_json, path)
    assert whole == f"data.json: invalid JSON: {reason}"
    for block in (3, 1 << 20):
        monkeypatch.setattr(json_stream, "BLOCK_BYTES", block)
        got, error = _items(stream_json, path)
        assert error == f"data.json:3: invalid JSON: {reason}"
        assert _fields(got) == [{"a": 1}]


def test_lone_cr_errors_name_the_physical_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows count ``\\r`` as a line end; so do the stream's errors (the whole-document parser counts only \\n)."""
    lf = '[\n{"a": 1},\n\n{"b": 2} x\n]'
    cr = _write(tmp_path, lf.replace("\n", "\r"), "cr.json")
    assert _items(open_json, _write(tmp_path, lf))[1] == "data.json:4: invalid JSON: Expecting ',' delimiter at column 10"
    for block in BLOCKS:
        monkeypatch.setattr(json_stream, "BLOCK_BYTES", block)
        got, error = _items(stream_json, cr)
        assert error == "data.json:4: invalid JSON: Expecting ',' delimiter at column 10"
        assert [row.line for row in got] == [2]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("bad", [b"\xff", b"\xe6\x97", b"\xc3("])
def test_invalid_utf8_is_decode_documents_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bom: bytes,
                                                bad: bytes) -> None:
    data = bom + b'[\n{"a": "\xc3\xa9"},\r\n{"a": "x' + bad + b'"}\n]'
    path = _write(tmp_path, data)
    byte = len(data) - len(bom) - len(b'"}\n]') - len(bad)
    _, whole = _items(open_json, path)
    assert whole == f"data.json:3: invalid UTF-8 at byte {byte}"
    for block in BLOCKS:
        monkeypatch.setattr(json_stream, "BLOCK_BYTES", block)
        got, error = _items(stream_json, path)
        assert error == whole and _fields(got) == [{"a": "é"}]
    cut = _write(tmp_path, data[:data.index(bad) + 1], "cut.json")  # the file ends inside a character
    assert _items(stream_json, cut)[1] == _items(open_json, cut)[1] == f"data.json:3: invalid UTF-8 at byte {byte}"


@pytest.mark.parametrize("content", ['{"a": 1}', '{"data": [{"a": 1}]}', "", "  \n", '"text"', "\xef\xbb\xbf",
                                     "\n  x", "\n{} []"])
def test_a_document_that_is_not_an_array_is_read_as_open_json_reads_it(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path, content)
    assert _items(stream_json, path) == _items(open_json, path)
    assert _items(stream_json, path)[1] is not None


def test_other_records_paths_and_encodings_are_read_whole(tmp_path: Path) -> None:
    squad = _write(tmp_path, json.dumps({"data": [{"paragraphs": [{"qas": [{"id": "q1"}, {"id": "q2"}]}]}]}))
    options = ReadOptions(format="json", records="data[].paragraphs[].qas[]")
    source = stream_json(squad, options, "squad.json")
    assert source.data is not None  # open_json's source
    assert list(source.items()) == list(open_json(squad, options, "squad.json").items())
    latin = _write(tmp_path, '[{"a": "caf\xe9"}]'.encode("latin-1"), "latin.json")
    latin_options = ReadOptions(format="json", encoding="latin-1")
    source = stream_json(latin, latin_options, "latin.json")
    assert source.data is not None and _fields(list(source.items())) == [{"a": "café"}]


def test_the_source_streams_with_the_files_sha256(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + json.dumps(RECORDS, indent=2).encode("utf-8")
    path = _write(tmp_path, data)
    streamed = open_source(path, OPTIONS, "data.json", stream=True)
    whole = open_source(path, OPTIONS, "data.json")
    assert streamed.data is None and whole.data == data
    assert streamed.sha256 == whole.sha256 == hashlib.sha256(data).hexdigest()
    assert list(streamed.items()) == list(streamed.items()) == list(whole.items())  # read again from the start
    with pytest.raises(UserError, match="cannot read: no such file"):
        stream_json(tmp_path / "missing.json", OPTIONS, "missing.json")


def test_memory_holds_a_record_and_a_block_not_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [{"text": f"record {i} " + "é" * (i % 40), "n": i} for i in range(3_000)]
    path = _write(tmp_path, json.dumps(records, ensure_ascii=False, indent=2))
    monkeypatch.setattr(json_stream, "BLOCK_BYTES", 256)
    widest = 0
    real_more = json_stream._Text.more

    def more(self: Any) -> bool:
        nonlocal widest
        widest = max(widest, len(self.text))
        return real_more(self)

    monkeypatch.setattr(json_stream._Text, "more", more)
    got = list(stream_json(path, OPTIONS, "data.json").items())
    assert _fields(got) == records
    assert path.stat().st_size > 200_000 and 256 < widest < 1_000  # threshold + a record + a block


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.35:
        return rng.choice([0, -2.5, 1e-7, "x", "a,b]{", 'q"\\', "é日𝄞", True, False, None, "\n\r", ""])
    if roll < 0.7:
        return {rng.choice("abcd"): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]


def _random_text(rng: random.Random, value: Any) -> str:
    """``value`` as JSON with random whitespace (and a repeated key now and then)."""
    space = [" ", "\n", "\r\n", "\t", ""]
    if isinstance(value, dict):
        pairs = list(value.items()) + ([next(iter(value.items()))] if value and rng.random() < 0.1 else [])
        return "{" + ",".join(rng.choice(space) + json.dumps(k) + rng.choice(space) + ":" + rng.choice(space)
                              + _random_text(rng, v) for k, v in pairs) + rng.choice(space) + "}"
    if isinstance(value, list):
        return "[" + ",".join(rng.choice(space) + _random_text(rng, v) + rng.choice(space) for v in value) + "]"
    return json.dumps(value, ensure_ascii=rng.random() < 0.5)


def test_random_documents_and_random_damage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random arrays, half of them damaged (a character dropped or added, the end cut off): the stream gives
    open_json's items or open_json's error, at every block size."""
    rng = random.Random(13)
    checked = 0
    for _ in range(250):
        elements = [_random_value(rng) for _ in range(rng.randint(0, 6))]
        text = rng.choice(["", " ", "\n"]) + "[" + ",".join(
            rng.choice(["", " ", "\r\n", "\n "]) + _random_text(rng, e) for e in elements) + "]" + rng.choice(["", "\n"])
        if rng.random() < 0.5:
            at, roll = rng.randrange(len(text) + 1), rng.random()
            text = (text[:at] + text[at + 1:] if roll < 0.4 else text[:at] + rng.choice('{}[],":1 x\n') + text[at:]
                    if roll < 0.8 else text[:at])
        if re.match(r"[ \t\r\n]*\[", text) is None or re.search(r"\r(?!\n)", text):
            continue  # not an array (open_json reads it, tested above); a lone \r (tested above)
        _same_as_open_json(_write(tmp_path, text), monkeypatch)
        checked += 1
    assert checked > 200


def test_a_build_from_a_json_array_writes_the_same_bytes_streamed_or_whole(tasks: Any, make_recipe: Any,
                                                                          tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    records: list[Any] = [{"text": f"review {i}: ünïcödé, the film was {'great' if i % 2 else 'dull'}",
                           "label": i % 2} for i in range(300)]
    records[7] = {"text": "", "label": 1}  # a map reject
    records[11] = ["not", "an", "object"]  # a read reject
    text = json.dumps(records, indent=2, ensure_ascii=False).replace("\n", "\r\n")
    text = text.replace('"label": 0\r\n  }', '"label": 0, "label": 0\r\n  }', 1)  # a duplicate key: a read reject
    spec = {"family": "sentiment", "source": {"format": "json", "splits": {"train": "train.json"}},
            "fields": {"text": "text", "label": "label"}, "labels": ["negative", "positive"]}
    recipe = make_recipe([{"task": str(tasks.raw("reviews", "train.json", text, spec))}],
                         few_shot={"share": 0.3, "k": 2})
    opened: list[str] = []

    def streaming(*args: Any) -> Any:
        opened.append("stream")
        return stream_json(*args)

    monkeypatch.setitem(sources.STREAMERS, "json", streaming)
    streamed = run_build(recipe, tmp_path / "streamed", workers=1)
    assert opened == ["stream"]
    monkeypatch.delitem(sources.STREAMERS, "json")
    whole = run_build(recipe, tmp_path / "whole", workers=1)
    for name in ("train.segments.jsonl", "rejects.jsonl"):
        one, other = (tmp_path / "streamed" / name).read_bytes(), (tmp_path / "whole" / name).read_bytes()
        assert one == other and one, name
    assert streamed.manifest["datasets"] == whole.manifest["datasets"]
    rejects = [json.loads(line) for line in (tmp_path / "whole" / "rejects.jsonl").read_text().splitlines()]
    assert {r["stage"] for r in rejects} >= {"read", "map"}
