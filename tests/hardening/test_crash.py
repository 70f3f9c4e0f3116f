"""Crash safety: SIGKILL ``build``, ``audit --no-embeddings`` and ``clean`` at random points. Afterwards no
partial file exists under a final name (a final name holds either nothing or a complete file), temp files
are dot-prefixed ``.NAME.*.tmp`` and the next run removes them, and a rerun gives the same bytes as an
uninterrupted run. The embedding cache survives a damaged shard."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hardening_helpers import BuildCase

CLI = [sys.executable, "-m", "ift_data.cli"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()} if folder.exists() else {}


def _run(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, *args], cwd=cwd, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


def _kill_at(args: list[str], cwd: Path, delay: float) -> None:
    proc = subprocess.Popen([*CLI, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


def _check_after_kill(out: Path, reference: dict[str, bytes]) -> None:
    for name, data in _files(out).items():
        if name.startswith("."):
            assert name.endswith(".tmp"), name  # only dot-prefixed temp files may be partial
            continue
        assert name in reference, name
        assert data == reference[name], f"partial or different file under a final name: {name}"


def _without_timings(files: dict[str, bytes]) -> dict[str, bytes]:
    """summary.json carries wall-clock timings (documented as the one non-deterministic key)."""
    out = dict(files)
    for name in ("summary.json",):
        if name in out:
            doc = json.loads(out[name])
            doc.pop("timings", None)
            out[name] = json.dumps(doc, sort_keys=True).encode()
    return out


def _kill_and_rerun(args_for, tmp_path: Path, kills: int, seed: int) -> None:
    ref_out = tmp_path / "ref"
    elapsed = _run(args_for(ref_out), tmp_path)
    reference = _without_timings(_files(ref_out))
    rng = random.Random(seed)
    out = tmp_path / "killed"
    for _ in range(kills):
        _kill_at(args_for(out), tmp_path, rng.uniform(0.2, elapsed))
        _check_after_kill(out, reference) if "summary.json" not in reference else \
            _check_after_kill(out, {k: v for k, v in _files(ref_out).items() if k != "summary.json"} | {
                "summary.json": _files(out).get("summary.json", b"")})
    _run(args_for(out), tmp_path)
    after = _files(out)
    assert not [n for n in after if n.startswith(".")], "leftover temp files were not cleaned by the rerun"
    assert _without_timings(after) == reference


def _sentiment_project(case: BuildCase, rows: int) -> Path:
    lines = [json.dumps({"text": f"review {i}: the film was {'great' if i % 2 else 'dull'} in scene {i % 97}",
                         "label": i % 2}) for i in range(rows)]
    return case.write(("\n".join(lines) + "\n").encode(),
                      recipe_extra={"output": {"formats": ["segments", "messages", "text"]}})


def _instructions(path: Path, rows: int) -> Path:
    rng = random.Random(5)
    # English-looking text (function words included), as real instruction data is: the audit's language
    # signal settles it on its cheap path instead of calling langdetect on 100k word salads.
    words = ["the river", "a stone", "the cloud", "this paper", "seven birds", "the quiet town", "yellow fields",
             "green hills", "is", "and", "of", "with", "to", "was", "for", "that"]
    lines = [json.dumps({"instruction": f"Describe the {' '.join(rng.choices(words, k=6))} of number {i}.",
                         "input": "", "output": "It is " + " ".join(rng.choices(words, k=rng.randint(5, 30))) + "."})
             for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_build_killed_then_rerun_is_identical_fast(case: BuildCase) -> None:
    """The default-suite kill test: a 3k-row build killed twice at random points."""
    recipe = _sentiment_project(case, 3000)
    _kill_and_rerun(lambda out: ["build", str(recipe), "--out", str(out)], case.root, kills=2, seed=1)


def test_rerun_removes_stale_temp_files(tmp_path: Path) -> None:
    from ift_data.io.atomic import write_jsonl

    (tmp_path / ".train.segments.jsonl.abc123.tmp").write_text("partial")
    (tmp_path / ".other.jsonl.x.tmp").write_text("someone else's")
    write_jsonl(tmp_path / "train.segments.jsonl", [{"a": 1}])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.jsonl.x.tmp", "train.segments.jsonl"]


@pytest.mark.slow
def test_build_50k_killed_at_random_points(case: BuildCase) -> None:
    recipe = _sentiment_project(case, 50_000)
    _kill_and_rerun(lambda out: ["build", str(recipe), "--out", str(out)], case.root, kills=4, seed=2)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["audit", "clean"])
def test_audit_and_clean_killed_at_random_points(tmp_path: Path, command: str) -> None:
    data = _instructions(tmp_path / "data.jsonl", 50_000)
    _kill_and_rerun(lambda out: [command, str(data), "--out", str(out), "--no-embeddings"], tmp_path,
                    kills=3, seed=3)


@pytest.mark.slow
def test_embedding_cache_survives_a_damaged_shard(tmp_path: Path) -> None:
    """Real offline model: embed, truncate one shard as a kill mid-write would (were it not renamed into
    place atomically), leave a stale temp shard; the next run ignores both and recomputes the same vectors."""
    np = pytest.importorskip("numpy")
    from ift_data.embed.encode import TextEncoder

    texts = [f"sentence number {i} about rivers and stones" for i in range(6)]
    first = TextEncoder(device="cpu", cache_dir=tmp_path, progress=False).embed(texts)
    shards = sorted(tmp_path.rglob("shard-*.emb"))
    assert shards
    shards[0].write_bytes(shards[0].read_bytes()[:-100])
    (shards[0].parent / ".shard-dead.emb.123.tmp").write_bytes(b"IFTEMB01partial")
    second = TextEncoder(device="cpu", cache_dir=tmp_path, progress=False).embed(texts)
    assert np.allclose(first, second, atol=1e-5)
    assert list(tmp_path.rglob("*.corrupt"))
    third_encoder = TextEncoder(device="cpu", cache_dir=tmp_path, progress=False)
    found, _ = third_encoder.cache.lookup([__import__("ift_data.embed.cache", fromlist=["x"]).text_key(t)
                                           for t in texts])
    assert found.all()


@pytest.mark.slow
def test_embedding_cache_write_killed(tmp_path: Path) -> None:
    """Kill a process while it embeds into the cache; the next run reads only whole shards."""
    script = ("import sys; from ift_data.embed.encode import TextEncoder;"
              "TextEncoder(device='cpu', cache_dir=sys.argv[1], progress=False)"
              ".embed([f'text {i} ' * 20 for i in range(3000)])")
    for delay in (4.0, 6.0, 8.0):
        proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    from ift_data.embed.cache import EmbeddingCache

    for folder in [p for p in tmp_path.iterdir() if p.is_dir()]:
        cache = EmbeddingCache(tmp_path, folder.name)
        assert len(cache) >= 0
        assert not list(folder.glob("*.corrupt")), "an atomically written shard was damaged by a kill"
