"""What the parallel-export and Ray-build tests share (a uniquely named module, importable from tests)."""

from __future__ import annotations

from pathlib import Path


def save_bpe_tokenizer(path: Path) -> str:
    """A tiny byte-level BPE tokenizer with the chatml markers, saved under ``path``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, show_progress=False,
                                  special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(["the film was great and dull, story about politics. Review sentiment"] * 20,
                                  trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|endoftext|>",
                                      eos_token="<|im_end|>", pad_token="<|endoftext|>")
    wrapped.save_pretrained(path)
    return str(path)
