"""Template pack files (one YAML file per task family) loaded into frozen dataclasses.

A pack has one of two semantics. ``ift-data`` packs (the default) have ``input`` and ``target`` bodies and
see their family's slots plus the built-in variables (``answer``, ``options``, ``label_names``,
``answer_choices``); a slot the built-ins would replace (``builtin_clash``) is an error at load time. ``promptsource`` packs (written by
``templates import-promptsource``) have one whole ``jinja`` body per template, rendered once then split on
``|||``, and see exactly the record's fields plus promptsource's names (``answer_choices``, ``zip``, the
``choice`` and ``most_frequent`` filters): see ``templates/promptsource_render.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ift_data.config import Section, load_yaml_hashed
from ift_data.errors import TemplateError
from ift_data.schema import TemplateVariant

PACK_KEYS = ("family", "description", "slots", "optional_slots", "templates", "semantics", "dataset", "subset",
             "truncate_chars")
TEMPLATE_KEYS = (
    "id", "variant", "original_task", "choices_in_prompt", "verbalizer", "answer_choices",
    "input", "target", "metrics", "description", "jinja", "name", "languages", "promptsource_id",
)
REQUIRED_TEMPLATE_KEYS = ("id", "variant", "input", "target")
PROMPTSOURCE_TEMPLATE_KEYS = (
    "id", "variant", "original_task", "choices_in_prompt", "answer_choices", "jinja", "name", "metrics",
    "languages", "promptsource_id", "description",
)
REQUIRED_PROMPTSOURCE_KEYS = ("id", "jinja")
SEMANTICS = ("ift-data", "promptsource")
# Variables every ift-data template may use besides its family's slots.
BUILTIN_VARIABLES = frozenset({"label_names", "answer_choices", "answer", "options"})
# Names a promptsource template sees besides the record's fields.
PROMPTSOURCE_VARIABLES = frozenset({"answer_choices"})


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
    jinja: str | None = None  # promptsource packs: the whole body, split on ``|||`` after rendering
    name: str = ""
    metrics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    promptsource_id: str = ""

    @property
    def semantics(self) -> str:
        return "ift-data" if self.jinja is None else "promptsource"


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
    semantics: str = "ift-data"
    dataset: str = ""  # promptsource packs: the Hugging Face dataset and subset the templates were written for
    subset: str = ""
    truncate_chars: int | None = None  # promptsource packs: cut every ``{{ }}`` output as promptsource's truncate

    @property
    def forward(self) -> tuple[Template, ...]:
        return tuple(t for t in self.templates if t.variant == "forward")

    @property
    def inverted(self) -> tuple[Template, ...]:
        return tuple(t for t in self.templates if t.variant == "inverted")

    @property
    def variables(self) -> frozenset[str]:
        builtins = PROMPTSOURCE_VARIABLES if self.semantics == "promptsource" else BUILTIN_VARIABLES
        return frozenset(self.slots) | frozenset(self.optional_slots) | builtins


# Filters that turn their input into text as ``str()`` would (a list becomes its Python repr): a slot that
# reaches ``{{ }}`` through them only is output as text. Filters that take a list apart (``join``,
# ``first``, ``length``, ``map`` ...) are structural uses.
_TEXT_FILTERS = frozenset({"trim", "upper", "lower", "capitalize", "title", "replace", "truncate", "wordwrap",
                           "center", "indent", "striptags", "e", "escape", "forceescape", "string", "safe",
                           "default", "d", "urlize", "wordcount"})


def text_slots(pack: TemplatePack) -> tuple[str, ...]:
    """The slots an ift-data pack's templates output whole as text (``{{ text }}``, ``{{ text | trim }}``,
    ``{{ 'x' ~ text }}``, an if-expression's branch): a list or dict there would be written as its Python
    repr, so the build rejects such a value when it maps the row (``tasks/rows.py``). Slots the templates
    only take apart (``{{ answers[0] }}``, ``{% for c in choices %}``, ``{{ choices | join(', ') }}``) are
    not text slots. promptsource packs have none (their records reach the templates as they are)."""
    if pack.semantics != "ift-data":
        return ()
    from jinja2 import TemplateSyntaxError, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment()
    slots = set(pack.slots) | set(pack.optional_slots)
    found: set[str] = set()

    def visit(node: nodes.Node) -> None:
        if isinstance(node, nodes.Name):
            if node.name in slots:
                found.add(node.name)
        elif isinstance(node, nodes.Filter) and node.name in _TEXT_FILTERS and node.node is not None:
            visit(node.node)
        elif isinstance(node, nodes.Concat):
            for item in node.nodes:
                visit(item)
        elif isinstance(node, nodes.CondExpr):
            visit(node.expr1)
            if node.expr2 is not None:
                visit(node.expr2)

    for template in pack.templates:
        for body in (template.input, template.target):
            try:
                parsed = env.parse(body)
            except TemplateSyntaxError:
                continue  # lint reports it; the build refuses the pack before reading
            for output in parsed.find_all(nodes.Output):
                for child in output.nodes:
                    visit(child)
    return tuple(sorted(found - {"label"}))


def builtin_clash(fields: Iterable[str]) -> list[str]:
    """The fields an ift-data template's built-in variables would replace: ``options``, ``label_names`` and
    ``answer_choices`` always are; ``answer`` is when there is a ``label`` (it becomes the label's choice)."""
    names = set(fields)
    clash = names & (BUILTIN_VARIABLES - {"answer"})
    if "answer" in names and "label" in names:
        clash.add("answer")
    return sorted(clash)


def check_fields(pack: TemplatePack, fields: Iterable[str], where: str = "") -> None:
    """Refuse a dataset whose fields clash with an ift-data pack's built-in variables (``builtin_clash``): the
    built-in would silently replace the field's value. promptsource packs have no built-ins besides
    ``answer_choices``, which promptsource itself refuses as a field name."""
    clash = (sorted(set(fields) & PROMPTSOURCE_VARIABLES) if pack.semantics == "promptsource"
             else builtin_clash(fields))
    if clash:
        raise TemplateError(f"field(s) {clash} of {where or 'the dataset'} clash with the built-in variables of "
                            f"family {pack.family!r}; rename the field(s)", file=pack.path, field="slots")


def _promptsource_template(raw: Any, family: str, pack: Section, field: str, line: int | None) -> Template:
    section = pack.nested(raw, PROMPTSOURCE_TEMPLATE_KEYS, field, line=line, required=REQUIRED_PROMPTSOURCE_KEYS)
    section.text("id", nonempty=True)
    jinja = section.text("jinja", nonempty=True) or ""
    if "|||" not in jinja:
        raise section.fail("a promptsource body needs `|||` between prompt and target", "jinja")
    variant = cast(TemplateVariant, section.choice("variant", ("forward", "inverted"), "forward"))
    answer_choices = section.text("answer_choices")
    prompt, _, target = jinja.partition("|||")
    return Template(
        id=section.get("id"), family=family, variant=variant, input=prompt, target=target,
        original_task=section.flag("original_task", variant == "forward"),
        choices_in_prompt=section.flag("choices_in_prompt", False),
        answer_choices=answer_choices, source=pack.file, line=section.line, jinja=jinja,
        name=section.text("name", "") or "", metrics=section.names("metrics"),
        languages=section.names("languages"), promptsource_id=section.text("promptsource_id", "") or "",
    )


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
        metrics=section.names("metrics"),
    )


