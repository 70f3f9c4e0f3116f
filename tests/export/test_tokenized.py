"""The tokenized export agrees with the character labels token by token, for a WordPiece (BERT) and a
byte-level BPE tokenizer, in every preset x every mask mode; one BOS, EOS last and trained, max_len."""

from __future__ import annotations

import json

import pytest
from export_helpers import build_example, sample_examples  # noqa: I001
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ift_data.chat import MASK_MODES, PRESETS, apply_mask, format_example
from ift_data.chat.masking import char_labels
from ift_data.export import ExportOptions, export_examples
from ift_data.export.base import Rendered
from ift_data.export.tokenized import bos_eos, encode, load_tokenizer


@pytest.fixture(scope="module", params=["bert", "bpe"])
def tokenizer(request):
    return load_tokenizer(request.getfixturevalue(f"{request.param}_path"))


def _render(example, preset, mode):
    formatted = format_example(example, PRESETS[preset])
    return Rendered(formatted, apply_mask(formatted, mode))


def assert_agrees(item: Rendered, row: dict, tokenizer) -> None:
    ids, labels, mask = row["input_ids"], row["labels"], row["attention_mask"]
    assert len(ids) == len(labels) == len(mask) and set(mask) == {1}
    bos, eos = bos_eos(tokenizer)
    assert ids.count(bos) == 1 and ids[0] == bos
    assert ids[-1] == eos and labels[-1] == eos
    # one tokenization of the full text; the row is [BOS?] + that + [EOS?]
    enc = tokenizer(item.text, add_special_tokens=False, return_offsets_mapping=True)
    start = 0 if enc["input_ids"][:1] == [bos] else 1
    body = ids[start:start + len(enc["input_ids"])]
    assert body == enc["input_ids"]
    chars = char_labels(item.segments)
    for token, label, (s, e) in zip(body, labels[start:], enc["offset_mapping"], strict=False):
        assert (label != -100) == any(chars[s:e]), (tokenizer.convert_ids_to_tokens(token), s, e)
        assert label in (-100, token)


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("mode", list(MASK_MODES))
def test_token_labels_agree_with_characters(tokenizer, preset, mode):
    items = [_render(example, preset, mode) for example in sample_examples()]
    counts = {"bos_prepended": 0, "eos_appended": 0, "truncated": 0}
    for item, row in zip(items, encode(items, tokenizer, None, "drop", counts), strict=True):
        assert isinstance(row, dict), row
        assert_agrees(item, row, tokenizer)
        if mode == "response":  # the trained tokens spell the answers (BPE is lossless)
            trained = [t for t, lab in zip(row["input_ids"], row["labels"], strict=True) if lab != -100]
            assert "positive" in tokenizer.decode(trained).replace(" ", "") or "negative" in tokenizer.decode(trained)


def test_every_labelled_character_is_covered_by_bpe(bpe_path):
    tokenizer = load_tokenizer(bpe_path)
    item = _render(build_example("é 今天 🙂 {{ x }} |||", shots=1), "plain", "boilerplate")
    counts = {"bos_prepended": 0, "eos_appended": 0, "truncated": 0}
    row = encode([item], tokenizer, None, "drop", counts)[0]
    enc = tokenizer(item.text, add_special_tokens=False, return_offsets_mapping=True)
    covered = set()
    for label, (s, e) in zip(row["labels"][1:], enc["offset_mapping"], strict=False):
        if label != -100:
            covered.update(range(s, e))
    assert {i for i, flag in enumerate(char_labels(item.segments)) if flag} <= covered


def test_chatml_bpe_keeps_control_tokens_single(bpe_path):
    tokenizer = load_tokenizer(bpe_path)
    item = _render(build_example(), "chatml", "response")
    row = encode([item], tokenizer, None, "drop", {"bos_prepended": 0, "eos_appended": 0, "truncated": 0})[0]
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert row["input_ids"][-1] == im_end  # the format's end-of-turn is the EOS: nothing appended
    assert row["input_ids"].count(im_end) == 2


@pytest.mark.parametrize(("path_fixture", "token"), [("bert_path", "[SEP]"), ("bpe_path", "<|im_end|>"),
                                                     ("bpe_path", "<|endoftext|>")])
def test_special_token_in_content_is_rejected(tmp_path, request, path_fixture, token):
    path = request.getfixturevalue(path_fixture)
    bad = build_example(f"value with {token} inside", ident="bad")
    manifest = export_examples([build_example(), bad], tmp_path, "t",
                               ExportOptions(formats=("tokenized",), chat_format="plain", tokenizer=path))
    assert manifest["counts"]["written"] == 1
    assert [r["id"] for r in manifest["rejects"]] == ["bad"]
    assert token in manifest["rejects"][0]["reason"]


@pytest.mark.parametrize("overflow", ["drop", "truncate"])
def test_max_len(tmp_path, bpe_path, overflow):
    short, long = build_example("ok", ident="short"), build_example("long " * 200, ident="long")
    manifest = export_examples([short, long], tmp_path, "t", ExportOptions(
        formats=("tokenized", "segments"), tokenizer=bpe_path, max_len=64, overflow=overflow))
    rows = [json.loads(line) for line in (tmp_path / "t.tokenized.jsonl").read_text().splitlines()]
    assert all(len(r["input_ids"]) <= 64 for r in rows)
    if overflow == "drop":
        assert manifest["counts"]["dropped_overflow"] == 1 and len(rows) == 1
        assert manifest["rejects"][0]["id"] == "long"
    else:  # truncating the long one cuts its answer: only the prompt is left, nothing to train: dropped
        assert manifest["counts"]["truncated"] == 0 and len(rows) == 1
        assert "no trained token" in manifest["rejects"][0]["reason"]
    assert manifest["tokenizer"]["sha256"] and "tokenizer.json" in manifest["tokenizer"]["files"]


def test_truncation_keeps_trained_tokens(tmp_path, bpe_path):
    example = build_example("ok", answer="word " * 100)
    manifest = export_examples([example], tmp_path, "t", ExportOptions(
        formats=("tokenized",), tokenizer=bpe_path, max_len=48, overflow="truncate"))
    assert manifest["counts"]["truncated"] == 1 and manifest["counts"]["written"] == 1


value = st.one_of(st.text(max_size=15), st.sampled_from(["{{", "|||", "<|im_end|>", "[SEP]", "", "今天", "🙂"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value, value, st.sampled_from(list(PRESETS)), st.sampled_from(list(MASK_MODES)))
def test_property_tokens_agree_or_reject(bpe_path, text, answer, preset, mode):
    tokenizer = load_tokenizer(bpe_path)
    example = build_example(text, answer or "x")
    try:
        item = _render(example, preset, mode)
    except ValueError:
        return
    result = encode([item], tokenizer, None, "drop", {"bos_prepended": 0, "eos_appended": 0, "truncated": 0})[0]
    specials = ("<|im_end|>", "<|endoftext|>", "<|im_start|>")
    if isinstance(result, str):
        assert any(s in text + answer for s in specials), result
    else:
        assert not any(s in text + answer for s in specials)
        assert_agrees(item, result, tokenizer)
