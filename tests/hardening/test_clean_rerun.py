"""`clean` reuses an audit only with the audit's own --map, --id and rules (D3); a re-run into the same
--out replaces the earlier run's files and a folder of someone else's files is refused (D4); an empty
--remove is an error and `--remove none` removes nothing (D5a). All through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest
from hardening_helpers import CLEAN_ROWS, FAST, run_cli, tree_bytes, write_jsonl

from ift_data.errors import UserError


def _qa(path: Path) -> Path:
    """Rows with two candidate columns for the output: --map output=answer vs output=alt."""
    rows = [{"q": r["instruction"], "answer": r["output"], "alt": f"Another answer, number {i}."}
            for i, r in enumerate(CLEAN_ROWS)]
    return write_jsonl(path, rows)


# ---- D3: --signals only with the audit's mapping and rules ------------------------------------------

def test_signals_with_another_map_are_refused(tmp_path: Path) -> None:
    data = _qa(tmp_path / "qa.jsonl")
    run_cli("audit", data, "--out", tmp_path / "a", "--map", "instruction=q,output=answer", *FAST).assert_ok()
    run_cli("clean", data, "--out", tmp_path / "c", "--signals", tmp_path / "a", "--map", "instruction=q,output=alt",
            *FAST).assert_user_error("--signals", "--map", "output=answer", "output=alt")
    assert not (tmp_path / "c").exists()
    # the same mapping (entries in another order) is accepted
    run_cli("clean", data, "--out", tmp_path / "ok", "--signals", tmp_path / "a",
            "--map", "output=answer,instruction=q", *FAST).assert_ok()


def test_signals_without_the_audits_map_are_refused(tmp_path: Path) -> None:
    data = _qa(tmp_path / "qa.jsonl")
    run_cli("audit", data, "--out", tmp_path / "a", "--map", "instruction=q,output=answer", *FAST).assert_ok()
    run_cli("clean", data, "--out", tmp_path / "c", "--signals", tmp_path / "a", *FAST) \
        .assert_user_error("--map", "(none)")


def test_signals_with_other_rules_are_refused(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    rules = tmp_path / "mine.yaml"
    rules.write_text("extends: default\nclean:\n  remove: [flag_exact_duplicate]\n", encoding="utf-8")
    run_cli("audit", data, "--out", tmp_path / "a", *FAST).assert_ok()
    line = run_cli("clean", data, "--out", tmp_path / "c", "--signals", tmp_path / "a", "--rules", rules,
                   *FAST).assert_user_error("--signals", "rules", "mine.yaml", "clean")
    assert "differ in clean" in line
    assert not (tmp_path / "c").exists()


def test_signals_with_the_same_settings_match_a_fresh_clean(tmp_path: Path) -> None:
    data = _qa(tmp_path / "qa.jsonl")
    mapping = ("--map", "instruction=q,output=answer")
    run_cli("audit", data, "--out", tmp_path / "a", *mapping, "--rules", "strict", *FAST).assert_ok()
    run_cli("clean", data, "--out", tmp_path / "reuse", "--signals", tmp_path / "a", *mapping, "--rules", "strict",
            *FAST).assert_ok()
    run_cli("clean", data, "--out", tmp_path / "fresh", *mapping, "--rules", "strict", *FAST).assert_ok()
    reused, fresh = tree_bytes(tmp_path / "reuse"), tree_bytes(tmp_path / "fresh")
    assert {k: v for k, v in fresh.items() if k not in ("signals.parquet", "summary.json")} == reused


# ---- D4: a re-run replaces the earlier run's files --------------------------------------------------

def test_a_rerun_removes_the_earlier_runs_kept_files(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "in" / "a.jsonl", CLEAN_ROWS)
    b = tmp_path / "in" / "b.csv"
    pl.DataFrame(CLEAN_ROWS).write_csv(b)
    c = tmp_path / "in" / "c.parquet"
    pl.DataFrame([{"instruction": "Say one.", "input": "", "output": "One."},
                  {"instruction": "Say two.", "input": "", "output": "Two."}]).write_parquet(c)
    out = tmp_path / "out"
    run_cli("clean", a, b, "--out", out, *FAST).assert_ok()
    assert {"a.jsonl", "b.csv"} <= set(os.listdir(out))
    run_cli("clean", c, "--out", out, *FAST).assert_ok()
    assert sorted(os.listdir(out)) == ["c.parquet", "clean.json", "rejected.jsonl", "signals.parquet", "summary.json"]
    assert json.loads((out / "clean.json").read_text())["outputs"] == ["c.parquet"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".out.")]  # no work folder left behind


def test_a_folder_of_other_files_is_refused_and_left_alone(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    run_cli("clean", data, "--out", out, *FAST).assert_user_error("--out", "notes.txt")
    assert sorted(os.listdir(out)) == ["notes.txt"]
    # a file added beside an earlier clean's files is refused too, naming it
    out2 = tmp_path / "out2"
    run_cli("clean", data, "--out", out2, *FAST).assert_ok()
    (out2 / "extra.jsonl").write_text("{}\n", encoding="utf-8")
    before = tree_bytes(out2)
    run_cli("clean", data, "--out", out2, *FAST).assert_user_error("extra.jsonl", "clean.json")
    assert tree_bytes(out2) == before


def test_audit_refuses_a_folder_of_other_files_and_leaves_it_alone(tmp_path: Path) -> None:
    """As clean and build do: the user's own summary.json/report.html beside notes.txt, or a build's output,
    were overwritten by `audit --out`."""
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    mine = tmp_path / "mine"
    mine.mkdir()
    for name, text in (("summary.json", '{"mine": 1}'), ("report.html", "<p>my report</p>"), ("notes.txt", "n")):
        (mine / name).write_text(text, encoding="utf-8")
    before = tree_bytes(mine)
    run_cli("audit", data, "--out", mine, *FAST).assert_user_error("--out holds 'notes.txt'", "no clean or audit wrote")
    (mine / "notes.txt").unlink()  # a summary.json that is not an audit's is someone else's file too
    run_cli("audit", data, "--out", mine, *FAST).assert_user_error("'summary.json'", "not an audit's summary")
    assert tree_bytes(mine) == {k: v for k, v in before.items() if k != "notes.txt"}
    build = tmp_path / "build"
    build.mkdir()
    (build / "manifest.json").write_text("{}", encoding="utf-8")
    (build / "train.segments.jsonl").write_text("{}\n", encoding="utf-8")
    run_cli("audit", data, "--out", build, *FAST).assert_user_error("manifest.json", "train.segments.jsonl")
    assert sorted(os.listdir(build)) == ["manifest.json", "train.segments.jsonl"]


def test_audit_reruns_into_an_earlier_audits_or_cleans_folder(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    run_cli("audit", data, "--out", tmp_path / "a", *FAST).assert_ok()
    (tmp_path / "a" / ".summary.json.x1y2.tmp").write_text("", encoding="utf-8")  # a killed run's leftover
    run_cli("audit", data, "--out", tmp_path / "a", *FAST).assert_ok()
    run_cli("clean", data, "--out", tmp_path / "c", *FAST).assert_ok()
    run_cli("audit", data, "--out", tmp_path / "c", *FAST).assert_ok()
    (tmp_path / "empty").mkdir()
    run_cli("audit", data, "--out", tmp_path / "empty", *FAST).assert_ok()


def test_audit_into_a_cleans_folder_replaces_the_cleans_files(tmp_path: Path) -> None:
    """An audit into an earlier clean's folder left that clean's kept file, clean.json and rejected.jsonl
    beside the new signals: a folder describing two runs (red-team). A folder holds one run's files: the
    audit replaces the clean's (as a clean replaces an audit's, report included)."""
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    folder = tmp_path / "shared"
    run_cli("clean", data, "--out", folder, *FAST).assert_ok()
    assert {"data.jsonl", "clean.json", "rejected.jsonl"} <= set(os.listdir(folder))
    (folder / ".summary.json.x1y2.tmp").write_text("", encoding="utf-8")  # a killed run's leftover
    run_cli("audit", data, "--out", folder, *FAST).assert_ok()
    assert sorted(os.listdir(folder)) == ["report.html", "signals.parquet", "summary.json"]
    run_cli("clean", data, "--out", folder, *FAST).assert_ok()  # and back: the audit's report goes
    assert sorted(os.listdir(folder)) == ["clean.json", "data.jsonl", "rejected.jsonl", "signals.parquet",
                                          "summary.json"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".shared.")]  # no work folder left behind


def test_a_failed_audit_leaves_the_earlier_run_whole(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    folder = tmp_path / "shared"
    run_cli("clean", data, "--out", folder, *FAST).assert_ok()
    before = tree_bytes(folder)
    run_cli("audit", data, "--out", folder, "--rules", tmp_path / "no_such_rules.yaml", *FAST).assert_user_error()
    assert tree_bytes(folder) == before


@pytest.mark.parametrize("command", ["clean", "audit"])
def test_a_symlinked_out_is_written_through_and_the_link_stays(tmp_path: Path, command: str) -> None:
    """build and clean renamed their work folder over a symlinked --out: the link became a folder and its
    target stayed empty (red-team). Now the target receives the files, as audit's did, and the link stays."""
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "out"
    link.symlink_to(target, target_is_directory=True)
    for _ in range(2):  # into the empty target, then over its earlier run
        run_cli(command, data, "--out", link, *FAST).assert_ok()
        assert link.is_symlink() and os.readlink(link) == str(target)
        assert {"signals.parquet", "summary.json"} <= set(os.listdir(target))
    assert ("data.jsonl" in os.listdir(target)) == (command == "clean")
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no work folder, no lock left