def load_pack(path: str | Path) -> TemplatePack:
    """Load one pack file; structural problems raise ``TemplateError`` naming file, line and field."""
    path = Path(path)
    doc, sha256 = load_yaml_hashed(path, error=TemplateError)
    pack = Section(doc, PACK_KEYS, file=str(path), error=TemplateError,
                   required=("family", "templates"))
    family = pack.text("family", nonempty=True) or ""
    semantics = pack.choice("semantics", SEMANTICS, "ift-data")
    make = _promptsource_template if semantics == "promptsource" else _template
    templates = [make(raw, family, pack, field, line) for field, raw, line in pack.items("templates")]
    slots = pack.names("slots", one=False)
    optional_slots = pack.names("optional_slots", one=False)
    if semantics == "ift-data":
        clash = builtin_clash((*slots, *optional_slots))
        if clash:
            raise pack.fail(f"slot(s) {clash} would be replaced by the built-in variables of the same name "
                            "(options, label_names, answer_choices; answer when there is a label); "
                            "name the slot differently", "slots")
    for key in ("dataset", "subset", "truncate_chars"):
        if semantics != "promptsource" and key in pack:
            raise pack.fail("only promptsource packs (semantics: promptsource) have this key", key)
    return TemplatePack(
        family=family,
        description=pack.text("description", "") or "",
        slots=slots, optional_slots=optional_slots,
        templates=tuple(templates),
        path=str(path), sha256=sha256, semantics=semantics,
        dataset=pack.text("dataset", "") or "", subset=pack.text("subset", "") or "",
        truncate_chars=pack.integer("truncate_chars", None, minimum=1),
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
