"""Bad task specs, recipes, template packs, chat formats and YAML through ``ift-data build``: always a
one-line error naming the file (and line / field where there is one), exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hardening_helpers import ROWS, TEMPLATES, BuildCase, dump_yaml, recipe, run_cli, sentiment_spec

PYTHON_TAGS = [
    "!!python/object/apply:os.system ['echo pwned > PWNED']",
    "!!python/object/new:os.system ['echo pwned > PWNED']",
    "!!python/name:os.system",
    "!!python/module:os",
]


def _spec_with(**over: Any) -> dict[str, Any]:
    spec = sentiment_spec("jsonl", "train.jsonl")
    for key, value in over.items():
        if value is _DELETE:
            spec.pop(key)
        else:
            spec[key] = value
    return spec


_DELETE = object()

SPEC_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "unknown_key": (_spec_with(colour="red"), ["unknown key", "colour"]),
    "name_int": (_spec_with(name=5), ["field 'name'"]),
    "family_list": (_spec_with(family=["a"]), ["field 'family'"]),
    "family_unknown": (_spec_with(family="nope"), ["no template pack", "field 'family'"]),
    "source_missing": (_spec_with(source=_DELETE), ["field 'source'"]),
    "source_list": (_spec_with(source=[1]), ["field 'source'"]),
    "format_bad": (_spec_with(source={"format": "xml", "splits": {"train": "train.jsonl"}}), ["source.format"]),
    "splits_str": (_spec_with(source={"format": "jsonl", "splits": "train.jsonl"}), ["source.splits"]),
    "splits_int_path": (_spec_with(source={"format": "jsonl", "splits": {"train": 3}}), ["source.splits"]),
    "split_file_missing": (_spec_with(source={"format": "jsonl", "splits": {"train": "nope.jsonl"}}),
                           ["nope.jsonl", "cannot read"]),
    "split_is_dir": (_spec_with(source={"format": "jsonl", "splits": {"train": "."}}), ["cannot read"]),
    "header_str": (_spec_with(source={"format": "csv", "splits": {"train": "train.jsonl"}, "header": "yes"}),
                   ["source.header"]),
    "columns_int": (_spec_with(source={"format": "csv", "splits": {"train": "train.jsonl"}, "columns": 3}),
                    ["source.columns"]),
    "delimiter_long": (_spec_with(source={"format": "csv", "splits": {"train": "train.jsonl"},
                                          "delimiter": "::"}), ["source.delimiter"]),
    "records_int": (_spec_with(source={"format": "json", "splits": {"train": "train.jsonl"}, "records": 1}),
                    ["source.records"]),
    # a key the format's reader ignores is an error, never a setting that silently does nothing
    "jsonl_header": (_spec_with(source={"format": "jsonl", "splits": {"train": "train.jsonl"}, "header": False}),
                     ["source.header", "only applies to format: csv or tsv"]),
    "jsonl_delimiter": (_spec_with(source={"format": "jsonl", "splits": {"train": "train.jsonl"},
                                           "delimiter": ";"}), ["source.delimiter"]),
    "jsonl_records": (_spec_with(source={"format": "jsonl", "splits": {"train": "train.jsonl"}, "records": "data[]"}),
                      ["source.records", "only applies to format: json"]),
    "parquet_encoding": (_spec_with(source={"format": "parquet", "splits": {"train": "train.jsonl"},
                                            "encoding": "latin-1"}),
                         ["source.encoding", "csv, tsv, jsonl or json"]),
    "fields_empty": (_spec_with(fields={}), ["field 'fields'"]),
    "fields_list": (_spec_with(fields=["text"]), ["field 'fields'"]),
    "fields_value_int": (_spec_with(fields={"text": 1, "label": "label"}), ["field 'fields'"]),
    "labels_bool": (_spec_with(labels=True), ["field 'labels'"]),
    "labels_empty_list": (_spec_with(labels=[]), ["field 'labels'"]),
    "labels_nested": (_spec_with(labels={0: ["a"]}), ["field 'labels'"]),
    "label_base_str": (_spec_with(label_base="1"), ["label_base"]),
    "labels_file_missing": (_spec_with(labels=_DELETE, labels_file="nope.txt"), ["labels_file"]),
    "replace_unknown_slot": (_spec_with(replace={"other": {"a": "b"}}), ["field 'replace'"]),
    "replace_not_mapping": (_spec_with(replace={"text": ["a"]}), ["replace.text"]),
    "related_str": (_spec_with(related="nli"), ["field 'related'"]),
    "cluster_list": (_spec_with(cluster=["a", "b"]), ["field 'cluster'"]),
    "missing_slot": (_spec_with(fields={"label": "label"}), ["needs slot"]),
}


@pytest.mark.parametrize("name", sorted(SPEC_CASES))
def test_bad_task_spec(case: BuildCase, name: str) -> None:
    spec, needles = SPEC_CASES[name]
    case.write(ROWS, spec=spec)
    file = () if name in ("split_file_missing", "split_is_dir") else ("task.yaml",)
    case.build().assert_user_error(*file, *needles)


YAML_TEXT_CASES = {
    "syntax": ("name: [unclosed\n", ["invalid YAML"]),
    "tab_indent": ("name: a\n\tfamily: b\n", ["invalid YAML"]),
    "not_mapping": ("- a\n- b\n", ["mapping"]),
    "empty": ("", ["mapping"]),
    "duplicate_key": ("name: a\nname: b\nfamily: sentiment\n", ["duplicate key", "name"]),
    "invalid_utf8": (b"name: \xff\n", ["cannot read"]),
    "nul": ("name: a\x00b\n", ["invalid YAML"]),
}


@pytest.mark.parametrize("tag", PYTHON_TAGS)
@pytest.mark.parametrize("where", ["task", "recipe", "pack", "chat", "rules"])
def test_yaml_object_tags_are_refused(tmp_path: Path, where: str, tag: str, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    case = BuildCase(tmp_path)
    recipe_path = case.write(ROWS)
    evil = f"name: {tag}\n"
    if where == "task":
        target = tmp_path / "task" / "task.yaml"
        target.write_text(target.read_text() + "description: " + tag + "\n")
    elif where == "recipe":
        target = recipe_path
        target.write_text(target.read_text() + "description: " + tag + "\n")
    elif where == "pack":
        packs = tmp_path / "packs"
        packs.mkdir()
        target = packs / "sentiment.yaml"
        target.write_text((TEMPLATES / "sentiment.yaml").read_text() + "\n" + "description: " + tag + "\n")
        data = recipe(tmp_path / "task" / "task.yaml", templates=str(packs))
        dump_yaml(recipe_path, data)
    elif where == "chat":
        target = tmp_path / "chat.yaml"
        target.write_text(evil + "roles: {user: {header: 'U:'}, assistant: {header: 'A:'}}\n")
    else:
        target = tmp_path / "rules.yaml"
        target.write_text("length: " + tag + "\n")
    if where == "rules":
        (tmp_path / "d.jsonl").write_text('{"instruction": "a", "output": "b"}\n')
        outcome = run_cli("audit", tmp_path / "d.jsonl", "--out", tmp_path / "a", "--no-embeddings",
                          "--rules", target)
    elif where == "chat":
        outcome = case.build("--chat", str(target))
    else:
        outcome = case.build()
    outcome.assert_user_error(target.name)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("name", sorted(YAML_TEXT_CASES))
@pytest.mark.parametrize("where", ["task", "recipe", "pack"])
def test_broken_yaml_text(case: BuildCase, where: str, name: str) -> None:
    text, needles = YAML_TEXT_CASES[name]
    recipe_path = case.write(ROWS)
    if where == "task":
        target = case.root / "task" / "task.yaml"
    elif where == "recipe":
        target = recipe_path
    else:
        packs = case.root / "packs"
        packs.mkdir()
        target = packs / "sentiment.yaml"
        dump_yaml(recipe_path, recipe(case.root / "task" / "task.yaml", templates=str(packs)))
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text)
    outcome = case.build()
    needles = [n for n in needles if not (where == "pack" and n == "mapping")]
    outcome.assert_user_error(target.name, *needles)


NUMBERS = {"negative": -1, "zero": 0, "nan": float("nan"), "inf": float("inf"), "huge": 10**30,
           "string": "3", "bool": True, "float_for_int": 2.5, "list": [1]}


NUMBER_FIELDS = ["hard_cap", "weight", "mixing.weight_cap", "mixing.temperature", "mixing.total", "few_shot.k",
                 "few_shot.max_chars", "few_shot.share", "expansion.k", "output.max_len", "schedule.domain_share",
                 "seed"]
VALID_NUMBERS = {("few_shot.share", "zero"), ("schedule.domain_share", "zero"), ("seed", "zero"),
                 ("weight", "float_for_int"), ("mixing.temperature", "float_for_int")}


@pytest.mark.parametrize(("field", "value"), [(f, v) for f in NUMBER_FIELDS for v in sorted(NUMBERS)
                                              if (f, v) not in VALID_NUMBERS])
def test_bad_numbers_in_recipe(case: BuildCase, field: str, value: str) -> None:
    number = NUMBERS[value]
    recipe_path = case.write(ROWS)
    data = recipe(case.root / "task" / "task.yaml")
    if field in ("hard_cap", "weight"):
        data["datasets"][0][field] = number
    elif "." in field:
        section, key = field.split(".")
        data.setdefault(section, {})[key] = number
    else:
        data[field] = number
    dump_yaml(recipe_path, data)
    case.build().assert_user_error("recipe.yaml", field.split(".")[-1])


RECIPE_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "unknown_top": ({"colour": 1}, ["unknown key", "colour"]),
    "unknown_mixing": ({"mixing": {"mode": "proportional", "K": 3}}, ["unknown key", "mixing"]),
    "mixing_mode": ({"mixing": {"mode": "magic"}}, ["mixing.mode"]),
    "datasets_empty": ({"datasets": []}, ["datasets"]),
    "datasets_str": ({"datasets": "a"}, ["datasets"]),
    "dataset_not_mapping": ({"datasets": ["x"]}, ["datasets[0]"]),
    "dataset_unknown_key": ({"datasets": [{"task": "task/task.yaml", "hardcap": 3}]}, ["hardcap"]),
    "task_missing": ({"datasets": [{"task": "nope/task.yaml"}]}, ["nope"]),
    "task_int": ({"datasets": [{"task": 3}]}, ["datasets[0].task"]),
    "split_unknown": ({"datasets": [{"task": "task/task.yaml", "split": "test"}]}, ["split"]),
    "name_twice": ({"datasets": [{"task": "task/task.yaml"}, {"task": "task/task.yaml"}]}, ["used twice"]),
    "collection_contains_itself": ({"datasets": [{"collection": "c", "datasets": [
        {"collection": "c", "datasets": [{"task": "task/task.yaml"}]}]}]}, ["used twice"]),
    "collection_named_like_dataset": ({"datasets": [{"collection": "ds", "datasets": [
        {"task": "task/task.yaml"}]}]}, ["used twice"]),
    "collection_no_name": ({"datasets": [{"collection": None, "datasets": [{"task": "task/task.yaml"}]}]},
                           ["collection"]),
    "collection_empty": ({"datasets": [{"collection": "c", "datasets": []}]}, ["datasets"]),
    "variants_int": ({"expansion": {"variants": 5}}, ["expansion.variants"]),
    "variants_bad": ({"expansion": {"variants": ["sideways"]}}, ["expansion.variants"]),
    "assignment": ({"expansion": {"assignment": "all-of-them"}}, ["expansion.assignment"]),
    "templates_int": ({"templates": 3}, ["templates"]),
    "templates_missing_dir": ({"templates": "nope"}, ["nope", "no such template"]),
    "section_list": ({"few_shot": [1]}, ["few_shot"]),
    "held_out_int": ({"held_out": {"clusters": 3}}, ["held_out.clusters"]),
    "held_out_dicts": ({"held_out": {"clusters": [{"a": 1}]}}, ["held_out.clusters"]),
    "schedule_domain_int": ({"schedule": {"mode": "dmt", "domain": 5}}, ["schedule.domain"]),
    "held_out_all": ({"held_out": {"clusters": ["sentiment"]}}, ["held_out"]),
    "write_eval_str": ({"held_out": {"write_eval": "no"}}, ["held_out.write_eval"]),
    "eval_split_list": ({"held_out": {"eval_split": ["a"]}}, ["held_out.eval_split"]),
    "schedule_domain_unknown": ({"schedule": {"mode": "dmt", "domain": ["nope"]}}, ["schedule.domain"]),
    # a schedule that a build would silently ignore, or whose DMT stage would be empty
    "schedule_dmt_without_domain": ({"schedule": {"mode": "dmt"}}, ["schedule.mode", "needs `domain`"]),
    "schedule_domain_without_dmt": ({"schedule": {"domain": ["ds"]}}, ["schedule.domain", "only applies to mode: dmt"]),
    "schedule_share_without_dmt": ({"schedule": {"mode": "single", "domain_share": 0.1}},
                                   ["schedule.domain_share", "only applies to mode: dmt"]),
    "schedule_domain_is_everything": ({"schedule": {"mode": "dmt", "domain": ["ds"]}},
                                      ["schedule.domain", "stage 2 would have no general data"]),
    "formats_unknown": ({"output": {"formats": ["xml"]}}, ["xml"]),
    "formats_int": ({"output": {"formats": 3}}, ["output.formats"]),
    "mask_unknown": ({"output": {"mask": "everything"}}, ["mask"]),
    "chat_unknown": ({"output": {"chat_format": "nope"}}, ["nope"]),
    "chat_list": ({"output": {"chat_format": ["chatml"]}}, ["chat_format"]),
    "system_prompt_int": ({"output": {"system_prompt": 5}}, ["output.system_prompt"]),
    "tokenizer_int": ({"output": {"tokenizer": 5}}, ["output.tokenizer"]),
    "tokenized_no_tokenizer": ({"output": {"formats": ["tokenized"]}}, ["tokenizer"]),
    "name_list": ({"name": ["a"]}, ["field 'name'"]),
}


@pytest.mark.parametrize("name", sorted(RECIPE_CASES))
def test_bad_recipe(case: BuildCase, name: str) -> None:
    over, needles = RECIPE_CASES[name]
    recipe_path = case.write(ROWS)
    data = recipe(case.root / "task" / "task.yaml")
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    dump_yaml(recipe_path, data)
    file = {"task_missing": ("task.yaml",), "templates_missing_dir": (), "tokenized_no_tokenizer": ()}
    case.build().assert_user_error(*file.get(name, ("recipe.yaml",)), *needles)


def test_a_dmt_domain_that_is_all_held_out_is_refused(case: BuildCase) -> None:
    """Stage 1 was written with 0 rows and exit 0."""
    recipe_path = case.write(ROWS)
    topic = dict(sentiment_spec("jsonl", "train.jsonl"), name="topics", cluster="topic")
    dump_yaml(case.root / "task" / "topic.yaml", topic)
    data = recipe(case.root / "task" / "task.yaml", held_out={"clusters": ["sentiment"], "write_eval": False},
                  schedule={"mode": "dmt", "domain": ["ds"]})
    data["datasets"].append({"task": "task/topic.yaml"})
    dump_yaml(recipe_path, data)
    case.build().assert_user_error("recipe.yaml", "schedule.domain", "(ds) is held out: stage 1 would be empty")


def test_recipe_is_a_directory(case: BuildCase) -> None:
    run_cli("build", case.root, "--out", case.root / "out").assert_user_error(str(case.root))


def test_recipe_missing(case: BuildCase) -> None:
    run_cli("build", case.root / "nope.yaml", "--out", case.root / "out").assert_user_error("nope.yaml")


def test_one_name_where_a_list_is_expected_is_a_list_of_one(case: BuildCase) -> None:
    """`variants: forward` means [forward] (never the characters of the string)."""
    recipe_path = case.write(ROWS)
    data = recipe(case.root / "task" / "task.yaml", expansion={"variants": "forward"},
                  held_out={"clusters": "nli"})
    dump_yaml(recipe_path, data)
    case.build().assert_user_error("cluster 'nli' matches no dataset")  # ["nli"], not its characters
    dump_yaml(recipe_path, {**data, "held_out": {"clusters": []}})
    case.build().assert_ok()
    text = (case.root / "out" / "train.segments.jsonl").read_text()
    assert '"variant":"forward"' in text and '"variant":"inverted"' not in text
