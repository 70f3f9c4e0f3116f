"""Unknown keys are refused in every config file (recipe sections, rule sections, chat formats, template
packs, masking rules), each error naming the file, the key's line, its dotted field and the valid keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ift_data.audit.rules import load_rules
from ift_data.builder.recipe import load_recipe
from ift_data.chat.custom import load_custom_format
from ift_data.cli import main
from ift_data.errors import SpecError, TemplateError, UserError
from ift_data.templates.pack import load_pack

RECIPE = """\
name: t
seed: 1
templates: {templates}
datasets:
  - task: {task}
    weight: 1
  - collection: group
    datasets:
      - {{task: {task}, name: again}}
    mixing: {{mode: equal}}
mixing:
  mode: proportional
expansion:
  assignment: round-robin
few_shot:
  share: 0
held_out:
  write_eval: true
schedule:
  mode: single
output:
  formats: [segments]
"""

# (line after which the bad key goes, its indent, the field it gets, the section's valid keys)
RECIPE_SECTIONS = {
    "top": (2, "", "bogus", "datasets, description, expansion, few_shot, held_out, mixing, name, output, "
                           "schedule, seed, templates"),
    "dataset": (5, "    ", "datasets[0].bogus", "cluster, hard_cap, name, pack, related, source, split, task, weight"),
    "collection": (7, "    ", "datasets[1].bogus", "collection, datasets, mixing, weight"),
    "mixing": (12, "  ", "mixing.bogus", "mode, temperature, total, weight_cap"),
    "expansion": (14, "  ", "expansion.bogus", "assignment, inverted_share, k, option_target, options, variants"),
    "few_shot": (16, "  ", "few_shot.bogus", "k, max_chars, share, style"),
    "held_out": (18, "  ", "held_out.bogus", "clusters, eval_split, variants, write_eval"),
    "schedule": (20, "  ", "schedule.bogus", "domain, domain_share, mode"),
    "output": (22, "  ", "output.bogus", "chat_format, formats, mask, max_len, overflow, system_prompt, tokenizer, "
                                        "truncate_side"),
}


def _recipe(tmp_path: Path, tasks, helpers, *, after: int | None = None, line: str = "") -> Path:
    task = tasks.jsonl("reviews", helpers.sentiment_records(6))
    lines = RECIPE.format(templates=helpers.TEMPLATES, task=task).splitlines()
    if after is not None:
        lines.insert(after, line)
    path = tmp_path / "recipe.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_base_recipe_loads(tmp_path: Path, tasks, helpers) -> None:
    recipe = load_recipe(_recipe(tmp_path, tasks, helpers))
    assert [d.name for d in recipe.root.datasets()] == ["reviews", "again"]


@pytest.mark.parametrize("section", sorted(RECIPE_SECTIONS))
def test_every_recipe_section_refuses_unknown_keys(tmp_path: Path, tasks, helpers, section: str) -> None:
    after, indent, field, valid = RECIPE_SECTIONS[section]
    path = _recipe(tmp_path, tasks, helpers, after=after, line=f"{indent}bogus: 1")
    with pytest.raises(SpecError) as info:
        load_recipe(path)
    error = info.value
    assert (error.file, error.line, error.field) == (str(path), after + 1, field)
    assert error.reason.startswith("unknown key 'bogus'") and error.reason.endswith(f"valid keys: {valid}")


@pytest.mark.parametrize(("after", "line", "field", "needle"), [
    (16, "  k: 1000000000", "few_shot.k", "positive integer <= 64"),
    (16, "  k: 1e9", "few_shot.k", "not '1e9'"),
    (12, "  temperature: 0.0001", "mixing.temperature", ">= 0.1"),
    (12, "  total: 0", "mixing.total", "positive integer"),
])
def test_recipe_ranges_are_checked_where_read(tmp_path: Path, tasks, helpers, after: int, line: str, field: str,
                                              needle: str) -> None:
    path = _recipe(tmp_path, tasks, helpers, after=after, line=line)
    with pytest.raises(SpecError) as info:
        load_recipe(path)
    assert (info.value.line, info.value.field) == (after + 1, field) and needle in info.value.reason


@pytest.mark.parametrize(("line", "expected"), [("  temperature: 1e1", 10.0), ("  temperature: 5e-1", 0.5),
                                              ("  temperature: 1.5e1", 15.0), ("  temperature: 1E+1", 10.0)])
def test_numbers_yaml_reads_as_text_are_numbers(tmp_path: Path, tasks, helpers, line: str, expected: float) -> None:
    """YAML 1.1 reads ``1e1``, ``5e-1`` (no dot) and ``1.5e1`` (no exponent sign) as strings."""
    path = _recipe(tmp_path, tasks, helpers, after=12, line=line)
    path.write_text(path.read_text(encoding="utf-8").replace("  mode: proportional", "  mode: temperature"),
                    encoding="utf-8")
    recipe = load_recipe(path)
    assert recipe.root.mixing.temperature == expected and isinstance(recipe.root.mixing.temperature, float)


def test_an_exponent_integer_gets_a_hint(tmp_path: Path, tasks, helpers) -> None:
    with pytest.raises(SpecError) as info:
        load_recipe(_recipe(tmp_path, tasks, helpers, after=12, line="  total: 1e3"))
    assert info.value.field == "mixing.total" and "read as text by YAML; write 1000" in info.value.reason


def test_a_duplicate_recipe_key_names_both_lines(tmp_path: Path, tasks, helpers) -> None:
    path = _recipe(tmp_path, tasks, helpers, after=2, line="seed: -1")
    with pytest.raises(SpecError, match=r"duplicate key 'seed' in one mapping \(first on line 2\)") as info:
        load_recipe(path)
    assert info.value.line == 3


def _rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_label_noise_typo_is_refused_listing_its_settings(tmp_path: Path) -> None:
    """`label_noise: {max_clases: 5}` used to load: the embedding families accepted any key."""
    path = _rules(tmp_path, "extends: default\nlength: {max_chars: 100}\nlabel_noise: {max_clases: 5}\n")
    with pytest.raises(SpecError) as info:
        load_rules(str(path))
    error = info.value
    assert (error.line, error.field) == (3, "label_noise.max_clases")
    assert error.reason.startswith("unknown key 'max_clases' in label_noise; valid keys: ")
    assert "max_classes" in error.reason and "min_precision" in error.reason and "graph" in error.reason


@pytest.mark.parametrize(("text", "line", "field", "needle"), [
    ("labelnoise: {k: 1}\n", 1, "labelnoise", "valid keys: clean, "),
    ("outliers:\n  distance_factor: 2\n  min_distanse: 0.1\n", 3, "outliers.min_distanse", "min_distance"),
    ("diversity: {cluster: 5}\n", 1, "diversity.cluster", "clusters, kmeans_iterations, top_pairs"),
    ("dedup_semantic: {treshold: 0.9}\n", 1, "dedup_semantic.treshold",
     "valid keys: min_char_jaccard, same_numbers, threshold"),
    ("dedup_exact: {anything: 1}\n", 1, "dedup_exact.anything", "valid keys: (none)"),
    ("difficulty:\n  weights: {lenght: 0.5}\n", 2, "difficulty.weights.lenght", "length, readability"),
    ("label_noise: {graph: 3}\n", 1, "label_noise.graph", "must be a string"),
    ("label_noise: {min_rows: -1}\n", 1, "label_noise.min_rows", "whole number"),
    ("noise: [1]\n", 1, "noise", "must be a mapping"),
    ("extends: 3\n", 1, "extends", "non-empty string"),
])
def test_every_rule_section_and_setting_is_checked(tmp_path: Path, text: str, line: int, field: str,
                                                   needle: str) -> None:
    with pytest.raises(SpecError) as info:
        load_rules(str(_rules(tmp_path, text)))
    assert (info.value.line, info.value.field) == (line, field) and needle in info.value.reason


def test_every_setting_a_signal_reads_is_in_default_yaml() -> None:
    """default.yaml is the one list of valid rule keys: the bundled rule sets load, with no open section."""
    values = load_rules("default").values
    assert {"graph", "min_precision", "folds", "max_classes"} <= set(values["label_noise"])
    assert {"min_distance"} <= set(values["outliers"]) and {"top_pairs"} <= set(values["diversity"])
    assert load_rules("strict").values["label_noise"] == values["label_noise"]


def test_audit_cli_refuses_the_typo_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"instruction": "a", "output": "b"}) + "\n", encoding="utf-8")
    rules = _rules(tmp_path, "label_noise: {max_clases: 5}\n")
    result = CliRunner().invoke(main, ["audit", str(data), "--out", str(tmp_path / "out"), "--no-embeddings",
                                       "--rules", str(rules)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{rules}:1: field 'label_noise.max_clases'" in lines[0]
    assert "valid keys:" in lines[0]


def test_chat_format_unknown_keys_list_the_valid_ones(tmp_path: Path) -> None:
    path = tmp_path / "chat.yaml"
    path.write_text("name: v\nroles:\n  user: {header: 'U: '}\n  assistant: {header: 'A: ', eot: x}\n")
    with pytest.raises(SpecError) as info:
        load_custom_format(path)
    assert (info.value.line, info.value.field) == (4, "roles.assistant.eot")
    assert info.value.reason.endswith("valid keys: end_of_turn, header, separator")
    path.write_text("roles:\n  user: {}\n  assistant: {}\n  tool: {}\n")
    with pytest.raises(SpecError, match="valid keys: assistant, system, user") as info:
        load_custom_format(path)
    assert info.value.line == 4


PACK = """\
family: demo
slots: [text]
templates:
  - id: demo-1
    variant: forward
    input: "{{ text }}"
    target: "{{ answer }}"
