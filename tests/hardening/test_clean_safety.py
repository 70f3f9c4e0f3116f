"""`clean` and `audit` never destroy or mix up data (issue 9, "Data loss"): an output folder that is, holds
or sits inside an input is refused; kept files never take the name of clean's or audit's own outputs;
``--signals`` applies only to the exact inputs it was computed on; the same file twice is refused and
clean.json counts what is written. All through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest
from hardening_helpers import CLEAN_ROWS, FAST, run_cli, tree_bytes, write_jsonl


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# ---- an output folder that is, holds or sits inside an input ---------------------------------------

@pytest.mark.parametrize("command", ["clean", "audit"])
@pytest.mark.parametrize("how", ["same folder", "dotdot", "symlink", "relative dot", "symlink dotdot"])
def test_out_folder_holding_an_input_is_refused(tmp_path: Path, command: str, how: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_jsonl(tmp_path / "d" / "data.jsonl", CLEAN_ROWS)
    before = tree_bytes(tmp_path)
    out: str | Path = {"same folder": tmp_path / "d", "dotdot": tmp_path / "d" / "x" / "..",
                       "symlink": tmp_path / "link", "relative dot": ".",
                       "symlink dotdot": tmp_path / "e" / "link" / ".."}[how]
    if how == "symlink":
        os.symlink(tmp_path / "d", tmp_path / "link")
        before = tree_bytes(tmp_path)
    if how == "symlink dotdot":  # e/link -> d/x, so e/link/.. is d (not e, as a text-only `..` would say)
        (tmp_path / "d" / "x").mkdir()
        (tmp_path / "e").mkdir()
        os.symlink(tmp_path / "d" / "x", tmp_path / "e" / "link")
        before = tree_bytes(tmp_path)
    if how == "relative dot":
        monkeypatch.chdir(tmp_path / "d")
        (tmp_path / "d" / "x").mkdir()
        before = tree_bytes(tmp_path)
    run_cli(command, data, "--out", out, *FAST).assert_user_error("--out", str(data))
    assert tree_bytes(tmp_path) == before  # nothing written over, nothing deleted


def test_clean_out_dot_with_exact_duplicates_keeps_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reported case: `clean data.jsonl --out .` wrote the kept rows over data.jsonl (IndexError with duplicates)."""
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    original = data.read_bytes()
    monkeypatch.chdir(tmp_path)
    run_cli("clean", "data.jsonl", "--out", ".", *FAST).assert_user_error("data.jsonl")
    assert data.read_bytes() == original and sorted(os.listdir(tmp_path)) == ["data.jsonl"]


@pytest.mark.parametrize("command", ["clean", "audit"])
@pytest.mark.parametrize("where", ["the folder", "inside it"])
def test_save_to_disk_input_folder_is_never_an_output(tmp_path: Path, command: str, where: str) -> None:
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "ds"
    datasets.Dataset.from_list(CLEAN_ROWS).save_to_disk(str(folder))
    before = tree_bytes(folder)
    out = folder if where == "the folder" else folder / "cleaned"
    run_cli(command, folder, "--out", out, *FAST).assert_user_error("--out")
    assert tree_bytes(folder) == before and not (folder / "cleaned").exists()


