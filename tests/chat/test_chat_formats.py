"""Every preset x every mask mode: the joined segments are the formatted text and labels follow the mode."""

from __future__ import annotations

import pytest

from ift_data.chat import MASK_MODES, PRESETS, FormatError, apply_mask, format_example, get_chat_format
from ift_data.errors import UserError

MODES = list(MASK_MODES)


def _labelled(formatted, mode):
    return list(zip(formatted.pieces, apply_mask(formatted, mode), strict=True))


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shots", [0, 2])
@pytest.mark.parametrize("system", [None, "Be brief."])
def test_joined_segments_equal_text(preset, mode, shots, system, example_factory):
    formatted = format_example(example_factory(shots=shots, system=system), PRESETS[preset])
    segments = apply_mask(formatted, mode)
    assert "".join(s.text for s in segments) == formatted.text
    assert all(s.text for s in segments)
    if system:
        assert system in formatted.text


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("shots", [0, 2])
def test_response_mode_labels_exactly_assistant_text_and_end_of_turn(preset, shots, example_factory):
    formatted = format_example(example_factory(shots=shots), PRESETS[preset])
    for piece, segment in _labelled(formatted, "response"):
        expected = (piece.segment.role == "assistant" and piece.part in ("body", "end_of_turn")) \
            or piece.part == "eos"
        assert segment.label == expected, (piece, segment)
    trained = "".join(s.text for s in apply_mask(formatted, "response") if s.label)
    stop = PRESETS[preset].assistant.end_of_turn
    answers = ["negative" + stop] * shots + ["Answer: positive" + stop + PRESETS[preset].eos]
    assert trained == "".join(answers)


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("shots", [0, 2])
def test_boilerplate_mode_trains_no_template_text_and_no_markup_but_the_stop(preset, shots, example_factory):
    formatted = format_example(example_factory(shots=shots, system="sys"), PRESETS[preset])
    for piece, segment in _labelled(formatted, "boilerplate"):
        if segment.kind == "boilerplate":
            assert not segment.label
        if segment.kind == "special" and segment.label:
            assert piece.part == "eos" or (piece.part == "end_of_turn" and segment.role == "assistant")
        if segment.kind == "content" and segment.role in ("user", "assistant"):
            assert segment.label


@pytest.mark.parametrize("preset", list(PRESETS))
def test_instruction_mode_trains_messages_but_not_markup_or_system(preset, example_factory):
    formatted = format_example(example_factory(shots=1, system="sys"), PRESETS[preset])
    for piece, segment in _labelled(formatted, "instruction"):
        if piece.part in ("bos", "header", "separator") or segment.role == "system":
            assert not segment.label
        elif piece.part == "body":
            assert segment.label
    # the stop marker trains; a user turn's end-of-turn does not
    stops = [(p.segment.role, s.label) for p, s in _labelled(formatted, "instruction")
             if p.part in ("end_of_turn", "eos")]
    assert all(label == (role == "assistant") for role, label in stops)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_last_turn_and_full(preset, example_factory):
    formatted = format_example(example_factory(shots=2), PRESETS[preset])
    last = [s for s in apply_mask(formatted, "last-turn") if s.label]
    assert "".join(s.text for s in last).startswith("Answer: positive")
    assert all(s.role == "assistant" for s in last)
    assert all(s.label for s in apply_mask(formatted, "full"))


def test_system_prompt_precedence(example_factory):
    chatml = PRESETS["chatml"]
    assert "<|im_start|>system\nopt<|im_end|>" in format_example(example_factory(), chatml, "opt").text
    own = format_example(example_factory(system="own"), chatml, "opt")
    assert "own" in own.text and "opt" not in own.text and own.explicit_system == "own"
    alpaca = PRESETS["alpaca"]
    default = format_example(example_factory(), alpaca)
    assert default.text.startswith("<s>Below is an instruction") and default.explicit_system is None
    assert format_example(example_factory(), alpaca, "Custom.").text.startswith("<s>Custom.\n\n### Instruction:\n")


def test_known_renderings(example_factory):
    example = example_factory(value="ok")
    assert format_example(example, PRESETS["chatml"]).text == (
        "<|im_start|>user\nReview: ok\nSentiment?<|im_end|>\n<|im_start|>assistant\nAnswer: positive<|im_end|>")
    assert format_example(example, PRESETS["llama3"]).text == (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nReview: ok\nSentiment?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nAnswer: positive<|eot_id|>")
    assert format_example(example, PRESETS["plain"]).text == "<s>【USER】Review: ok\nSentiment?\n【BOT】Answer: positive</s>"
    assert format_example(example, PRESETS["alpaca"]).text.endswith(
        "### Instruction:\nReview: ok\nSentiment?\n\n### Response:\nAnswer: positive</s>")


@pytest.mark.parametrize("preset", list(PRESETS))
def test_special_token_string_in_data_is_rejected(preset, example_factory):
    token = PRESETS[preset].reserved_strings()[0]
    with pytest.raises(FormatError, match="special-token string"):
        format_example(example_factory(value=f"evil {token} value"), PRESETS[preset])


def test_turn_order_is_checked(example_factory):
    example = example_factory()
    bad = type(example)(example.id, example.source, example.messages[:1])
    with pytest.raises(FormatError, match="last message"):
        format_example(bad, PRESETS["chatml"])
    swapped = type(example)(example.id, example.source, (example.messages[1], example.messages[0],
                                                         example.messages[1]))
    with pytest.raises(FormatError, match="alternating"):
        format_example(swapped, PRESETS["chatml"])


def test_unknown_preset_is_a_user_error():
    with pytest.raises(UserError, match="unknown chat format"):
        get_chat_format("vicuna")
