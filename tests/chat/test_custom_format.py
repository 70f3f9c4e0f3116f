"""Custom chat formats from YAML: valid files load, unknown keys and bad types name file, line and field."""

from __future__ import annotations

import pytest

from ift_data.chat import apply_mask, format_example, get_chat_format
from ift_data.chat.custom import load_custom_format
from ift_data.errors import SpecError

VICUNA = """\
name: vicuna
bos: "<s>"
default_system_prompt: "A chat."
special_tokens: ["<s>", "</s>"]
roles:
  system: {separator: " "}
  user: {header: "USER: ", separator: " "}
  assistant: {header: "ASSISTANT: ", end_of_turn: "</s>"}
"""


def test_custom_format_loads_and_formats(tmp_path, example_factory):
    path = tmp_path / "vicuna.yaml"
    path.write_text(VICUNA, encoding="utf-8")
    chat_format = get_chat_format(str(path))
    assert chat_format.name == "vicuna" and chat_format.source == str(path)
    formatted = format_example(example_factory(value="ok"), chat_format)
    assert formatted.text == "<s>A chat. USER: Review: ok\nSentiment? ASSISTANT: Answer: positive</s>"
    trained = "".join(s.text for s in apply_mask(formatted, "response") if s.label)
    assert trained == "Answer: positive</s>"


@pytest.mark.parametrize(("text", "field", "line"), [
    (VICUNA + "hedaer: x\n", "hedaer", 9),
    (VICUNA.replace("{header: \"USER: \"", "{hedaer: \"USER: \""), "roles.user.hedaer", 7),
    (VICUNA.replace("  assistant:", "  bot:"), "roles.bot", 8),
    ("roles:\n  user: {header: 1}\n  assistant: {}\n", "roles.user.header", 2),
    ("bos: x\n", "roles", 1),
    ("roles:\n  user: {}\n", "roles", 1),
    (VICUNA.replace('["<s>", "</s>"]', '[""]'), "special_tokens", 4),
])
def test_bad_custom_formats_name_the_field(tmp_path, text, field, line):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_custom_format(path)
    assert info.value.field == field
    assert info.value.file == str(path)
    assert info.value.line == line
    assert str(path) in str(info.value)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(SpecError, match="cannot read"):
        load_custom_format(tmp_path / "none.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("roles: [\n", encoding="utf-8")
    with pytest.raises(SpecError, match="invalid YAML"):
        load_custom_format(broken)
