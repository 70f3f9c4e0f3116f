"""A user-defined chat format from YAML (``--chat-format my_format.yaml``).

```yaml
name: vicuna                      # optional, default: file stem
description: Vicuna v1.1          # optional
bos: "<s>"                        # optional, default ""
eos: ""                           # optional: once after the final assistant turn
default_system_prompt: "A chat between a curious user and an assistant."   # optional
special_tokens: ["<s>", "</s>"]   # optional: control-token strings data may not contain (bos/eos added)
roles:                            # user and assistant required; system optional
  system:    {header: "", end_of_turn: "", separator: " "}
  user:      {header: "USER: ", separator: " "}
  assistant: {header: "ASSISTANT: ", end_of_turn: "</s>", separator: ""}
```
Read with ``yaml.safe_load``; unknown keys and wrong types are errors naming the file, line and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ift_data.chat.format import ChatFormat, RoleMarkup
from ift_data.errors import SpecError
from ift_data.templates.pack import UniqueKeyLoader

TOP_KEYS = {"name", "description", "bos", "eos", "default_system_prompt", "special_tokens", "roles"}
ROLE_KEYS = {"header", "end_of_turn", "separator"}


def _line_of(text: str, keys: tuple[str, ...]) -> int | None:
    """1-based line of the mapping key at ``keys`` in the YAML text, when it can be found."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return line
        for key_node, value_node in node.value:
            if key_node.value == key:
                line, node = key_node.start_mark.line + 1, value_node
                break
        else:
            return line
    return line


def load_custom_format(path: str | Path) -> ChatFormat:
    """Read and validate a custom chat format file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from exc
    except OSError as exc:
        raise SpecError(f"cannot read chat format: {exc.strerror or exc}", file=str(path)) from exc
    try:
        data = yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader that refuses duplicate keys
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(f"invalid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                        line=mark.line + 1 if mark else None) from exc

    def fail(message: str, *keys: str) -> SpecError:
        return SpecError(message, file=str(path), line=_line_of(text, keys), field=".".join(keys) or None)

    if not isinstance(data, dict):
        raise fail("a chat format file must be a mapping")
    for key in sorted(set(data) - TOP_KEYS, key=str):
        raise fail(f"unknown key (allowed: {', '.join(sorted(TOP_KEYS))})", str(key))

    def string(value: Any, *keys: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise fail(f"must be a string, got {type(value).__name__}", *keys)
        return value

    roles_data = data.get("roles")
    if not isinstance(roles_data, dict):
        raise fail("'roles' is required: a mapping with 'user' and 'assistant'", "roles")
    roles: dict[str, RoleMarkup] = {}
    for role, markup in roles_data.items():
        if role not in ("system", "user", "assistant"):
            raise fail("unknown role (allowed: system, user, assistant)", "roles", str(role))
        if not isinstance(markup, dict):
            raise fail("must be a mapping of header / end_of_turn / separator", "roles", role)
        for key in sorted(set(markup) - ROLE_KEYS, key=str):
            raise fail(f"unknown key (allowed: {', '.join(sorted(ROLE_KEYS))})", "roles", role, str(key))
        roles[role] = RoleMarkup(**{k: string(markup.get(k), "roles", role, k) for k in ROLE_KEYS})
    for role in ("user", "assistant"):
        if role not in roles:
            raise fail(f"role '{role}' is required", "roles")

    specials = data.get("special_tokens") or []
    if not isinstance(specials, list) or not all(isinstance(s, str) and s for s in specials):
        raise fail("must be a list of non-empty strings", "special_tokens")
    system_prompt = data.get("default_system_prompt")
    return ChatFormat(
        name=string(data.get("name"), "name") or path.stem,
        description=string(data.get("description"), "description"),
        bos=string(data.get("bos"), "bos"),
        eos=string(data.get("eos"), "eos"),
        default_system_prompt=string(system_prompt, "default_system_prompt") if system_prompt else None,
        special_tokens=tuple(specials),
        system=roles.get("system", RoleMarkup()),
        user=roles["user"],
        assistant=roles["assistant"],
        source=str(path),
    )
