"""The classic Stanford Alpaca wrapper.

The preamble "Below is an instruction ..." is this format's *default system prompt*: fixed text of
kind ``boilerplate`` with role ``system``, so every mode but ``full`` masks it, and ``--system-prompt``
(or an example's own system text) replaces it. ``### Instruction:`` / ``### Response:`` are role headers
(``special``). Few-shot exemplar turns become repeated Instruction/Response blocks; ``</s>`` once at the end.
"""

from ift_data.chat.format import ChatFormat, RoleMarkup

# LLaMA 1/2 sentencepiece control tokens (tokenizer_config.json ids 0-2).
SPECIAL_TOKENS = ("<unk>", "<s>", "</s>")

PREAMBLE = ("Below is an instruction that describes a task. "
            "Write a response that appropriately completes the request.")

FORMAT = ChatFormat(
    name="alpaca",
    bos="<s>",
    eos="</s>",
    system=RoleMarkup(separator="\n\n"),
    user=RoleMarkup(header="### Instruction:\n", separator="\n\n"),
    assistant=RoleMarkup(header="### Response:\n", separator="\n\n"),
    default_system_prompt=PREAMBLE,
    special_tokens=SPECIAL_TOKENS,
    description="Stanford Alpaca prompt; the preamble is the default system prompt.",
)
