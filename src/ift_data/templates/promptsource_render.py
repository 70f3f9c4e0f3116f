"""promptsource's ``Template.apply``, exactly, inside the sandbox and with span tracking.

What promptsource 0.2.3 does, and what this module does the same way:
- the record's top-level string values have ``|||`` replaced by promptsource's protector before rendering
  (nested strings are not protected, as in promptsource), and put back after splitting;
- ``answer_choices`` is rendered first (same record), split on ``|||``, each choice stripped then unprotected;
  the template sees it as ``answer_choices`` (a list, or ``None`` when the template has none); a record field
  named ``answer_choices`` is an error, as in promptsource;
- the WHOLE body is rendered once, then split on every ``|||``: the first part is the prompt, the rest the
  target (promptsource returns a list; with exactly one ``|||`` in the output, the two are equal); each part
  is stripped. The split happens on the tracked spans, so boilerplate/content marks survive;
- undefined names render empty (Jinja's default ``Undefined``), ``None`` renders ``None``;
- the ``choice`` and ``most_frequent`` filters and the ``zip`` global; Jinja's ``random`` filter and
  ``choice`` draw from the generator passed in (promptsource draws from the global ``random`` state: seeding
  it with ``random.seed(s)`` gives the draws of ``random.Random(s)`` here, in the same order: answer
  choices first, then the body);
- lists, dicts and sets the template built itself may be mutated (``.append``, ``.update``, ...), the
  record's own values may not (``LocalMutationSandbox``);
- ``truncate_chars`` (off by default) does what ``apply(truncate=True)`` does with 2,048: every ``}}`` of
  the body becomes ``| string | truncate(N) }}`` before compiling.
Differences, on purpose: a record with ``label == -1`` (an unlabeled Hugging Face row) is skipped when the
template reads ``label`` (promptsource would index ``answer_choices[-1]``, the last choice); an empty
prompt or target is a skip with its reason (T0's pipeline drops those too).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined, meta, pass_context, pass_eval_context

from ift_data.templates.pack import PROMPTSOURCE_VARIABLES, Template
from ift_data.templates.render import (
    _RESERVED,
    _RUNTIME_ERRORS,
    RenderError,
    Span,
    _bounded,
    _merge,
    _split,
    _strip,
    unknown_names,
)
from ift_data.templates.sandbox import LocalMutationSandbox, _limited_filter, checked_text, container_ids

PIPE_PROTECTOR = "3ed2dface8203c4c9dfb1a5dc58e41e0"  # promptsource's own, so records behave identically
TEXT_VAR_LENGTH = 2048  # promptsource's truncation length (``truncate_chars`` to use it)
SEPARATOR = "|||"
SKIP_UNLABELED = "unlabeled row (label -1)"
SKIP_EMPTY_PROMPT = "empty prompt"
SKIP_EMPTY_TARGET = "empty target"
SKIP_REASONS = (SKIP_UNLABELED, SKIP_EMPTY_PROMPT, SKIP_EMPTY_TARGET)


@dataclass(frozen=True, slots=True)
class Applied:
    """One promptsource template applied to one record. ``skipped_reason`` set means: no example."""

    prompt: list[Span]
    target: list[Span]
    answer_choices: tuple[str, ...] | None
    skipped_reason: str | None = None

    @property
    def prompt_text(self) -> str:
        return "".join(text for text, _ in self.prompt)

    @property
    def target_text(self) -> str:
        return "".join(text for text, _ in self.target)


def most_frequent(items: Any) -> list[Any] | None:
    """promptsource's ``most_frequent`` filter: the items that appear most often (None for no items)."""
    if not items:
        return None
    counts = Counter(items).most_common()
    top = counts[0][1]
    return [item for item, count in counts if count == top]


@pass_context  # (never pass_environment: Jinja would fold ``[1, 2] | choice`` once, at compile time)
def _choice(context: Any, seq: Any) -> Any:
    rng = getattr(context.environment, "rng", None)
    if not isinstance(rng, random.Random):
        raise RenderError("the choice filter needs a seeded generator")
    return rng.choice(seq)


def _truncated(body: str, chars: int | None) -> str:
    if chars is None:
        return body
    return body.replace("}}", f" | string | truncate({chars}) }}}}")


