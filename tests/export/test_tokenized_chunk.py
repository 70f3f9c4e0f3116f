"""The tokenized export's batch arithmetic (labels, control tokens, [UNK] count, BOS/EOS, max_len over a whole
batch of flat arrays) against a per-token, per-example reference; repeated texts tokenized once."""

from __future__ import annotations

import random
from itertools import accumulate
from typing import Any

import numpy as np
import pytest
from export_helpers import build_example

from ift_data.chat.format import format_example
from ift_data.chat.registry import get_chat_format
from ift_data.export import tokenized
from ift_data.export.base import Rendered, TokenRow
from ift_data.export.tokenized import bos_eos, encode_rows, load_tokenizer, token_lengths
from ift_data.schema import Segment

PIECES = ["", " ", "\n", "ab", "a fine film", "[SEP]", "[CLS]", "[UNK]", "<|im_end|>", "<|endoftext|>", "\u0378",
          "x y", "今天 🙂", "word " * 12]
COUNTS = ("bos_prepended", "eos_appended", "truncated", "unknown_tokens")


def _raw_items(count: int, seed: int = 0) -> list[Rendered]:
    """Random segment lists: empty texts, no segments, control-token strings in special and data segments,
    unknown characters, and repeated texts with other labels."""
    rng = random.Random(seed)
    formatted = format_example(build_example("v"), get_chat_format("plain"), None)
    items = []
    for _ in range(count):
        segments = tuple(Segment(rng.choice(PIECES), rng.choice(["boilerplate", "content", "special"]),
                                 label=rng.random() < 0.5) for _ in range(rng.randint(0, 4)))
        items.append(Rendered(formatted, segments))
    return items


