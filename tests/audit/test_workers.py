"""``ift-data audit --workers N`` (audit/row_pool.py, audit/engine_local.py): the per-row phases over row
batches in worker processes give the same ``signals.parquet`` bytes and ``summary.json`` for any N and
batch size; Ctrl-C stops the workers at once; ``signals.parquet`` is written in row groups."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from bench_modules import planted_files
from click.testing import CliRunner

from ift_data.audit import row_pool, signals_writer
from ift_data.audit.options import AuditOptions
from ift_data.audit.runner import run_audit
from ift_data.errors import UserError

# Rows the harness does not plant: whole rows in other languages and scripts, prompts too short to tell.
EXTRA = [
    {"instruction": "Übersetze den Satz ins Englische.", "input": "Der Hund schläft im Garten.",
     "output": "The dog is sleeping in the garden."},
    {"instruction": "用三句话介绍长城。", "input": "",
     "output": "长城是中国古代的军事防御工程。它绵延数千公里。今天它是著名的旅游景点。"},
    {"instruction": "Décris la tour Eiffel en une phrase.", "input": "",
     "output": "La tour Eiffel est une tour de fer construite à Paris pour l'Exposition universelle de 1889."},
    {"instruction": "Hi", "input": "",
     "output": "Regelmäßige Bewegung stärkt das Herz und verbessert die Stimmung. Schon ein Spaziergang hilft."},
    {"instruction": "Name a fruit.", "input": "",
     "output": "Para aprender un nuevo idioma hay que practicar todos los días y no tener miedo a equivocarse."},
    {"instruction": "?", "input": "", "output": "!"},
]


def _planted(tmp: Path) -> list[Path]:
    return planted_files(tmp, EXTRA, 10)  # a second file: per-file truncation habits


def _summary(folder: Path) -> dict[str, Any]:
    data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    data.pop("timings")
    return data


def test_any_worker_count_and_batch_size_gives_the_same_outputs(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _planted(tmp_path)
    whole = run_audit(paths, tmp_path / "whole", AuditOptions(embeddings=False, progress=False, workers=1))
    expected = (tmp_path / "whole" / "signals.parquet").read_bytes()
    assert whole.signals.height > 300 and "workers_start" not in whole.timings  # one batch: no processes
    for workers, batch in ((1, 37), (2, 64), (3, 101)):
        monkeypatch.setattr(row_pool, "ROW_BATCH", batch)  # several batches: the pool runs (workers > 1)
        out = tmp_path / f"w{workers}_b{batch}"
        result = run_audit(paths, out, AuditOptions(embeddings=False, progress=False, workers=workers))
        assert (out / "signals.parquet").read_bytes() == expected, (workers, batch)
        assert _summary(out) == _summary(tmp_path / "whole"), (workers, batch)
        assert ("workers_start" in result.timings) == (workers > 1)  # started before the signals, timed apart
    # the data exercises the dataset-level decisions: languages, mismatches, truncation per file
    signals = whole.signals
    assert signals["language_response"].n_unique() >= 4
    assert signals["flag_language_mismatch"].sum() >= 3
    assert signals["flag_truncated_response"].sum() >= 1
    assert set(whole.summary.signals["noise"].summary["truncation"]["files"]) == {str(p) for p in paths}
    assert "workers" not in _summary(tmp_path / "whole")["options"]  # how it ran is not what it found


def test_the_cli_takes_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ift_data.cli import main

    monkeypatch.setattr(row_pool, "ROW_BATCH", 50)
    paths = _planted(tmp_path)
    outputs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"cli{workers}"
        result = CliRunner().invoke(main, ["audit", *map(str, paths), "--out", str(out), "--no-embeddings",
                                           "--workers", workers])
        assert result.exit_code == 0, result.output
        outputs[workers] = (out / "signals.parquet").read_bytes()
    assert outputs["1"] == outputs["2"]
    result = CliRunner().invoke(main, ["audit", str(paths[0]), "--out", str(tmp_path / "zero"), "--workers", "0"])
    assert result.exit_code != 0 and "--workers" in result.output


def test_workers_are_for_the_local_engine(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(EXTRA[0]) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match="--workers is for --engine local"):
        run_audit([path], tmp_path / "out", AuditOptions(engine="ray", workers=2, progress=False, embeddings=False))


_INTERRUPTED = textwrap.dedent("""
    import sys
    import polars as pl
    from ift_data.audit import row_pool
    from ift_data.audit.base import AuditContext
    from ift_data.audit.engine_local import LocalEngine
    from ift_data.audit.language import LanguageSignal
    from ift_data.audit.options import AuditOptions
    from ift_data.audit.rules import load_rules

    if __name__ == "__main__":
        row_pool.ROW_BATCH = 2000
        text = "Regular exercise keeps the heart strong and helps people manage their weight, row "
        table = pl.DataFrame({"instruction": [f"Explain item {i} to me in detail." for i in range(400_000)],
                              "input": [""] * 400_000, "response": [f"{text}{i}." for i in range(400_000)]})
        ctx = AuditContext(rules=load_rules(None).values)
        with LocalEngine(AuditOptions(workers=2)) as engine:
            print("started", flush=True)
            engine.row_features(LanguageSignal(), table, ctx)
        print("finished", flush=True)
""")


def test_ctrl_c_stops_the_workers_at_once(tmp_path: Path) -> None:
    script = tmp_path / "interrupted.py"
    script.write_text(_INTERRUPTED, encoding="utf-8")
    # its own session: Ctrl-C reaches its whole process group, as a terminal's would, and nothing else
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        time.sleep(3)  # the pool is up and busy
        assert proc.poll() is None
        os.killpg(proc.pid, signal.SIGINT)
        started = time.monotonic()
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - started < 15
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err, err[-2000:]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # workers and the fork server go with the driver
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("processes of the interrupted audit are still running")


def test_signals_parquet_is_written_in_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pl.DataFrame({"row_id": list(range(1000)), "language_response": ["en", "de", None, "zh"] * 250,
                          "noise_url_share": [i / 1000 for i in range(1000)], "flag_x": [True, False] * 500})
    signals_writer.write_signals(frame, tmp_path / "a.parquet", row_group_rows=300)
    signals_writer.write_signals(frame, tmp_path / "b.parquet", row_group_rows=300)
    meta = pq.ParquetFile(tmp_path / "a.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [300, 300, 300, 100]
    assert pl.read_parquet(tmp_path / "a.parquet").equals(frame)
    assert pq.read_table(tmp_path / "a.parquet").equals(frame.to_arrow())
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()  # deterministic
    monkeypatch.setattr(signals_writer, "ROW_GROUP_ROWS", 25)
    path = _planted(tmp_path)[1]
    result = run_audit([path], tmp_path / "out", AuditOptions(embeddings=False, progress=False, workers=1))
    written = pq.ParquetFile(tmp_path / "out" / "signals.parquet")
    assert written.metadata.num_row_groups == 3 and result.signals.height == 60
    assert pl.read_parquet(tmp_path / "out" / "signals.parquet").equals(result.signals)
