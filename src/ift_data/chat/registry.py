"""Chat format presets by name, and lookup of a preset or a custom YAML file.

Adding a preset: write ``chat/<name>.py`` defining ``FORMAT`` and add it to ``PRESETS``.
"""

from __future__ import annotations

from pathlib import Path

from ift_data.chat import alpaca, chatml, llama3, plain
from ift_data.chat.format import ChatFormat
from ift_data.errors import UserError

PRESETS: dict[str, ChatFormat] = {f.name: f for f in (chatml.FORMAT, llama3.FORMAT, alpaca.FORMAT, plain.FORMAT)}


def get_chat_format(name_or_path: str) -> ChatFormat:
    """A preset by name, or a custom format read from a YAML file path."""
    if name_or_path in PRESETS:
        return PRESETS[name_or_path]
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        from ift_data.chat.custom import load_custom_format

        return load_custom_format(path)
    raise UserError(f"unknown chat format {name_or_path!r}; use one of {', '.join(sorted(PRESETS))} "
                    "or the path of a custom YAML format", field="chat_format")
