"""Plain role markers 【USER】 / 【BOT】 with LLaMA-style ``<s>`` / ``</s>`` strings; ``</s>`` ends every
bot turn (Vicuna style), so each trained answer learns to stop."""

from ift_data.chat.alpaca import SPECIAL_TOKENS
from ift_data.chat.format import ChatFormat, RoleMarkup

FORMAT = ChatFormat(
    name="plain",
    bos="<s>",
    system=RoleMarkup(header="【SYSTEM】", separator="\n"),
    user=RoleMarkup(header="【USER】", separator="\n"),
    assistant=RoleMarkup(header="【BOT】", end_of_turn="</s>", separator="\n"),
    special_tokens=SPECIAL_TOKENS,
    description="【USER】/【BOT】 markers, <s> once, </s> after every bot turn.",
)
