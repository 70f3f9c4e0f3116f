"""ShareGPT records for LLaMA-Factory: ``{"id", "conversations": [{"from": "human"|"gpt", "value"}],
"system"}``. The chat format is applied by LLaMA-Factory's ``template``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ift_data.export.base import ExportContext, Rendered, llamafactory_mask_limit

NAME = "sharegpt"
FROM = {"user": "human", "assistant": "gpt"}


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    for item in items:
        yield {
            "id": item.example.id,
            "conversations": [{"from": FROM[m.role], "value": m.content}
                              for _, m in item.plain_messages() if m.role != "system"],
            "system": item.system_text(),
        }


def dataset_info(file_name: str, context: ExportContext) -> dict[str, Any]:
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"},
    }


def notes(items: list[Rendered], context: ExportContext) -> list[str]:
    return ["sharegpt: LLaMA-Factory trains every gpt turn; set train_on_prompt for instruction modelling, "
            "mask_history for last-turn"]


def mask_limit(items: list[Rendered], context: ExportContext) -> str | None:
    """Why this file cannot carry the mask mode (None when it can): LLaMA-Factory's own settings decide."""
    return llamafactory_mask_limit(items, context)
