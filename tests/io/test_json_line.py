"""``dumps_json_line`` (orjson where it writes json's bytes) gives exactly what ``json.dumps`` gives, with
the line separators U+0085, U+2028 and U+2029 escaped."""

from __future__ import annotations

import dataclasses
import datetime
import json
import random
import string
from typing import Any

import pytest

from ift_data.io.atomic import TextRecord, dumps_json_bytes, dumps_json_line

ALPHABET = string.printable + "\x00\x01\x1f\x7f\x85\u2028\u2029é中😀\ufdd0\"\\"


def _reference(record: Any) -> str:
    text = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _outcome(fn: Any, record: Any) -> Any:
    try:
        return fn(record)
    except Exception as exc:  # the same kind of error as json's
        return type(exc)


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(12)))
    if kind == 1:
        return rng.choice([0, -1, 17, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**70)])
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:  # json and orjson write some floats differently (1e-07 / 1e-7)
        return rng.choice([0.1, 1e-7, 1e16, 1e22, -0.0, 1.0, 123456789.125, 5e-324, 1e300])
    if kind == 4:
        return rng.choice([":1.5,[2e3", "null", "x", ""])  # text that looks like a float or null
    if kind == 5:
        return rng.randrange(-5, 5)
    if kind == 6:
        keys = [("".join(rng.choice(ALPHABET) for _ in range(3)) if rng.random() < 0.9
                 else rng.choice([1, True, None, 2.5])) for _ in range(rng.randrange(4))]
        return {key: _value(rng, depth + 1) for key in keys}
    if kind == 7:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return tuple(_value(rng, depth + 1) for _ in range(rng.randrange(3)))


def test_random_records_are_json_dumps_bytes() -> None:
    rng = random.Random(13)
    for _ in range(20_000):
        record = _value(rng)
        want = _outcome(_reference, record)
        assert _outcome(dumps_json_line, record) == want, record
        if isinstance(want, str):
            assert dumps_json_bytes(record) == want.encode("utf-8")


def test_a_segments_record_is_written_by_orjson_as_json_would() -> None:
    record = {"id": "ds:1:t", "source": {"dataset": "ds", "shots": 0, "row": "f.jsonl:2"},
              "messages": [{"role": "user", "content": "Review: é\n\"quoted\"\tend"}],
              "segments": [{"text": "<|im_start|>user\n", "label": False, "kind": "special", "role": "user"}]}
    assert dumps_json_line(record) == _reference(record)
    assert dumps_json_line(TextRecord(record)) == _reference(record)
    assert dumps_json_line(TextRecord(text="a\ud800")) == _reference({"text": "a\ud800"})  # json's str


@pytest.mark.parametrize("record", [float("nan"), {"a": float("inf")}, datetime.date(2020, 1, 1),
                                    {"x": dataclasses.make_dataclass("D", [])()}, {(1, 2): 3}])
def test_what_json_refuses_is_refused(record: Any) -> None:
    assert _outcome(dumps_json_line, record) == _outcome(_reference, record)
    assert isinstance(_outcome(dumps_json_line, record), type)


def test_lone_surrogates_fail_when_encoded_as_before() -> None:
    record = {"text": "a\ud800b"}
    assert dumps_json_line(record) == _reference(record)  # a str, as json gives; encoding it fails
    with pytest.raises(UnicodeEncodeError):
        dumps_json_bytes(record)


@pytest.mark.parametrize("separator", ["\x85", "\u2028", "\u2029"])
def test_line_separators_are_escaped_so_every_reader_sees_one_line(separator: str) -> None:
    for record in ({"text": f"a{separator}b"}, {"text": f"a{separator}b", "score": 0.5},
                   {"text": f"a{separator}b\ud800"}):
        line = dumps_json_line(record)
        assert len(line.splitlines()) == 1 and separator not in line and json.loads(line) == record
