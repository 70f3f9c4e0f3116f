"""A stop signal is never lost: Ctrl-C whose ``KeyboardInterrupt`` a library swallows still stops the run
(exit 130, no output), and one that escapes code run by ``exec()`` (scipy does that while it imports)
exits 130, not -2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ift_data import interrupts

ROWS = "".join(json.dumps({"instruction": f"Say {i} twice, please.", "output": f"{i} and {i}."}) + "\n"
               for i in range(40))

# Runs in the audit's main process, inside MinHash clustering, in place of the band/row split.
INTERRUPTS = {
    "swallowed": """
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(2)  # the handler raises here
        except KeyboardInterrupt:
            pass  # a library that catches everything
    """,
    "escapes_exec": """
        exec("os.kill(os.getpid(), signal.SIGINT); time.sleep(2)")
    """,
}


def _audit_interrupted(tmp_path: Path, how: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    data = tmp_path / "rows.jsonl"
    data.write_text(ROWS, encoding="utf-8")
    out = tmp_path / "out"
    script = textwrap.dedent("""
        import os, signal, sys, time
        from ift_data.audit import minhash
        real = minhash.lsh_params
        def interrupting(*args):
        {body}
            return real(*args)
        minhash.lsh_params = interrupting
        from ift_data.cli import main
        sys.argv = ["ift-data", "audit", {data!r}, "--out", {out!r}, "--no-embeddings", "--workers", "1"]
        main()
    """).format(body=textwrap.indent(textwrap.dedent(INTERRUPTS[how]), "    "), data=str(data), out=str(out))
    # Run as ``python -m`` (as ``python -m ift_data`` is): only then does Python turn the escaped-exec mark
    # into a SIGINT exit after ``sys.exit``.
    (tmp_path / "interrupted_audit.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "interrupted_audit"], capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path)
    return done, out


@pytest.mark.parametrize("how", sorted(INTERRUPTS))
def test_an_interrupt_stops_the_audit_with_130(tmp_path: Path, how: str) -> None:
    done, out = _audit_interrupted(tmp_path, how)
    assert done.returncode == 130, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: interrupted by SIGINT")
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


def test_check_raises_a_noted_signal_until_the_block_ends() -> None:
    before = {signum: signal.getsignal(signum) for signum in interrupts.STOP_SIGNALS}
    with interrupts.installed():
        assert signal.getsignal(signal.SIGTERM) is interrupts.raise_interrupted
        interrupts.check()  # nothing noted
        with pytest.raises(interrupts.Interrupted):
            interrupts.raise_interrupted(signal.SIGTERM, None)
        with pytest.raises(interrupts.Interrupted) as raised:
            interrupts.check()
        assert raised.value.signum == signal.SIGTERM and interrupts.received() == signal.SIGTERM
    assert interrupts.received() is None
    interrupts.check()  # forgotten after the block
    assert {signum: signal.getsignal(signum) for signum in interrupts.STOP_SIGNALS} == before


def test_a_stop_after_the_swap_says_the_build_was_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C once the new build is in place cannot undo it: exit 130, and the line says the output folder was
    written in full (not "no partial file")."""
    from click.testing import CliRunner

    from ift_data.builder import pipeline
    from ift_data.builder.outdir import manifest_problems
    from ift_data.cli import main

    real = pipeline.swap_in

    def swap_then_stop(work: Path, out_dir: Path) -> None:
        real(work, out_dir)
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "swap_in", swap_then_stop)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", "--out", str(out)])
    assert result.exit_code == 130, result.output
    assert f"{out} had already been written in full and stays" in " ".join(result.output.split())
    assert manifest_problems(out) == []
    assert interrupts.written() == []  # forgotten when the command ended


def test_exit_after_python_cleanup_runs_the_exit_handlers_and_skips_the_c_ones(tmp_path: Path) -> None:
    """The CLI's way out after a stopped Ray run: Python's exit handlers run (temporary files go), output is
    flushed, the exit code is kept, and C exit handlers (Ray's crashing one) do not run."""
    marker = tmp_path / "cleaned"
    script = textwrap.dedent(f"""
        import atexit, ctypes, sys
        from ift_data.io.ray_runtime import exit_after_python_cleanup
        atexit.register(lambda: open({str(marker)!r}, "w").write("yes"))
        libc = ctypes.CDLL(None)
        libc.on_exit(ctypes.cast(libc.abort, ctypes.c_void_p), None)  # a C exit handler: SIGABRT at exit
        print("stopped", end="")
        exit_after_python_cleanup(130)
    """)
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's on_exit")
    crashing = subprocess.run([sys.executable, "-c", script.replace("exit_after_python_cleanup(130)", "sys.exit(130)")],
                              capture_output=True, text=True, timeout=60)
    assert crashing.returncode == -signal.SIGABRT  # what a plain exit does with such a handler
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, done.stderr
    assert done.stdout == "stopped" and marker.read_text() == "yes"
