"""Template linting: the mistakes that silently corrupt FLAN/P3-style data, caught before a build."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError

from ift_data.builder.recipe import ExpansionSpec, FewShotSpec
from ift_data.errors import UserError
from ift_data.tasks.rows import TaskRow
from ift_data.templates.pack import Template, TemplatePack
from ift_data.templates.render import Renderer, RenderError, joined, unknown_names
from ift_data.templates.sandbox import LimitedSandbox

# A letter glued to a placeholder where a newline was meant ("{{ text }}nQuestion"), or an escaped
# newline/tab written literally inside a block scalar.
_GLUED = re.compile(r"\}\}[nt](?=[A-Z{])|(?<![{%\w])[nt]\{\{")
_LITERAL_ESCAPE = re.compile(r"\\[nt]")
_JINJA_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
MIN_FORWARD, MAX_INVERTED = 10, 3
PROFILES = ("flan", "p3")  # p3: no FLAN count policy; promptsource packs are always linted as p3
_MUTATING_METHODS = frozenset({"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear", "update",
                               "popitem", "setdefault", "add", "discard"})
# Lint errors a build handles itself: a template that renders empty for a task is skipped there.
BUILD_SKIPS = frozenset({"empty-render"})


@dataclass(frozen=True, slots=True)
class LintIssue:
    """One finding; ``error`` findings make ``lint`` exit non-zero."""

    template_id: str
    file: str
    line: int | None
    code: str
    message: str
    severity: str = "error"

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity} [{self.code}] {self.template_id}: {self.message}"


def lint_packs(packs: Sequence[TemplatePack], samples: dict[str, list[tuple[list[TaskRow], tuple[str, ...]]]],
               profile: str = "flan") -> list[LintIssue]:
    """Lint every pack; ``samples`` maps a family to (rows, label names) of its sample datasets. The ``p3``
    profile (always used for promptsource packs) leaves out FLAN's template-count policy."""
    if profile not in PROFILES:
        raise ValueError(f"unknown lint profile {profile!r}; expected one of {', '.join(PROFILES)}")
    issues: list[LintIssue] = []
    seen_ids: dict[str, Template] = {}
    renderer = Renderer()
    for pack in packs:
        if profile == "flan" and pack.semantics != "promptsource":
            issues.extend(_pack_counts(pack))
        bodies: dict[tuple[str, str], Template] = {}
        for template in pack.templates:
            issue = _issue_factory(template)
            if template.id in seen_ids:
                issues.append(issue("duplicate-id", f"id also used at {seen_ids[template.id].source}:"
                                                     f"{seen_ids[template.id].line}"))
            seen_ids.setdefault(template.id, template)
            key = (_normalize(template.input), _normalize(template.target))
            if key in bodies:
                issues.append(issue("duplicate-body", f"same input and target as {bodies[key].id}"))
            bodies.setdefault(key, template)
            issues.extend(_static_checks(template, pack, renderer))
        if not any(rows for rows, _ in samples.get(pack.family, [])):
            issues.append(LintIssue(pack.family, pack.path, None, "not-rendered",
                                    f"no sample rows for family {pack.family}: bodies not rendered (only the "
                                    "static checks ran; give --samples with a task of this family)", "warning"))
        for rows, label_names in samples.get(pack.family, []):
            if pack.semantics == "promptsource":
                issues.extend(promptsource_render_checks(pack.templates, [r.slots for r in rows], pack.truncate_chars))
            else:
                issues.extend(_render_checks(pack, rows, label_names, renderer))
    return _dedupe(issues)


