"""Resource limits: --max-rows and --max-field-chars account for every row they hold back, and a full
disk is a one-line error that leaves no partial file."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from hardening_helpers import BuildCase, run_cli, sentiment_spec

from ift_data.io import atomic


def _rows(n: int, long_at: int | None = None, size: int = 0) -> bytes:
    out = []
    for i in range(n):
        text = "x" * size if i == long_at else f"review number {i} was {'good' if i % 2 else 'bad'}"
        out.append(json.dumps({"text": text, "label": i % 2}))
    return ("\n".join(out) + "\n").encode()


def test_build_max_rows_rejects_the_rest(case: BuildCase) -> None:
    case.write(_rows(50))
    case.build("--max-rows", "20").assert_ok()
    acc = case.assert_accounted(50)
    assert acc["rows_rejected"] == 30
    limited = [r for r in case.rejects() if r["stage"] == "limit"]
    assert len(limited) == 30 and all("--max-rows 20" in r["reason"] for r in limited)
    assert {r["line"] for r in limited} == set(range(21, 51))


def test_build_max_field_chars(case: BuildCase) -> None:
    case.write(_rows(10, long_at=3, size=5000))
    case.build("--max-field-chars", "1000").assert_ok()
    case.assert_accounted(10)
    [reject] = [r for r in case.rejects() if "max-field-chars" in r["reason"]]
    assert reject["line"] == 4 and reject["field"] == "text" and "5,000 characters" in reject["reason"]


@pytest.mark.parametrize("value", ["-1", "abc", "0"])
def test_build_bad_limit_values(case: BuildCase, value: str) -> None:
    case.write(_rows(5))
    outcome = case.build("--max-field-chars", value)
    assert outcome.exit_code == 2 and "Traceback" not in outcome.stderr


def test_fifty_megabyte_single_line_is_rejected_by_the_default_cap(case: BuildCase) -> None:
    case.write(_rows(5) + json.dumps({"text": "y" * (50 * 2**20), "label": 0}).encode() + b"\n")
    case.build().assert_ok()
    case.assert_accounted(6)
    assert any("over the --max-field-chars limit of 1,000,000" in r["reason"] for r in case.rejects())


def test_build_csv_cells_past_the_csv_modules_limit_follow_max_field_chars(case: BuildCase) -> None:
    """A CSV cell longer than the csv module's own 131,072 characters is read up to --max-field-chars (as in
    JSONL); past it, the reject names that limit."""
    rows = "".join(f"review {i},{i % 2}\n" for i in range(6))
    case.write(f"text,label\n{rows}{'z' * 200_000},1\n".encode(), "csv", sentiment_spec("csv", "train.csv"))
    case.build("--max-field-chars", "10000000").assert_ok()
    case.assert_accounted(7)
    assert not case.rejects()
    case.build("--max-field-chars", "150000").assert_ok()
    [reject] = case.rejects()
    assert reject["line"] == 8 and "150,000 characters (the --max-field-chars limit)" in reject["reason"]


def test_clean_csv_cells_past_the_csv_modules_limit(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("instruction,input,output\nSay hi,,Hello there\nWrite it out,," + "w " * 100_000 + "\n")
    run_cli("clean", data, "--out", tmp_path / "out", "--no-embeddings", "--max-field-chars", "10000000").assert_ok()
    assert json.loads((tmp_path / "out" / "clean.json").read_text())["kept"] == 2


def _instructions(path: Path, n: int, long_at: int | None = None) -> Path:
    lines = [json.dumps({"instruction": f"Question {i} about {i * 3}?",
                         "output": "z" * 3000 if i == long_at else f"Answer {i} is {i * 7}."}) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_clean_max_rows_and_field_chars(tmp_path: Path) -> None:
    data = _instructions(tmp_path / "d.jsonl", 40, long_at=2)
    run_cli("clean", data, "--out", tmp_path / "out", "--no-embeddings", "--max-rows", "25",
            "--max-field-chars", "1000").assert_ok()
    summary = json.loads((tmp_path / "out" / "clean.json").read_text())
    assert summary["rows_in"] == 40 and summary["kept"] + summary["rejected"] == 40
    rejected = [json.loads(x) for x in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    reasons = " ".join(r["reasons"][0] for r in rejected)
    assert reasons.count("over --max-rows 25") == 15 - 1 + 1 or reasons.count("over --max-rows 25") >= 14
    assert "over the 1,000 limit" in reasons


def test_audit_max_rows(tmp_path: Path) -> None:
    data = _instructions(tmp_path / "d.jsonl", 30)
    run_cli("audit", data, "--out", tmp_path / "out", "--no-embeddings", "--max-rows", "10").assert_ok()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["rows"] == {"read": 30, "audited": 10, "rejected_on_read": 20}


class _Full:
    """A file object whose writes fail with ENOSPC after ``budget`` bytes."""

    def __init__(self, fh, budget: int) -> None:
        self._fh, self._budget = fh, budget

    def write(self, data):
        self._budget -= len(data)
        if self._budget < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._fh.__exit__(*exc)


@pytest.fixture
def disk_full(monkeypatch):
    """Every atomic write hits ENOSPC after 2 kB."""
    real = os.fdopen

    def fdopen(fd, *args, **kwargs):
        return _Full(real(fd, *args, **kwargs), 2048)

    monkeypatch.setattr(atomic.os, "fdopen", fdopen)


def _no_partial(folder: Path) -> None:
    if folder.exists():
        leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
        assert not leftovers, leftovers


def test_disk_full_during_build(case: BuildCase, disk_full) -> None:
    case.write(_rows(200))
    case.build().assert_user_error("No space left on device", "train.segments.jsonl")
    _no_partial(case.root / "out")
    assert not (case.root / "out" / "train.segments.jsonl").exists()


@pytest.mark.parametrize("command", ["audit", "clean"])
def test_disk_full_during_audit_and_clean(tmp_path: Path, disk_full, command: str) -> None:
    data = _instructions(tmp_path / "d.jsonl", 300)
    outcome = run_cli(command, data, "--out", tmp_path / "out", "--no-embeddings")
    outcome.assert_user_error("No space left on device")
    _no_partial(tmp_path / "out")


def test_disk_full_keeps_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "f.jsonl"
    atomic.write_jsonl(target, [{"a": 1}])
    before = target.read_bytes()
    real = os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, *a, **k: _Full(real(fd, *a, **k), 10))
    with pytest.raises(atomic.UserError, match="No space left"):
        atomic.write_jsonl(target, [{"a": "x" * 100}])
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["f.jsonl"]


def test_unencodable_text_is_a_user_error_not_a_partial_file(tmp_path: Path) -> None:
    with pytest.raises(atomic.UserError, match="not valid Unicode"):
        atomic.write_jsonl(tmp_path / "f.jsonl", [{"a": "ok"}, {"a": "\ud800"}])
    assert list(tmp_path.iterdir()) == []


def test_full_tmpdir_while_a_build_spills_its_rows(case: BuildCase, tmp_path: Path, monkeypatch) -> None:
    """The rows of a large dataset go to a temporary file in TMPDIR: a full TMPDIR is a one-line error (not an
    OSError traceback, twice), and no temporary file is left behind."""
    from ift_data.builder import row_store

    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr(row_store, "SPILL_ROWS", 5)
    monkeypatch.setattr(row_store.tempfile, "gettempdir", lambda: str(spill))
    real = os.fdopen
    monkeypatch.setattr(row_store.os, "fdopen", lambda fd, *a, **k: _Full(real(fd, *a, **k), 100))
    case.write(_rows(400))
    case.build().assert_user_error("No space left on device", "TMPDIR", str(spill))
    assert list(spill.iterdir()) == []


def test_output_folder_that_cannot_be_made_is_a_user_error() -> None:
    """mkdir and mkstemp failures (a path under /proc, a read-only folder) are one-line errors too."""
    if not Path("/proc/self").is_dir():
        pytest.skip("needs /proc")
    with pytest.raises(atomic.UserError, match="cannot write output"):
        atomic.write_json(Path("/proc/x/y/summary.json"), {})


def test_a_full_disk_that_no_user_error_names_is_still_one_line(case: BuildCase, monkeypatch) -> None:
    """Any ENOSPC (a temporary file of some stage) ends in one line, not a traceback."""
    from ift_data.builder import pipeline

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/tmp/ift-render-cache.bin")

    monkeypatch.setattr(pipeline, "run_build", full)
    case.write(_rows(5))
    case.build().assert_user_error("/tmp/ift-render-cache.bin: cannot write: No space left on device", "TMPDIR")
