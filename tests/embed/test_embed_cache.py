"""The embedding cache: round trip, append-only shards, damaged shards ignored."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ift_data.embed.cache import EmbeddingCache, text_key


def test_round_trip_and_partial_hits(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "m1")
    keys = [text_key(t) for t in ["a", "b", "c"]]
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    cache.add(keys[:2], vectors[:2])
    found, got = EmbeddingCache(tmp_path, "m1").lookup(keys)
    assert found.tolist() == [True, True, False]
    assert np.array_equal(got, vectors[:2])
    assert not EmbeddingCache(tmp_path, "other").lookup(keys)[0].any()


def test_truncated_shard_is_ignored(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "m")
    good = cache.add([text_key("x")], np.ones((1, 4), np.float32))
    bad = cache.add([text_key("y")], np.ones((1, 4), np.float32))
    assert good and bad
    bad.write_bytes(bad.read_bytes()[:-7])
    fresh = EmbeddingCache(tmp_path, "m")
    found, _ = fresh.lookup([text_key("x"), text_key("y")])
    assert found.tolist() == [True, False]
    assert not bad.exists() and bad.with_suffix(".corrupt").exists()


def test_flipped_byte_is_detected(tmp_path: Path) -> None:
    shard = EmbeddingCache(tmp_path, "m").add([text_key("x")], np.ones((1, 4), np.float32))
    data = bytearray(shard.read_bytes())
    data[40] ^= 0xFF
    shard.write_bytes(bytes(data))
    assert not EmbeddingCache(tmp_path, "m").lookup([text_key("x")])[0].any()


def test_leftover_temp_files_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / ".shard-abc.emb.123.tmp").write_bytes(b"partial")
    assert len(EmbeddingCache(tmp_path, "m")) == 0
