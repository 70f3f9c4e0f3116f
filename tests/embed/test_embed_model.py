"""The real offline model: shape, normalization, determinism, cache hits, damaged-shard recovery."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ift_data.embed.cache import text_key
from ift_data.embed.encode import TextEncoder
from ift_data.embed.model import resolve_model_path
from ift_data.errors import UserError

TEXTS = ["Give three tips for staying healthy.", "What is the capital of France?", "",
         "请用一句话介绍长城。", "Give three tips for staying healthy.", "word " * 80]


def test_default_model_is_local() -> None:
    assert (resolve_model_path(None) / "modules.json").is_file()
    with pytest.raises(UserError):
        resolve_model_path("sentence-transformers/some-remote-model")


def test_loading_minilm_logs_no_sharding_warning() -> None:
    """transformers warned "The following layers were not sharded: ..." (a tensor-parallel check that quieting
    its loading report sets off) on stderr on every --embedder minilm run; transformers 5.x moved the logger
    from transformers.integrations to transformers.distributed, and the warning came back (red-team). Read
    from a handler on transformers' top logger, which both paths reach (its own handler writes to whatever
    stderr was when transformers was imported)."""
    import logging

    from ift_data.embed.model import load_model

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("transformers")
    logger.addHandler(handler)
    try:
        load_model(None, "cpu")
    finally:
        logger.removeHandler(handler)
    assert not [r for r in records if "not sharded" in r.getMessage()]


def test_the_sharding_warning_is_dropped_from_a_logger_not_named_yet() -> None:
    """The next move of that module: its message is dropped whichever transformers logger sends it, while
    other warnings pass."""
    import logging

    from ift_data.embed.model import NOT_SHARDED, _quiet

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    top = logging.getLogger("transformers")
    top.addHandler(handler)
    moved = logging.getLogger("transformers.parallelism.moved_again")
    try:
        with _quiet("transformers.modeling_utils", drop=(NOT_SHARDED,)):
            moved.warning("The following layers were not sharded: encoder.layer.*.attention.self.value.bias")
            moved.warning("another warning")
        moved.warning("The following layers were not sharded: after the block, shown")
    finally:
        top.removeHandler(handler)
    assert [r.getMessage() for r in records] == ["another warning",
                                                 "The following layers were not sharded: after the block, shown"]


def test_real_model_embeds_caches_and_recovers(tmp_path: Path) -> None:
    encoder = TextEncoder(device="cpu", cache_dir=tmp_path, progress=False)
    first = encoder.embed(TEXTS)
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert first.shape == (len(TEXTS), 384) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first[0], first[4])
    stock = encoder.encode_stock(TEXTS)
    assert np.allclose(first, stock, atol=1e-5)  # fast path = stock encode

    again = TextEncoder(device="cpu", cache_dir=tmp_path, progress=False)
    assert np.array_equal(again.embed(TEXTS), first)
    assert "model" not in again.__dict__  # every text came from the cache: the model was never loaded

    shards = sorted(tmp_path.rglob("shard-*.emb"))
    assert len(shards) == 1
    shards[0].write_bytes(shards[0].read_bytes()[:100])  # a truncated shard
    recovered = TextEncoder(device="cpu", cache_dir=tmp_path, progress=False)
    recovered.__dict__["model"] = encoder.model  # reuse the loaded model (keeps the test short)
    assert np.allclose(recovered.embed(TEXTS), first, atol=1e-6)
    assert len(list(tmp_path.rglob("*.corrupt"))) == 1  # the damaged shard was set aside ...
    assert len(list(tmp_path.rglob("shard-*.emb"))) == 1  # ... and its texts embedded and cached again
    assert TextEncoder(device="cpu", cache_dir=tmp_path, progress=False).cache.lookup(
        [text_key(t) for t in TEXTS])[0].all()


@pytest.mark.gpu
def test_cuda_fast_path_matches_cpu(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    cpu = TextEncoder(device="cpu", cache_dir=False, progress=False).embed(TEXTS)
    gpu = TextEncoder(device="auto", cache_dir=False, progress=False).embed(TEXTS)
    assert gpu.shape == cpu.shape
    assert np.allclose(np.linalg.norm(gpu, axis=1), 1.0, atol=1e-3)
    assert (gpu * cpu).sum(axis=1).min() > 0.999


@pytest.mark.gpu
def test_cuda_knn_matches_flat() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from ift_data.embed.knn import build_knn

    x = np.random.default_rng(0).normal(size=(5000, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    flat, ours = build_knn(x, 10, method="flat"), build_knn(x, 10, method="torch", device="cuda")
    agree = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(flat.indices, ours.indices, strict=True)])
    assert agree > 0.99
    assert np.allclose(np.sort(flat.similarities, 1), np.sort(ours.similarities, 1), atol=1e-4)
