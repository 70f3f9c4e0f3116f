"""The one YAML loader: safe tags only, duplicate keys refused, line numbers, and resource bombs (aliases,
nesting, huge integers, huge or special files) turned into fast one-line errors naming file and line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ift_data.config import YamlList, YamlMap, line_of, load_yaml, parse_yaml, plain
from ift_data.config.yaml_loader import MAX_FILE_BYTES
from ift_data.errors import SpecError, TemplateError


def _error(text: str, **kwargs) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_yaml(text, source="conf.yaml", **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith("conf.yaml")
    return info.value


def _laughs(levels: int, width: int = 10) -> str:
    """The classic billion-laughs document: ``width ** levels`` strings from a few hundred bytes."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_mappings_and_lists_remember_their_lines() -> None:
    data = parse_yaml("name: x\nitems:\n  - a\n  - {k: 1,\n     j: 2}\nnested:\n  deep: {v: 1}\n", source="c")
    assert isinstance(data, YamlMap) and data.line == 1
    assert data.key_lines == {"name": 1, "items": 2, "nested": 6}
    assert isinstance(data["items"], YamlList) and data["items"].item_lines == [3, 4]
    assert data["items"][1].key_lines == {"k": 4, "j": 5}
    assert line_of(data["nested"], "deep") == 7 and line_of(data, "missing") == 1 and line_of("x") is None
    assert data == {"name": "x", "items": ["a", {"k": 1, "j": 2}], "nested": {"deep": {"v": 1}}}
    assert type(plain(data)) is dict and type(plain(data)["items"]) is list


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    error = _error("name: a\nother: 1\nname: b\n")
    assert error.line == 3 and "duplicate key 'name'" in error.reason and "line 1" in error.reason
    assert _error("outer:\n  k: 1\n  k: 2\n").line == 3
    # 1 and true are one key to Python: refused rather than silently merged
    assert "duplicate key" in _error("1: a\ntrue: b\n").reason


def test_merge_keys_still_work_and_explicit_keys_win() -> None:
    data = parse_yaml("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", source="c")
    assert data["d"] == {"x": 1, "y": 3}


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['echo pwned']", "!!python/name:os.system",
                                 "!!python/module:os", "!Template {a: 1}", "!custom x"])
def test_tags_other_than_plain_yaml_are_refused(tag: str) -> None:
    error = _error(f"a: 1\nb: {tag}\n")
    assert error.line == 2 and "not allowed" in error.reason


def test_a_caller_may_allow_named_tags_as_plain_mappings() -> None:
    text = "t: !Template\n  id: x\n  meta: !TemplateMetadata {original_task: true}\n"
    data = parse_yaml(text, source="c", tags=("!Template", "!TemplateMetadata"))
    assert data == {"t": {"id": "x", "meta": {"original_task": True}}} and data["t"].key_lines["id"] == 2
    assert "must be on a mapping" in _error("t: !Template [1]\n", tags=("!Template",)).reason
    assert "not allowed" in _error("t: !!python/name:os.system\n", tags=("!Template",)).reason


@pytest.mark.parametrize("levels", [9, 30])
def test_billion_laughs_fails_fast_with_a_short_message(levels: int) -> None:
    """10^9 (or 10^30) strings from a few hundred bytes: refused in milliseconds, not expanded, not quoted."""
    start = time.perf_counter()
    error = _error(_laughs(levels))
    assert time.perf_counter() - start < 0.5
    assert "aliases expand" in error.reason and len(str(error)) < 200 and "lol" not in str(error)
    assert error.line is not None and error.line <= 6


def test_alias_bombs_through_merge_keys_and_long_scalars_are_refused() -> None:
    merges = ["a0: &a0 {x: 1}"] + [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: 1}}" for i in range(1, 40)]
    assert "aliases expand" in _error("\n".join(merges)).reason
    long = "s: &s " + "x" * 50_000 + "\nl: [" + ", ".join(["*s"] * 100) + "]\n"
    assert "aliases expand" in _error(long).reason


