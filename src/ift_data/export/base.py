"""What every exporter shares: the rendered (formatted + masked) example and the exporter contract.

An exporter is one module with ``NAME`` and ``rows(items, context) -> Iterator[dict]``; it may add
``notes(items, context) -> list[str]`` (how a trainer reads the file),
``mask_limit(items, context) -> str | None`` (why the file cannot carry the mask mode; absent: it carries
every mode) and ``dataset_info(file_name, context) -> dict`` (a LLaMA-Factory ``dataset_info.json`` entry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ift_data.chat.format import ChatFormat, FormattedExample
from ift_data.schema import Example, Message, Segment


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One tokenized example, compact (int32 arrays, the attention mask implied): a Python list of ints costs
    about ten times the memory, and a build holds every written example until its files are written."""

    input_ids: np.ndarray
    labels: np.ndarray

    def to_json(self) -> dict[str, list[int]]:
        """The record written to ``tokenized.jsonl``: input_ids, attention_mask (all 1), labels."""
        return {"input_ids": self.input_ids.tolist(), "attention_mask": [1] * len(self.input_ids),
                "labels": self.labels.tolist()}


@dataclass(frozen=True, slots=True)
class Rendered:
    """An example in the chat format with its loss labels; ``tokens`` is set when a tokenizer is used."""

    formatted: FormattedExample
    segments: tuple[Segment, ...]
    tokens: TokenRow | None = None

    @property
    def example(self) -> Example:
        return self.formatted.example

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    def stripped_bos(self) -> tuple[Segment, ...]:
        """Segments without the leading BOS string: string-based trainers (TRL) tokenize with the
        tokenizer's own BOS, so keeping ours would double it."""
        pieces = self.formatted.pieces
        return self.segments[1:] if pieces and pieces[0].part == "bos" else self.segments

    def turn_labelled(self, turn: int) -> bool:
        """Whether any body / end-of-turn / EOS piece of message ``turn`` carries loss."""
        return any(seg.label for piece, seg in zip(self.formatted.pieces, self.segments, strict=True)
                   if piece.turn == turn and piece.part in ("body", "end_of_turn", "eos"))

    def plain_messages(self, explicit_system_only: bool = True) -> list[tuple[int, Message]]:
        """(turn, message) pairs; with ``explicit_system_only`` a system message from the chat format's
        default prompt is left out (it belongs to the format, and trainers apply their own template)."""
        out = []
        for turn, message in enumerate(self.formatted.messages):
            if message.role == "system" and explicit_system_only and self.formatted.explicit_system is None:
                continue
            out.append((turn, message))
        return out

    def system_text(self) -> str:
        """The explicit system prompt ("" when none)."""
        for _, message in self.plain_messages():
            if message.role == "system":
                return message.content
        return ""


@dataclass
class ExportContext:
    """What exporters may read besides the rows: the options, the chat format, the dataset name."""

    name: str
    mask_mode: str
    chat_format: ChatFormat
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def multi_turn(items: list[Rendered]) -> bool:
    return any(sum(m.role == "assistant" for m in r.formatted.messages) > 1 for r in items)


def llamafactory_mask_limit(items: list[Rendered], context: ExportContext) -> str | None:
    """LLaMA-Factory records carry no labels: by default it trains every answer (``response``); its
    ``mask_history`` trains the last one (``last-turn``, the same thing for single-turn data)."""
    mode = context.mask_mode
    if mode == "response" or (mode == "last-turn" and not multi_turn(items)):
        return None
    if mode == "last-turn":
        return ("the records carry no labels; LLaMA-Factory trains every answer unless you set mask_history: true "
                "(mask mode 'last-turn')")
    return (f"the records carry no labels; LLaMA-Factory trains the answers only, not mask mode {mode!r} "
            "(train_on_prompt: true trains the whole prompt, close to 'full'): use the segments or tokenized "
            "file for it")
