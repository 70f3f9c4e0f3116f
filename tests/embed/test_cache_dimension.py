"""Cache shards of another dimension than the model's (a mixed-up cache folder) are set aside with a
warning and their texts embedded again, as damaged shards are."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from ift_data.embed.cache import EmbeddingCache, text_key
from ift_data.embed.encode import TextEncoder

TEXTS = ["Give three tips for staying healthy.", "What is the capital of France?", "Name a red fruit.",
         "Translate 'cat' into French.", "Sum 2 and 3."]


def test_lookup_with_a_dimension_sets_other_shards_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = EmbeddingCache(tmp_path, "m")
    cache.add([text_key("x")], np.ones((1, 4), np.float32))
    wrong = cache.add([text_key("y")], np.ones((1, 8), np.float32))
    assert wrong is not None
    fresh = EmbeddingCache(tmp_path, "m")
    assert fresh.dims() == {4, 8}
    with caplog.at_level(logging.WARNING):
        found, vectors = fresh.lookup([text_key("x"), text_key("y")], dim=4)
    assert found.tolist() == [True, False] and vectors.shape == (1, 4)
    assert "dimension 8, not 4" in caplog.text
    assert not wrong.exists() and wrong.with_suffix(".corrupt").exists()
    assert EmbeddingCache(tmp_path, "m").dims() == {4}


def _expected() -> np.ndarray:
    return TextEncoder("static", device="cpu", cache_dir=False, progress=False).embed(TEXTS)


def _plant(encoder: TextEncoder, texts: list[str], dim: int) -> Path:
    """A shard of another model (``dim`` wide) in ``encoder``'s own cache folder."""
    assert encoder.cache is not None
    shard = EmbeddingCache(encoder.cache.dir.parent, encoder.model_key).add(
        [text_key(t) for t in texts], np.full((len(texts), dim), 0.5, np.float32))
    assert shard is not None
    return shard


def test_wrong_dimension_shard_is_skipped_when_other_texts_are_missing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    expected = _expected()
    encoder = TextEncoder("static", device="cpu", cache_dir=tmp_path, progress=False)
    wrong = _plant(encoder, TEXTS[:2], expected.shape[1] + 3)
    with caplog.at_level(logging.WARNING):
        got = encoder.embed(TEXTS)
    assert np.allclose(got, expected, atol=1e-6)
    assert "another model" in caplog.text and wrong.with_suffix(".corrupt").exists()
    again = TextEncoder("static", device="cpu", cache_dir=tmp_path, progress=False)
    assert again.cache is not None and again.cache.dims() == {expected.shape[1]}
    assert again.cache.lookup([text_key(t) for t in TEXTS])[0].all()


def test_wrong_dimension_shard_among_right_ones_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    expected = _expected()
    first = TextEncoder("static", device="cpu", cache_dir=tmp_path, progress=False)
    first.embed(TEXTS[1:])
    _plant(first, TEXTS[:1], expected.shape[1] * 2)
    encoder = TextEncoder("static", device="cpu", cache_dir=tmp_path, progress=False)
    with caplog.at_level(logging.WARNING):
        got = encoder.embed(TEXTS)
    assert np.allclose(got, expected, atol=1e-6)
    assert "another model" in caplog.text