def test_signals_folder_cannot_be_an_input_folder(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", CLEAN_ROWS)
    run_cli("audit", data, "--out", tmp_path / "a", *FAST).assert_ok()
    # the kept rows may go to a fresh folder beside the inputs: that is fine
    run_cli("clean", data, "--out", tmp_path / "c", "--signals", tmp_path / "a", *FAST).assert_ok()
    assert len(_lines(tmp_path / "c" / "data.jsonl")) == 2


# ---- output names never collide with inputs ----------------------------------------------------------

@pytest.mark.parametrize("name", ["rejected.jsonl", "clean.json", "summary.json", "signals.parquet"])
def test_an_input_named_like_an_output_keeps_its_rows(tmp_path: Path, name: str) -> None:
    path = tmp_path / "in" / name
    path.parent.mkdir()
    if name.endswith(".parquet"):
        pl.DataFrame(CLEAN_ROWS).write_parquet(path)
    elif name.endswith(".json"):
        path.write_text(json.dumps(CLEAN_ROWS), encoding="utf-8")
    else:
        write_jsonl(path, CLEAN_ROWS)
    out = tmp_path / "out"
    run_cli("clean", path, "--out", out, *FAST).assert_ok()
    report = json.loads((out / "clean.json").read_text(encoding="utf-8"))
    assert report["kept"] == 2 and report["rejected"] == 2
    [kept_name] = report["outputs"]
    assert kept_name not in ("rejected.jsonl", "clean.json", "summary.json", "signals.parquet", "report.html")
    kept = (pl.read_parquet(out / kept_name).to_dicts() if name.endswith(".parquet")
            else json.loads((out / kept_name).read_text()) if name.endswith(".json") else _lines(out / kept_name))
    assert kept == [CLEAN_ROWS[0], CLEAN_ROWS[3]]  # row 1 is a duplicate of row 0, row 2 a refusal
    rejected = _lines(out / "rejected.jsonl")
    assert [r["row_id"] for r in rejected] == [1, 2] and rejected[0]["record"] == CLEAN_ROWS[1]
    if name == "summary.json":
        assert json.loads((out / "summary.json").read_text())["version"]  # the audit's, not the kept rows
    if name == "signals.parquet":
        assert "flag_exact_duplicate" in pl.read_parquet(out / "signals.parquet").columns


def test_two_inputs_with_one_name_and_a_numbered_name(tmp_path: Path) -> None:
    """`a/x.jsonl`, `b/x.jsonl` and `c/1_x.jsonl`: three kept files, three distinct names, every row once."""
    rows = [{"instruction": f"Question number {i} about topic {k}?", "input": "", "output": f"Answer {i} {k}."}
            for k in range(3) for i in range(2)]
    paths = [write_jsonl(tmp_path / d / n, rows[2 * k:2 * k + 2]) for k, (d, n) in
             enumerate([("a", "x.jsonl"), ("b", "x.jsonl"), ("c", "1_x.jsonl")])]
    out = tmp_path / "out"
    run_cli("clean", *paths, "--out", out, *FAST).assert_ok()
    report = json.loads((out / "clean.json").read_text())
    assert len(set(report["outputs"])) == 3 and report["kept"] == 6
    assert sorted(r["output"] for f in report["outputs"] for r in _lines(out / f)) == sorted(r["output"] for r in rows)


# ---- --signals applies only to the inputs it was computed on -----------------------------------------

def test_signals_of_another_file_are_refused(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", CLEAN_ROWS)
    other = [{"instruction": f"Say {w}.", "input": "", "output": w.title()} for w in ("one", "two", "three", "four")]
    b = write_jsonl(tmp_path / "b.jsonl", other)
    run_cli("audit", a, "--out", tmp_path / "audit_a", *FAST).assert_ok()
    run_cli("clean", b, "--out", tmp_path / "c", "--signals", tmp_path / "audit_a", *FAST) \
        .assert_user_error("--signals", "b.jsonl")
    assert not (tmp_path / "c" / "b.jsonl").exists()


def test_signals_of_the_same_files_in_another_order_are_refused(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", CLEAN_ROWS)
    b = write_jsonl(tmp_path / "b.jsonl", [CLEAN_ROWS[3], CLEAN_ROWS[2], CLEAN_ROWS[1], CLEAN_ROWS[0]])
    run_cli("audit", a, b, "--out", tmp_path / "audit", *FAST).assert_ok()
    run_cli("clean", b, a, "--out", tmp_path / "c", "--signals", tmp_path / "audit", *FAST).assert_user_error("--signals")
    run_cli("clean", a, b, "--out", tmp_path / "ok", "--signals", tmp_path / "audit", *FAST).assert_ok()


def test_signals_of_an_edited_file_are_refused(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", CLEAN_ROWS)
    run_cli("audit", a, "--out", tmp_path / "audit", *FAST).assert_ok()
    write_jsonl(a, [CLEAN_ROWS[3], CLEAN_ROWS[0], CLEAN_ROWS[1], CLEAN_ROWS[2]])  # same rows, same count, another order
    run_cli("clean", a, "--out", tmp_path / "c", "--signals", tmp_path / "audit", *FAST) \
        .assert_user_error("--signals", "changed")


def test_signals_read_with_other_options_are_refused(tmp_path: Path) -> None:
    """Same file, but --max-rows makes a different table: the audit's rows are not these rows."""
    a = write_jsonl(tmp_path / "a.jsonl", CLEAN_ROWS)
    run_cli("audit", a, "--out", tmp_path / "audit", *FAST).assert_ok()
    run_cli("clean", a, "--out", tmp_path / "c", "--signals", tmp_path / "audit", "--max-rows", "2", *FAST) \
        .assert_user_error("--signals")


# ---- the same file twice; counts are what is written -------------------------------------------------

@pytest.mark.parametrize("command", ["clean", "audit"])
@pytest.mark.parametrize("spelling", ["same", "dotdot", "symlink"])
def test_the_same_file_twice_is_refused(tmp_path: Path, command: str, spelling: str) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", CLEAN_ROWS)
    (tmp_path / "sub").mkdir()
    second = {"same": a, "dotdot": tmp_path / "sub" / ".." / "a.jsonl", "symlink": tmp_path / "sub" / "l.jsonl"}[spelling]
    if spelling == "symlink":
        os.symlink(a, second)
    run_cli(command, a, second, "--out", tmp_path / "out", *FAST).assert_user_error("twice")
    assert not (tmp_path / "out").exists()


def test_clean_json_counts_the_rows_written(tmp_path: Path) -> None:
    """Two files with identical content are two inputs: the copy's rows are exact duplicates."""
    a = write_jsonl(tmp_path / "a" / "data.jsonl", CLEAN_ROWS)
    b = write_jsonl(tmp_path / "b" / "data.jsonl", CLEAN_ROWS)
    out = tmp_path / "out"
    run_cli("clean", a, b, "--out", out, *FAST).assert_ok()
    report = json.loads((out / "clean.json").read_text())
    written = {name: len(_lines(out / name)) for name in report["outputs"]}
    assert sum(written.values()) == report["kept"] == 2 and report["written"] == written
    assert report["rows_in"] == 8 == report["kept"] + report["rejected"] == report["kept"] + len(_lines(out / "rejected.jsonl"))


def test_run_audit_called_as_a_library_refuses_an_out_holding_its_input(tmp_path: Path) -> None:
    from ift_data.audit.options import AuditOptions
    from ift_data.audit.runner import run_audit
    from ift_data.errors import UserError

    data = write_jsonl(tmp_path / "data" / "rows.jsonl", CLEAN_ROWS)
    before = tree_bytes(tmp_path / "data")
    with pytest.raises(UserError, match="rows.jsonl"):
        run_audit([data], tmp_path / "data", AuditOptions(embeddings=False, progress=False))
    assert tree_bytes(tmp_path / "data") == before
