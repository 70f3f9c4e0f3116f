"""Sandboxed Jinja rendering that tracks which characters came from the template and which from data.

Every ``{{ expression }}`` output passes through ``finalize``, which stores the value and emits a
sentinel made of Unicode noncharacters (U+FDD0/U+FDD1, never valid in interchanged text). Splitting the
rendered string on the sentinels yields ``boilerplate`` spans (literal template text) and ``content``
spans (values), so joining the spans gives the rendered text byte for byte, with no string search.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, pass_context
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

Span = tuple[str, str]  # (text, kind) with kind "boilerplate" or "content"

_OPEN, _CLOSE = "\ufdd0", "\ufdd1"
_SENTINEL = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


class RenderError(Exception):
    """A template could not be rendered for a row (the caller turns it into a reject or a lint error)."""


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
        self.env = ImmutableSandboxedEnvironment(
            undefined=StrictUndefined, finalize=self._finalize, autoescape=False, keep_trailing_newline=True,
        )
        self.env.filters["random"] = _seeded_random
        self.plain_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self.plain_env.filters["random"] = _seeded_random
        self._compiled: dict[str, Any] = {}
        self._values: list[str | SegmentedValue] = []

    def _finalize(self, value: Any) -> str:
        if not isinstance(value, SegmentedValue):
            value = "" if value is None else str(value)
            if _OPEN in value or _CLOSE in value:
                raise RenderError("value contains the Unicode noncharacter U+FDD0/U+FDD1")
        self._values.append(value)
        return f"{_OPEN}{len(self._values) - 1}{_CLOSE}"

    def compile(self, body: str) -> Any:
        """Compile (and cache) a template body; syntax errors raise ``RenderError``."""
        template = self._compiled.get(body)
        if template is None:
            try:
                template = self.env.from_string(body)
            except TemplateSyntaxError as exc:
                raise RenderError(f"Jinja syntax error on line {exc.lineno}: {exc.message}") from exc
            self._compiled[body] = template
        return template

    def render(self, body: str, context: Mapping[str, Any]) -> list[Span]:
        """Render ``body`` with ``context`` into merged spans; leading/trailing whitespace is stripped."""
        template = self.compile(body)
        self._values = []
        try:
            text = template.render(context)
        except (UndefinedError, SecurityError, TypeError, ValueError, IndexError, KeyError,
                AttributeError, ZeroDivisionError, OverflowError, RecursionError) as exc:
            raise RenderError(f"{type(exc).__name__}: {exc}") from exc
        values = self._values
        self._values = []
        return _strip(_split(text, values))

    def render_plain(self, expression: str, context: Mapping[str, Any]) -> str:
        """Render a small Jinja string without span tracking (e.g. an ``answer_choices`` expression)."""
        try:
            return self.plain_env.from_string(expression).render(context)
        except TemplateSyntaxError as exc:
            raise RenderError(f"Jinja syntax error on line {exc.lineno}: {exc.message}") from exc
        except (UndefinedError, SecurityError, TypeError, ValueError, IndexError, KeyError,
                AttributeError, RecursionError) as exc:
            raise RenderError(f"{type(exc).__name__}: {exc}") from exc


def _split(text: str, values: list[str | SegmentedValue]) -> list[Span]:
    spans: list[Span] = []
    position = 0
    used = 0
    for match in _SENTINEL.finditer(text):
        if match.start() > position:
            spans.append((text[position:match.start()], "boilerplate"))
        index = int(match.group(1))
        if index >= len(values):
            raise RenderError("span tracking lost a placeholder (template filters a placeholder's output)")
        value = values[index]
        if isinstance(value, SegmentedValue):
            spans.extend(value.spans)
        else:
            spans.append((value, "content"))
        used += 1
        position = match.end()
    if position < len(text):
        spans.append((text[position:], "boilerplate"))
    if used != len(values) or any(_OPEN in t or _CLOSE in t for t, k in spans if k == "boilerplate"):
        raise RenderError("span tracking lost a placeholder: a filter or block transformed an output "
                          "(e.g. |trim or |truncate over a block); apply filters inside {{ }} instead")
    return _merge(spans)


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
