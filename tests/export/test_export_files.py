"""export_examples writes every format, loadable by datasets, deterministic, with a complete manifest."""

from __future__ import annotations

import json

import pytest
from export_helpers import build_example  # noqa: I001

from ift_data.errors import UserError
from ift_data.export import EXPORTERS, ExportOptions, export_examples

ALL = tuple(f for f in EXPORTERS if f != "tokenized")


def _read(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_format_loads_with_datasets(tmp_path, examples, bpe_path):
    datasets = pytest.importorskip("datasets")
    manifest = export_examples(examples, tmp_path, "demo",
                               ExportOptions(formats=(*ALL, "tokenized"), tokenizer=bpe_path))
    for entry in manifest["files"]:
        if entry["path"].endswith(".jsonl"):
            loaded = datasets.load_dataset("json", data_files=str(tmp_path / entry["path"]), split="train")
            assert loaded.num_rows == entry["rows"] == len(examples)
    assert manifest["counts"]["written"] == len(examples)


def test_records(tmp_path, examples):
    export_examples(examples, tmp_path, "demo", ExportOptions(formats=ALL, system_prompt="Sys."))
    seg = _read(tmp_path / "demo.segments.jsonl")[1]
    assert set(seg) == {"id", "source", "messages", "segments"}
    assert set(seg["segments"][0]) == {"text", "label", "kind", "role"}
    assert seg["source"]["dataset"] == "sst2_sample" and seg["source"]["shots"] == 2
    assert [m["role"] for m in seg["messages"]] == ["system", "user", "assistant"] * 1 + ["user", "assistant"] * 2
    messages = _read(tmp_path / "demo.messages.jsonl")[1]["messages"]
    assert messages[0] == {"role": "system", "content": "Sys."}
    assert [m.get("weight") for m in messages if m["role"] == "assistant"] == [1, 1, 1]
    pc = _read(tmp_path / "demo.prompt_completion.jsonl")[0]
    assert pc["completion"] == "Answer: positive<|im_end|>"
    assert pc["prompt"].endswith("<|im_start|>assistant\n")
    alpaca = _read(tmp_path / "demo.alpaca.jsonl")[1]
    assert alpaca["instruction"].startswith("Review: dull") and alpaca["output"] == "Answer: negative"
    assert alpaca["system"] == "Sys." and len(alpaca["history"]) == 2 and alpaca["input"] == ""
    share = _read(tmp_path / "demo.sharegpt.jsonl")[0]
    assert [c["from"] for c in share["conversations"]] == ["human", "gpt"]
    text = _read(tmp_path / "demo.text.jsonl")[0]["text"]
    assert text.startswith("<|im_start|>system\nSys.<|im_end|>")
    info = json.loads((tmp_path / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["demo_sharegpt"]["formatting"] == "sharegpt"
    assert info["demo_sharegpt"]["columns"]["messages"] == "conversations"
    assert info["demo_alpaca"]["file_name"] == "demo.alpaca.jsonl"


def test_last_turn_weights_and_bos_left_out_of_strings(tmp_path, examples):
    export_examples(examples, tmp_path, "demo", ExportOptions(formats=ALL, chat_format="llama3",
                                                              mask_mode="last-turn"))
    weights = [m["weight"] for m in _read(tmp_path / "demo.messages.jsonl")[1]["messages"] if "weight" in m]
    assert weights == [0, 0, 1]
    assert not _read(tmp_path / "demo.text.jsonl")[0]["text"].startswith("<|begin_of_text|>")
    assert _read(tmp_path / "demo.segments.jsonl")[0]["segments"][0]["text"] == "<|begin_of_text|>"


def test_deterministic_bytes(tmp_path, examples, bpe_path):
    options = ExportOptions(formats=(*ALL, "tokenized"), tokenizer=bpe_path, chat_format="alpaca")
    first = export_examples(examples, tmp_path / "a", "demo", options)
    second = export_examples(examples, tmp_path / "b", "demo", options)
    assert first == second
    for entry in first["files"]:
        assert (tmp_path / "a" / entry["path"]).read_bytes() == (tmp_path / "b" / entry["path"]).read_bytes()


def test_rejects_leave_every_file(tmp_path, examples):
    bad = build_example("ends with <|im_end|> inside", ident="bad")
    manifest = export_examples([*examples, bad], tmp_path, "demo", ExportOptions(formats=ALL))
    assert manifest["counts"] == {**manifest["counts"], "examples_in": 5, "written": 4, "rejected": 1}
    assert manifest["rejects"][0]["id"] == "bad" and "<|im_end|>" in manifest["rejects"][0]["reason"]
    assert all(f["rows"] == 4 for f in manifest["files"] if f["path"].endswith(".jsonl"))


def test_manifest_fields(tmp_path, examples):
    manifest = export_examples(examples, tmp_path, "demo", ExportOptions(formats=("segments", "prompt-completion")))
    json.dumps(manifest)
    assert manifest["mask_mode"] == "response" and manifest["chat_format"]["name"] == "chatml"
    assert manifest["formats"] == ["segments", "prompt_completion"]
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])
    rec = manifest["masking_recommendation"]
    assert rec["mode"] == "instruction" and rec["n_examples"] == 4 and rec["unit"] == "words"
    assert any(w.startswith("prompt_completion: ") for w in manifest["warnings"])  # multi-turn: last-turn only


def test_dataset_info_is_merged(tmp_path, examples):
    export_examples(examples, tmp_path, "train", ExportOptions(formats=("sharegpt",)))
    export_examples(examples, tmp_path, "validation", ExportOptions(formats=("alpaca",)))
    info = json.loads((tmp_path / "dataset_info.json").read_text(encoding="utf-8"))
    assert sorted(info) == ["train_sharegpt", "validation_alpaca"]


@pytest.mark.parametrize(("options", "field"), [
    (ExportOptions(formats=("csv",)), "formats"),
    (ExportOptions(formats=()), "formats"),
    (ExportOptions(mask_mode="prompt"), "mask_mode"),
    (ExportOptions(overflow="wrap"), "overflow"),
    (ExportOptions(max_len=128), "max_len"),
    (ExportOptions(formats=("tokenized",)), "tokenizer"),
    (ExportOptions(tokenizer="/nonexistent/tokenizer"), "tokenizer"),
    (ExportOptions(chat_format="nope"), "chat_format"),
])
def test_bad_options_are_user_errors(tmp_path, examples, options, field):
    with pytest.raises(UserError) as info:
        export_examples(examples, tmp_path, "demo", options)
    assert info.value.field == field
