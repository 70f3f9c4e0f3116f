"""Template pack files (one YAML file per task family) loaded into frozen dataclasses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ift_data.config import Section, load_yaml_hashed
from ift_data.errors import TemplateError
from ift_data.schema import TemplateVariant

PACK_KEYS = ("family", "description", "slots", "optional_slots", "templates")
TEMPLATE_KEYS = (
    "id", "variant", "original_task", "choices_in_prompt", "verbalizer", "answer_choices",
    "input", "target", "metrics", "description",
)
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
    sha256: str = ""  # of the pack file's bytes, as read

    @property
    def forward(self) -> tuple[Template, ...]:
        return tuple(t for t in self.templates if t.variant == "forward")

    @property
    def inverted(self) -> tuple[Template, ...]:
        return tuple(t for t in self.templates if t.variant == "inverted")

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(self.slots) | frozenset(self.optional_slots) | BUILTIN_VARIABLES


def _template(raw: Any, family: str, pack: Section, field: str, line: int | None) -> Template:
    section = pack.nested(raw, TEMPLATE_KEYS, field, line=line, required=REQUIRED_TEMPLATE_KEYS)
    for key in REQUIRED_TEMPLATE_KEYS:
        section.text(key, nonempty=True)
    variant = cast(TemplateVariant, section.choice("variant", ("forward", "inverted"), "forward"))
    verbalizer = section.get("verbalizer")
    if verbalizer is not None:
        if not isinstance(verbalizer, dict) or not all(isinstance(v, str) for v in verbalizer.values()):
            raise section.fail("verbalizer must map label names to strings", "verbalizer")
        verbalizer = tuple((str(k), v) for k, v in verbalizer.items())
    answer_choices = section.get("answer_choices")
    if answer_choices is not None and not isinstance(answer_choices, str):
        raise section.fail("answer_choices must be a Jinja expression string", "answer_choices")
    return Template(
        id=section.get("id"), family=family, variant=variant, input=section.get("input"),
        target=section.get("target"),
        original_task=section.flag("original_task", variant == "forward"),
        choices_in_prompt=section.flag("choices_in_prompt", False),
        verbalizer=verbalizer, answer_choices=answer_choices, source=pack.file, line=section.line,
    )


def load_pack(path: str | Path) -> TemplatePack:
    """Load one pack file; structural problems raise ``TemplateError`` naming file, line and field."""
    path = Path(path)
    doc, sha256 = load_yaml_hashed(path, error=TemplateError)
    pack = Section(doc, PACK_KEYS, file=str(path), error=TemplateError,
                   required=("family", "templates"))
    family = pack.text("family", nonempty=True) or ""
    templates = [_template(raw, family, pack, field, line) for field, raw, line in pack.items("templates")]
    return TemplatePack(
        family=family,
        description=pack.text("description", "") or "",
        slots=pack.names("slots", one=False),
        optional_slots=pack.names("optional_slots", one=False),
        templates=tuple(templates),
        path=str(path), sha256=sha256,
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