def _promptsource_checks(template: Template, pack: TemplatePack) -> list[LintIssue]:
    """What keeps a promptsource template from rendering: syntax, unknown filters or tests, no ``|||``,
    a mutation of a record value (read-only here; promptsource would change the caller's record), and
    ``answer_choices`` read by a template that defines none (it is ``None`` there)."""
    from jinja2 import nodes as jnodes

    from ift_data.templates.promptsource_render import make_env, static_problem

    issue = _issue_factory(template)
    env = make_env(tracked=False)
    try:
        unsafe = private_access(env.parse(template.jinja or ""))
    except TemplateSyntaxError:
        unsafe = []
    unsafe_issues = [issue("unsafe-access", f"jinja: {found}") for found in unsafe]
    problem = static_problem(template, env)
    if problem is not None:
        return [*unsafe_issues, issue("cannot-render", problem)]
    issues = unsafe_issues
    parsed = env.parse(template.jinja or "")
    refused = constant_refusal(env, parsed)
    if refused:
        issues.append(issue("sandbox", f"jinja: {refused}"))
    fields = meta.find_undeclared_variables(parsed)
    for call in parsed.find_all(jnodes.Call):
        owner = call.node
        if isinstance(owner, jnodes.Getattr) and owner.attr in _MUTATING_METHODS:
            root = owner.node
            while isinstance(root, jnodes.Getattr | jnodes.Getitem):
                root = root.node
            if isinstance(root, jnodes.Name) and root.name in fields and root.name not in env.globals:
                issues.append(issue("cannot-render", f"line {call.lineno}: .{owner.attr}() on the record's value "
                                    f"{root.name!r}, which is read-only (copy it into a list of the template's own)"))
    if template.answer_choices is None and "answer_choices" in fields:
        issues.append(issue("no-answer-choices", "reads answer_choices but defines none (it is None: "
                            "answer_choices[...] renders empty)", "warning"))
    undefined = fields - set(env.globals) - pack.variables
    if undefined:
        issues.append(issue("undefined-variable", f"uses {sorted(undefined)}, which are not among the pack's "
                            "slots (they render empty when a record lacks them)", "warning"))
    return issues


def lint_task(pack: TemplatePack, rows: Sequence[TaskRow], label_names: tuple[str, ...],
              variants: Sequence[str] = ("forward", "inverted")) -> list[LintIssue]:
    """The errors ``templates lint`` reports for the pack's templates of ``variants`` on one task's rows,
    as a build checks them before rendering (``BUILD_SKIPS`` aside). A template that fails on only some
    of the rows is left to the build (those rows become render rejects); one failing on all is an error."""
    renderer = Renderer()
    templates = [t for t in pack.templates if t.variant in variants]
    issues = [i for t in templates for i in _static_checks(t, pack, renderer)]
    if rows and templates and pack.semantics == "promptsource":
        issues.extend(promptsource_render_checks(templates, [r.slots for r in rows], pack.truncate_chars))
    elif rows and templates:
        issues.extend(_render_checks(pack, list(rows), label_names, renderer, tuple(variants), require_all=True))
    return [i for i in _dedupe(issues) if i.severity == "error" and i.code not in BUILD_SKIPS]


def _issue_factory(template: Template) -> Callable[..., LintIssue]:
    def make(code: str, message: str, severity: str = "error") -> LintIssue:
        return LintIssue(template.id, template.source, template.line, code, message, severity)
    return make


def _normalize(body: str) -> str:
    return " ".join(body.split())


def _pack_counts(pack: TemplatePack) -> list[LintIssue]:
    issues = []
    forward, inverted = len(pack.forward), len(pack.inverted)
    if forward < MIN_FORWARD:
        issues.append(LintIssue(pack.family, pack.path, None, "few-templates",
                                f"{forward} forward templates; FLAN-style packs have at least {MIN_FORWARD}",
                                "warning"))
    if inverted > MAX_INVERTED:
        issues.append(LintIssue(pack.family, pack.path, None, "many-inverted",
                                f"{inverted} inverted templates; at most {MAX_INVERTED} keeps the task dominant",
                                "warning"))
    return issues


