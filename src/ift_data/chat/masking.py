"""Loss-masking modes: which pieces of a formatted example carry loss (``Segment.label``).

Each mode is a predicate over a piece's part, kind, role and turn (see ``chat.format``):

- ``response`` (default): assistant message text + the assistant's end-of-turn / EOS.
- ``instruction`` (instruction modelling, arXiv 2405.14394): user and assistant message text
  (template boilerplate included) + the assistant's end-of-turn / EOS; system prompt, role headers,
  separators and BOS stay masked.
- ``boilerplate``: as ``instruction`` but every template ``boilerplate`` segment is masked too: only
  data-derived ``content`` trains, plus the assistant's end-of-turn / EOS so the model learns to stop.
- ``last-turn``: only the final assistant message + its end-of-turn / EOS (multi-turn few-shot).
- ``full``: everything, BOS included (for comparison).

End-of-turn / EOS is trained in every mode: a model that never gets loss on it never learns to stop.
"""

from __future__ import annotations

from collections.abc import Callable

from ift_data.chat.format import FormattedExample, Piece
from ift_data.errors import UserError
from ift_data.schema import Segment

DEFAULT_MASK_MODE = "response"


def _stop(piece: Piece) -> bool:
    return piece.part == "eos" or (piece.part == "end_of_turn" and piece.segment.role == "assistant")


def _response(piece: Piece, final_turn: int) -> bool:
    return _stop(piece) or (piece.part == "body" and piece.segment.role == "assistant")


def _instruction(piece: Piece, final_turn: int) -> bool:
    return _stop(piece) or (piece.part == "body" and piece.segment.role in ("user", "assistant"))


def _boilerplate(piece: Piece, final_turn: int) -> bool:
    return _stop(piece) or (piece.part == "body" and piece.segment.role in ("user", "assistant")
                            and piece.segment.kind == "content")


def _last_turn(piece: Piece, final_turn: int) -> bool:
    return piece.part == "eos" or (piece.turn == final_turn and piece.part in ("body", "end_of_turn"))


def _full(piece: Piece, final_turn: int) -> bool:
    return True


MASK_MODES: dict[str, Callable[[Piece, int], bool]] = {
    "response": _response,
    "instruction": _instruction,
    "boilerplate": _boilerplate,
    "last-turn": _last_turn,
    "full": _full,
}


def check_mask_mode(mode: str) -> str:
    if mode not in MASK_MODES:
        raise UserError(f"unknown mask mode {mode!r}; use one of {', '.join(MASK_MODES)}", field="mask_mode")
    return mode


def label_pieces(formatted: FormattedExample, mode: str) -> tuple[bool, ...]:
    """One loss flag per piece of ``formatted`` under ``mode``."""
    rule = MASK_MODES[check_mask_mode(mode)]
    return tuple(rule(piece, formatted.final_turn) for piece in formatted.pieces)


def apply_mask(formatted: FormattedExample, mode: str) -> tuple[Segment, ...]:
    """The formatted example's segments with ``label`` set by ``mode`` (a piece's own segment where its label
    is already that one: segments are immutable)."""
    rule = MASK_MODES[check_mask_mode(mode)]
    final_turn = formatted.final_turn
    out = []
    for piece in formatted.pieces:
        segment = piece.segment
        label = rule(piece, final_turn)
        out.append(segment if segment.label is label else Segment(segment.text, segment.kind, segment.role, label))
    return tuple(out)


def char_labels(segments: tuple[Segment, ...]) -> list[bool]:
    """Per-character loss flags of the joined text (used to map labels onto tokens)."""
    flags: list[bool] = []
    for segment in segments:
        flags.extend([segment.label] * len(segment.text))
    return flags