"""


@pytest.mark.parametrize(("text", "line", "field", "needle"), [
    (PACK + "colour: red\n", 8, "colour",
     "valid keys: dataset, description, family, optional_slots, semantics, slots, subset, templates, truncate_chars"),
    (PACK.replace("    variant:", "    inptu: x\n    variant:"), 5, "templates[0].inptu", "answer_choices, "),
    (PACK.replace("variant: forward", "variant: sideways"), 5, "templates[0].variant", "forward, inverted"),
    (PACK.replace("    input:", "    verbalizer: [a]\n    input:"), 6, "templates[0].verbalizer", "verbalizer"),
])
def test_pack_unknown_keys_and_values(tmp_path: Path, text: str, line: int, field: str, needle: str) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_pack(path)
    assert (info.value.line, info.value.field) == (line, field) and needle in info.value.reason


def test_pack_lines_point_at_each_template(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(PACK + PACK[PACK.index("  - id"):].replace("demo-1", "demo-2"), encoding="utf-8")
    assert [t.line for t in load_pack(path).templates] == [4, 8]


def test_masking_rules_refuse_unknown_keys(tmp_path: Path) -> None:
    from ift_data.chat.recommend import load_rules as load_masking_rules

    path = tmp_path / "masking.yaml"
    path.write_text("small_dataset_max: 100\ninstruction_ratio_mni: 2\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_masking_rules(path)
    assert (info.value.line, info.value.field) == (2, "instruction_ratio_mni")
    assert "valid keys: default_mode, instruction_ratio_min" in info.value.reason


@pytest.mark.parametrize("line, knob", [("  temperature: 5", "temperature"),  # under mode: proportional
                                        ("  weight_cap: 100", "weight_cap")])
def test_a_mixing_knob_its_mode_ignores_is_refused(tmp_path: Path, tasks, helpers, line: str, knob: str) -> None:
    """A knob the chosen mode does not read would be a silent no-op (red-team finding D5)."""
    path = _recipe(tmp_path, tasks, helpers, after=12, line=line)
    if knob == "weight_cap":  # the top mixing is proportional, which reads weight_cap: make it equal
        path.write_text(path.read_text(encoding="utf-8").replace("  mode: proportional", "  mode: equal"),
                        encoding="utf-8")
    with pytest.raises(UserError, match=rf"{knob} is read only in mode"):
        load_recipe(path)
