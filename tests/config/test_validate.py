"""The one validator: unknown keys refused with the valid list, required keys, typed reads with ranges, and
messages that quote a value briefly however large it is."""

from __future__ import annotations

import pytest

from ift_data.config import Section, brief, parse_yaml
from ift_data.errors import SpecError, TemplateError

TEXT = """\
name: demo
label_noise:
  max_label_probability: 0.2
  max_clases: 5
sizes: [1, 2]
"""


def _top(text: str = TEXT, **kwargs) -> Section:
    return Section(parse_yaml(text, source="r.yaml"), ("name", "label_noise", "sizes"), file="r.yaml", **kwargs)


def test_an_unknown_key_names_file_line_field_and_the_valid_keys() -> None:
    with pytest.raises(SpecError) as info:
        _top().section("label_noise", ("max_label_probability", "k", "graph"))
    error = info.value
    assert (error.file, error.line, error.field) == ("r.yaml", 4, "label_noise.max_clases")
    assert error.reason == "unknown key 'max_clases' in label_noise; valid keys: graph, k, max_label_probability"
    assert str(error).startswith("r.yaml:4: field 'label_noise.max_clases': unknown key")


def test_unknown_top_level_key_and_empty_key_list() -> None:
    with pytest.raises(SpecError, match=r"unknown key 'colour'; valid keys: label_noise, name, sizes") as info:
        _top("name: x\ncolour: red\n")
    assert info.value.line == 2 and info.value.field == "colour"
    with pytest.raises(SpecError, match=r"valid keys: \(none\)"):
        Section(parse_yaml("a: {b: 1}\n", source="r"), ("a",), file="r").section("a", ())


def test_required_keys_and_non_mappings() -> None:
    with pytest.raises(SpecError, match="required key is missing") as info:
        Section(parse_yaml("name: x\n", source="r"), ("name", "roles"), file="r", required=("roles",))
    assert info.value.field == "roles" and info.value.line == 1
    with pytest.raises(TemplateError, match="must be a mapping, not a list") as info2:
        Section(parse_yaml("- a\n", source="r"), ("a",), file="r", error=TemplateError)
    assert info2.value.line == 1
    with pytest.raises(SpecError, match="must be a mapping, not a string") as info3:
        _top("name: x\nlabel_noise: oops\n").section("label_noise", ("k",))
    assert (info3.value.line, info3.value.field) == (2, "label_noise")


def test_an_absent_section_is_empty_and_defaults_apply() -> None:
    section = _top("name: x\n").section("label_noise", ("k",))
    assert section.integer("k", 10) == 10 and section.line == 1


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "must be a positive integer <= 64, not -1"),
    ("0", "must be a positive integer <= 64, not 0"),
    ("1000000000", "must be a positive integer <= 64, not 1000000000"),
    ("2.0", "must be a positive integer <= 64, not 2.0"),
    ("true", "must be a positive integer <= 64, not True"),
    ("'3'", "must be a positive integer <= 64, not '3'"),
])
def test_integer_types_and_ranges(value: str, message: str) -> None:
    section = Section(parse_yaml(f"x: 1\nk: {value}\n", source="r"), ("x", "k"), file="r")
    with pytest.raises(SpecError) as info:
        section.integer("k", 2, above=True, maximum=64)
    assert info.value.reason == message and info.value.line == 2 and info.value.field == "k"


@pytest.mark.parametrize("value", [".nan", ".inf", "-0.5", "0.01", "[1]"])
def test_number_must_be_finite_and_in_range(value: str) -> None:
    section = Section(parse_yaml(f"t: {value}\n", source="r"), ("t",), file="r")
    with pytest.raises(SpecError, match="must be a finite number >= 0.1"):
        section.number("t", 1.0, minimum=0.1)


def test_valid_reads() -> None:
    text = "n: 3\nf: 0.5\ns: hi\nb: false\nc: dmt\nl: one\nm: [a, b]\n"
    s = Section(parse_yaml(text, source="r"), ("n", "f", "s", "b", "c", "l", "m"), file="r")
    assert s.integer("n", None) == 3 and s.number("f", None, maximum=1) == 0.5 and s.text("s") == "hi"
    assert s.flag("b", True) is False and s.choice("c", ("single", "dmt"), "single") == "dmt"
    assert s.names("l") == ("one",) and s.names("m", one=False) == ("a", "b")
    with pytest.raises(SpecError, match="list of names"):
        s.names("l", one=False)
    with pytest.raises(SpecError, match="must be one of single, dmt"):
        Section({"c": "x"}, ("c",), file="r").choice("c", ("single", "dmt"), "single")


def test_items_give_field_and_line_of_each_list_item() -> None:
    s = Section(parse_yaml("datasets:\n  - {task: a}\n  -\n    task: b\n", source="r"), ("datasets",), file="r")
    assert [(field, line) for field, _, line in s.items("datasets")] == [("datasets[0]", 2), ("datasets[1]", 4)]
    with pytest.raises(SpecError, match="non-empty list"):
        Section({"datasets": []}, ("datasets",), file="r").items("datasets")


def test_messages_quote_huge_values_briefly() -> None:
    """A value built by aliases (or just big) is never repr'd whole into a message."""
    huge = ["lol" * 1000] * 10_000
    nested: object = huge
    for _ in range(50):
        nested = {"k": nested, "j": [nested] * 3}
    for value in (huge, nested, "x" * 10**6, 10**5000, b"\x00" * 10**6, {i: i for i in range(10**5)}):
        assert len(brief(value)) <= 80
    with pytest.raises(SpecError) as info:
        Section({"k": huge}, ("k",), file="r").text("k")
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("key", ['"a\\nb"', '"' + "k" * 10_000 + '"', "1", "null"])
def test_an_odd_unknown_key_still_gives_one_short_line(key: str) -> None:
    with pytest.raises(SpecError) as info:
        Section(parse_yaml(f"ok: 1\n{key}: 2\n", source="r"), ("ok",), file="r")
    assert "\n" not in str(info.value) and len(str(info.value)) < 300 and info.value.line == 2
