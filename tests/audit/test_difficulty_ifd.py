"""The optional model-based difficulty score (IFD) with a tiny causal LM built in the test."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from ift_data.audit.difficulty import ifd_scores
from ift_data.cli import main


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> str:
    """A 1-layer GPT-2 with a byte-level BPE tokenizer trained on the fly, saved as a local folder."""
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, show_progress=False, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(["Name a colour. Blue is a colour. Add two and two. Four."] * 10, trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|endoftext|>")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=wrapped.vocab_size, n_layer=1, n_head=2, n_embd=32,
                                       n_positions=256))
    path = tmp_path_factory.mktemp("tiny_lm")
    model.save_pretrained(path)
    wrapped.save_pretrained(path)
    return str(path)


def test_ifd_scores_are_finite_ratios(tiny_lm: str) -> None:
    table = pl.DataFrame({"instruction": ["Name a colour.", "Add two and two.", "Say nothing."],
                          "input": ["", "", ""], "response": ["Blue is a colour.", "Four.", ""]})
    scores = ifd_scores(table, tiny_lm, max_tokens=64)
    assert len(scores) == 3
    assert all(math.isfinite(s) and s > 0 for s in scores[:2])
    assert math.isnan(scores[2])  # an empty response has no loss to compare
    again = ifd_scores(table, tiny_lm, max_tokens=64)  # deterministic
    assert scores[:2] == again[:2] and math.isnan(again[2])


def test_audit_writes_the_ifd_column(tiny_lm: str, tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    rows = [{"instruction": f"Name colour number {i}.", "input": "", "output": "Blue is a colour."} for i in range(4)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(data), "--out", str(tmp_path / "out"), "--no-embeddings",
                                       "--ifd-model", tiny_lm])
    assert result.exit_code == 0, result.output
    signals = pl.read_parquet(tmp_path / "out" / "signals.parquet")
    assert signals["difficulty_ifd"].is_not_null().all()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["signals"]["difficulty"]["summary"]["ifd_mean"] > 0


def test_a_missing_ifd_model_is_a_user_error(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"instruction": "Hi there, friend.", "input": "", "output": "Hello."}) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(data), "--out", str(tmp_path / "out"), "--no-embeddings",
                                       "--ifd-model", str(tmp_path / "no-such-model")])
    assert result.exit_code == 2
    assert "ifd_model" in result.output and "Traceback" not in result.output
