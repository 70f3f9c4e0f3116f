"""Llama 3 instruct: ``<|begin_of_text|>`` once, then ``<|start_header_id|>role<|end_header_id|>\\n\\n``
+ text + ``<|eot_id|>`` per turn. Unlike Meta's template, message text is not trimmed."""

from ift_data.chat.format import ChatFormat, RoleMarkup

# Llama 3.1's 256 special tokens (tokenizer_config.json, ids 128000-128255): the named ones and
# ``<|reserved_special_token_0..247|>``; 248-250 are Llama 3.0's numbering of the slots 3.1 renamed.
SPECIAL_TOKENS = (
    "<|begin_of_text|>", "<|end_of_text|>", "<|finetune_right_pad_id|>", "<|start_header_id|>", "<|end_header_id|>",
    "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
    *(f"<|reserved_special_token_{i}|>" for i in range(251)),
)


def _role(name: str) -> RoleMarkup:
    return RoleMarkup(header=f"<|start_header_id|>{name}<|end_header_id|>\n\n", end_of_turn="<|eot_id|>")


FORMAT = ChatFormat(
    name="llama3",
    bos="<|begin_of_text|>",
    system=_role("system"),
    user=_role("user"),
    assistant=_role("assistant"),
    special_tokens=SPECIAL_TOKENS,
    description="Llama 3 instruct; <|eot_id|> ends each turn.",
)
