"""ChatML (OpenAI / Qwen style): ``<|im_start|>role\\n ... <|im_end|>``, turns joined by a newline."""

from ift_data.chat.format import ChatFormat, RoleMarkup


def _role(name: str) -> RoleMarkup:
    return RoleMarkup(header=f"<|im_start|>{name}\n", end_of_turn="<|im_end|>", separator="\n")


FORMAT = ChatFormat(
    name="chatml",
    system=_role("system"),
    user=_role("user"),
    assistant=_role("assistant"),
    special_tokens=("<|im_start|>", "<|im_end|>"),
    description="ChatML; <|im_end|> ends each turn (and is the EOS of ChatML-tuned tokenizers).",
)
