"""Span-tracked sandboxed rendering: spans join to exactly what plain Jinja renders."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ift_data.templates.render import Renderer, RenderError, SegmentedValue, joined

NONCHARACTERS = "".join(chr(c) for c in range(0xFDD0, 0xFDF0))  # the renderer reserves some of these
PLAIN = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def plain(body: str, context: dict) -> str:
    return PLAIN.from_string(body).render(context).strip()


BODIES = [
    "Review: {{ text }}\nIs it positive or negative?",
    "{{ text }}\n\nQuestion: {{ question }}\nAnswer:",
    "  {{ text }}  ",
    "Title: {{ title | upper }} ({{ text | length }} chars)",
    "{% if title %}Title: {{ title }}\n{% endif %}{{ text }}",
    "{% for c in choices %}- {{ c }}\n{% endfor %}Pick one.",
    "{{ choices | join(' ||| ') }}",
    "{{ text }}{{ question }}",
]


@pytest.mark.parametrize("body", BODIES)
def test_joined_spans_equal_plain_jinja(body: str) -> None:
    context = {"text": "The movie was fine.", "question": "Why?", "title": "A Title",
               "choices": ["yes", "no", "maybe"]}
    spans = Renderer().render(body, context)
    assert joined(spans) == plain(body, context)
    assert all(kind in ("boilerplate", "content") for _, kind in spans)
    assert all(text for text, _ in spans)  # no empty spans
    assert all(a[1] != b[1] for a, b in zip(spans, spans[1:], strict=False))  # neighbours merged


def test_boilerplate_and_content_kinds() -> None:
    spans = Renderer().render("Review: {{ text }}\nAnswer:", {"text": "Good film."})
    assert spans == [("Review: ", "boilerplate"), ("Good film.", "content"), ("\nAnswer:", "boilerplate")]


def test_filter_output_inside_braces_is_content() -> None:
    spans = Renderer().render("Title: {{ title | upper }}.", {"title": "abc"})
    assert spans == [("Title: ", "boilerplate"), ("ABC", "content"), (".", "boilerplate")]


def test_segmented_value_keeps_its_own_spans() -> None:
    block = SegmentedValue((("\nOPTIONS:\n- ", "boilerplate"), ("negative", "content"),
                            ("\n- ", "boilerplate"), ("positive", "content")))
    spans = Renderer().render("{{ text }}{{ options }}", {"text": "Meh.", "options": block})
    assert joined(spans) == "Meh.\nOPTIONS:\n- negative\n- positive"
    assert spans == [("Meh.", "content"), ("\nOPTIONS:\n- ", "boilerplate"), ("negative", "content"),
                     ("\n- ", "boilerplate"), ("positive", "content")]


def test_whitespace_is_stripped_at_both_ends_span_wise() -> None:
    spans = Renderer().render("\n  {{ text }}  \n", {"text": "  padded value  "})
    assert spans == [("padded value", "content")]
    assert Renderer().render("{{ text }}", {"text": "   "}) == []


@pytest.mark.parametrize("body", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ text.__class__.__base__.__subclasses__() }}",
    "{{ choices.append('x') }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ text.__len__() }}",
])
def test_sandbox_escapes_raise_render_error(body: str) -> None:
    with pytest.raises(RenderError):
        Renderer().render(body, {"text": "x", "choices": ["a"]})


def test_undefined_variable_raises() -> None:
    with pytest.raises(RenderError, match="nope"):
        Renderer().render("Hello {{ nope }}", {"text": "x"})


def test_syntax_error_raises() -> None:
    with pytest.raises(RenderError, match="syntax"):
        Renderer().render("Hello {{ text ", {"text": "x"})


@pytest.mark.parametrize("value", ["bad \ufdd0 value", "bad \ufdd1", "\ufdd00\ufdd1"])
def test_value_with_sentinel_noncharacter_is_refused(value: str) -> None:
    with pytest.raises(RenderError, match="U\\+FDD0"):
        Renderer().render("Text: {{ text }}", {"text": value})
    with pytest.raises(RenderError, match="U\\+FDD0"):
        Renderer().render_parts(("Text: {{ text }}", "ok"), {"text": value})


def test_render_parts_renders_input_and_target_with_one_context() -> None:
    renderer = Renderer()
    context = {"text": "Nice.", "answer": "positive"}
    prompt, target = renderer.render_parts(("{% set q = 'Why?' %}{{ text }} {{ q }}", "{{ answer }} ({{ q }})"),
                                           context)
    assert prompt == [("Nice.", "content"), (" ", "boilerplate"), ("Why?", "content")]
    assert target == [("positive", "content"), (" (", "boilerplate"), ("Why?", "content"),
                      (")", "boilerplate")]
    assert renderer.render_parts(("  {{ text }}\n", "\n{{ answer }}  "), context) == [
        [("Nice.", "content")], [("positive", "content")]]


def test_random_filter_is_seeded() -> None:
    body = "{{ ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'] | random }}"
    renderer = Renderer()

    def draw(seed: int) -> str:
        return joined(renderer.render(body, {"_rng": random.Random(seed)}))

    assert [draw(3) for _ in range(5)] == [draw(3)] * 5
    expected = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"][random.Random(3).randrange(6)]
    assert draw(3) == expected
    assert len({draw(seed) for seed in range(40)}) > 1


def test_random_filter_without_generator_is_an_error() -> None:
    with pytest.raises(RenderError):
        Renderer().render("{{ ['a', 'b'] | random }}", {})


def test_renderer_is_reusable_after_an_error() -> None:
    renderer = Renderer()
    with pytest.raises(RenderError):
        renderer.render("{{ a }} {{ missing }}", {"a": "1"})
    assert renderer.render("{{ a }}!", {"a": "1"}) == [("1", "content"), ("!", "boilerplate")]


# -- property: any values -------------------------------------------------------------------------

_TRICKY = st.sampled_from(["", " ", "{{", "}}", "{{ text }}", "|||", "a ||| b", "<|im_end|>", "<|im_start|>user",
                           "{% if %}", "\\n", "\n", "\t", "é", "😀", "\u200b", "null", "None", "%s", "{0}"])
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=NONCHARACTERS),
                max_size=40)
VALUES = st.one_of(_TRICKY, _TEXT, st.lists(st.one_of(_TRICKY, _TEXT), max_size=3).map("".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=VALUES, b=VALUES, c=VALUES)
def test_property_spans_match_plain_jinja(a: str, b: str, c: str) -> None:
    renderer = Renderer()
    context = {"a": a, "b": b, "c": c}
    # Boilerplate at both ends: nothing is stripped off a value, so content spans are the values.
    body = "<< {{ a }} :: {{ b }}\n--{{ c }} >>"
    spans = renderer.render(body, context)
    assert joined(spans) == plain(body, context)
    assert [t for t, k in spans if k == "content"] == [v for v in (a, b, c) if v]
    assert "".join(t for t, k in spans if k == "boilerplate") == "<<  :: \n-- >>"
    # Values at the ends and glued together: the joined text still equals plain Jinja after the strip.
    for edge in ("{{ a }}{{ b }}", "{{ a }}\n{{ c }}", "  {{ b }}  "):
        assert joined(renderer.render(edge, context)) == plain(edge, context)


@pytest.mark.parametrize("body", ["{% if text | nosuch %}x{% endif %}{{ text }}",
                                  "{% if text is nosuch %}x{% endif %}{{ text }}",
                                  "{{ text | nosuch }}"])
def test_unknown_filter_or_test_is_a_render_error_even_inside_if(body: str) -> None:
    renderer = Renderer()
    with pytest.raises(RenderError, match="unknown (filter|test) 'nosuch' on line 1"):
        renderer.render(body, {"text": ""})  # the {% if %} branch never runs: still refused
    with pytest.raises(RenderError, match="unknown"):
        renderer.render_plain(body, {"text": "a"})


def test_known_filters_and_tests_inside_if_render() -> None:
    spans = Renderer().render("{% if text is string and text | length > 1 %}{{ text | upper }}{% endif %}",
                              {"text": "ab"})
    assert joined(spans) == "AB"
