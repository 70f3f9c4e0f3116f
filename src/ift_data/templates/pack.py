"""Template pack files (one YAML file per task family) loaded into frozen dataclasses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ift_data.errors import TemplateError
from ift_data.schema import TemplateVariant

PACK_KEYS = {"family", "description", "slots", "optional_slots", "templates"}
TEMPLATE_KEYS = {
    "id", "variant", "original_task", "choices_in_prompt", "verbalizer", "answer_choices",
    "input", "target", "metrics", "description",
}
REQUIRED_TEMPLATE_KEYS = ("id", "variant", "input", "target")
# Variables every template may use besides its family's slots.
BUILTIN_VARIABLES = frozenset({"label_names", "answer_choices", "answer", "options"})


@dataclass(frozen=True, slots=True)
class Template:
    """One prompt template: Jinja bodies for the user input and the assistant target."""

    id: str
    family: str
    variant: TemplateVariant
    input: str
    target: str
    original_task: bool = True
    choices_in_prompt: bool = False
    verbalizer: tuple[tuple[str, str], ...] | None = None
    answer_choices: str | None = None
    source: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class TemplatePack:
    """A family's templates and the slots its task specs must provide."""

    family: str
    description: str
    slots: tuple[str, ...]
    optional_slots: tuple[str, ...]
    templates: tuple[Template, ...]
    path: str

    @property
    def forward(self) -> tuple[Template, ...]:
        return tuple(t for t in self.templates if t.variant == "forward")

    @property
    def inverted(self) -> tuple[Template, ...]:
        return tuple(t for t in self.templates if t.variant == "inverted")

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(self.slots) | frozenset(self.optional_slots) | BUILTIN_VARIABLES


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of each mapping (for error messages)."""


class UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _check_unique(node: yaml.MappingNode) -> None:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = (key_node.tag, key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
        if key is None:
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key_node.value!r} in one mapping", key_node.start_mark)
        seen.add(key)


def _construct_unique(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    _check_unique(node)
    return loader.construct_mapping(node, deep=True)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    _check_unique(node)
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, error: type[Exception] = TemplateError) -> Any:
    """Read YAML with a safe loader; a syntax error or a tag names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read: {exc}", file=str(path)) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"invalid YAML: {problem}", file=str(path), line=line) from exc


def _string_list(value: Any, path: Path, line: int | None, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TemplateError("must be a list of names", file=str(path), line=line, field=field)
    return tuple(value)


def _template(raw: Any, family: str, path: Path, index: int) -> Template:
    if not isinstance(raw, dict):
        raise TemplateError("each template must be a mapping", file=str(path), field=f"templates[{index}]")
    line = raw.pop("__line__", None)
    unknown = set(raw) - TEMPLATE_KEYS
    if unknown:
        raise TemplateError(f"unknown key(s) {sorted(unknown)}", file=str(path), line=line,
                            field=f"templates[{index}]")
    for key in REQUIRED_TEMPLATE_KEYS:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise TemplateError("missing or not a non-empty string", file=str(path), line=line,
                                field=f"templates[{index}].{key}")
    if raw["variant"] not in ("forward", "inverted"):
        raise TemplateError(f"variant must be forward or inverted, not {raw['variant']!r}", file=str(path),
                            line=line, field=f"templates[{index}].variant")
    verbalizer = raw.get("verbalizer")
    if verbalizer is not None:
        verbalizer.pop("__line__", None) if isinstance(verbalizer, dict) else None
        if not isinstance(verbalizer, dict) or not all(isinstance(v, str) for v in verbalizer.values()):
            raise TemplateError("verbalizer must map label names to strings", file=str(path), line=line,
                                field=f"templates[{index}].verbalizer")
        verbalizer = tuple((str(k), v) for k, v in verbalizer.items())
    for key in ("original_task", "choices_in_prompt"):
        if key in raw and not isinstance(raw[key], bool):
            raise TemplateError(f"must be true or false, not {raw[key]!r}", file=str(path), line=line,
                                field=f"templates[{index}].{key}")
    answer_choices = raw.get("answer_choices")
    if answer_choices is not None and not isinstance(answer_choices, str):
        raise TemplateError("answer_choices must be a Jinja expression string", file=str(path), line=line,
                            field=f"templates[{index}].answer_choices")
    return Template(
        id=raw["id"], family=family, variant=raw["variant"], input=raw["input"], target=raw["target"],
        original_task=bool(raw.get("original_task", raw["variant"] == "forward")),
        choices_in_prompt=bool(raw.get("choices_in_prompt", False)),
        verbalizer=verbalizer, answer_choices=answer_choices, source=str(path), line=line,
    )


def load_pack(path: str | Path) -> TemplatePack:
    """Load one pack file; structural problems raise ``TemplateError`` naming file, line and field."""
    path = Path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise TemplateError("a template pack must be a mapping", file=str(path))
    line = raw.pop("__line__", None)
    unknown = set(raw) - PACK_KEYS
    if unknown:
        raise TemplateError(f"unknown key(s) {sorted(unknown)}", file=str(path), line=line)
    family = raw.get("family")
    if not isinstance(family, str) or not family:
        raise TemplateError("missing family name", file=str(path), line=line, field="family")
    templates = raw.get("templates")
    if not isinstance(templates, list) or not templates:
        raise TemplateError("a pack needs a non-empty list of templates", file=str(path), field="templates")
    return TemplatePack(
        family=family,
        description=str(raw.get("description", "")),
        slots=_string_list(raw.get("slots"), path, line, "slots"),
        optional_slots=_string_list(raw.get("optional_slots"), path, line, "optional_slots"),
        templates=tuple(_template(t, family, path, i) for i, t in enumerate(templates)),
        path=str(path),
    )


def pack_files(locations: Iterable[str | Path]) -> list[Path]:
    """The pack files under the given files or folders, sorted for determinism."""
    files: list[Path] = []
    for location in locations:
        location = Path(location)
        if location.is_dir():
            files.extend(sorted(p for p in location.glob("*.yaml") if p.is_file()))
        elif location.is_file():
            files.append(location)
        else:
            raise TemplateError("no such template file or folder", file=str(location))
    return files


def check_unique_ids(packs: dict[str, TemplatePack]) -> None:
    """Template ids name a template in provenance and manifests: two templates with one id is an error
    for a build (``templates lint`` reports it as a finding instead)."""
    ids: dict[str, str] = {}
    for pack in packs.values():
        for template in pack.templates:
            if template.id in ids:
                raise TemplateError(f"template id {template.id!r} is used twice (also in {ids[template.id]})",
                                    file=pack.path, line=template.line, field="id")
            ids[template.id] = pack.path


def load_packs(locations: Iterable[str | Path]) -> dict[str, TemplatePack]:
    """Load every pack, keyed by family; two packs for one family is an error."""
    packs: dict[str, TemplatePack] = {}
    for file in pack_files(locations):
        pack = load_pack(file)
        if pack.family in packs:
            raise TemplateError(f"family {pack.family!r} is also defined in {packs[pack.family].path}",
                                file=str(file), field="family")
        packs[pack.family] = pack
    return packs
