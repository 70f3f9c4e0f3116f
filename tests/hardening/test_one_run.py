"""Outputs are one run's: a second run into the same ``--out`` is refused (a lock that dies with its
process), Ctrl-C / SIGTERM leave the earlier build intact and exit 130 / 143 with one line, the audit's
language workers stop with the main process, ``--out`` naming a file and a negative seed are one-line
errors, and the manifest records the sha256 of each config file as it was read."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hardening_helpers import ROWS, BuildCase, run_cli

from ift_data.builder.outdir import manifest_problems

CLI = [sys.executable, "-m", "ift_data.cli"]
INSTRUCTIONS = b"".join(json.dumps({"instruction": f"Say {i} twice.", "output": f"{i} {i}"}).encode() + b"\n"
                        for i in range(6))


def _hold_lock(out: Path) -> subprocess.Popen[bytes]:
    """Another process holding ``out``'s run lock, as a running command would."""
    code = ("import sys, time; from ift_data.io.run_lock import run_lock\n"
            "with run_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"held"
    return proc


def _commands(case: BuildCase) -> dict[str, list[str | Path]]:
    recipe = case.write(ROWS)
    data = case.root / "data.jsonl"
    data.write_bytes(INSTRUCTIONS)
    return {"build": ["build", recipe, "--out"], "audit": ["audit", data, "--no-embeddings", "--out"],
            "clean": ["clean", data, "--no-embeddings", "--out"]}


@pytest.mark.parametrize("command", ["build", "audit", "clean"])
def test_second_run_into_the_same_out_is_refused_until_the_first_ends(case: BuildCase, command: str) -> None:
    args = _commands(case)[command]
    out = case.root / "out"
    holder = _hold_lock(out)
    try:
        run_cli(*args, out).assert_user_error("another ift-data run", f"process {holder.pid}")
    finally:
        holder.kill()  # SIGKILL: the kernel releases the lock; it is never stale
        holder.wait()
    run_cli(*args, out).assert_ok()


def test_build_lock_is_reentrant_and_released(tmp_path: Path) -> None:
    from ift_data.io.run_lock import lock_path, run_lock

    with run_lock(tmp_path / "out"), run_lock(tmp_path / "out"):
        assert lock_path(tmp_path / "out").is_file()
    holder = _hold_lock(tmp_path / "out")  # taken again by another process: released on exit
    holder.kill()
    holder.wait()


def test_a_symlinked_out_shares_its_targets_lock(tmp_path: Path) -> None:
    """A run writes into a symlinked --out's target: a run through the link and one into the target itself
    are one folder's runs, so they take one lock."""
    from ift_data.errors import UserError
    from ift_data.io.run_lock import lock_path, run_lock

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    assert lock_path(tmp_path / "link") == lock_path(tmp_path / "real") == tmp_path / ".real.lock"
    holder = _hold_lock(tmp_path / "real")
    try:
        with pytest.raises(UserError, match="another ift-data run"), run_lock(tmp_path / "link"):
            pass
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("command", ["audit", "clean"])
def test_out_naming_an_existing_file_is_one_line(case: BuildCase, command: str) -> None:
    args = _commands(case)[command]
    target = case.root / "taken.txt"
    target.write_text("mine\n")
    run_cli(*args, target).assert_user_error("--out is an existing file")
    assert target.read_text() == "mine\n"


@pytest.mark.parametrize("command", ["build", "audit", "clean"])
def test_seed_out_of_range_is_one_line_for_every_command(case: BuildCase, command: str) -> None:
    args = _commands(case)[command]
    for seed in ("-1", str(2**32)):
        run_cli(*args, case.root / "o", "--seed", seed).assert_user_error("--seed", "seed must be a whole number")
    assert not (case.root / "o").exists()


def test_recipe_seed_out_of_range_is_one_line(case: BuildCase) -> None:
    case.write(ROWS, recipe_extra={"seed": 2**32})
    case.build().assert_user_error("seed")


def test_config_files_are_hashed_as_read_and_listed_in_inputs(case: BuildCase) -> None:
    recipe = case.write(ROWS)
    case.build().assert_ok()
    inputs = case.manifest()["inputs"]
    kinds = {i["kind"] for i in inputs}
    assert {"data", "recipe", "task_spec", "template_pack"} <= kinds, kinds
    by_kind = {i["kind"]: i for i in inputs}
    assert by_kind["recipe"]["sha256"] == hashlib.sha256(recipe.read_bytes()).hexdigest()
    assert case.manifest()["recipe"]["sha256"] == by_kind["recipe"]["sha256"]
    spec = case.root / "task" / "task.yaml"
    assert by_kind["task_spec"]["sha256"] == hashlib.sha256(spec.read_bytes()).hexdigest()


def test_recipe_edited_after_it_was_read_keeps_the_hash_of_what_was_used(case: BuildCase, monkeypatch) -> None:
    """The old manifest hashed the recipe at the end: an edit during the build got recorded."""
    import ift_data.builder.pipeline as pipeline

    recipe = case.write(ROWS)
    used = hashlib.sha256(recipe.read_bytes()).hexdigest()
    real = pipeline.plan_counts

    def edit_then_plan(*args, **kw):  # runs after the recipe was read, before the manifest is written
        recipe.write_text(recipe.read_text() + "\n# edited during the build\n")
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "plan_counts", edit_then_plan)
    case.build().assert_ok()
    assert case.manifest()["recipe"]["sha256"] == used
    assert {i["kind"]: i for i in case.manifest()["inputs"]}["recipe"]["sha256"] == used


