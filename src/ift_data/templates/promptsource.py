"""Import promptsource (P3) ``templates.yaml`` files as ift-data template packs (``semantics: promptsource``).

promptsource files carry the custom YAML tags ``!Template`` and ``!TemplateMetadata``; they are read with
the config layer's safe loader, which turns exactly those two tags into plain mappings (any other tag,
e.g. ``!!python/object``, is an error, and alias expansion is bounded); imported bodies are later rendered
only in the sandbox (``promptsource_render``).

One pack per file. Each template keeps its whole ``jinja`` body (rendered once, then split on ``|||``), its
``answer_choices`` (a ``|||``-separated Jinja string; a list in older files is joined), its name and
promptsource id, and the metadata ``original_task``, ``choices_in_prompt``, ``metrics`` and ``languages``.
``original_task: false`` is kept as is; the template is ``variant: inverted`` only when the task is turned
around (``inverted_task``), else ``forward``. The pack's family is named from ``dataset`` and ``subset``
(``family_name``); its slots are the record fields its templates read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ift_data.config import load_yaml
from ift_data.errors import TemplateError
from ift_data.templates.pack import Template
from ift_data.templates.promptsource_render import make_env, static_problem, template_variables

PROMPTSOURCE_TAGS = ("!Template", "!TemplateMetadata")
FAMILY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
PROMPTSOURCE_FILE = "templates.yaml"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A template of the source that was not imported, and why."""

    key: str
    name: str
    reason: str


@dataclass(slots=True)
class FileImport:
    """What importing one ``templates.yaml`` gave: the pack (None when every template was skipped)."""

    path: Path
    family: str
    dataset: str
    subset: str
    total: int
    pack: dict[str, Any] | None
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.pack["templates"]) if self.pack else 0


def family_name(dataset: str, subset: str = "") -> str:
    """The family of a dataset/subset: lower case, ``/`` and other separators as ``-`` (``super_glue`` +
    ``rte`` -> ``super_glue-rte``, ``Zaid/coqa_expanded`` -> ``zaid-coqa_expanded``)."""
    raw = "-".join(p for p in (dataset, subset) if p)
    name = re.sub(r"[^a-z0-9_.]+", "-", raw.lower()).strip("-.")
    if not FAMILY_PATTERN.match(name):
        raise TemplateError(f"cannot name a family from dataset {dataset!r} and subset {subset!r}", field="dataset")
    return name


def check_family(name: str) -> str:
    """A family name given by hand: the same alphabet as ``family_name`` (no ``/`` in template ids)."""
    if not FAMILY_PATTERN.match(name):
        raise TemplateError(f"family {name!r} must be lower case letters, digits, '_', '.' and '-' "
                            "(it starts every template id)", field="family")
    return name


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48] or "template"


def _variables_of(env: Any, body: str | None) -> set[str]:
    if not body:
        return set()
    from jinja2 import meta

    return set(meta.find_undeclared_variables(env.parse(body))) - set(env.globals) - {"answer_choices"}


def inverted_task(prompt_fields: set[str], target_fields: set[str], forward_prompt: set[str],
                  forward_target: set[str]) -> bool:
    """True when a non-original template turns its dataset's task around: its target reads a field the
    original templates read in the prompt, and its prompt reads (shows, or branches on) a field they produce
    as the target (e.g. "write a question for this answer", "paraphrase this" under ``{% if label == 1 %}``).
    A non-original template that asks something else of the same input (a topic, a title) without the
    original target is not inverted. Fields per half: ``_parts_fields``."""
    return bool(target_fields & (forward_prompt - forward_target)) and bool(prompt_fields & forward_target)


_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_NAME = re.compile(r"(?<![\w.'\"])[A-Za-z_]\w*")


def _parts_fields(env: Any, jinja: str) -> tuple[set[str], set[str]]:
    """Fields read before and after the first ``|||`` of the source: the template's fields named inside the
    Jinja code of each half, tags included (a prompt that picks the shown answer by ``{% if label == 0 %}``
    conditions on the label); the halves need not parse on their own (a ``|||`` inside ``{% if %}``)."""
    whole = _variables_of(env, jinja)
    prompt, _, target = jinja.partition("|||")
    return tuple(  # type: ignore[return-value]
        {name for code in _CODE.findall(half) for name in _NAME.findall(code)} & whole for half in (prompt, target))