def test_a_failed_rerun_leaves_the_earlier_run_whole(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    out = tmp_path / "out"
    run_cli("clean", data, "--out", out, *FAST).assert_ok()
    before = tree_bytes(out)
    run_cli("clean", data, "--out", out, "--remove", "flag_no_such_flag", *FAST).assert_user_error("flag_no_such_flag")
    assert tree_bytes(out) == before


def test_clean_into_its_audits_folder_keeps_the_audit(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    folder = tmp_path / "a"
    run_cli("audit", data, "--out", folder, *FAST).assert_ok()
    audit_files = {name: (folder / name).read_bytes() for name in ("signals.parquet", "summary.json")}
    for _ in range(2):
        run_cli("clean", data, "--out", folder, "--signals", folder, *FAST).assert_ok()
    assert {name: (folder / name).read_bytes() for name in audit_files} == audit_files
    assert {"data.jsonl", "clean.json", "rejected.jsonl"} <= set(os.listdir(folder))


# ---- D5a: --remove "" is an error; --remove none removes nothing ------------------------------------

def test_empty_remove_is_an_error(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    run_cli("clean", data, "--out", tmp_path / "out", "--remove", "", *FAST).assert_user_error("--remove", "none")
    run_cli("clean", data, "--out", tmp_path / "out", "--remove", " , ", *FAST).assert_user_error("--remove")
    assert not (tmp_path / "out").exists()


def test_empty_map_is_an_error(tmp_path: Path) -> None:
    """An empty --map was ignored without a word (the file read as if it were not given)."""
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    for command in ("audit", "clean"):
        run_cli(command, data, "--out", tmp_path / command, "--map", "", *FAST).assert_user_error("--map", "FIELD=COLUMN")
        run_cli(command, data, "--out", tmp_path / command, "--map", "instruction=instruction,output=output",
                "--map", " ", *FAST).assert_user_error("--map")
        assert not (tmp_path / command).exists()


def test_remove_none_keeps_every_row(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    out = tmp_path / "out"
    run_cli("clean", data, "--out", out, "--remove", "none", *FAST).assert_ok()
    report = json.loads((out / "clean.json").read_text())
    assert report["kept"] == len(CLEAN_ROWS) and report["rejected"] == 0 and report["remove"] == []
    assert (out / "data.jsonl").read_bytes() == data.read_bytes()
    run_cli("clean", data, "--out", tmp_path / "o2", "--remove", "none,exact_duplicate", *FAST) \
        .assert_user_error("none")


def test_a_flag_named_twice_in_remove_counts_once() -> None:
    """``--remove too_long,flag_too_long`` was kept as two entries in clean.json (red-team, cosmetic)."""
    from ift_data.audit.cleaner import parse_remove

    assert parse_remove("too_long,flag_too_long, exact_duplicate,too_long") == ["flag_too_long",
                                                                               "flag_exact_duplicate"]


def test_a_remove_flag_no_signal_writes_is_refused_before_the_audit(tmp_path: Path) -> None:
    """A typo in --remove was refused only after the whole audit had run (red-team pass 3): now at once, with
    the closest flag; a real flag of a signal this audit skips is still judged after the audit."""
    from ift_data.audit.cleaner import parse_remove

    with pytest.raises(UserError, match=r"unknown flag 'flag_exact_duplcate' \(did you mean 'flag_exact_duplicate'"):
        parse_remove("exact_duplcate")
    assert parse_remove("semantic_duplicate") == ["flag_semantic_duplicate"]
    missing = tmp_path / "no_such_file.jsonl"  # refused for the flag before the input is even read
    run_cli("clean", missing, "--out", tmp_path / "out", "--remove", "bogus", *FAST).assert_user_error("flag_bogus")
