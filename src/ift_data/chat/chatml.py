"""ChatML (OpenAI / Qwen style): ``<|im_start|>role\\n ... <|im_end|>``, turns joined by a newline."""

from ift_data.chat.format import ChatFormat, RoleMarkup

# Qwen2.5's added tokens (tokenizer_config.json ``added_tokens_decoder``, ids 151643-151664): ChatML's own
# markers, Qwen's EOS ``<|endoftext|>`` and the vision, tool-call and fill-in-the-middle tokens, all of
# which its tokenizer turns into single control tokens.
SPECIAL_TOKENS = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>",
    "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
)


def _role(name: str) -> RoleMarkup:
    return RoleMarkup(header=f"<|im_start|>{name}\n", end_of_turn="<|im_end|>", separator="\n")


FORMAT = ChatFormat(
    name="chatml",
    system=_role("system"),
    user=_role("user"),
    assistant=_role("assistant"),
    special_tokens=SPECIAL_TOKENS,
    description="ChatML; <|im_end|> ends each turn (and is the EOS of ChatML-tuned tokenizers).",
)
