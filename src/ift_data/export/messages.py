"""OpenAI-style chat records for TRL (conversational language modelling) and Axolotl ``chat_template``:
``{"id", "messages": [{"role", "content"}, ...]}`` with ``"weight": 0|1`` on every assistant message
(1 when the mask mode trains that turn). The trainer applies the model's chat template."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ift_data.export.base import ExportContext, Rendered

NAME = "messages"


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    for item in items:
        messages = []
        for turn, message in item.plain_messages():
            record: dict[str, Any] = {"role": message.role, "content": message.content}
            if message.role == "assistant":
                record["weight"] = 1 if item.turn_labelled(turn) else 0
            messages.append(record)
        yield {"id": item.example.id, "messages": messages}


def notes(items: list[Rendered], context: ExportContext) -> list[str]:
    out = ["messages: the chat format is applied by the trainer (the tokenizer's chat template)"]
    if context.mask_mode in ("instruction", "boilerplate", "full"):
        out.append(f"messages: 'weight' marks assistant turns only; mask mode {context.mask_mode!r} also trains "
                   "user text, which weights cannot express: use the segments or tokenized file")
    return out
