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
    # numbers outside their range: a crash (IndexError), petabytes, or results that quietly change
    "num_perm_0": ("extends: default\ndedup_minhash: {num_perm: 0}\n", ["rules.yaml:2", "dedup_minhash.num_perm",
                                                                       "from 1 to 1024, not 0"]),
    "num_perm_huge": ("dedup_minhash: {num_perm: 100000000}\n", ["dedup_minhash.num_perm", "not 100000000"]),
    "threshold_7": ("dedup_minhash: {threshold: 7}\n", ["dedup_minhash.threshold", "at most 1, not 7"]),
    "threshold_0": ("dedup_minhash: {threshold: 0}\n", ["dedup_minhash.threshold", "above 0"]),
    "ngram_words_0": ("dedup_minhash: {ngram_words: 0}\n", ["dedup_minhash.ngram_words", "at least 1"]),
    "both_weights_0": ("dedup_minhash:\n  false_positive_weight: 0\n  false_negative_weight: 0\n",
                       ["rules.yaml:3", "dedup_minhash.false_negative_weight", "both 0"]),
    "share_over_1": ("noise: {max_url_share: 1.5}\n", ["noise.max_url_share"]),
    "near_threshold_text": ("consistency: {near_threshold: high}\n", ["consistency.near_threshold"]),
    "near_threshold_2": ("consistency: {near_threshold: 2}\n", ["consistency.near_threshold", "at most 1"]),
    "folds_1": ("label_noise: {folds: 1}\n", ["label_noise.folds", "at least 2"]),
    # clean.remove naming no flag kept every row (rc 0, "remove": [] in clean.json)
    "remove_unknown": ("extends: default\nclean:\n  remove: [flag_too_long, flag_nope]\n",
                       ["rules.yaml:3", "clean.remove[1]", "unknown flag 'flag_nope'", "flag_near_duplicate"]),
    "remove_without_prefix": ("clean: {remove: [near_duplicate]}\n", ["did you mean 'flag_near_duplicate'"]),
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


def test_rules_in_range_are_accepted(tmp_path: Path) -> None:
    """The edges of the ranges are fine; so is an empty clean.remove (remove no row by its flags)."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("extends: default\nclean: {remove: []}\ndedup_minhash: {threshold: 1, num_perm: 1024, "
                     "false_positive_weight: 0}\nconsistency: {near_threshold: 0.9}\n", encoding="utf-8")
    data = tmp_path / "d.jsonl"
    data.write_bytes(GOOD)
    run_cli("clean", data, "--out", tmp_path / "out", "--no-embeddings", "--rules", rules).assert_ok()
    assert json.loads((tmp_path / "out" / "clean.json").read_text())["remove"] == []


def test_rules_flags_and_ranges_match_the_signals_and_default_yaml() -> None:
    """``rules.FLAGS`` is every flag a signal module writes (a new flag must be listed to be removable), and
    every ranged setting is one of default.yaml's, whose own values (and strict.yaml's) are in range."""
    import re

    from ift_data.audit import rules

    audit = Path(rules.__file__).parent
    written = set()
    for module in audit.glob("*.py"):
        if module.name not in ("rules.py", "cleaner.py", "out_paths.py", "present.py", "summary.py", "runner.py"):
            written |= set(re.findall(r'"(flag_[a-z_]+)"', module.read_text(encoding="utf-8")))
    assert written == set(rules.FLAGS)
    default = rules.load_rules("default").values
    for dotted in rules.RANGES:
        family, key = dotted.split(".")
        assert key in default[family], dotted
    rules.load_rules("strict")
