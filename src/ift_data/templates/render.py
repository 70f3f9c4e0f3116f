"""Sandboxed Jinja rendering that tracks which characters came from the template and which from data.

Every ``{{ expression }}`` output passes through ``finalize``, which stores the value and emits a
sentinel made of Unicode noncharacters (U+FDD0/U+FDD1, never valid in interchanged text). Splitting the
rendered string on the sentinels yields ``boilerplate`` spans (literal template text) and ``content``
spans (values), so joining the spans gives the rendered text byte for byte, with no string search.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from jinja2 import (
    StrictUndefined,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
    pass_context,
    pass_eval_context,
)
from jinja2.environment import Environment
from jinja2.exceptions import SecurityError, TemplateRuntimeError

from ift_data.templates.sandbox import MAX_RENDER_CHARS, LimitedSandbox, _limited_filter, checked_text

Span = tuple[str, str]  # (text, kind) with kind "boilerplate" or "content"

_OPEN, _CLOSE, _PART = "\ufdd0", "\ufdd1", "\ufdd2"
_RESERVED = (_OPEN, _CLOSE, _PART)


class RenderError(Exception):
    """A template could not be rendered for a row (the caller turns it into a reject or a lint error)."""


_RUNTIME_ERRORS = (UndefinedError, SecurityError, TemplateRuntimeError, TypeError, ValueError, IndexError,
                   KeyError, AttributeError, ZeroDivisionError, OverflowError, RecursionError, MemoryError, AssertionError)


def unknown_names(env: Environment, parsed: nodes.Template) -> str | None:
    """The first filter or test the template uses that ``env`` does not define, as a message. Jinja
    checks those inside ``{% if %}`` only when the branch runs, so a bad name would fail row by row."""
    for node in parsed.find_all((nodes.Filter, nodes.Test)):
        kind, known = ("filter", env.filters) if isinstance(node, nodes.Filter) else ("test", env.tests)
        if node.name not in known:
            return f"unknown {kind} {node.name!r} on line {node.lineno}"
    return None


def _compile(env: Environment, body: str) -> Any:
    try:
        problem = unknown_names(env, env.parse(body))
        if problem is not None:
            raise RenderError(problem)
        return env.from_string(body)
    except TemplateSyntaxError as exc:
        raise RenderError(f"Jinja syntax error on line {exc.lineno}: {exc.message}") from exc


class SegmentedValue:
    """A value that arrives already split into spans (e.g. the options block: markers are
    boilerplate, choice texts are content)."""

    __slots__ = ("spans",)

    def __init__(self, spans: tuple[Span, ...]) -> None:
        self.spans = spans

    def __str__(self) -> str:
        return "".join(text for text, _ in self.spans)

    def __bool__(self) -> bool:
        return any(text for text, _ in self.spans)


@pass_context
def _seeded_random(context: Any, seq: Any) -> Any:
    """Jinja's ``random`` filter, but drawn from the example's seeded generator (never the global one)."""
    rng = context.get("_rng")
    if not isinstance(rng, random.Random):
        raise RenderError("the random filter needs a seeded generator")
    items = list(seq)
    if not items:
        raise RenderError("random of an empty sequence")
    return items[rng.randrange(len(items))]


class Renderer:
    """Compiles template bodies once and renders them into spans."""

    def __init__(self) -> None:
        self.env = LimitedSandbox(
            undefined=StrictUndefined, finalize=self._finalize, autoescape=False, keep_trailing_newline=True,
        )
        self.env.filters["random"] = _limited_filter(self.env, "random", _seeded_random)
        self.plain_env = LimitedSandbox(undefined=StrictUndefined, autoescape=False)
        self.plain_env.filters["random"] = _limited_filter(self.plain_env, "random", _seeded_random)
        self._compiled: dict[str, Any] = {}
        self._plain: dict[str, Any] = {}
        self._values: list[str | SegmentedValue] = []
        self._value_chars = 0  # characters of ``_values`` (what ``_bounded`` adds up), kept by ``_finalize``
        self._globals = dict(self.env.globals)
        self._joined: dict[tuple[str, ...], Any] = {}  # the bodies of one render_parts call, compiled as one

    def __reduce__(self) -> tuple[type[Renderer], tuple[()]]:
        """Pickled as a fresh renderer (its sandboxes hold functions that do not pickle; what it compiled is
        a cache): how the build's expanders reach Ray workers."""
        return (Renderer, ())

    @pass_eval_context  # never called at compile time: Jinja would fold a constant ``{{ '' }}`` into a
    def _finalize(self, eval_ctx: Any, value: Any) -> str:  # sentinel whose index a later render reuses
        values = self._values
        if isinstance(value, SegmentedValue):
            self._value_chars += len(str(value))
        else:
            value = "" if value is None else str(checked_text(value))
            if _OPEN in value or _CLOSE in value or _PART in value:
                raise RenderError("value contains a Unicode noncharacter U+FDD0..U+FDD2")
            self._value_chars += len(value)
        values.append(value)
        return f"{_OPEN}{len(values) - 1}{_CLOSE}"

    def compile(self, body: str) -> Any:
        """Compile (and cache) a template body; syntax errors raise ``RenderError``."""
        template = self._compiled.get(body)
        if template is None:
            template = _compile(self.env, body)
            self._compiled[body] = template
        return template

    def render(self, body: str, context: Mapping[str, Any]) -> list[Span]:
        """Render ``body`` with ``context`` into merged spans; leading/trailing whitespace is stripped."""
        return self.render_parts((body,), context)[0]

    def render_parts(self, bodies: tuple[str, ...], context: Mapping[str, Any]) -> list[list[Span]]:
        """Render several bodies (e.g. input and target) in ONE pass sharing one context, as promptsource's
        ``input ||| target`` does; returns the spans of each part."""
        template = self._joined.get(bodies)
        if template is None:
            for body in bodies:
                self.compile(body)  # a syntax error names the body it is in
            template = self.compile(_PART.join(bodies)) if len(bodies) > 1 else self.compile(bodies[0])
            self._joined[bodies] = template
        values: list[str | SegmentedValue] = []
        self._values = values
        self._value_chars = 0
        self.env.start()
        try:
            # Same as Template.render, minus re-merging the (constant) globals into every context, and
            # ``_bounded`` inlined: stop once the text (values included) passes MAX_RENDER_CHARS.
            ctx = template.new_context({**self._globals, **context}, shared=True)
            pieces = []
            total = 0
            for piece in template.root_render_func(ctx):
                total += len(piece)
                if total + self._value_chars > MAX_RENDER_CHARS:
                    raise SecurityError(f"rendered text is over {MAX_RENDER_CHARS:,} characters")
                pieces.append(piece)
            text = "".join(pieces)
        except _RUNTIME_ERRORS as exc:
            raise RenderError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._values = []
        parts = text.split(_PART)
        if len(parts) != len(bodies):
            raise RenderError("a template body produced the reserved character U+FDD2")
        return [_strip(_split(part, values)) for part in parts]

    def render_plain(self, expression: str, context: Mapping[str, Any]) -> str:
        """Render a small Jinja string without span tracking (e.g. an ``answer_choices`` expression)."""
        template = self._plain.get(expression)
        if template is None:
            template = self._plain[expression] = _compile(self.plain_env, expression)
        self.plain_env.start()
        try:
            return self.plain_env.concat(_bounded(template.root_render_func(template.new_context(context)), []))
        except _RUNTIME_ERRORS as exc:
            raise RenderError(f"{type(exc).__name__}: {exc}") from exc