def _reference(item: Rendered, tokenizer: Any, max_len: int | None, overflow: str, side: str,
               counts: dict[str, int]) -> tuple[list[int], list[int]] | str:
    """One example token by token (the documented rules, in plain Python)."""
    enc = tokenizer(item.text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = list(enc["input_ids"]), enc["offset_mapping"]
    labelled = [0, *accumulate(1 if s.label else 0 for s in item.segments for _ in s.text)]
    special = [0, *accumulate(1 if s.kind == "special" else 0 for s in item.segments for _ in s.text)]
    unk = tokenizer.unk_token_id
    controls = set(tokenizer.all_special_ids) - {unk}
    bad = next((i for i, (token, (s, e)) in enumerate(zip(ids, offsets, strict=True))
                if token in controls and special[e] - special[s] < e - s), None)
    if unk is not None:
        counts["unknown_tokens"] += ids[:bad].count(unk)
    if bad is not None:
        s, e = offsets[bad]
        return (f"data text {item.text[s:e]!r} at characters {s}..{e} becomes the control "
                f"token {tokenizer.convert_ids_to_tokens(ids[bad])!r}")
    labels = [t if labelled[e] - labelled[s] > 0 else -100 for t, (s, e) in zip(ids, offsets, strict=True)]
    bos, eos = bos_eos(tokenizer)
    if bos is not None and bos not in ids:
        ids, labels = [bos, *ids], [-100, *labels]
        counts["bos_prepended"] += 1
    if eos is not None and (not ids or ids[-1] != eos):
        ids, labels = [*ids, eos], [*labels, eos]
        counts["eos_appended"] += 1
    if max_len is not None and len(ids) > max_len:
        if overflow == "drop":
            return f"{len(ids):,} tokens > max_len {max_len:,} (overflow: drop)"
        if side == "right":
            ids, labels = ids[:max_len], labels[:max_len]
        else:
            keep = 1 if bos is not None and ids[0] == bos else 0
            ids, labels = ids[:keep] + ids[len(ids) - max_len + keep:], labels[:keep] + labels[len(ids) - max_len + keep:]
        if all(label == -100 for label in labels):
            return f"no trained token left after truncating to max_len {max_len:,} ({side} side)"
        counts["truncated"] += 1
    return ids, labels


def _variant(request: pytest.FixtureRequest, name: str) -> Any:
    """bert, bpe, a BPE whose BOS is its EOS (GPT-2 style), a BPE with neither and a special [UNK]."""
    from transformers import PreTrainedTokenizerFast

    if name == "bert":
        return load_tokenizer(request.getfixturevalue("bert_path"))
    bpe = load_tokenizer(request.getfixturevalue("bpe_path"))
    if name == "bpe":
        return bpe
    if name == "bos_is_eos":
        return PreTrainedTokenizerFast(tokenizer_object=bpe.backend_tokenizer, bos_token="<|endoftext|>",
                                       eos_token="<|endoftext|>")
    return PreTrainedTokenizerFast(tokenizer_object=bpe.backend_tokenizer, unk_token="<|im_start|>")


@pytest.mark.parametrize("variant", ["bert", "bpe", "bos_is_eos", "no_bos_eos"])
@pytest.mark.parametrize(("max_len", "overflow", "side"),
                         [(None, "drop", "right"), (12, "drop", "right"), (12, "truncate", "right"),
                          (12, "truncate", "left")])
def test_batch_rows_equal_the_per_token_reference(request, monkeypatch, variant, max_len, overflow, side):
    tokenizer = _variant(request, variant)
    items = _raw_items(160)
    want_counts = dict.fromkeys(COUNTS, 0)
    want = [_reference(item, tokenizer, max_len, overflow, side, want_counts) for item in items]
    assert sum(not isinstance(w, str) for w in want) >= 10
    if variant != "no_bos_eos" or max_len is not None:  # that one has no control token but its [UNK]
        assert sum(isinstance(w, str) for w in want) >= 1
    for batch in (1, 7, 1024):
        monkeypatch.setattr(tokenized, "BATCH", batch)
        counts = dict.fromkeys(COUNTS, 0)
        got = list(encode_rows(items, tokenizer, max_len, overflow, counts, side))
        assert len(got) == len(items)
        for item, row, expected in zip(items, got, want, strict=True):
            if isinstance(expected, str):
                assert row == expected, item.text
            else:
                assert isinstance(row, TokenRow), (item.text, row)
                assert (row.input_ids.tolist(), row.labels.tolist()) == expected, item.text
                assert row.input_ids.dtype == row.labels.dtype == np.int32
        assert counts == want_counts, batch


class _Counting:
    """A backend that records how many texts each batch call tokenizes."""

    def __init__(self, backend: Any) -> None:
        self.backend, self.texts = backend, 0

    def encode_batch(self, texts: list[str], **kwargs: Any) -> Any:
        self.texts += len(texts)
        return self.backend.encode_batch(texts, **kwargs)

    def encode_batch_fast(self, texts: list[str], **kwargs: Any) -> Any:
        self.texts += len(texts)
        return self.backend.encode_batch_fast(texts, **kwargs)


def test_repeated_texts_are_tokenized_once(bpe_path, monkeypatch):
    tokenizer = load_tokenizer(bpe_path)
    items = _raw_items(60, seed=1)
    doubled = items + items[::-1]
    distinct = len({item.text for item in items})
    assert distinct < len(items)  # the random pieces repeat
    plain = list(encode_rows(items, tokenizer, None, "drop", dict.fromkeys(COUNTS, 0)))
    lengths = token_lengths([item.text for item in items], tokenizer)

    spy = _Counting(tokenizer.backend_tokenizer)
    monkeypatch.setattr(tokenized, "_backend", lambda tok: spy)
    counts = dict.fromkeys(COUNTS, 0)
    got = list(encode_rows(doubled, tokenizer, None, "drop", counts))
    assert spy.texts == distinct
    for row, want in zip(got, plain + plain[::-1], strict=True):
        assert (row == want) if isinstance(want, str) else (row.input_ids.tolist() == want.input_ids.tolist()
                                                            and row.labels.tolist() == want.labels.tolist())
    spy.texts = 0
    assert token_lengths([item.text for item in doubled], tokenizer) == lengths + lengths[::-1]
    assert spy.texts == distinct


def test_rows_own_their_arrays(bert_path):
    """Rows are cut from one array per batch but copied: a kept row does not hold the batch, nor share it."""
    tokenizer = load_tokenizer(bert_path)
    rows = [r for r in encode_rows(_raw_items(40, seed=2), tokenizer, None, "drop", dict.fromkeys(COUNTS, 0))
            if isinstance(r, TokenRow)]
    assert len(rows) > 2
    for first, second in zip(rows, rows[1:], strict=False):
        assert first.input_ids.base is None and first.labels.base is None
        assert not np.shares_memory(first.input_ids, second.input_ids)