def import_promptsource(path: str | Path, family: str | None = None) -> FileImport:
    """Import one ``templates.yaml``; ``family`` defaults to ``family_name(dataset, subset)``."""
    path = Path(path)
    raw = load_yaml(path, error=TemplateError, tags=PROMPTSOURCE_TAGS)
    if not isinstance(raw, dict) or not isinstance(raw.get("templates"), dict):
        raise TemplateError("not a promptsource file: no `templates` mapping", file=str(path), field="templates")
    dataset = str(raw.get("dataset") or "")
    subset = str(raw.get("subset") or "")
    if not dataset:
        raise TemplateError("not a promptsource file: no `dataset`", file=str(path), field="dataset")
    family = check_family(family) if family else family_name(dataset, subset)
    env = make_env(tracked=False)
    result = FileImport(path, family, dataset, subset, len(raw["templates"]), None)
    kept: list[tuple[dict[str, Any], Template, set[str], set[str]]] = []
    used: set[str] = set()
    for key, item in raw["templates"].items():
        name = str(item.get("name") or key) if isinstance(item, dict) else str(key)
        if not isinstance(item, dict) or not isinstance(item.get("jinja"), str) or not item["jinja"].strip():
            result.skipped.append(Skipped(str(key), name, "no jinja body"))
            continue
        choices = item.get("answer_choices")
        if isinstance(choices, list):
            choices = " ||| ".join(str(c) for c in choices)
        if choices is not None and not isinstance(choices, str):
            result.skipped.append(Skipped(str(key), name, "answer_choices is neither a string nor a list"))
            continue
        metadata: dict[str, Any] = item["metadata"] if isinstance(item.get("metadata"), dict) else {}
        original = metadata.get("original_task", metadata.get("task_template", True)) is not False
        template_id = f"{family}-ps-{_slug(name)}"
        suffix = 2
        while template_id in used:
            template_id = f"{family}-ps-{_slug(name)}-{suffix}"
            suffix += 1
        probe = Template(id=template_id, family=family, variant="forward", input="", target="",
                         answer_choices=choices, jinja=item["jinja"])
        problem = static_problem(probe, env)
        if problem is not None:
            result.skipped.append(Skipped(str(key), name, problem))
            continue
        used.add(template_id)
        record: dict[str, Any] = {
            "id": template_id, "name": name, "promptsource_id": str(item.get("id") or key),
            "variant": "forward", "original_task": original,
            "choices_in_prompt": bool(metadata.get("choices_in_prompt") or False),
        }
        for meta_key in ("metrics", "languages"):
            values = metadata.get(meta_key)
            if isinstance(values, list) and values:
                record[meta_key] = [str(v) for v in values]
        if choices is not None:
            record["answer_choices"] = choices
        record["jinja"] = item["jinja"]
        prompt_fields, target_fields = _parts_fields(env, item["jinja"])
        kept.append((record, probe, prompt_fields, target_fields))
    forward_prompt: set[str] = set()
    forward_target: set[str] = set()
    for record, _, prompt_fields, target_fields in kept:
        if record["original_task"]:
            forward_prompt |= prompt_fields
            forward_target |= target_fields
    slots: set[str] = set()
    for record, probe, prompt_fields, target_fields in kept:
        if not record["original_task"] and inverted_task(prompt_fields, target_fields, forward_prompt,
                                                         forward_target):
            record["variant"] = "inverted"
        slots |= template_variables(probe, env)
    if kept:
        source = "/".join(p for p in (dataset, subset) if p)
        result.pack = {
            "family": family, "semantics": "promptsource", "dataset": dataset,
            **({"subset": subset} if subset else {}),
            "description": f"Imported from promptsource {source} ({path.name}).",
            "slots": sorted(slots), "templates": [record for record, *_ in kept],
        }
    return result


def find_files(root: str | Path) -> list[Path]:
    """The ``templates.yaml`` files under a folder (promptsource's ``dataset/[subset/]templates.yaml``
    layout, any depth), sorted; a file is itself."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise TemplateError("no such promptsource file or folder", file=str(root))
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        if PROMPTSOURCE_FILE in files:
            found.append(Path(folder) / PROMPTSOURCE_FILE)
    if not found:
        raise TemplateError(f"no {PROMPTSOURCE_FILE} under this folder", file=str(root))
    return sorted(found)


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, so imported bodies stay readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None  # (PyYAML falls back to quoting where a block cannot be exact)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def dump_pack(pack: dict[str, Any]) -> str:
    """The pack as YAML; bodies read back byte for byte (checked: else plain quoted strings are written)."""
    text = yaml.dump(pack, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=110)
    if yaml.safe_load(text) != pack:
        text = yaml.dump(pack, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=110)
    return text
