"""The bundled static (Model2Vec) embedder: choice, loading offline, vectors, cache, and the audit flag."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ift_data.cli import main
from ift_data.embed.cache import text_key
from ift_data.embed.encode import TextEncoder
from ift_data.embed.model import Embedder, resolve_embedder, resolve_model_path, static_model_path
from ift_data.errors import UserError

TEXTS = ["Give three tips for staying healthy.", "Give 3 tips for staying healthy!", "",
         "What is the capital of France?", "请用一句话介绍长城。", "word " * 700]


def test_choices_resolve_to_local_folders() -> None:
    assert resolve_embedder("auto", "cpu") == Embedder("static", static_model_path())
    assert resolve_embedder("static", "cpu").kind == "static"
    assert resolve_embedder("minilm", "cpu") == Embedder("transformer", resolve_model_path(None))
    assert resolve_embedder(None, "cpu").kind == "transformer"  # the library's historical default
    assert resolve_embedder(str(static_model_path()), "cpu").kind == "static"  # a folder: kind from config.json
    assert resolve_embedder(str(resolve_model_path(None)), "cpu").kind == "transformer"
    with pytest.raises(UserError, match="not a local folder"):
        resolve_embedder("minishlab/potion-base-8M", "cpu")  # hub names are never downloaded


def test_static_vectors_are_normalized_deterministic_and_ordered(tmp_path: Path) -> None:
    encoder = TextEncoder("static", device="cpu", cache_dir=tmp_path, progress=False)
    vectors = encoder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 256) and vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms[[0, 1, 3, 4, 5]], 1.0, atol=1e-5)
    assert norms[2] == 0.0  # an empty text has no tokens: a zero vector, never NaN
    assert vectors[0] @ vectors[1] > 0.9 > vectors[0] @ vectors[3]  # a near copy is near, another question is not
    again = TextEncoder("static", device="cpu", cache_dir=False, progress=False).embed(TEXTS[::-1])[::-1]
    assert np.allclose(vectors, again, atol=1e-6)
    cached = TextEncoder("static", device="cpu", cache_dir=tmp_path, progress=False)
    found, _ = cached.cache.lookup([text_key(TEXTS[0])])
    assert found.all()


def test_static_and_minilm_never_share_cache_entries(tmp_path: Path) -> None:
    static = TextEncoder("static", device="cpu", cache_dir=tmp_path, progress=False)
    minilm = TextEncoder("minilm", device="cpu", cache_dir=tmp_path, progress=False)
    assert static.model_key != minilm.model_key
    copy = tmp_path / "copy"
    shutil.copytree(static_model_path(), copy)
    assert TextEncoder(str(copy), device="cpu", cache_dir=False, progress=False).model_key == static.model_key
    (copy / "config.json").write_text(json.dumps({"model_type": "model2vec", "normalize": True}), encoding="utf-8")
    assert TextEncoder(str(copy), device="cpu", cache_dir=False, progress=False).model_key != static.model_key


def test_damaged_static_folder_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "model2vec"}), encoding="utf-8")
    encoder = TextEncoder(str(broken), device="cpu", cache_dir=False, progress=False)
    with pytest.raises(UserError) as info:
        encoder.embed(["some text"])
    assert str(broken) in info.value.format()


def _rows(path: Path) -> Path:
    rows = [{"instruction": f"Give {n} tips for staying healthy.", "output": "Eat well, sleep, and move every day."}
            for n in ("three", "3")]
    rows += [{"instruction": f"Name a colour that starts with the letter {c}.", "output": f"{c.upper()}-something"}
             for c in "abcdefghij"]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("flag", ["--embedder", "--model"])
def test_audit_records_the_embedder_it_used(tmp_path: Path, flag: str) -> None:
    data = _rows(tmp_path / "rows.jsonl")
    out = tmp_path / "audit"
    result = CliRunner().invoke(main, ["audit", str(data), "--out", str(out), flag, "static",
                                       "--cache-dir", str(tmp_path / "cache"), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    graph = summary["signals"]["dedup_semantic"]["summary"]["graph"]
    assert (graph["embedder"], graph["model"], graph["device"]) == ("static", "minilm-static-256", "cpu")


def test_audit_default_on_cpu_is_static(tmp_path: Path) -> None:
    data = _rows(tmp_path / "rows.jsonl")
    out = tmp_path / "audit"
    result = CliRunner().invoke(main, ["audit", str(data), "--out", str(out), "--device", "cpu",
                                       "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["signals"]["dedup_semantic"]["summary"]["graph"]["embedder"] == "static"


def test_unknown_embedder_is_refused(tmp_path: Path) -> None:
    data = _rows(tmp_path / "rows.jsonl")
    result = CliRunner().invoke(main, ["audit", str(data), "--out", str(tmp_path / "audit"),
                                       "--embedder", "no-such-model", "--device", "cpu"])
    assert result.exit_code == 2
    assert "no-such-model" in result.output and "not a local folder" in result.output


def test_loading_the_bundled_model_warns_about_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """huggingface_hub's "Repo card metadata block was not found" (the bundled README has no metadata block)
    reached stderr on every first run; it is held back while the model loads, and the level is restored."""
    import logging

    from ift_data.embed.model import load_static_model

    card_logger = logging.getLogger("huggingface_hub.repocard")
    before = card_logger.level
    with caplog.at_level(logging.WARNING):
        load_static_model(static_model_path())
    assert not [r for r in caplog.records if r.name.startswith("huggingface_hub")], caplog.text
    assert card_logger.level == before


def test_loading_minilm_prints_no_load_report() -> None:
    """transformers printed a "BertModel LOAD REPORT" table (all-MiniLM-L6-v2's unused position_ids buffer,
    "can be ignored") on stderr of every --embedder minilm run (red-team finding)."""
    import subprocess
    import sys

    code = ("from ift_data.embed.model import load_model; import logging; "
            "log = logging.getLogger('transformers.modeling_utils'); before = log.level; "
            "load_model('minilm', 'cpu'); assert log.level == before")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "LOAD REPORT" not in result.stderr and "UNEXPECTED" not in result.stderr, result.stderr[-2000:]