def _static_checks(template: Template, pack: TemplatePack, renderer: Renderer) -> list[LintIssue]:
    if template.jinja is not None:
        return _promptsource_checks(template, pack)
    issue = _issue_factory(template)
    issues: list[LintIssue] = []
    bodies = {"input": template.input, "target": template.target}
    if template.answer_choices:
        bodies["answer_choices"] = template.answer_choices
    for name, body in bodies.items():
        try:
            parsed = renderer.env.parse(body)
        except TemplateSyntaxError as exc:
            issues.append(issue("syntax", f"{name}: Jinja syntax error on line {exc.lineno}: {exc.message}"))
            continue
        for found in private_access(parsed):
            issues.append(issue("unsafe-access", f"{name}: {found}"))
        unknown = unknown_names(renderer.env, parsed)
        if unknown:  # (Jinja's variable analysis compiles, and fails on an unknown filter)
            issues.append(issue("unknown-name", f"{name}: {unknown}"))
        refused = None if unknown else constant_refusal(renderer.plain_env, parsed)
        if refused:
            issues.append(issue("sandbox", f"{name}: {refused}"))
        undefined = set() if unknown else meta.find_undeclared_variables(parsed) - pack.variables
        if undefined:
            issues.append(issue("undefined-variable", f"{name} uses {sorted(undefined)}, which the "
                                f"{pack.family} family does not define (slots: {', '.join(pack.slots)})"))
        literal = _JINJA_CODE.sub(" ", body)
        if _LITERAL_ESCAPE.search(literal):
            issues.append(issue("literal-escape", f"{name} contains a literal backslash escape (\\n or \\t); "
                                "write a real newline"))
        glued = _GLUED.search(body)
        if glued:
            issues.append(issue("stray-character", f"{name} has a letter glued to a placeholder "
                                f"({glued.group(0)!r}); a newline was probably meant"))
    if template.variant == "inverted" and template.original_task:
        issues.append(issue("inverted-original", "an inverted template cannot be original_task", "warning"))
    return issues


# Filters whose argument names an attribute of each item (``map(attribute=...)``, ``selectattr('x')``).
_ATTRIBUTE_FILTERS = frozenset({"attr", "selectattr", "rejectattr", "groupby", "map", "sort", "unique", "sum",
                                "min", "max"})


def constant_refusal(env: LimitedSandbox, parsed: Any) -> str | None:
    """The sandbox's refusal of an expression made of literals only (``2 ** 49000 + 1``), evaluated once with
    the render's limits: such an expression fails on every row, so it is an error even with no sample row."""
    from jinja2 import nodes as jnodes

    literal = (jnodes.Const, jnodes.BinExpr, jnodes.UnaryExpr, jnodes.Compare, jnodes.Operand, jnodes.List,
               jnodes.Tuple)

    def literal_only(node: Any) -> bool:
        return isinstance(node, literal) and all(literal_only(child) for child in node.iter_child_nodes())

    for node in parsed.find_all((jnodes.BinExpr, jnodes.UnaryExpr, jnodes.Compare)):
        if not literal_only(node):
            continue
        tree = jnodes.Template([jnodes.Output([node], lineno=node.lineno)], lineno=node.lineno)
        tree.set_environment(env)
        template = env.template_class.from_code(env, env.compile(tree), env.make_globals(None))
        env.start()
        try:
            "".join(template.root_render_func(template.new_context({})))
        except SecurityError as exc:
            return f"line {node.lineno}: {exc} (the sandbox refuses it on every row)"
        except Exception:  # a plain error of a literal expression (1 // 0): the render checks report it
            continue
    return None


def private_access(parsed: Any) -> list[str]:
    """Reads of private names in a parsed body: ``.name`` attributes starting with ``_`` (``x.__class__``,
    ``cycler.__init__.__globals__``, ``x|attr('_y')``) and dunder items or attribute arguments
    (``x['__class__']``, ``map(attribute='__doc__')``). The sandbox refuses them when the body renders, but
    a template that reaches for them is an escape attempt (or a bug) even where no sample row renders it.
    A record key starting with one ``_`` stays readable as ``x['_id']``. One finding per name and line."""
    from jinja2 import nodes as jnodes

    found: list[str] = []

    def add(what: str, node: Any) -> None:
        text = f"line {node.lineno}: reads {what}, a private name (the sandbox refuses it)"
        if text not in found:
            found.append(text)

    def dunder(value: Any) -> bool:
        return isinstance(value, str) and any(part.startswith("__") for part in value.split("."))

    for node in parsed.find_all((jnodes.Getattr, jnodes.Getitem, jnodes.Filter)):
        if isinstance(node, jnodes.Getattr) and node.attr.startswith("_"):
            add(f"attribute {node.attr!r}", node)
        elif isinstance(node, jnodes.Getitem) and isinstance(node.arg, jnodes.Const) and dunder(node.arg.value):
            add(f"item {node.arg.value!r}", node)
        elif isinstance(node, jnodes.Filter) and node.name in _ATTRIBUTE_FILTERS:
            first = [a.value for a in node.args[:1] if isinstance(a, jnodes.Const) and node.name != "map"]
            named = [k.value.value for k in node.kwargs if k.key == "attribute" and isinstance(k.value, jnodes.Const)]
            for value in (*first, *named):
                private = value.startswith("_") if node.name == "attr" and isinstance(value, str) else dunder(value)
                if private:
                    add(f"attribute {value!r} (filter {node.name})", node)
    return found