def _bounded(pieces: Any, values: list[str | SegmentedValue]) -> Any:
    """The rendered pieces, stopping with ``SecurityError`` once the text (values included) passes
    ``MAX_RENDER_CHARS``."""
    total = 0
    counted = 0
    for piece in pieces:
        total += len(piece)
        while counted < len(values):
            total += len(str(values[counted]))
            counted += 1
        if total > MAX_RENDER_CHARS:
            raise SecurityError(f"rendered text is over {MAX_RENDER_CHARS:,} characters")
        yield piece


def _split(text: str, values: list[str | SegmentedValue]) -> list[Span]:
    """The spans of ``text``: literal text between the sentinels is boilerplate, each sentinel's value is
    content (a ``SegmentedValue``: its own spans); empty spans dropped, neighbours of one kind merged."""
    pieces = text.split(_OPEN)
    merged: list[Span] = []
    head = pieces[0]
    if head:
        merged.append((head, "boilerplate"))
    count = len(values)
    for piece in pieces[1:]:
        index_text, closed, rest = piece.partition(_CLOSE)
        if not closed or not index_text.isdigit() or int(index_text) >= count:
            raise RenderError("span tracking lost a placeholder: a filter or block transformed an output "
                              "(e.g. |trim or |truncate over a block); apply filters inside {{ }} instead")
        value = values[int(index_text)]
        if type(value) is not str and isinstance(value, SegmentedValue):
            for text_, kind in value.spans:
                if text_:
                    if merged and merged[-1][1] == kind:
                        merged[-1] = (merged[-1][0] + text_, kind)
                    else:
                        merged.append((text_, kind))
        elif value:
            if merged and merged[-1][1] == "content":
                merged[-1] = (merged[-1][0] + value, "content")
            else:
                merged.append((value, "content"))
        if rest:
            if merged and merged[-1][1] == "boilerplate":
                merged[-1] = (merged[-1][0] + rest, "boilerplate")
            else:
                merged.append((rest, "boilerplate"))
    if _CLOSE in head:
        raise RenderError("span tracking lost a placeholder")
    return merged


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for text, kind in spans:
        if not text:
            continue
        if merged and merged[-1][1] == kind:
            merged[-1] = (merged[-1][0] + text, kind)
        else:
            merged.append((text, kind))
    return merged


def _strip(spans: list[Span]) -> list[Span]:
    """Strip whitespace at both ends of the joined text, span-wise."""
    while spans and not spans[0][0].strip():
        spans.pop(0)
    while spans and not spans[-1][0].strip():
        spans.pop()
    if not spans:
        return []
    spans[0] = (spans[0][0].lstrip(), spans[0][1])
    spans[-1] = (spans[-1][0].rstrip(), spans[-1][1])
    return spans


def joined(spans: list[Span]) -> str:
    """The text the spans make up."""
    return "".join(text for text, _ in spans)