def test_modest_alias_use_is_fine() -> None:
    text = "markers: &m [a, b, c]\nnoise: {markers: *m}\nlength: {markers: *m}\n"
    assert parse_yaml(text, source="c")["length"]["markers"] == ["a", "b", "c"]


def test_a_recursive_alias_is_refused() -> None:
    assert "contains it" in _error("a: &a [1, *a]\n").reason
    assert "contains it" in _error("a: &a {k: *a}\n").reason


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, "a:\n" + "".join(" " * i + "- \n" for i in range(1, 200)),
                                  "x: &x [[[[[[[[[[1]]]]]]]]]]\n" + "".join(
                                      f"y{i}: &y{i} [[[[[[[[[[*{'x' if i == 0 else f'y{i - 1}'}]]]]]]]]]]\n"
                                      for i in range(8))])
def test_deep_nesting_is_a_one_line_error(text: str) -> None:
    """Directly, or through aliases that each add a few levels: never a RecursionError."""
    assert "nesting deeper than" in _error(text).reason


@pytest.mark.parametrize("number", ["1" * 4301, "-" + "9" * 5000, "0x" + "f" * 4000, "0b" + "1" * 20_000,
                                    "1:" * 3000 + "1"])
def test_huge_integers_are_a_one_line_error(number: str) -> None:
    error = _error(f"a: 1\nk: {number}\n")
    assert error.line == 2 and "integer too large" in error.reason


@pytest.mark.parametrize("value", ['!!int ""', "!!int _", "!!int 0x", "!!float x", "!!bool maybe", "!!timestamp x",
                                   "!!timestamp 2001-13-45", "!!int 1:2:x"])
def test_explicit_tags_on_unreadable_scalars_are_a_one_line_error(value: str) -> None:
    """Found by fuzzing: PyYAML's scalar constructors raise IndexError/KeyError/... on these."""
    error = _error(f"a: 1\nb: {value}\n")
    assert error.line == 2 and "is not a valid !!" in error.reason


@pytest.mark.parametrize("tag", ["!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!binary", "!!str",
                                 "!!set", "!!omap", "!!pairs", "!!map", "!!seq"])
@pytest.mark.parametrize("node", ["[1, 2]", "{a: 1}", "x"])
def test_a_scalar_tag_on_a_collection_or_the_reverse_is_a_one_line_error(tag: str, node: str) -> None:
    """Found by fuzzing: `!!int [..]` reached the int constructor with a list."""
    loads = {("!!null", "x"), ("!!str", "x"), ("!!set", "{a: 1}"), ("!!map", "{a: 1}"), ("!!seq", "[1, 2]")}
    try:
        parse_yaml(f"a: {tag} {node}\n", source="conf.yaml")
    except SpecError as exc:
        assert (tag, node) not in loads and "\n" not in str(exc) and exc.line == 1
    else:
        assert (tag, node) in loads


def test_big_but_sane_integers_load() -> None:
    assert parse_yaml("k: " + "9" * 4000, source="c")["k"] == int("9" * 4000)


def test_syntax_errors_nul_and_multiple_documents_name_the_line() -> None:
    assert _error("a: 1\nb: [unclosed\n").reason.startswith("invalid YAML")
    nul = _error("a: 1\nb: x\x00y\n")
    assert nul.line == 2 and "U+0000" in nul.reason
    assert "single document" in _error("a: 1\n---\nb: 2\n").reason
    assert "undefined alias" in _error("a: *nope\n").reason


def test_a_huge_anchor_or_tag_name_is_cut_in_the_message() -> None:
    assert len(str(_error("a: *" + "n" * 100_000 + "\n"))) < 400
    assert len(str(_error("a: !" + "t" * 100_000 + " x\n"))) < 400


def test_files_unreadable_special_or_too_big(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot read"):
        load_yaml(tmp_path / "missing.yaml", error=TemplateError)
    with pytest.raises(SpecError, match="not a regular file"):
        load_yaml(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: \xff\n")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_yaml(bad)
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(SpecError, match="too big"):
        load_yaml(big)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(SpecError, match="not a regular file"):
        load_yaml(fifo)


def test_empty_file_is_none(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text("# only a comment\n")
    assert load_yaml(tmp_path / "e.yaml") is None
