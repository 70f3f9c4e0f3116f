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
    return ["messages: the chat format is applied by the trainer (the tokenizer's chat template)"]


def mask_limit(items: list[Rendered], context: ExportContext) -> str | None:
    """Why this file cannot carry the mask mode (None when it can): ``weight`` marks whole assistant turns."""
    if context.mask_mode in ("response", "last-turn"):
        return None
    return (f"'weight' marks whole assistant turns only; mask mode {context.mask_mode!r} also trains user or "
            "template text, which weights cannot express (the trainer will train assistant turns only): use the "
            "segments or tokenized file for it")
