"""Task spec loading and validation: clear errors naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ift_data.errors import SpecError
from ift_data.tasks.spec import load_task_spec

PROJECT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """name: reviews
family: sentiment
source:
  format: tsv
  splits: {train: train.tsv, validation: sub/dev.tsv}
fields: {text: sentence, label: label}
labels: {0: negative, 1: positive}
"""


def test_valid_spec_fields(tmp_path: Path) -> None:
    spec = load_task_spec(write(tmp_path, BASE + "related: [topic]\ncluster: opinions\n"))
    assert spec.name == "reviews" and spec.family == "sentiment" and spec.cluster == "opinions"
    assert spec.related == ("topic",)
    assert spec.source.format == "tsv" and spec.source.header is True and spec.source.quoting == "standard"
    assert spec.source.split_path("train") == (tmp_path / "train.tsv").resolve()
    assert spec.source.split_path("validation") == (tmp_path / "sub" / "dev.tsv").resolve()
    assert spec.fields == (("text", "sentence"), ("label", "label"))
    assert spec.labels == (("0", "negative"), ("1", "positive"))
    assert spec.label_names == ("negative", "positive")


def test_cluster_defaults_to_family(tmp_path: Path) -> None:
    assert load_task_spec(write(tmp_path, BASE)).cluster == "sentiment"


def test_labels_as_list_and_base(tmp_path: Path) -> None:
    text = BASE.replace("labels: {0: negative, 1: positive}", "labels: [bad, good]\nlabel_base: 1")
    assert load_task_spec(write(tmp_path, text)).labels == (("1", "bad"), ("2", "good"))


def test_labels_file(tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_text("\ufeffWorld\nSports\n\nBusiness\n", encoding="utf-8")
    text = BASE.replace("labels: {0: negative, 1: positive}", "labels_file: classes.txt\nlabel_base: 1")
    spec = load_task_spec(write(tmp_path, text))
    assert spec.labels == (("1", "World"), ("2", "Sports"), ("3", "Business"))


@pytest.mark.parametrize(("labels", "line", "words"), [
    ("labels: {0: positive, 1: positive}", 7, "label name 'positive' is given to both raw values 0 and 1"),
    ("labels:\n  0: negative\n  1: neutral\n  2: negative", 10, "label name 'negative' is given to both raw values 0 and 2"),
    ("labels: [bad, good, bad]", 7, "label name 'bad' is given to both raw values 0 and 2"),
    ("labels: {0: negative, '0': positive}", 7, "raw label value '0' is given twice"),
])
def test_duplicate_label_names_are_an_error(tmp_path: Path, labels: str, line: int, words: str) -> None:
    """They built with exit 0, every row of both raw values getting the same answer."""
    path = write(tmp_path, BASE.replace("labels: {0: negative, 1: positive}", labels))
    with pytest.raises(SpecError) as info:
        load_task_spec(path)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), line, "labels")
    assert words in str(info.value) and "\n" not in info.value.format()


def test_duplicate_names_in_a_labels_file_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_text("World\nSports\nWorld\n", encoding="utf-8")
    path = write(tmp_path, BASE.replace("labels: {0: negative, 1: positive}", "labels_file: classes.txt"))
    with pytest.raises(SpecError) as info:
        load_task_spec(path)
    assert (info.value.file, info.value.field) == (str(path), "labels_file")
    assert "'World' is given to both raw values 0 and 2 in classes.txt" in str(info.value)


@pytest.mark.parametrize(("edit", "field", "words"), [
    (lambda t: t + "colour: red\n", "colour", "unknown key"),
    (lambda t: t.replace("format: tsv", "format: xml"), "source.format", "format must be"),
    (lambda t: t.replace("format: tsv", "format: tsv\n  header: false"), "source.columns", "columns"),
    (lambda t: t.replace("format: tsv", "format: tsv\n  quoting: weird"), "source.quoting", "quoting"),
    (lambda t: t.replace("format: tsv", "format: tsv\n  encoding: klingon"), "source.encoding", "encoding"),
    (lambda t: t.replace("format: tsv", "format: tsv\n  encoding: base64"), "source.encoding", "text encoding"),
    (lambda t: t.replace("format: tsv", "format: hf_hub"), "source.dataset", "dataset"),
    (lambda t: t.replace("format: tsv", "format: tsv\n  dataset: squad"), "source.dataset", "hf_hub"),
    (lambda t: t.replace("format: tsv", "format: tsv\n  delimiter: ';;'"), "source.delimiter", "one character"),
    (lambda t: t.replace("format: tsv", "format: tsv\n  extra: 1"), "source.extra", "unknown key"),
    (lambda t: t + "replace: {text: {'': x}}\n", "replace", "empty string"),
    (lambda t: t + "labels_file: classes.txt\n", "labels", "not both"),
    (lambda t: t.replace("labels: {0: negative, 1: positive}", "labels_file: nowhere.txt"), "labels_file",
     "nowhere.txt"),
    (lambda t: t + "replace: {summary: {a: b}}\n", "replace", "summary"),
    (lambda t: t.replace("name: reviews\n", ""), "name", "missing"),
    (lambda t: t.replace("fields: {text: sentence, label: label}", "fields: {}"), "fields", "fields"),
    (lambda t: t + "related: topic\n", "related", "list"),
    (lambda t: t + "label_base: one\n", "label_base", "integer"),
])
def test_invalid_specs_name_file_and_field(tmp_path: Path, edit, field, words) -> None:
    path = write(tmp_path, edit(BASE))
    with pytest.raises(SpecError) as info:
        load_task_spec(path)
    error = info.value
    assert error.file == str(path)
    assert error.field == field
    assert words in str(error)
    assert "\n" not in error.format()


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "fields: [unclosed\n")
    with pytest.raises(SpecError) as info:
        load_task_spec(path)
    assert info.value.file == str(path) and info.value.line is not None


def test_bundled_sample_specs_load() -> None:
    specs = sorted((PROJECT / "data_samples").glob("*/task.yaml"))
    assert len(specs) >= 9
    for path in specs:
        spec = load_task_spec(path)
        for _, split_path in spec.source.splits:
            assert split_path.is_file(), f"{path}: {split_path}"


def test_unknown_keys_message_lists_the_valid_keys(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_task_spec(write(tmp_path, BASE.replace("format: tsv", "format: tsv\n  encodng: utf-8")))
    assert "encodng" in str(info.value) and "valid keys: columns, config, dataset, delimiter, encoding" in str(info.value)
    with pytest.raises(SpecError) as info:
        load_task_spec(write(tmp_path, BASE + "lables: [a, b]\n"))
    assert "valid keys:" in str(info.value) and "labels_file" in str(info.value)


def test_hub_source_keeps_split_names_and_passes_them_to_the_reader(tmp_path: Path) -> None:
    text = BASE.replace("format: tsv\n  splits: {train: train.tsv, validation: sub/dev.tsv}",
                        "format: hf_hub\n  dataset: user/reviews\n  config: plain\n"
                        "  splits: {train: 'train[:100]', validation: validation}")
    spec = load_task_spec(write(tmp_path, text))
    options = spec.source.read_options("train")
    assert (options.format, options.dataset, options.config, options.split) == ("hf_hub", "user/reviews", "plain",
                                                                              "train[:100]")


@pytest.mark.parametrize("codec", ["punycode", "undefined", "idna", "unicode_escape", "rot13", "base64"])
def test_a_codec_that_decodes_no_text_file_is_refused_on_load(tmp_path: Path, codec: str) -> None:
    """`encoding: punycode` passed the check (a text codec to Python) and the build died in a UnicodeError
    traceback reading the file (red-team): now refused when the spec is loaded, naming its line and field."""
    path = write(tmp_path, BASE.replace("format: tsv", f"format: tsv\n  encoding: {codec}"))
    with pytest.raises(SpecError) as info:
        load_task_spec(path)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), 5, "source.encoding")
    assert f"'{codec}' is not a text encoding for files" in str(info.value)


def test_encoding_reaches_the_reader(tmp_path: Path) -> None:
    spec = load_task_spec(write(tmp_path, BASE.replace("format: tsv", "format: tsv\n  encoding: cp1252")))
    assert spec.source.read_options("train").encoding == "cp1252"


def test_each_field_remembers_its_line(tmp_path: Path) -> None:
    text = BASE.replace("fields: {text: sentence, label: label}", "fields:\n  text: sentence\n  label: label")
    spec = load_task_spec(write(tmp_path, text))
    assert (spec.field_line("text"), spec.field_line("label")) == (7, 8)


@pytest.mark.parametrize("label", [True, None, [0], {"a": 0}])
def test_a_label_that_is_no_integer_or_string_is_a_reject_saying_so(tmp_path: Path, label: object) -> None:
    from ift_data.schema import RawRow, Reject
    from ift_data.tasks.rows import to_task_row

    spec = load_task_spec(write(tmp_path, BASE))
    reject = to_task_row(RawRow({"sentence": "fine", "label": label}, "train.tsv", 2), spec)
    assert isinstance(reject, Reject)
    assert f"label must be an integer or a string, found {type(label).__name__}" in reject.reason
    assert "scalar" not in reject.reason
