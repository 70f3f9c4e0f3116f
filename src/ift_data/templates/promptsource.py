"""Import a promptsource (P3) ``templates.yaml`` as an ift-data template pack.

promptsource files carry the custom YAML tags ``!Template`` and ``!TemplateMetadata``; they are read with
the config layer's safe loader, which turns exactly those two tags into plain mappings (any other tag,
e.g. ``!!python/object``, is an error, and alias expansion is bounded), and the imported bodies are later rendered only in the sandbox.
``jinja: "input ||| target"`` is split on the first ``|||`` outside Jinja tags; ``answer_choices`` (a
``|||``-separated Jinja string, or a list in older files) is kept as the template's ``answer_choices``;
``metadata.original_task: false`` maps to the ``inverted`` variant. Slots are the variables the bodies
use (promptsource reads the dataset's own field names, so a task spec maps raw fields onto them 1:1).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError, meta

from ift_data.config import load_yaml
from ift_data.errors import TemplateError
from ift_data.templates.pack import BUILTIN_VARIABLES
from ift_data.templates.sandbox import LimitedSandbox

_JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


PROMPTSOURCE_TAGS = ("!Template", "!TemplateMetadata")


def split_jinja(source: str) -> tuple[str, str] | None:
    """(input, target) split on the first ``|||`` outside ``{{ }}``/``{% %}``; None when there is none."""
    masked = _JINJA_TAG.sub(lambda m: " " * len(m.group(0)), source)
    at = masked.find("|||")
    if at < 0:
        return None
    return source[:at].strip(), source[at + 3:].strip()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "template"


def import_promptsource(path: str | Path, family: str) -> tuple[dict[str, Any], list[str]]:
    """The pack (as a YAML-ready mapping) and notes on templates that could not be imported."""
    path = Path(path)
    raw = load_yaml(path, error=TemplateError, tags=PROMPTSOURCE_TAGS)
    if not isinstance(raw, dict) or not isinstance(raw.get("templates"), dict):
        raise TemplateError("not a promptsource file: no `templates` mapping", file=str(path), field="templates")
    env = LimitedSandbox()
    templates, notes, used, variables = [], [], set(), set()
    for key, item in raw["templates"].items():
        if not isinstance(item, dict) or not isinstance(item.get("jinja"), str):
            notes.append(f"{key}: skipped (no jinja body)")
            continue
        parts = split_jinja(item["jinja"])
        if parts is None or not parts[0] or not parts[1]:
            notes.append(f"{key}: skipped (no `input ||| target` split)")
            continue
        choices = item.get("answer_choices")
        if isinstance(choices, list):
            choices = " ||| ".join(str(c) for c in choices)
        bodies = [parts[0], parts[1], *([choices] if isinstance(choices, str) else [])]
        try:
            for body in bodies:
                variables |= meta.find_undeclared_variables(env.parse(body))
        except TemplateSyntaxError as exc:
            notes.append(f"{key}: skipped (Jinja syntax error: {exc.message})")
            continue
        metadata: dict[str, Any] = item["metadata"] if isinstance(item.get("metadata"), dict) else {}
        original = metadata.get("original_task", metadata.get("task_template", True)) is not False
        template_id = f"{family}-ps-{_slug(str(item.get('name') or key))}"
        while template_id in used:
            template_id += "-b"
        used.add(template_id)
        record: dict[str, Any] = {
            "id": template_id, "variant": "forward" if original else "inverted", "original_task": original,
            "choices_in_prompt": bool(metadata.get("choices_in_prompt", False)),
            "description": f"promptsource {item.get('id', key)}: {item.get('name', '')}".strip(),
            "input": parts[0], "target": parts[1],
        }
        if isinstance(choices, str) and choices.strip():
            record["answer_choices"] = choices
        templates.append(record)
    if not templates:
        raise TemplateError("no importable template in this file", file=str(path), field="templates")
    source = "/".join(str(raw[k]) for k in ("dataset", "subset") if raw.get(k))
    pack = {"family": family, "description": f"Imported from promptsource {source} ({path.name}).",
            "slots": sorted(variables - BUILTIN_VARIABLES), "templates": templates}
    return pack, notes


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, so imported bodies stay readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def dump_pack(pack: dict[str, Any]) -> str:
    return yaml.dump(pack, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=110)
