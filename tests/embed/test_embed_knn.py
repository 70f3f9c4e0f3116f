"""kNN graph on synthetic unit vectors (no model): self excluded, methods agree, provider memoizes."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ift_data.embed.knn import EmbedOptions, build_knn, knn_provider, row_texts


def unit_vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("method", ["flat", "ivf", "torch"])
def test_self_excluded_and_sorted(method: str) -> None:
    x = unit_vectors(400)
    x[10] = x[11] = x[12]  # exact duplicates: ties must not let a row be its own neighbour
    graph = build_knn(x, 5, method=method, nlist=8, nprobe=8)
    assert graph.indices.shape == graph.similarities.shape == (400, 5)
    assert not (graph.indices == np.arange(400)[:, None]).any()
    assert set(graph.indices[10][:2]) == {11, 12}
    assert np.allclose(graph.similarities[10][:2], 1.0, atol=1e-5)
    valid = graph.similarities[graph.valid]
    assert np.all(np.diff(np.nan_to_num(graph.similarities, nan=-9), axis=1) <= 1e-6) and valid.max() <= 1.0001


def test_torch_matches_flat() -> None:
    x = unit_vectors(300, seed=3)
    flat, ours = build_knn(x, 8, method="flat"), build_knn(x, 8, method="torch", device="cpu")
    assert np.array_equal(flat.indices, ours.indices)
    assert np.allclose(flat.similarities, ours.similarities, atol=1e-5)


def test_exact_similarities() -> None:
    x = unit_vectors(50, seed=1)
    graph = build_knn(x, 3, method="flat")
    expected = (x[:, None, :] * x[graph.indices]).sum(-1)
    assert np.allclose(graph.similarities, expected, atol=1e-5)


def test_tiny_sets() -> None:
    assert build_knn(unit_vectors(1), 10).k == 0
    graph = build_knn(unit_vectors(3), 10, method="flat")
    assert graph.k == 2 and not (graph.indices == np.arange(3)[:, None]).any()


def test_auto_uses_ivf_above_threshold() -> None:
    graph = build_knn(unit_vectors(500), 4, method="auto", ivf_threshold=100, device="cpu")
    assert graph.info["method"] == "ivf"
    assert build_knn(unit_vectors(50), 4, method="auto", device="cpu").info["method"] == "flat"


def test_provider_memoizes_and_can_be_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import ift_data.embed.knn as knn

    calls = []

    def fake_build(table, opts, remote=None):
        calls.append(opts)
        return build_knn(unit_vectors(table.height), opts.k, method="flat")

    monkeypatch.setattr(knn, "_build_for_table", fake_build)
    table = pl.DataFrame({"instruction": ["a", "b", "c"], "input": ["", "", ""], "response": ["x", "y", "z"]})
    provide = knn_provider(table, {"k": 2})
    assert provide() is provide() and len(calls) == 1
    assert knn_provider(table, {"enabled": False})() is None


def test_options_from_audit_like_object() -> None:
    class Audit:
        embeddings = False
        model = None
        device = "cpu"
        batch_size = 8
        cache_dir = "/tmp/x"
        seed = 3
        progress = False

    opts = EmbedOptions.coerce(Audit())
    assert (opts.enabled, opts.device, opts.batch_size, opts.seed) == (False, "cpu", 8, 3)


def test_row_texts_join_non_empty_fields() -> None:
    table = pl.DataFrame({"instruction": ["Do it", "Q"], "input": ["", "ctx"], "response": ["ok", ""]})
    assert row_texts(table, ("instruction", "input", "response")) == ["Do it\n\nok", "Q\n\nctx"]


def test_row_text_sequence_is_the_python_join_of_non_empty_fields() -> None:
    """The lazy texts the encoder reads equal joining each row's non-empty fields in Python (nulls, empty
    rows, a blank line inside a field), by slice, by gather and by iteration."""
    import random

    from ift_data.embed.knn import row_text_sequence

    rng = random.Random(1)
    pool = ["", None, "a", "b c", "x\n\ny", " ", "長城"]
    columns = ("instruction", "input", "response")
    table = pl.DataFrame({c: [rng.choice(pool) for _ in range(300)] for c in columns}, schema={c: pl.String for c in columns})
    expected = ["\n\n".join(v for v in row if v) for row in table.select(columns).fill_null("").iter_rows()]
    lazy = row_text_sequence(table, columns)
    assert list(lazy) == expected and lazy[10:50] == expected[10:50]
    assert lazy.take([299, 0, 5]) == [expected[299], expected[0], expected[5]]


def test_cpu_is_picked_without_torch_where_no_gpu_driver_exists(monkeypatch) -> None:
    """No GPU driver on a Linux machine: ``auto`` is the CPU, and torch is not imported to say so."""
    import sys

    from ift_data.embed import model

    monkeypatch.setattr(model, "gpu_driver_present", lambda: False)
    monkeypatch.setitem(sys.modules, "torch", None)  # importing torch now raises ImportError
    assert model.pick_device("auto") == "cpu" and model.pick_device(None) == "cpu"
    assert model.pick_device("cuda:1") == "cuda:1"
    monkeypatch.setattr(model, "gpu_driver_present", lambda: True)
    with pytest.raises(ImportError):  # a driver: torch is asked
        model.pick_device("auto")
