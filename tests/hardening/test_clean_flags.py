"""What `clean` removes and what `audit` flags (issue 9): duplicates are found after normalizing case,
whitespace and edge punctuation only (math, code and symbols stay significant, for exact and near
duplicates); hidden format characters are non-printable; a chat that ends on a user turn is rejected
on read with its reason. All through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hardening_helpers import run_cli

# Distinct examples that differ only in symbols (the reported case: 4 of 8 were removed).
DISTINCT = [
    ("Evaluate 2+2", "4"), ("Evaluate 2*2", "4"), ("Evaluate 2^2", "4"), ("Evaluate 2-2", "0"),
    ("Which sign goes between 3 and 5 in '3 ? 5'?", "<"), ("Which sign goes between 3 and 5 in '3 ? 5'?", ">"),
    ("Which one increments before use in C: i++ or ++i?", "++i"),
    ("Which one increments before use in C: i++ or ++i?", "i++"),
    ("Write the Python expression for a floor-divided by b.", "a // b"),
    ("Write the Python expression for a floor-divided by b.", "a / b"),
]
# Real duplicates: case, spacing and edge punctuation changed.
DUPLICATES = [("Name a fruit.", "Apple"), ("name a   FRUIT", "apple!"),
              ("What is the capital of France?", "Paris."), ("  what is the capital of france ", "\"Paris\"")]


def _write(path: Path, pairs: list[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"instruction": i, "input": "", "output": o}) + "\n" for i, o in pairs),
                    encoding="utf-8")
    return path


def _rejected(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]


def test_clean_keeps_examples_that_differ_only_in_symbols(tmp_path: Path) -> None:
    data = _write(tmp_path / "data.jsonl", DISTINCT + DUPLICATES)
    run_cli("clean", data, "--out", tmp_path / "out", "--no-embeddings").assert_ok()
    rejected = _rejected(tmp_path / "out")
    assert sorted(r["row_id"] for r in rejected) == [len(DISTINCT) + 1, len(DISTINCT) + 3], rejected
    assert all(r["reasons"] == ["flag_exact_duplicate"] for r in rejected)
    assert [r["representative_id"] for r in rejected] == [len(DISTINCT), len(DISTINCT) + 2]
    kept = (tmp_path / "out" / "data.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(kept) == len(DISTINCT) + 2


def test_near_duplicates_ignore_short_symbol_variants(tmp_path: Path) -> None:
    """MinHash turned every symbol into a space: 'Evaluate 2+2 4' and 'Evaluate 2*2 4' had one shingle set."""
    data = _write(tmp_path / "data.jsonl", DISTINCT)
    run_cli("audit", data, "--out", tmp_path / "a", "--no-embeddings").assert_ok()
    signals = pl.read_parquet(tmp_path / "a" / "signals.parquet")
    assert signals["flag_near_duplicate"].sum() == 0 and signals["flag_exact_duplicate"].sum() == 0
    assert signals["dedup_minhash_cluster"].null_count() == len(DISTINCT)


HIDDEN = {"LRI": "\u2066", "RLI": "\u2067", "FSI": "\u2068", "PDI": "\u2069", "LRE": "\u202a", "RLE": "\u202b",
          "PDF": "\u202c", "LRO": "\u202d", "RLO": "\u202e", "tag": "\U000e0041", "cancel tag": "\U000e007f",
          "word joiner": "\u2060", "BOM inside text": "\ufeff", "zero width space": "\u200b", "NUL": "\x00"}


def test_hidden_format_characters_are_nonprintable(tmp_path: Path) -> None:
    pairs = [(f"Say hello in plain text, variant {name}.", f"Hello{char} world, friend.") for name, char in HIDDEN.items()]
    pairs.append(("Say hello with an emoji flag.", "Hello \U0001f1eb\U0001f1f7 and caf\u00e9 \u00e0 la cr\u00e8me."))
    pairs.append(("Say hello in Persian.", "\u0633\u0644\u0627\u0645\u200c\u062f\u0646\u06cc\u0627"))  # ZWNJ is text
    pairs.append(("Say hello with the flag of England.",  # tag characters inside a subdivision flag are text
                  "Hello \U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f!"))
    data = _write(tmp_path / "data.jsonl", pairs)
    run_cli("audit", data, "--out", tmp_path / "a", "--no-embeddings").assert_ok()
    flags = pl.read_parquet(tmp_path / "a" / "signals.parquet")["flag_nonprintable"].to_list()
    names = [*HIDDEN, "emoji", "zwnj", "england"]
    assert flags == [True] * len(HIDDEN) + [False] * 3, dict(zip(names, flags, strict=True))


@pytest.mark.parametrize("shape", ["sharegpt", "messages"])
def test_chat_ending_with_a_user_turn_is_rejected_with_its_reason(tmp_path: Path, shape: str) -> None:
    def turn(role: str, text: str) -> dict:
        if shape == "sharegpt":
            return {"from": {"user": "human", "assistant": "gpt"}[role], "value": text}
        return {"role": role, "content": text}

    key = "conversations" if shape == "sharegpt" else "messages"
    complete = [turn("user", "What is the boiling point of water at sea level?"), turn("assistant", "100 degrees C.")]
    dangling = complete + [turn("user", "And on top of Mount Everest?")]
    data = tmp_path / "chat.jsonl"
    data.write_text("".join(json.dumps({key: c}) + "\n" for c in (complete, dangling)), encoding="utf-8")
    run_cli("clean", data, "--out", tmp_path / "out", "--no-embeddings").assert_ok()
    [reject] = _rejected(tmp_path / "out")
    assert reject["stage"] == "read" and reject["source_line"] == 2
    assert "ends with a user turn" in reject["reasons"][0] and json.loads(reject["raw"]) == {key: dangling}
    kept = (tmp_path / "out" / "chat.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in kept] == [{key: complete}]


def test_clean_refuses_an_unknown_remove_flag(tmp_path: Path) -> None:
    """A typo in --remove removed nothing and exited 0 (issue 11): now one line, exit 2, the valid flags."""
    data = _write(tmp_path / "data.jsonl", DUPLICATES)
    line = run_cli("clean", data, "--out", tmp_path / "out", "--no-embeddings",
                   "--remove", "flag_exact_duplcate").assert_user_error("flag_exact_duplcate", "flag_exact_duplicate",
                                                                         "flag_refusal")
    assert "remove" in line
    assert not (tmp_path / "out" / "data.jsonl").exists() and not (tmp_path / "out" / "rejected.jsonl").exists()


def test_clean_says_why_a_remove_flag_of_a_skipped_signal_is_absent(tmp_path: Path) -> None:
    data = _write(tmp_path / "data.jsonl", DUPLICATES)
    run_cli("audit", data, "--out", tmp_path / "a", "--no-embeddings").assert_ok()
    run_cli("clean", data, "--out", tmp_path / "out", "--signals", tmp_path / "a",
            "--remove", "flag_exact_duplicate,flag_semantic_duplicate").assert_user_error(
                "flag_semantic_duplicate", "dedup_semantic", "skipped", "--no-embeddings")
    assert not (tmp_path / "out" / "rejected.jsonl").exists()


def test_clean_names_the_default_flags_its_signals_lack(tmp_path: Path) -> None:
    """`clean --signals A` with A audited under --no-embeddings skipped the rules' flag_semantic_duplicate
    without a word, while an explicit --remove of it is refused (red-team): now one notice line on stderr,
    exit 0, and clean.json's not_applied says which flag and why (the same for a fresh --no-embeddings clean)."""
    data = _write(tmp_path / "data.jsonl", DUPLICATES)
    run_cli("audit", data, "--out", tmp_path / "a", "--no-embeddings").assert_ok()
    reports = {}
    for name, args in (("reuse", ("--signals", tmp_path / "a")), ("fresh", ("--no-embeddings",))):
        outcome = run_cli("clean", data, "--out", tmp_path / name, *args)
        outcome.assert_ok()
        notices = [line for line in outcome.stderr.splitlines() if line.startswith("notice: ")]
        assert len(notices) == 1, outcome.stderr
        for words in ("flag_semantic_duplicate", "not applied", "dedup_semantic skipped", "--no-embeddings"):
            assert words in notices[0], (words, notices[0])
        reports[name] = json.loads((tmp_path / name / "clean.json").read_text(encoding="utf-8"))
        assert list(reports[name]["not_applied"]) == ["flag_semantic_duplicate"]
        assert "flag_semantic_duplicate" not in reports[name]["remove"] and reports[name]["rejected"] > 0
    assert reports["reuse"] == reports["fresh"]
    for remove in ("none", "exact_duplicate"):  # flags named by hand: nothing of the rules' list is skipped
        outcome = run_cli("clean", data, "--out", tmp_path / f"r_{remove}", "--signals", tmp_path / "a",
                          "--remove", remove)
        outcome.assert_ok()
        assert "notice:" not in outcome.stderr
        assert json.loads((tmp_path / f"r_{remove}" / "clean.json").read_text(encoding="utf-8"))["not_applied"] == {}
