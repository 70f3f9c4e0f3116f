"""The messages and prompt-completion files match TRL's dataset types.

Fast test: the schema as TRL documents it (https://huggingface.co/docs/trl/dataset_formats):
conversational language modelling = ``{"messages": [{"role", "content"}, ...]}``; standard
prompt-completion = ``{"prompt": str, "completion": str}``. Slow test: TRL itself (when installed)
classifies the rows, renders them with a chat template and prepares them in ``SFTTrainer``.
"""

from __future__ import annotations

import json

import pytest

from ift_data.export import ExportOptions, export_examples


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def exported(tmp_path, examples):
    export_examples(examples, tmp_path, "d", ExportOptions(formats=("messages", "prompt_completion", "segments"),
                                                           system_prompt="Sys."))
    return tmp_path


def test_documented_trl_schema(exported):
    for row in _rows(exported / "d.messages.jsonl"):
        assert set(row) & {"prompt", "completion", "chosen", "rejected", "messages"} == {"messages"}
        roles = [m["role"] for m in row["messages"]]
        assert roles[0] == "system" and roles[-1] == "assistant"
        assert all(isinstance(m["content"], str) for m in row["messages"])
        assert all(m["weight"] in (0, 1) for m in row["messages"] if m["role"] == "assistant")
        assert all("weight" not in m for m in row["messages"] if m["role"] != "assistant")
    for row in _rows(exported / "d.prompt_completion.jsonl"):
        assert set(row) & {"prompt", "completion", "chosen", "rejected", "messages"} == {"prompt", "completion"}
        assert isinstance(row["prompt"], str) and isinstance(row["completion"], str) and row["completion"]
    # prompt + completion is the formatted text (ChatML has no BOS string)
    for pc, seg in zip(_rows(exported / "d.prompt_completion.jsonl"), _rows(exported / "d.segments.jsonl"),
                       strict=True):
        assert pc["prompt"] + pc["completion"] == "".join(s["text"] for s in seg["segments"])


@pytest.mark.slow
def test_trl_reads_our_files(exported, bpe_path, tmp_path):
    trl_data = pytest.importorskip("trl.data_utils")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(bpe_path, local_files_only=True)
    segments = _rows(exported / "d.segments.jsonl")
    for row, seg in zip(_rows(exported / "d.messages.jsonl"), segments, strict=True):
        assert trl_data.is_conversational(row)
        rendered = trl_data.apply_chat_template(row, tokenizer)["text"]
        assert rendered == "".join(s["text"] for s in seg["segments"])  # our chatml == the HF template
    for row in _rows(exported / "d.prompt_completion.jsonl"):
        assert not trl_data.is_conversational(row)

    from datasets import load_dataset
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl import SFTConfig, SFTTrainer

    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2))
    dataset = load_dataset("json", data_files=str(exported / "d.prompt_completion.jsonl"), split="train")
    trainer = SFTTrainer(model=model, processing_class=tokenizer, train_dataset=dataset,
                         args=SFTConfig(output_dir=str(tmp_path / "out"), report_to=[], max_steps=1, bf16=False, use_cpu=True,
                                        dataset_num_proc=None))
    first = trainer.train_dataset[0]
    if "completion_mask" in first:
        trained = [t for t, m in zip(first["input_ids"], first["completion_mask"], strict=True) if m]
    else:  # newer TRL folds the completion mask into labels (-100 outside the completion)
        trained = [t for t in first["labels"] if t != -100]
    assert tokenizer.decode(trained).replace(" ", "").startswith("Answer:positive<|im_end|>".replace(" ", ""))
