"""Llama 3 instruct: ``<|begin_of_text|>`` once, then ``<|start_header_id|>role<|end_header_id|>\\n\\n``
+ text + ``<|eot_id|>`` per turn. Unlike Meta's template, message text is not trimmed."""

from ift_data.chat.format import ChatFormat, RoleMarkup


def _role(name: str) -> RoleMarkup:
    return RoleMarkup(header=f"<|start_header_id|>{name}<|end_header_id|>\n\n", end_of_turn="<|eot_id|>")


FORMAT = ChatFormat(
    name="llama3",
    bos="<|begin_of_text|>",
    system=_role("system"),
    user=_role("user"),
    assistant=_role("assistant"),
    special_tokens=("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
                    "<|end_of_text|>"),
    description="Llama 3 instruct; <|eot_id|> ends each turn.",
)
