"""Bad instruction files and rule files through ``ift-data clean`` / ``audit``: a one-line error (exit 2)
or read rejects in rejected.jsonl, with rows in = kept + rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hardening_helpers import run_cli


def _rec(i: int) -> dict:
    return {"instruction": f"Explain topic number {i} in a sentence.", "input": "",
            "output": f"Topic {i} is about item {i * 7} and its uses in daily life."}


GOOD = b"".join(json.dumps(_rec(i)).encode() + b"\n" for i in range(8))

CASES = {
    "truncated": (GOOD + b'{"instruction": "cut', 9, ["invalid JSON"]),
    "invalid_utf8": (GOOD + b'{"instruction": "\xff", "output": "x"}\n', 9, ["UTF-8"]),
    "latin1": (GOOD + '{"instruction": "café", "output": "x"}\n'.encode("latin-1"), 9, ["UTF-8"]),
    "bom": (b"\xef\xbb\xbf" + GOOD, 8, []),
    "crlf": (GOOD.replace(b"\n", b"\r\n"), 8, []),
    "nul_raw": (GOOD + b'{"instruction": "a\x00b", "output": "x"}\n', 9, ["invalid JSON"]),
    "nan": (GOOD + b'{"instruction": NaN, "output": "x"}\n', 9, ["NaN"]),
    "infinity": (GOOD + b'{"instruction": "a", "output": Infinity}\n', 9, ["Infinity"]),
    "deep": (GOOD + b'{"instruction": "a", "output": "b", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", 9,
             ["nested"]),
    "duplicate_keys": (GOOD + b'{"instruction": "a", "instruction": "b", "output": "x"}\n', 9, ["duplicate key"]),
    "int_over_4300_digits": (GOOD + b'{"instruction": "a", "output": "b", "n": ' + b"9" * 5000 + b"}\n", 9,
                             ["4,300"]),
    "lone_surrogate": (GOOD + b'{"instruction": "a\\ud800", "output": "x"}\n', 9, ["surrogate"]),
    "wrong_types": (GOOD + b"".join(json.dumps(r).encode() + b"\n" for r in (
        {"instruction": ["a"], "output": "x"}, {"instruction": {"a": 1}, "output": "x"},
        {"instruction": "a", "output": None}, [1, 2], "text", 3, None)), 15, ["expected"]),
    "empty_fields": (GOOD + b'{"instruction": "", "input": "", "output": ""}\n', 9, []),
    "missing_output": (GOOD + b'{"instruction": "a"}\n', 9, ["missing"]),
    "huge_line": (GOOD + json.dumps({"instruction": "a", "output": "x" * (17 * 2**20)}).encode() + b"\n", 9,
                  ["MiB"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_instruction_jsonl(tmp_path: Path, name: str) -> None:
    raw, rows_in, reasons = CASES[name]
    data = tmp_path / "data.jsonl"
    data.write_bytes(raw)
    outcome = run_cli("clean", data, "--out", tmp_path / "out", "--no-embeddings")
    outcome.assert_ok()
    summary = json.loads((tmp_path / "out" / "clean.json").read_text())
    assert summary["rows_in"] == rows_in, summary
    assert summary["kept"] + summary["rejected"] == rows_in
    rejected = (tmp_path / "out" / "rejected.jsonl").read_text()
    kept = [line for line in (tmp_path / "out" / "data.jsonl").read_bytes().split(b"\n") if line]
    assert len(kept) == summary["kept"]
    for reason in reasons:
        assert reason in rejected, (reason, rejected[:1500])


ERRORS = {
    "empty.jsonl": (b"", ["empty"]),
    "blank.jsonl": (b"\n\n  \n", ["empty"]),
    "all_bad.jsonl": (b"{broken\n[1]\n", ["no readable record"]),
    "no_shape.jsonl": (b'{"a": 1}\n', ["shape"]),
    "array.json": (b'[{"instruction": "a", "output": "b"}, {"instruction": NaN, "output": "b"}]', ["NaN"]),
    "obj.json": (b'{"instruction": "a"}', []),
    "trunc.json": (b'[{"instruction": "a", "output": "b"}', ["invalid JSON"]),
    "deep.json": (b"[" * 100_000 + b"]" * 100_000, ["nested"]),
    "bad.csv": (b"instruction,output\n\xff,b\n", ["UTF-8"]),
    "headeronly.csv": (b"instruction,output\n", ["no rows"]),
    "junk.parquet": (b"PAR1 not really", ["Parquet"]),
    "data.txt": (b"hello", ["file type"]),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_instruction_file_errors(tmp_path: Path, name: str) -> None:
    raw, needles = ERRORS[name]
    data = tmp_path / name
    data.write_bytes(raw)
    run_cli("audit", data, "--out", tmp_path / "out", "--no-embeddings").assert_user_error(name, *needles)


def test_json_array_with_duplicate_key_record(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    data.write_text('[{"instruction": "a", "output": "b"}, {"instruction": "a", "instruction": "c", "output": "d"}]')
    run_cli("clean", data, "--out", tmp_path / "out", "--no-embeddings").assert_ok()
    summary = json.loads((tmp_path / "out" / "clean.json").read_text())
    assert summary == {**summary, "rows_in": 2, "kept": 1, "rejected": 1}
    assert "duplicate key" in (tmp_path / "out" / "rejected.jsonl").read_text()


def test_csv_with_nul_and_crlf(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(b"instruction,output\r\nfirst,one\r\nsec\x00ond,two\r\n\"unterminated,three\r\n")
    outcome = run_cli("clean", data, "--out", tmp_path / "out", "--no-embeddings")
    if outcome.exit_code:
        outcome.assert_user_error("d.csv")
        return
    summary = json.loads((tmp_path / "out" / "clean.json").read_text())
    assert summary["kept"] + summary["rejected"] == summary["rows_in"] >= 2


RULES = {
    "python_tag": ("length: !!python/object/apply:os.system ['echo pwned > PWNED']\n", []),
    "unknown_family": ("colour: {a: 1}\n", ["colour"]),
    "unknown_setting": ("length: {max_charz: 3}\n", ["length.max_charz"]),
    "settings_list": ("length: [1]\n", ["length"]),
    "string_number": ("length: {max_chars: 'many'}\n", ["length.max_chars"]),
    "negative": ("length: {max_chars: -5}\n", ["length.max_chars"]),
    "nan": ("dedup_minhash: {threshold: .nan}\n", ["dedup_minhash.threshold"]),
    "float_for_int": ("dedup_minhash: {num_perm: 12.5}\n", ["dedup_minhash.num_perm"]),
    "bool_for_number": ("length: {max_chars: true}\n", ["length.max_chars"]),
    "list_of_ints": ("clean: {remove: [1, 2]}\n", ["clean.remove"]),
    "extends_self": ("extends: rules\n", ["extends"]),
    "extends_missing": ("extends: nope\n", ["nope"]),
    "extends_int": ("extends: 3\n", ["extends"]),
    "duplicate_key": ("length: {max_chars: 1}\nlength: {max_chars: 2}\n", ["duplicate key"]),
    "not_mapping": ("- a\n", []),
    "invalid_utf8": (b"length: \xff\n", []),
    "syntax": ("length: {\n", ["invalid YAML"]),
}


@pytest.mark.parametrize("name", sorted(RULES))
def test_bad_rules_file(tmp_path: Path, name: str, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text, needles = RULES[name]
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(text if isinstance(text, bytes) else text.encode())
    data = tmp_path / "d.jsonl"
    data.write_bytes(GOOD)
    outcome = run_cli("audit", data, "--out", tmp_path / "out", "--no-embeddings", "--rules", rules)
    outcome.assert_user_error(*(needles or ["rules.yaml"]))
    assert not (tmp_path / "PWNED").exists()
