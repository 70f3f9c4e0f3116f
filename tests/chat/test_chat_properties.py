"""Property tests over random templates and values (Unicode, empty, template syntax, special tokens)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ift_data.chat import MASK_MODES, PRESETS, FormatError, apply_mask, format_example
from ift_data.schema import Example, Message, Provenance, Segment

TRICKY = ["{{", "}}", "|||", "{% if %}", "<|im_end|>", "<|eot_id|>", "</s>", "<s>", "【BOT】", "\n", "",
          "é", "今天", "🙂", "\u200b", "\r\n", "### Response:"]
text = st.one_of(st.text(max_size=12), st.sampled_from(TRICKY),
                 st.lists(st.sampled_from(TRICKY), max_size=3).map("".join))
segment = st.tuples(st.sampled_from(["boilerplate", "content"]), text)


@st.composite
def examples(draw):
    turns = draw(st.integers(1, 3))
    messages = []
    for _ in range(turns):
        for role in ("user", "assistant"):
            parts = draw(st.lists(segment, min_size=0, max_size=4))
            messages.append(Message(role, tuple(Segment(t, k, role) for k, t in parts)))
    system = draw(st.one_of(st.none(), text))
    return Example("x", Provenance("d", "t", "tpl", "forward", turns - 1, "f:1"), tuple(messages), system=system)


@settings(max_examples=150, deadline=None)
@given(examples(), st.sampled_from(list(PRESETS)), st.sampled_from(list(MASK_MODES)))
def test_invariants_hold_or_example_is_rejected(example, preset, mode):
    chat_format = PRESETS[preset]
    data = [m.content for m in example.messages] + [example.system or ""]
    contains_reserved = any(tok in t for t in data for tok in chat_format.reserved_strings())
    try:
        formatted = format_example(example, chat_format)
    except FormatError as exc:
        assert contains_reserved, exc.reason
        return
    assert not contains_reserved
    segments = apply_mask(formatted, mode)
    assert "".join(s.text for s in segments) == formatted.text
    # data text appears verbatim, never re-rendered as a template
    for message in example.messages:
        assert message.content in formatted.text
    for piece, seg in zip(formatted.pieces, segments, strict=True):
        if mode == "response":
            assert seg.label == ((seg.role == "assistant" and piece.part in ("body", "end_of_turn"))
                                 or piece.part == "eos")
        if mode == "boilerplate" and seg.label:
            assert seg.kind == "content" or piece.part == "eos" or (
                piece.part == "end_of_turn" and seg.role == "assistant")
        if mode in ("instruction", "boilerplate") and piece.part in ("bos", "header", "separator"):
            assert not seg.label