def test_rules_are_hashed_as_read(tmp_path: Path, monkeypatch) -> None:
    import ift_data.audit.runner as runner
    from ift_data.audit.options import AuditOptions
    from ift_data.audit.rules import load_rules

    rules = tmp_path / "mine.yaml"
    rules.write_text("extends: default\n")
    data = tmp_path / "data.jsonl"
    data.write_bytes(INSTRUCTIONS)
    used = hashlib.sha256(rules.read_bytes()).hexdigest()

    def load_then_edit(name):
        loaded = load_rules(name)
        rules.write_text("extends: default\n# edited\n")
        return loaded

    monkeypatch.setattr(runner, "load_rules", load_then_edit)
    result = runner.run_audit([data], tmp_path / "out", AuditOptions(rules=str(rules), embeddings=False,
                                                                     progress=False))
    assert result.summary.rules.sha256 == used


def _big_build(case: BuildCase, rows: int) -> Path:
    lines = [json.dumps({"text": f"review {i}: the film was {'great' if i % 2 else 'dull'} in scene {i % 97}",
                         "label": i % 2}) for i in range(rows)]
    return case.write(("\n".join(lines) + "\n").encode(),
                      recipe_extra={"output": {"formats": ["segments", "messages", "text"]}})


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_rebuild_leaves_the_earlier_build_and_exits_128_plus_signal(case: BuildCase,
                                                                                signum: int) -> None:
    recipe = _big_build(case, 5000)
    out = case.root / "out"
    subprocess.run([*CLI, "build", str(recipe), "--out", str(out)], check=True, capture_output=True, timeout=120)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    recipe.write_text(recipe.read_text().replace("seed: 3", "seed: 4"))  # the rebuild would differ
    interrupted = 0

    def started() -> bool:  # its work folder exists: it holds the lock and its signal handlers are in place
        return any(".building-" in p.name for p in out.parent.iterdir())

    def rebuild() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([*CLI, "build", str(recipe), "--out", str(out)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not started() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return proc

    timed = rebuild()  # how long a rebuild runs once its work folder exists (export, manifest, swap)
    began = time.perf_counter()
    _, err = timed.communicate(timeout=120)
    assert timed.returncode == 0, err[-2000:]
    tail = time.perf_counter() - began
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    recipe.write_text(recipe.read_text().replace("seed: 4", "seed: 5"))

    for share in (0.1, 0.4):  # after the build has started, before the swap
        proc = rebuild()
        time.sleep(share * tail)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        written = proc.returncode == 128 + signum and b"had already been written in full" in err
        finished = proc.returncode == 0 or (  # or finished, then signalled while Python exited (default handlers)
            proc.returncode == -signum or written) and (  # or signalled after the swap: it says so
            manifest_problems(out) == [] and (out / "manifest.json").read_bytes() != before["manifest.json"])
        if finished:
            before = {p.name: p.read_bytes() for p in out.iterdir()}  # the next rebuild must leave this one
            continue
        lines = [line for line in err.decode().splitlines() if line.strip()]
        interrupted += 1
        assert proc.returncode == 128 + signum, (proc.returncode, err[-2000:])
        # one error line; the build's own warnings come before it when the signal came after the export
        assert lines[-1].startswith("error: interrupted by"), lines
        assert all(line.startswith("warning: ") for line in lines[:-1]), lines
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        assert not [p for p in case.root.iterdir() if ".building-" in p.name or ".old-" in p.name]
    assert interrupted, "every rebuild finished before the signal"
    assert manifest_problems(out) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_an_audit_stops_it_and_exits(tmp_path: Path, signum: int) -> None:
    """Ctrl-C (to the process group) or SIGTERM while the audit computes its signals: one line, exit 128 +
    signal, no output file, no process left (the language step once ran a worker pool that kept running)."""
    import random

    rng = random.Random(1)
    words = "casa perro gato mesa libro ventana ciudad noche agua fuego tierra cielo camino amigo".split()
    data = tmp_path / "es.jsonl"
    data.write_text("".join(json.dumps({"instruction": " ".join(rng.choices(words, k=30)),
                                        "output": " ".join(rng.choices(words, k=30)) + ", and"}) + "\n"
                            for _ in range(40000)))
    out = tmp_path / "out"
    proc = subprocess.Popen([*CLI, "audit", str(data), "--out", str(out), "--no-embeddings"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (tmp_path / ".out.lock").exists() and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(1.5)  # past reading: into the signals
        assert proc.poll() is None, "the audit finished before the signal"
        # Ctrl-C goes to the terminal's whole process group; SIGTERM (kill, systemd) to the main process only.
        os.killpg(proc.pid, signum) if signum == signal.SIGINT else proc.send_signal(signum)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = err.decode()
    assert proc.returncode == 128 + signum, text[-2000:]
    assert "Traceback" not in text
    assert [line for line in text.splitlines() if line.strip()][-1:] == [
        f"error: interrupted by {signal.Signals(signum).name}: stopped; no partial file was left under an "
        "output's name"]
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]
    deadline = time.monotonic() + 10  # the fork server and the workers end when they see the audit gone
    while _alive_children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive_children(proc.pid)


def _children(pid: int) -> list[str]:
    return subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()


def _alive_children(pid: int) -> list[str]:
    """Processes of ``pid``'s session still running (orphans are re-parented, so search by session instead).
    A zombie has exited: it only waits for init to reap it (multiprocessing's fork server and resource
    tracker end that way when the audit exits)."""
    listing = subprocess.run(["ps", "-o", "pid=,stat=", "-s", str(pid)], capture_output=True, text=True).stdout
    return [fields[0] for fields in map(str.split, listing.splitlines()) if fields and not fields[1].startswith("Z")]
