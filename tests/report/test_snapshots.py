"""Snapshots of what `ift-data build` and `ift-data audit` print at 80 columns, in a terminal (TTY) and
in a pipe. The expected text lives in tests/report/snapshots/; after an intended change of the output,
rerun with IFT_DATA_UPDATE_SNAPSHOTS=1 and review the diff of those files.

Determinism: the build is the bundled default recipe (seeded), the audit the report fixture's; both are
printed from inside their temporary folder, so every path is relative and the same on every run."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ift_data.audit.runner import AuditResult
from ift_data.report.build_summary import COLUMNS, print_build_summary

SNAPSHOTS = Path(__file__).with_name("snapshots")
UPDATE = os.environ.get("IFT_DATA_UPDATE_SNAPSHOTS") == "1"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _console(width: int, tty: bool) -> Console:
    return Console(width=width, force_terminal=tty, color_system="standard" if tty else None, record=True,
                   file=io.StringIO(), legacy_windows=False, force_jupyter=False, no_color=False,
                   force_interactive=tty)  # explicit: NO_COLOR, TERM or CI settings do not change the result


def _check_snapshot(name: str, text: str) -> None:
    """Compare ``text`` (trailing spaces of each line dropped: rich pads table cells) with the snapshot."""
    text = "\n".join(_plain_lines(text)) + "\n"
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no snapshot {path}: run with IFT_DATA_UPDATE_SNAPSHOTS=1 and review it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"output differs from {path} (IFT_DATA_UPDATE_SNAPSHOTS=1 to accept)"


def _plain_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict[str, Any]:
    from ift_data.builder.pipeline import run_build

    out = tmp_path_factory.mktemp("snap-build") / "out"
    result = run_build(None, out, console=Console(file=io.StringIO()))
    return result.manifest


def _build_text(manifest: dict[str, Any], width: int, tty: bool) -> tuple[str, str]:
    console = _console(width, tty)
    print_build_summary(manifest, "out", console)
    raw = console.file.getvalue()  # type: ignore[attr-defined]
    return console.export_text(styles=False), raw


@pytest.mark.parametrize("tty", [True, False], ids=["tty", "pipe"])
def test_build_summary_snapshot(manifest, tty: bool) -> None:
    text, raw = _build_text(manifest, 80, tty)
    _check_snapshot(f"build_80_{'tty' if tty else 'pipe'}.txt", text)
    assert bool(ANSI.search(raw)) is tty  # styles in a terminal only
    assert all(len(line) <= 80 for line in _plain_lines(text))


@pytest.mark.parametrize("width", [40, 60, 80, 100, 140])
def test_build_table_never_wraps_names_nor_drops_a_described_column(manifest, width: int) -> None:
    text, _ = _build_text(manifest, width, False)
    lines = _plain_lines(text)
    assert all(len(line) <= width for line in lines), width
    for name in manifest["datasets"]:
        assert any(re.match(rf"\s*{re.escape(name)}(\s|$)", line) for line in lines), (width, name)
    header = next((line for line in lines if line.startswith("dataset ")), None)
    if header is None:  # the block layout: every figure labelled under each dataset
        assert width < 60 and text.count("few-shot ") == len(manifest["datasets"])
        return
    shown = header.split()[1:]
    legend = " ".join(lines[lines.index(header):])
    for column in COLUMNS:
        described = f"{column.header}: {column.meaning}" in legend
        assert described == (column.header in shown), (width, column.header)
        if column.header not in shown:  # left out only when 0 everywhere, and said so
            assert "Not shown, 0 for every dataset" in legend and column.optional
    assert not re.search(r"\w-\s*$", legend)  # no word cut at a line end


@pytest.fixture
def in_audit_folder(audited: AuditResult, monkeypatch) -> AuditResult:
    monkeypatch.chdir(audited.out_dir.parent)  # paths print relative: "data.jsonl", "audit"
    return audited


def _audit_text(audited: AuditResult, width: int, tty: bool) -> tuple[str, str]:
    from ift_data.report.data import load_report_data
    from ift_data.report.facts import compute_facts
    from ift_data.report.terminal import print_summary

    data = load_report_data(audited)
    console = _console(width, tty)
    print_summary(data, compute_facts(data), console, report_path=str(audited.out_dir / "report.html"))
    return console.export_text(styles=False), console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("tty", [True, False], ids=["tty", "pipe"])
def test_audit_summary_snapshot(in_audit_folder, tty: bool) -> None:
    text, raw = _audit_text(in_audit_folder, 80, tty)
    _check_snapshot(f"audit_80_{'tty' if tty else 'pipe'}.txt", text)
    assert bool(ANSI.search(raw)) is tty


def test_audit_summary_reads_for_a_newcomer(in_audit_folder) -> None:
    text, _ = _audit_text(in_audit_folder, 80, False)
    lines = _plain_lines(text)
    assert "Audit of data.jsonl" in lines[0]  # the input, not the output folder
    for line in lines:  # every line fits, except the two that must stay whole to be copied
        assert len(line) <= 80 or line.startswith(("next: ", "report: ")), line
    top = [f for f in in_audit_folder.summary.flags.items() if f[1].count]
    top.sort(key=lambda kv: (-kv[1].count, kv[0]))
    for flag, _ in top[:3]:  # the worst examples of the top flags, each with its row and text
        assert any(line.startswith(f"{flag.removeprefix('flag_')} (") for line in lines), flag
    assert sum(line.startswith("  row ") for line in lines) >= 3
    assert any(line.strip().startswith("prompt: ") for line in lines)
    assert "same prompt as other rows" in text or "flag_conflict" not in dict(top)  # conflict explained when shown
    assert "mean instruction length / mean response length" in text  # R
    assert "easy below" in text and "hard from" in text  # the difficulty scale
    next_line = next(line for line in lines if line.startswith("next: "))
    assert next_line == "next: ift-data clean data.jsonl --signals audit --out audit_clean"


def test_clean_counts_by_row_and_by_flag(audited: AuditResult, tmp_path, monkeypatch) -> None:
    from ift_data.audit.cleaner import run_clean
    from ift_data.audit.options import AuditOptions
    from ift_data.audit.present import present_clean

    data = audited.out_dir.parent / "data.jsonl"
    result = run_clean([data], tmp_path / "clean", AuditOptions(embeddings=False, progress=False),
                       signals=audited.out_dir)
    console = _console(80, False)
    present_clean(result, console)
    text = console.export_text(styles=False)
    read = result.reasons.get("read", 0)
    by_flags = result.rejected - read
    assert f"{result.rows_in:,} rows in = {result.kept:,} kept + {result.rejected:,} removed" in text
    assert f"removed: {by_flags:,} by audit flags, {read:,} rejected on read" in text
    flag_total = sum(v for k, v in result.reasons.items() if k != "read")
    for name, count in result.reasons.items():
        if name != "read":
            assert re.search(rf"^{re.escape(name.removeprefix('flag_'))}\s+{count:,}$", text, re.M), name
    if flag_total != by_flags:
        assert f"a row can carry several flags: these {flag_total:,} flags are on {by_flags:,} rows" in text
    per_row = re.search(r"rows by number of flags: (.*)", text)
    assert per_row is not None
    counted = sum(int(n.replace(",", "")) for n in re.findall(r"flags?: ([\d,]+)", per_row.group(1)))
    assert counted == by_flags
