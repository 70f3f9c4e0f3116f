"""Alpaca records for LLaMA-Factory: ``instruction`` (the final user message), ``input`` (""),
``output`` (the final answer), ``system`` (explicit system prompt or ""), ``history`` ([user, answer]
pairs of few-shot exemplar turns). The chat format is applied by LLaMA-Factory's ``template``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ift_data.export.base import ExportContext, Rendered, llamafactory_mask_limit

NAME = "alpaca"


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    for item in items:
        turns = [m for _, m in item.plain_messages() if m.role != "system"]
        history = [[turns[i].content, turns[i + 1].content] for i in range(0, len(turns) - 2, 2)]
        yield {
            "id": item.example.id,
            "instruction": turns[-2].content if len(turns) >= 2 else "",
            "input": "",
            "output": turns[-1].content,
            "system": item.system_text(),
            "history": history,
        }


def dataset_info(file_name: str, context: ExportContext) -> dict[str, Any]:
    return {
        "file_name": file_name,
        "columns": {"prompt": "instruction", "query": "input", "response": "output", "system": "system",
                    "history": "history"},
    }


def notes(items: list[Rendered], context: ExportContext) -> list[str]:
    return ["alpaca: LLaMA-Factory trains the responses (history answers included); set train_on_prompt "
            "for instruction modelling, mask_history for last-turn"]


def mask_limit(items: list[Rendered], context: ExportContext) -> str | None:
    """Why this file cannot carry the mask mode (None when it can): LLaMA-Factory's own settings decide."""
    return llamafactory_mask_limit(items, context)