def make_env(*, tracked: bool) -> LocalMutationSandbox:
    """A sandbox configured like promptsource's environment (``tracked``: outputs go through span finalize)."""
    env = LocalMutationSandbox(undefined=Undefined, autoescape=False)
    env.globals["zip"] = zip
    for name, func in (("choice", _choice), ("random", _choice), ("most_frequent", most_frequent)):
        env.filters[name] = _limited_filter(env, name, func)
    env.rng = None  # type: ignore[attr-defined]
    if tracked:
        env.finalize = _finalize
        env.values = []  # type: ignore[attr-defined]
    return env


@pass_eval_context  # (never called at compile time, see render.Renderer._finalize)
def _finalize(eval_ctx: Any, value: Any) -> str:
    env = eval_ctx.environment
    text = str(checked_text(value))
    if any(mark in text for mark in _RESERVED):
        raise RenderError("value contains a Unicode noncharacter U+FDD0..U+FDD2")
    env.values.append(text)
    return f"\ufdd0{len(env.values) - 1}\ufdd1"


def protect(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with ``|||`` inside its top-level strings replaced by the protector (promptsource's rule)."""
    return {key: value.replace(SEPARATOR, PIPE_PROTECTOR) if isinstance(value, str) else value
            for key, value in record.items()}


def template_variables(template: Template, env: LocalMutationSandbox | None = None) -> set[str]:
    """The record fields a promptsource template reads: the names its body and ``answer_choices`` look up,
    minus Jinja locals, loop variables, globals (``range``, ``zip``, ...) and ``answer_choices``."""
    env = env or make_env(tracked=False)
    names: set[str] = set()
    for body in (template.jinja or "", template.answer_choices or ""):
        names |= meta.find_undeclared_variables(env.parse(body))
    return names - set(env.globals) - PROMPTSOURCE_VARIABLES


def static_problem(template: Template, env: LocalMutationSandbox | None = None) -> str | None:
    """Why a promptsource template cannot render at all (syntax error, unknown filter or test, no ``|||``)."""
    env = env or make_env(tracked=False)
    bodies = {"jinja": template.jinja or "", "answer_choices": template.answer_choices}
    for name, body in bodies.items():
        if body is None:
            continue
        try:
            parsed = env.parse(body)
            unknown = unknown_names(env, parsed)
            if unknown:
                return f"{name}: {unknown}"
            meta.find_undeclared_variables(parsed)  # (compiles: what the slots need)
        except TemplateSyntaxError as exc:
            return f"{name}: Jinja syntax error on line {exc.lineno}: {exc.message}"
        except RecursionError:
            return f"{name}: nested too deeply to compile"
    if SEPARATOR not in (template.jinja or ""):
        return "no `|||` between prompt and target"
    return None


class PromptsourceRenderer:
    """Applies promptsource templates to records; compiled bodies are cached."""

    def __init__(self) -> None:
        self.env = make_env(tracked=True)
        self.plain_env = make_env(tracked=False)
        self._compiled: dict[tuple[str, bool], Any] = {}
        self._variables: dict[tuple[str | None, str | None], set[str]] = {}

    def __reduce__(self) -> tuple[type[PromptsourceRenderer], tuple[()]]:
        """Pickled as a fresh renderer (the sandboxes do not pickle; what it compiled is a cache)."""
        return (PromptsourceRenderer, ())

    def _compile(self, body: str, tracked: bool) -> Any:
        key = (body, tracked)
        compiled = self._compiled.get(key)
        if compiled is None:
            env = self.env if tracked else self.plain_env
            try:
                problem = unknown_names(env, env.parse(body))
                if problem is not None:
                    raise RenderError(problem)
                compiled = env.from_string(body)
            except TemplateSyntaxError as exc:
                raise RenderError(f"Jinja syntax error on line {exc.lineno}: {exc.message}") from exc
            except RecursionError as exc:
                raise RenderError("the template is nested too deeply to compile") from exc
            self._compiled[key] = compiled
        return compiled

    def variables(self, template: Template) -> set[str]:
        """``template_variables``, cached by body (ids need not be unique outside a build)."""
        key = (template.jinja, template.answer_choices)
        found = self._variables.get(key)
        if found is None:
            try:
                found = self._variables[key] = template_variables(template, self.plain_env)
            except TemplateSyntaxError as exc:
                raise RenderError(f"Jinja syntax error on line {exc.lineno}: {exc.message}") from exc
            except RecursionError as exc:
                raise RenderError("the template is nested too deeply to compile") from exc
        return found

    def answer_choices(self, template: Template, record: Mapping[str, Any],
                       rng: random.Random | None = None) -> list[str] | None:
        """promptsource's ``get_answer_choices_list``."""
        if template.answer_choices is None:
            return None
        self.plain_env.rng = rng  # type: ignore[attr-defined]
        return self._choices(template.answer_choices, {**self.plain_env.globals, **protect(record)})

    def _choices(self, expression: str, context: dict[str, Any]) -> list[str]:
        compiled = self._compile(expression, tracked=False)
        env = self.plain_env
        env.start()
        env.frozen = container_ids(context.values())  # (globals hold no containers)
        try:
            text = env.concat(_bounded(compiled.root_render_func(compiled.new_context(context, shared=True)), []))
        except _RUNTIME_ERRORS as exc:
            raise RenderError(f"answer_choices: {type(exc).__name__}: {exc}") from exc
        finally:
            env.frozen = set()
        return [choice.strip().replace(PIPE_PROTECTOR, SEPARATOR) for choice in text.split(SEPARATOR)]

    def apply(self, template: Template, record: Mapping[str, Any], rng: random.Random | None = None,
              truncate_chars: int | None = None) -> Applied:
        """Render ``template`` on ``record`` as promptsource's ``Template.apply`` does (module docstring).
        A template or value that cannot render raises ``RenderError``; a skip is an ``Applied`` with
        ``skipped_reason``."""
        if template.jinja is None:
            raise RenderError(f"template {template.id} is not a promptsource template (no jinja body)")
        if "answer_choices" in record:
            raise RenderError("the record has a field named 'answer_choices', which promptsource reserves")
        label = record.get("label")
        if isinstance(label, int) and not isinstance(label, bool) and label == -1 \
                and "label" in self.variables(template):
            return Applied([], [], None, SKIP_UNLABELED)
        rng = rng if rng is not None else random.Random(0)
        protected = {**self.env.globals, **protect(record)}
        self.plain_env.rng = rng  # type: ignore[attr-defined]
        choices = self._choices(template.answer_choices, protected) if template.answer_choices is not None else None
        context = {**protected, "answer_choices": choices}
        frozen = container_ids([*record.values(), choices])
        parts = self._render(_truncated(template.jinja, truncate_chars), context, rng, frozen)
        prompt = parts[0]
        target = _strip(_unprotect(parts[1]) if len(parts) > 1 else [])
        shown = tuple(choices) if choices is not None else None
        if not prompt:
            return Applied(prompt, target, shown, SKIP_EMPTY_PROMPT)
        if not target:
            return Applied(prompt, target, shown, SKIP_EMPTY_TARGET)
        return Applied(prompt, target, shown)

    def _render(self, body: str, context: dict[str, Any], rng: random.Random, frozen: set[int]
                ) -> list[list[Span]]:
        """[prompt spans, raw target spans (everything after the first ``|||``, not yet unprotected)]."""
        compiled = self._compile(body, tracked=True)
        env = self.env
        env.rng = rng  # type: ignore[attr-defined]
        env.values = []  # type: ignore[attr-defined]
        env.start()
        env.frozen = frozen  # the record's containers and answer_choices: read-only
        try:
            text = env.concat(_bounded(compiled.root_render_func(compiled.new_context(context, shared=True)),
                                       env.values))  # type: ignore[attr-defined]
        except _RUNTIME_ERRORS as exc:
            raise RenderError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            values, env.values = env.values, []  # type: ignore[attr-defined]
            env.frozen = set()
        spans = _split(text, values)
        head, rest = _cut(spans)
        return [_strip(_unprotect(head)), rest]


def _cut(spans: list[Span]) -> tuple[list[Span], list[Span]]:
    """The spans before and after the first ``|||`` of their joined text (it may straddle spans)."""
    text = "".join(t for t, _ in spans)
    at = text.find(SEPARATOR)
    if at < 0:
        return spans, []
    head: list[Span] = []
    tail: list[Span] = []
    pos = 0
    for piece, kind in spans:
        start, end = pos, pos + len(piece)
        pos = end
        if end <= at:
            head.append((piece, kind))
        elif start >= at + len(SEPARATOR):
            tail.append((piece, kind))
        else:
            if start < at:
                head.append((piece[:at - start], kind))
            if end > at + len(SEPARATOR):
                tail.append((piece[at + len(SEPARATOR) - start:], kind))
    return head, _merge(tail)


def _unprotect(spans: list[Span]) -> list[Span]:
    return _merge([(text.replace(PIPE_PROTECTOR, SEPARATOR), kind) for text, kind in spans])


def apply_parts(applied: Applied) -> tuple[str, str]:
    """(prompt, target) as plain strings."""
    return applied.prompt_text, applied.target_text
