"""Hostile and broken template packs and chat formats through ``ift-data build``: sandbox escapes and
resource bombs end as rejects with a reason (or a one-line error), never as leaked internals, a hang or a
traceback; the render rejects account for every example that was not written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hardening_helpers import ROWS, TEMPLATES, BuildCase, dump_yaml

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('echo pwned > PWNED').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__dict__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'].system('echo pwned > PWNED') }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ text.__class__.__base__.__subclasses__() }}",
    "{{ range.__self__ }}",
    "{{ dict.__init__ }}",
    "{{ (label_names|attr('__class__')) }}",
    "{{ '{0.__class__.__mro__}'.format(text) }}",
    "{{ text.format_map(label_names) }}",
    "{% set x = label_names.append('pwned') %}{{ label_names }}",
    "{{ label_names.pop() }}",
    "{{ config }}",
    "{{ request }}",
    "{{ undefined_variable }}",
    "{{ text | nosuchfilter }}",
    "{% include 'other.txt' %}",
    "{% import 'os' as os %}",
    "{% extends 'base.html' %}",
    "{{ text",
    "{% for %}",
]

BOMBS = [
    "{{ 'a' * 10**10 }}",
    "{{ [1] * 10**10 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ 10 ** 100000 }}",
    "{{ range(10**12) | list }}",
    "{{ text * 100000000 }}",
    "{{ (text ~ text) * 999999999 }}",
    "{{ '%s' % ('a' * 10**10) }}",
    "{{ 'x' | center(10**10) }}",
    "{{ 'x' | indent(10**10) }}",
    "{{ 'x' | wordwrap(1) * 10**9 }}",
    "{{ label_names * 10**9 }}",
    "{{ lipsum(10**9) }}",
]


def _pack_with(body: str, where: str = "input") -> dict:
    pack = yaml.safe_load((TEMPLATES / "sentiment.yaml").read_text())
    template = pack["templates"][0]
    template[where] = body
    pack["templates"] = [template]
    return pack


def _write_pack(case: BuildCase, pack: dict) -> None:
    packs = case.root / "packs"
    dump_yaml(packs / "sentiment.yaml", pack)
    case.write(ROWS, recipe_extra={"templates": str(packs), "expansion": {"variants": ["forward"]}})


@pytest.mark.timeout(60)
@pytest.mark.parametrize("body", ESCAPES + BOMBS)
@pytest.mark.parametrize("where", ["input", "target"])
def test_hostile_template_body(case: BuildCase, body: str, where: str, monkeypatch) -> None:
    monkeypatch.chdir(case.root)
    _write_pack(case, _pack_with(body, where))
    outcome = case.build("--allow-lint-errors", "--allow-empty-datasets")  # the sandbox, not lint, is tested
    assert not (case.root / "PWNED").exists()
    if outcome.exit_code == 2:
        outcome.assert_user_error()
        return
    outcome.assert_ok()
    case.assert_accounted(8)
    out = (case.root / "out" / "train.segments.jsonl").read_text()
    for leak in ("<class", "__globals__", "<built-in", "<function", "<module", "os.system", "pwned"):
        assert leak not in out, leak
    rejects = [r for r in case.rejects() if r["stage"] == "render"]
    written = sum(1 for line in out.splitlines() if line)
    manifest = case.manifest()
    assert written + len(rejects) >= manifest["datasets"]["ds"]["examples_requested"]
    for r in rejects:
        assert "template sentiment-fwd-01" in r["reason"] and len(r["reason"]) < 600, r


@pytest.mark.parametrize("body", ["{{ answer_choices.__class__ }}|||b", "{{ 'a' * 10**10 }}|||b",
                                  "{{ lipsum.__globals__ }}|||x"])
def test_hostile_answer_choices(case: BuildCase, body: str) -> None:
    pack = _pack_with("Review: {{ text }}{{ options }}")
    pack["templates"][0].pop("verbalizer", None)
    pack["templates"][0]["answer_choices"] = body
    _write_pack(case, pack)
    outcome = case.build("--allow-lint-errors", "--allow-empty-datasets")
    if outcome.exit_code == 2:
        outcome.assert_user_error()
        return
    outcome.assert_ok()
    case.assert_accounted(8)
    assert "<class" not in (case.root / "out" / "train.segments.jsonl").read_text()


# Expressions whose text is a Python object's repr (often with a memory address, so the bytes change from
# run to run): a function, a method, a class, a generator, a range, a dict view, a Jinja helper.
OBJECT_WRITES = [
    "{{ self }}", "{{ range }}", "{{ cycler(1, 2) }}", "{{ joiner() }}", "{{ namespace(a=1) }}", "{{ text.upper }}",
    "{% macro m() %}x{% endmacro %}{{ m }}", "{{ text.split(' ') | map('upper') }}", "{{ label_names | reverse }}",
    "{{ [text | map('upper')] }}", "{{ range(3) }}", "{{ {'a': 1}.keys() }}", "{{ 'x' ~ text.upper }}",
    "{{ text.upper | string }}", "{{ [range] | join(', ') }}", "{{ '{}'.format(range) }}", "{{ '%s' % (range,) }}",
]


@pytest.mark.parametrize("body", OBJECT_WRITES)
def test_a_template_writing_a_python_object_is_a_render_error(body: str) -> None:
    from ift_data.templates.promptsource_render import PromptsourceRenderer
    from ift_data.templates.render import Renderer, RenderError

    context = {"text": "a review", "label_names": ["negative", "positive"]}
    with pytest.raises(RenderError, match="the template writes"):
        Renderer().render(body, context)
    with pytest.raises(RenderError, match="the template writes"):
        Renderer().render_plain(body, context)
    renderer = PromptsourceRenderer()
    for template in (_promptsource(body + " ||| t"), _promptsource("{{ text }} ||| t", answer_choices=body)):
        with pytest.raises(RenderError, match="the template writes"):
            renderer.apply(template, context)


def test_data_values_of_every_type_still_render() -> None:
    import datetime
    import decimal

    from ift_data.templates.render import Renderer, joined

    context = {"n": 3, "x": 1.5, "flag": True, "none": None, "items": ["a", {"b": [1, 2]}], "day": datetime.date(2024, 1, 2),
               "price": decimal.Decimal("1.10"), "raw": b"ab", "text": "t"}
    body = "{{ n }} {{ x }} {{ flag }} {{ items }} {{ day }} {{ price }} {{ raw }} {{ text | list | join }} {{ items | string }}"
    assert joined(Renderer().render(body, context)) == (
        "3 1.5 True ['a', {'b': [1, 2]}] 2024-01-02 1.10 b'ab' t ['a', {'b': [1, 2]}]")


def test_a_build_never_writes_an_object_repr_and_stays_byte_identical(case: BuildCase, monkeypatch) -> None:
    monkeypatch.chdir(case.root)
    pack = _pack_with("{{ text }}: {{ text.split(' ') | map('upper') }}?{{ options }}")
    _write_pack(case, pack)
    case.build("--allow-lint-errors", "--allow-empty-datasets").assert_ok()
    rejects = [r for r in case.rejects() if r["stage"] == "render"]
    assert rejects and all("the template writes a generator" in r["reason"] for r in rejects), rejects[:1]
    assert " at 0x" not in "".join(p.read_text() for p in (case.root / "out").glob("*.jsonl"))
    case.assert_accounted(8)


def _promptsource(jinja: str, answer_choices: str | None = None):
    from ift_data.templates.pack import Template

    return Template(id="t", family="f", variant="forward", input="", target="", jinja=jinja,
                    answer_choices=answer_choices)


PACK_CASES = {
    "templates_int": ({"family": "sentiment", "slots": ["text", "label"], "templates": 3}, ["templates"]),
    "template_str": ({"family": "sentiment", "slots": ["text", "label"], "templates": ["x"]}, ["templates[0]"]),
    "unknown_key": ({"family": "sentiment", "templates": [], "colour": 1}, ["unknown key"]),
    "id_int": ({"family": "sentiment", "slots": ["text", "label"], "templates": [
        {"id": 3, "variant": "forward", "input": "a", "target": "b"}]}, ["templates[0].id"]),
    "variant_bad": ({"family": "sentiment", "slots": ["text", "label"], "templates": [
        {"id": "x", "variant": "sideways", "input": "a", "target": "b"}]}, ["templates[0].variant"]),
    "verbalizer_list": ({"family": "sentiment", "slots": ["text", "label"], "templates": [
        {"id": "x", "variant": "forward", "input": "a", "target": "b", "verbalizer": ["a"]}]}, ["verbalizer"]),
    "verbalizer_values_int": ({"family": "sentiment", "slots": ["text", "label"], "templates": [
        {"id": "x", "variant": "forward", "input": "a", "target": "b", "verbalizer": {"negative": 1}}]},
        ["verbalizer"]),
    "slots_str": ({"family": "sentiment", "slots": "text", "templates": [
        {"id": "x", "variant": "forward", "input": "a", "target": "b"}]}, ["slots"]),
    "family_int": ({"family": 3, "templates": []}, ["family"]),
    "duplicate_ids": ({"family": "sentiment", "slots": ["text", "label"], "templates": [
        {"id": "x", "variant": "forward", "input": "{{ text }}", "target": "{{ answer }}"},
        {"id": "x", "variant": "forward", "input": "{{ text }}?", "target": "{{ answer }}"}]}, ["x"]),
    "original_task_str": ({"family": "sentiment", "slots": ["text", "label"], "templates": [
        {"id": "x", "variant": "forward", "input": "a", "target": "b", "original_task": "no"}]},
        ["original_task"]),
}


@pytest.mark.parametrize("name", sorted(PACK_CASES))
def test_bad_pack(case: BuildCase, name: str) -> None:
    pack, needles = PACK_CASES[name]
    _write_pack(case, pack)
    case.build().assert_user_error("sentiment.yaml", *needles)


CHAT_CASES = {
    "not_mapping": ("- a\n", ["mapping"]),
    "roles_missing": ("name: x\n", ["roles"]),
    "role_unknown": ("roles: {user: {}, assistant: {}, tool: {}}\n", ["tool"]),
    "header_int": ("roles: {user: {header: 3}, assistant: {}}\n", ["roles.user.header"]),
    "unknown_key": ("colour: red\nroles: {user: {}, assistant: {}}\n", ["colour"]),
    "role_key_unknown": ("roles: {user: {prefix: 'a'}, assistant: {}}\n", ["prefix"]),
    "special_tokens_str": ("special_tokens: '<s>'\nroles: {user: {}, assistant: {}}\n", ["special_tokens"]),
    "duplicate_key": ("roles: {user: {}, assistant: {}}\nroles: {user: {}, assistant: {}}\n", ["duplicate key"]),
    "invalid_utf8": (b"name: \xff\nroles: {user: {}, assistant: {}}\n", ["UTF-8"]),
    "syntax": ("roles: {user: [\n", ["invalid YAML"]),
    "bos_list": ("bos: [1]\nroles: {user: {}, assistant: {}}\n", ["bos"]),
}


@pytest.mark.parametrize("name", sorted(CHAT_CASES))
def test_bad_custom_chat_format(case: BuildCase, name: str) -> None:
    text, needles = CHAT_CASES[name]
    case.write(ROWS)
    chat = case.root / "chat.yaml"
    chat.write_bytes(text if isinstance(text, bytes) else text.encode())
    case.build("--chat", str(chat)).assert_user_error("chat.yaml", *needles)


def test_chat_format_file_in_recipe_is_relative_to_the_recipe(case: BuildCase, tmp_path: Path,
                                                                monkeypatch) -> None:
    monkeypatch.chdir(tmp_path.parent)
    (case.root / "chat.yaml").write_text("roles: {user: {header: 'U: '}, assistant: {header: 'A: '}}\n")
    case.write(ROWS, recipe_extra={"output": {"formats": ["segments"], "chat_format": "chat.yaml"}})
    case.build().assert_ok()
    assert "U: " in (case.root / "out" / "train.segments.jsonl").read_text()