def _render_checks(pack: TemplatePack, rows: list[TaskRow], label_names: tuple[str, ...], renderer: Renderer,
                   variants: tuple[str, ...] = ("forward", "inverted"), require_all: bool = False
                   ) -> list[LintIssue]:
    # Imported here: build.expand imports this package.
    from ift_data.builder.expand import DatasetExpander

    expander = DatasetExpander("lint", "train", rows, pack, label_names,
                               ExpansionSpec(options="fixed", variants=variants),
                               FewShotSpec(), seed=0, renderer=renderer)
    issues: list[LintIssue] = []
    for index, template in enumerate(expander.templates):
        issue = _issue_factory(template)
        non_empty, failures = 0, []
        for row_index in range(len(rows)):
            try:
                rendered = expander.render_pair(row_index, index)
            except RenderError as exc:
                failures.append(f"row {rows[row_index].location}: {exc}")
                continue
            if rendered.input and rendered.target:
                non_empty += 1
            choices = list(rendered.answer_choices)
            target = joined(rendered.target)
            if (template.variant == "forward" and choices and "label" in rows[row_index].slots
                    and rendered.target and target not in choices):
                failures.append(f"target {target!r} is not among the answer choices {choices}")
        if failures and (not require_all or len(failures) == len(rows)):
            issues.append(issue("render", f"{failures[0]} ({len(failures)} of {len(rows)} sample rows)"))
        elif rows and non_empty == 0:
            issues.append(issue("empty-render", f"renders empty on all {len(rows)} sample rows"))
    return issues


def promptsource_render_checks(templates: Sequence[Template], records: Sequence[Mapping[str, Any]],
                               truncate_chars: int | None = None) -> list[LintIssue]:
    """A promptsource template that fails on every record is an error (``render``); one that is skipped
    on every record (empty prompt or target, unlabeled rows) is ``empty-render``."""
    import random

    from ift_data.templates.promptsource_render import PromptsourceRenderer

    renderer = PromptsourceRenderer()
    issues: list[LintIssue] = []
    for template in templates:
        issue = _issue_factory(template)
        failures, skips = [], 0
        for index, record in enumerate(records):
            try:
                applied = renderer.apply(template, record, random.Random(index), truncate_chars)
            except RenderError as exc:
                failures.append(f"record {index}: {exc}")
                continue
            skips += applied.skipped_reason is not None
        if records and len(failures) == len(records):
            issues.append(issue("render", f"{failures[0]} ({len(failures)} of {len(records)} records)"))
        elif records and skips + len(failures) == len(records):
            issues.append(issue("empty-render", f"renders no example on all {len(records)} records"))
    return issues


def _dedupe(issues: Iterable[LintIssue]) -> list[LintIssue]:
    seen, out = set(), []
    for issue in issues:
        if issue not in seen:
            seen.add(issue)
            out.append(issue)
    return out


def sample_rows(samples_dir: Path | None, limit: int = 25, *, allow_outside_paths: bool = False,
                skipped: list[UserError] | None = None) -> dict[str, list[tuple[list[TaskRow], tuple[str, ...]]]]:
    """Up to ``limit`` rows of every task spec found under ``samples_dir`` (``*/task.yaml``), by family.
    A spec that cannot be read is not linted on; its error is appended to ``skipped`` for the caller to show."""
    from ift_data.tasks.sample import sample_task_rows
    from ift_data.tasks.spec import load_task_spec

    found: dict[str, list[tuple[list[TaskRow], tuple[str, ...]]]] = {}
    if samples_dir is None or not samples_dir.is_dir():
        return found
    for spec_path in sorted(samples_dir.glob("*/task.yaml")):
        try:
            spec = load_task_spec(spec_path, allow_outside_paths=allow_outside_paths)
            rows, label_names = sample_task_rows(spec, limit)
        except UserError as exc:
            if skipped is not None:
                skipped.append(exc)
            continue
        found.setdefault(spec.family, []).append((rows, label_names))
    return found
