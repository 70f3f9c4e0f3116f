"""TRL standard prompt-completion records ``{"id", "prompt", "completion"}`` in the chosen chat format.

``prompt`` is the formatted conversation up to the final assistant text (BOS string left out: TRL adds
the tokenizer's), ``completion`` the final assistant text with its end-of-turn / EOS. With TRL's
``completion_only_loss`` (its default for this type) exactly the completion trains: the ``last-turn``
mode, for any tokenizer, with no chat template needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ift_data.export.base import ExportContext, Rendered, multi_turn

NAME = "prompt_completion"


def split(item: Rendered) -> tuple[str, str]:
    """(prompt, completion): the completion starts at the final assistant message's first body piece."""
    final = item.formatted.final_turn
    pieces = item.formatted.pieces
    start = next((i for i, p in enumerate(pieces) if p.turn == final and p.part in ("body", "end_of_turn", "eos")),
                 len(pieces))
    first = 1 if pieces and pieces[0].part == "bos" else 0
    prompt = "".join(p.text for p in pieces[first:start])
    return prompt, "".join(p.text for p in pieces[start:])


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    for item in items:
        prompt, completion = split(item)
        yield {"id": item.example.id, "prompt": prompt, "completion": completion}


def mask_limit(items: list[Rendered], context: ExportContext) -> str | None:
    """Why this file cannot carry the mask mode (None when it can): only the completion trains."""
    if context.mask_mode == "last-turn" or (context.mask_mode == "response" and not multi_turn(items)):
        return None
    what = "multi-turn examples' earlier answers" if context.mask_mode == "response" else "user or template text"
    return (f"completion-only loss trains the final answer only (last-turn); mask mode {context.mask_mode!r} "
            f"also trains {what}, which this file cannot express: use the segments or tokenized file for it")
