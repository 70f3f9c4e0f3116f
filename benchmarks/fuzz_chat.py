"""Atheris fuzz target for the chat formatter, the masking modes and the text exporters.

    python benchmarks/fuzz_chat.py --seconds 120

Random conversations (roles, segment kinds, system prompts, text laced with control-token pieces) in a
preset or a random custom format must either raise ``FormatError`` or format so that: the pieces join to
the text byte for byte, no data (message or system text) holds a control-token string of the format
and none forms where data meets markup,
every mask mode gives one label per piece and trains the final answer's stop marker, and every exporter
writes JSON-serializable rows. Anything else is a finding (saved as ``crash-*``). Needs ``pip install
atheris``; not part of the test suite.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from ift_data.chat import (
        MASK_MODES,
        PRESETS,
        ChatFormat,
        FormatError,
        RoleMarkup,
        apply_mask,
        format_example,
    )
    from ift_data.export import EXPORTERS
    from ift_data.export.base import ExportContext, Rendered
    from ift_data.schema import Example, Message, Provenance, Segment

PIECES = ["<|im_end|>", "<|endoftext|>", "<|eom_id|>", "<|python_tag|>", "<|reserved_special_token_7|>", "<unk>",
          "<s>", "</s>", "<|", "|>", "<", ">", "\n", "### Response:", "【BOT】", "\ufeff", "\u202e", "\x00", "é", " "]
KINDS = ("content", "boilerplate")
SOURCE = Provenance("ds", "sentiment", "t", "forward", 0, "train.jsonl:1")


def _text(fdp: atheris.FuzzedDataProvider) -> str:
    return "".join(PIECES[fdp.ConsumeIntInRange(0, len(PIECES) - 1)] if fdp.ConsumeBool()
                   else fdp.ConsumeUnicodeNoSurrogates(6) for _ in range(fdp.ConsumeIntInRange(0, 4)))


def _format(fdp: atheris.FuzzedDataProvider) -> ChatFormat:
    if fdp.ConsumeIntInRange(0, 3):
        return list(PRESETS.values())[fdp.ConsumeIntInRange(0, len(PRESETS) - 1)]

    def markup() -> RoleMarkup:
        return RoleMarkup(_text(fdp), _text(fdp), _text(fdp))

    specials = tuple(t for t in (_text(fdp) for _ in range(fdp.ConsumeIntInRange(0, 3))) if t)
    return ChatFormat("fuzzed", markup(), markup(), markup(), _text(fdp), _text(fdp),
                      _text(fdp) if fdp.ConsumeBool() else None, specials)


def _example(fdp: atheris.FuzzedDataProvider) -> Example:
    messages = []
    well_formed = fdp.ConsumeIntInRange(0, 3) > 0  # mostly alternating turns, so formatting gets far
    for index in range(fdp.ConsumeIntInRange(0, 5) * (2 if well_formed else 1)):
        role = (("user", "assistant")[index % 2] if well_formed
                else ("user", "assistant", "system")[fdp.ConsumeIntInRange(0, 2)])
        segments = tuple(Segment(_text(fdp), KINDS[fdp.ConsumeIntInRange(0, 1)], role)
                         for _ in range(fdp.ConsumeIntInRange(1, 3)))
        messages.append(Message(role, segments))  # type: ignore[arg-type]
    return Example("ex", SOURCE, tuple(messages), system=_text(fdp) if fdp.ConsumeBool() else None)


def _check_tokens_in_markup(pieces: Any, reserved: tuple[str, ...]) -> None:
    """Every occurrence of a reserved string in the text lies inside one run of markup pieces: none comes
    from data, alone or next to markup."""
    runs, offset = [], 0
    for piece in pieces:
        end = offset + len(piece.text)
        if piece.segment.kind == "special":
            if runs and runs[-1][1] == offset:
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((offset, end))
        offset = end
    text = "".join(p.text for p in pieces)
    for token in reserved:
        at = text.find(token)
        while at >= 0:
            assert any(lo <= at and at + len(token) <= hi for lo, hi in runs), (token, text)
            at = text.find(token, at + 1)


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    chat_format = _format(fdp)
    example = _example(fdp)
    system_prompt = _text(fdp) if fdp.ConsumeBool() else None
    try:
        formatted = format_example(example, chat_format, system_prompt)
    except FormatError as exc:
        assert exc.reason and len(exc.reason) < 2000, exc.reason
        return
    assert formatted.text == "".join(p.text for p in formatted.pieces)
    reserved = chat_format.reserved_strings()
    for message in formatted.messages:
        for token in reserved:
            assert token not in message.content, (token, message.content)
    assert formatted.messages[-1].role == "assistant"
    _check_tokens_in_markup(formatted.pieces, reserved)
    for mode in MASK_MODES:
        segments = apply_mask(formatted, mode)
        assert len(segments) == len(formatted.pieces)
        assert "".join(s.text for s in segments) == formatted.text
        stops = [s.label for s, p in zip(segments, formatted.pieces, strict=True)
                 if p.part == "eos" or (p.part == "end_of_turn" and p.turn == formatted.final_turn)]
        assert all(stops), (mode, stops)
        context = ExportContext("fuzz", mode, chat_format)
        item = Rendered(formatted, segments)
        for name, exporter in EXPORTERS.items():
            if name != "tokenized":
                for row in exporter.rows([item], context):
                    json.dumps(row, ensure_ascii=False)


def main() -> None:
    from fuzz_main import fuzz

    fuzz(one_input, (__doc__ or "").splitlines()[0])


if __name__ == "__main__":
    main()
