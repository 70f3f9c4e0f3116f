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
Read with the config layer's safe loader; unknown keys and wrong types are errors naming the file, line and
field, and an unknown key's message lists the valid ones.
"""

from __future__ import annotations

from pathlib import Path

from ift_data.chat.format import ChatFormat, RoleMarkup
from ift_data.config import Section, load_yaml
from ift_data.errors import SpecError

TOP_KEYS = ("name", "description", "bos", "eos", "default_system_prompt", "special_tokens", "roles")
ROLE_KEYS = ("header", "end_of_turn", "separator")
ROLES = ("system", "user", "assistant")


def load_custom_format(path: str | Path) -> ChatFormat:
    """Read and validate a custom chat format file."""
    path = Path(path)
    top = Section(load_yaml(path, error=SpecError), TOP_KEYS, file=str(path), required=("roles",))
    roles_section = top.section("roles", ROLES)
    roles: dict[str, RoleMarkup] = {}
    for role in ROLES:
        if role in roles_section:
            markup = roles_section.section(role, ROLE_KEYS)
            roles[role] = RoleMarkup(**{key: markup.text(key, "") or "" for key in ROLE_KEYS})
    for role in ("user", "assistant"):
        if role not in roles:
            raise roles_section.fail(f"role {role!r} is required")
    specials = top.names("special_tokens", one=False)
    return ChatFormat(
        name=top.text("name", "") or path.stem,
        description=top.text("description", "") or "",
        bos=top.text("bos", "") or "",
        eos=top.text("eos", "") or "",
        default_system_prompt=top.text("default_system_prompt") or None,
        special_tokens=specials,
        system=roles.get("system", RoleMarkup()),
        user=roles["user"],
        assistant=roles["assistant"],
        source=str(path),
    )
