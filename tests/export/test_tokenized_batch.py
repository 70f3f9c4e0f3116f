"""The tokenized export's batch path: compact rows, the same tokens and labels as a per-token reference,
batches of any size, and no truncation left over from a tokenizer's saved settings."""

from __future__ import annotations

import json
from itertools import accumulate

import numpy as np
import pytest
from export_helpers import build_example

from ift_data.chat.format import format_example
from ift_data.chat.masking import apply_mask
from ift_data.chat.registry import get_chat_format
from ift_data.export import ExportOptions, export_examples, tokenized
from ift_data.export.base import Rendered, TokenRow
from ift_data.export.tokenized import encode, encode_rows, load_tokenizer


def _items(values: list[str], preset: str = "plain", mode: str = "response") -> list[Rendered]:
    out = []
    for i, value in enumerate(values):
        formatted = format_example(build_example(value, ident=f"ex-{i}"), get_chat_format(preset), None)
        out.append(Rendered(formatted, apply_mask(formatted, mode)))
    return out


def _reference(item: Rendered, tokenizer) -> dict[str, list[int]] | str:
    """Token by token, as the export did before the batch path (no max_len)."""
    enc = tokenizer(item.text, add_special_tokens=False, return_offsets_mapping=True)
    labelled = [0, *accumulate(1 if s.label else 0 for s in item.segments for _ in s.text)]
    special = [0, *accumulate(1 if s.kind == "special" else 0 for s in item.segments for _ in s.text)]
    specials = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id}
    ids, labels = list(enc["input_ids"]), []
    for token, (start, end) in zip(ids, enc["offset_mapping"], strict=True):
        if token in specials and special[end] - special[start] < end - start:
            return "rejected"
        labels.append(token if labelled[end] - labelled[start] > 0 else -100)
    bos, eos = tokenized.bos_eos(tokenizer)
    if bos is not None and bos not in ids:
        ids, labels = [bos, *ids], [-100, *labels]
    if eos is not None and (not ids or ids[-1] != eos):
        ids, labels = [*ids, eos], [*labels, eos]
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}


VALUES = ["a fine film", "é 今天 🙂 ünïcödé ☃", "", "x " * 300, "bad <|im_end|> inside", "bad [SEP] inside",
          "[UNK] literal", "\u0378 unassigned \U000e0001 tag"]


@pytest.mark.parametrize("path_fixture", ["bert_path", "bpe_path"])
@pytest.mark.parametrize("batch", [1, 3, 1024])
def test_batch_path_equals_per_token_reference(request, monkeypatch, path_fixture, batch):
    tokenizer = load_tokenizer(request.getfixturevalue(path_fixture))
    monkeypatch.setattr(tokenized, "BATCH", batch)
    items = _items(VALUES)
    counts = {"bos_prepended": 0, "eos_appended": 0, "truncated": 0, "unknown_tokens": 0}
    got = encode(items, tokenizer, None, "drop", counts)
    for item, row in zip(items, got, strict=True):
        want = _reference(item, tokenizer)
        assert ("rejected" if isinstance(row, str) else row) == want, item.text
    assert sum(isinstance(r, str) for r in got) >= 1  # a control token in data text is caught in a batch too


def test_rows_are_compact_int32(bpe_path):
    tokenizer = load_tokenizer(bpe_path)
    rows = list(encode_rows(_items(["a fine film"]), tokenizer, None, "drop",
                            {"bos_prepended": 0, "eos_appended": 0, "truncated": 0}))
    (row,) = rows
    assert isinstance(row, TokenRow) and row.input_ids.dtype == np.int32 and row.labels.dtype == np.int32
    record = row.to_json()
    assert list(record) == ["input_ids", "attention_mask", "labels"]
    assert all(type(v) is int for v in record["input_ids"] + record["labels"])


def test_saved_truncation_setting_does_not_cut_tokens(bert_path):
    """The wrapper turns the backend's truncation off on every call; the batch path must do so as well."""
    tokenizer = load_tokenizer(bert_path)
    tokenizer.backend_tokenizer.enable_truncation(8)
    (row,) = encode(_items(["word " * 50]), tokenizer, None, "drop",
                    {"bos_prepended": 0, "eos_appended": 0, "truncated": 0})
    assert not isinstance(row, str) and len(row["input_ids"]) > 50


def test_unknown_tokens_counted_once_per_token(bert_path, tmp_path):
    tokenizer = load_tokenizer(bert_path)
    unk = tokenizer.unk_token
    values = ["\u0378 one", "\u0378 \u0378 two"]
    manifest = export_examples([build_example(v, ident=f"u{i}") for i, v in enumerate(values)], tmp_path, "t",
                               ExportOptions(formats=("tokenized",), chat_format="plain", tokenizer=bert_path))
    written = [json.loads(line) for line in (tmp_path / "t.tokenized.jsonl").read_text().splitlines()]
    unk_id = tokenizer.convert_tokens_to_ids(unk)
    assert manifest["counts"]["unknown_tokens"] == sum(r["input_ids"].count(unk_id) for r in written) > 0


@pytest.mark.parametrize("path_fixture", ["bert_path", "bpe_path"])
def test_token_lengths_count_as_the_wrapper_does(request, monkeypatch, path_fixture):
    from ift_data.chat.recommend import text_lengths

    tokenizer = load_tokenizer(request.getfixturevalue(path_fixture))
    monkeypatch.setattr(tokenized, "BATCH", 2)
    texts = [v for v in VALUES if "<|" not in v] + ["word " * 40]
    assert tokenized.token_lengths(texts, tokenizer) == text_lengths(texts, "tokens", tokenizer)
