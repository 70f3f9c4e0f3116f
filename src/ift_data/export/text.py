"""One string per example (``{"id", "text"}``): the formatted conversation for full-sequence loss.

The leading BOS string is left out: string-based trainers add the tokenizer's BOS themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ift_data.export.base import ExportContext, Rendered

NAME = "text"


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    for item in items:
        yield {"id": item.example.id, "text": "".join(s.text for s in item.stripped_bos())}


def notes(items: list[Rendered], context: ExportContext) -> list[str]:
    return ["text: no masking; the whole sequence carries loss (BOS string left out, trainers add their own)"]


def mask_limit(items: list[Rendered], context: ExportContext) -> str | None:
    """Why this file cannot carry the mask mode (None when it can): one string, no labels."""
    if context.mask_mode == "full":
        return None
    return (f"one string per example, no labels: the whole sequence trains (mode 'full'), not mask mode "
            f"{context.mask_mode!r}: use the segments or tokenized file for it")
