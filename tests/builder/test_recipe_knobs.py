"""Recipe knobs a FLAN user reaches for: ``expansion.inverted_share``, ``held_out.variants``, ``templates:``
with ``bundled`` beside one's own packs, and docs/recipes.md documenting every key the validator accepts."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ift_data.builder.expand import DatasetExpander
from ift_data.builder.pipeline import run_build
from ift_data.builder.recipe import RECIPE_KEYS, ExpansionSpec, FewShotSpec, load_recipe
from ift_data.cli import main
from ift_data.errors import SpecError
from ift_data.resources import bundled
from ift_data.tasks.rows import TaskRow
from ift_data.templates.pack import load_pack

PROJECT = Path(__file__).resolve().parents[2]


def _rows(n: int) -> list[TaskRow]:
    return [TaskRow({"text": f"row {i} was fine", "label": i % 2}, f"f:{i + 1}", "f", i + 1) for i in range(n)]


def _expander(n: int, **expansion: Any) -> DatasetExpander:
    pack = load_pack(bundled("templates") / "sentiment.yaml")
    return DatasetExpander("reviews", "train", _rows(n), pack, ("negative", "positive"), ExpansionSpec(**expansion),
                           FewShotSpec(), seed=11)


def _inverted(expander: DatasetExpander, epoch: int = 0) -> list[int]:
    """The rows whose template of this pass is inverted."""
    return [row for row, t in expander.assignments(epoch) if expander.templates[t].variant == "inverted"]


def _manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _variants(path: Path) -> Counter[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return Counter(row["source"]["variant"] for row in rows)


# -- expansion.inverted_share ---------------------------------------------------------------------------

def test_default_share_is_the_packs_share() -> None:
    expander = _expander(140)
    pack = load_pack(bundled("templates") / "sentiment.yaml")
    per_cycle = len(pack.inverted)
    assert expander.expansion.inverted_share is None
    # round-robin over every template alike: each full cycle of the pack gives its inverted templates once
    assert len(_inverted(expander)) == 140 // len(pack.templates) * per_cycle


@pytest.mark.parametrize("share", [0.0, 0.1, 0.3, 0.5, 1.0])
def test_round_robin_share_is_exact_every_pass(share: float) -> None:
    expander = _expander(200, inverted_share=share)
    passes = [_inverted(expander, epoch) for epoch in range(3)]
    assert all(len(rows) == round(200 * share) for rows in passes), [len(r) for r in passes]
    if 0 < share < 1:
        assert passes[0] != passes[1], "a later pass gives the inverted templates to other rows"
    # within each variant, templates still rotate: every inverted template is used
    used = {expander.templates[t].id for _, t in expander.assignments(0)}
    want = {t.id for t in expander.templates if (t.variant == "inverted") == (share == 1.0) or 0 < share < 1}
    assert want <= used


def test_random_and_k_draw_the_share() -> None:
    random = _expander(2000, assignment="random", inverted_share=0.4)
    assert 0.36 < len(_inverted(random)) / 2000 < 0.44
    k = _expander(1000, assignment="k", k=3, inverted_share=0.25)
    pairs = k.assignments(0)
    assert len(pairs) == 3000 and all(n == 3 for n in Counter(row for row, _ in pairs).values())
    assert len({(row, t) for row, t in pairs}) == 3000, "k templates per row are distinct"
    inverted = sum(k.templates[t].variant == "inverted" for _, t in pairs)
    assert 0.21 < inverted / 3000 < 0.29


def test_share_is_seeded_and_repeatable() -> None:
    assert _expander(300, assignment="random", inverted_share=0.3).assignments(1) == \
        _expander(300, assignment="random", inverted_share=0.3).assignments(1)


def test_build_realizes_the_share(tasks, make_recipe, helpers, tmp_path: Path) -> None:
    task = tasks.jsonl("reviews", helpers.sentiment_records(100))
    recipe = make_recipe([{"task": str(task)}], expansion={"assignment": "round-robin", "inverted_share": 0.3})
    result = run_build(recipe, tmp_path / "out", console=None)
    assert result.manifest["datasets"]["reviews"]["variants"] == {"forward": 70, "inverted": 30}
    assert result.manifest["expansion"]["inverted_share"] == 0.3
    assert _variants(tmp_path / "out" / "train.segments.jsonl") == {"forward": 70, "inverted": 30}


@pytest.mark.parametrize(("expansion", "needle"), [
    ({"inverted_share": 1.5}, "<= 1"),
    ({"inverted_share": -0.1}, "non-negative"),
    ({"inverted_share": "half"}, "number"),
    ({"inverted_share": 0.2, "variants": ["forward"]}, "needs both variants"),
    ({"inverted_share": 0.2, "assignment": "all"}, "assignment: all"),
])
def test_bad_share_is_an_error_naming_the_field(tasks, make_recipe, helpers, expansion, needle) -> None:
    task = tasks.jsonl("reviews", helpers.sentiment_records(10))
    with pytest.raises(SpecError) as info:
        load_recipe(make_recipe([{"task": str(task)}], expansion=expansion))
    assert info.value.field == "expansion.inverted_share" and needle in info.value.reason, info.value.reason


def test_share_a_pack_cannot_give_is_a_warning(tasks, make_recipe, helpers, tmp_path: Path) -> None:
    packs = tmp_path / "my_packs"
    templates = [{"id": f"mood-fwd-{i:02d}", "variant": "forward", "original_task": True,
                  "choices_in_prompt": True,
                  "input": f"Text number {i}:\n{{{{ text }}}}\nIs the mood positive or negative?{{{{ options }}}}",
                  "target": "{{ answer }}"} for i in range(1, 11)]
    helpers.write_yaml(packs / "mood.yaml", {"family": "mood", "description": "Mood.", "slots": ["text", "label"],
                                             "templates": templates})
    task = tasks.jsonl("moods", helpers.sentiment_records(20), family="mood", labels=["negative", "positive"])
    recipe = make_recipe([{"task": str(task)}], templates=["bundled", str(packs)],
                         expansion={"inverted_share": 0.5})
    result = CliRunner().invoke(main, ["build", str(recipe), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "expansion.inverted_share 0.5 cannot be met" in text and "'mood'" in text
    assert _manifest(tmp_path / "out")["datasets"]["moods"]["variants"] == {"forward": 20}


# -- held_out.variants -------------------------------------------------------------------------------------

def _held_out_recipe(tasks, make_recipe, helpers, **held_out: Any) -> Path:
    train = tasks.jsonl("reviews", helpers.sentiment_records(30))
    pairs = [{"premise": f"p {i}", "hypothesis": f"h {i}", "label": i % 2} for i in range(40)]
    nli = tasks.jsonl("pairs", pairs[:10], family="nli", labels=["entailment", "not_entailment"],
                      fields={"premise": "premise", "hypothesis": "hypothesis", "label": "label"},
                      extra_splits={"validation": pairs})
    return make_recipe([{"task": str(train)}, {"task": str(nli)}], held_out={"clusters": ["nli"], **held_out})


def test_held_out_eval_uses_forward_templates_by_default(tasks, make_recipe, helpers, tmp_path: Path) -> None:
    recipe = _held_out_recipe(tasks, make_recipe, helpers)
    assert load_recipe(recipe).held_out.variants == ("forward",)
    result = run_build(recipe, tmp_path / "out")
    assert _variants(tmp_path / "out" / "eval.segments.jsonl") == {"forward": 40}
    assert result.manifest["held_out"]["variants"] == ["forward"]


def test_held_out_eval_may_use_inverted_templates(tasks, make_recipe, helpers, tmp_path: Path) -> None:
    recipe = _held_out_recipe(tasks, make_recipe, helpers, variants=["forward", "inverted"])
    run_build(recipe, tmp_path / "out")
    got = _variants(tmp_path / "out" / "eval.segments.jsonl")
    assert got["inverted"] > 0 and sum(got.values()) == 40


def test_held_out_variants_are_checked(tasks, make_recipe, helpers) -> None:
    with pytest.raises(SpecError) as info:
        load_recipe(_held_out_recipe(tasks, make_recipe, helpers, variants=["original"]))
    assert info.value.field == "held_out.variants"


# -- templates: bundled -----------------------------------------------------------------------------------

def test_bundled_beside_own_packs_without_absolute_paths(tasks, helpers, tmp_path: Path) -> None:
    project = tmp_path / "project"
    mood = load_pack(bundled("templates") / "sentiment.yaml")
    templates = [{"id": t.id.replace("sentiment", "mood"), "variant": t.variant, "original_task": t.original_task,
                  "choices_in_prompt": t.choices_in_prompt, "input": t.input, "target": t.target,
                  **({"verbalizer": dict(t.verbalizer)} if t.verbalizer else {})} for t in mood.templates]
    helpers.write_yaml(project / "my_packs" / "mood.yaml", {"family": "mood", "description": "Mood.",
                                                            "slots": ["text", "label"], "templates": templates})
    helpers.write_jsonl(project / "moods" / "train.jsonl", helpers.sentiment_records(12, "m"))
    helpers.write_yaml(project / "moods" / "task.yaml", {
        "name": "moods", "family": "mood", "cluster": "mood", "source": {"format": "jsonl", "splits": {"train": "train.jsonl"}},
        "fields": {"text": "text", "label": "label"}, "labels": ["negative", "positive"]})
    helpers.write_jsonl(project / "reviews" / "train.jsonl", helpers.sentiment_records(12, "r"))
    helpers.write_yaml(project / "reviews" / "task.yaml", {
        "name": "reviews", "family": "sentiment", "source": {"format": "jsonl", "splits": {"train": "train.jsonl"}},
        "fields": {"text": "text", "label": "label"}, "labels": ["negative", "positive"]})
    recipe = helpers.write_yaml(project / "recipe.yaml", {
        "name": "mine", "templates": ["bundled", "./my_packs"],
        "datasets": [{"task": "moods/task.yaml"}, {"task": "reviews/task.yaml"}]})
    loaded = load_recipe(recipe)
    assert loaded.template_dirs[0] == bundled("templates")
    assert loaded.template_dirs[1] == (project / "my_packs").resolve()
    result = run_build(recipe, tmp_path / "out")
    assert set(result.manifest["datasets"]) == {"moods", "reviews"}
    packs = {i["path"] for i in result.manifest["inputs"] if i["kind"] == "template_pack"}
    assert "my_packs/mood.yaml" in packs and any(p.endswith("sentiment.yaml") for p in packs)


def test_a_copied_data_samples_folder_builds_anywhere(tmp_path: Path) -> None:
    """The bundled recipe says `templates: bundled`, so a copy of its folder builds without
    --allow-outside-paths (`../templates` pointed outside the copy)."""
    copy = tmp_path / "elsewhere" / "samples"
    shutil.copytree(bundled("data_samples"), copy)
    result = CliRunner().invoke(main, ["build", str(copy / "default_recipe.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert _manifest(tmp_path / "out")["mixing"]["total_written"] > 0


def test_bundled_twice_and_a_folder_called_bundled(tasks, make_recipe, helpers, tmp_path: Path) -> None:
    task = tasks.jsonl("reviews", helpers.sentiment_records(6))
    with pytest.raises(SpecError) as info:
        load_recipe(make_recipe([{"task": str(task)}], templates=["bundled", str(bundled("templates"))]))
    assert info.value.field == "templates" and "listed twice" in info.value.reason
    (tmp_path / "bundled").mkdir()
    loaded = load_recipe(make_recipe([{"task": str(task)}], templates=["./bundled"]))
    assert loaded.template_dirs == ((tmp_path / "bundled").resolve(),)


# -- docs/recipes.md documents every key ----------------------------------------------------------------

def _documented_keys() -> dict[str, str]:
    """Key path -> default, from the table under '## Every key' in docs/recipes.md."""
    text = (PROJECT / "docs" / "recipes.md").read_text(encoding="utf-8")
    section = text.split("\n## Every key\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]*) \|", section, flags=re.M)
    return {key: default.strip() for key, default in rows}


def test_docs_list_every_key_the_validator_accepts_with_its_default() -> None:
    accepted = {f"{section}.{key}" if section else key for section, keys in RECIPE_KEYS.items() for key in keys}
    documented = _documented_keys()
    assert sorted(accepted - set(documented)) == [], "keys the validator accepts but docs/recipes.md lacks"
    assert sorted(set(documented) - accepted) == [], "keys docs/recipes.md lists that the validator refuses"
    assert all(documented.values()), [k for k, v in documented.items() if not v]


def test_docs_defaults_match_the_loaded_defaults(tasks, make_recipe, helpers) -> None:
    task = tasks.jsonl("reviews", helpers.sentiment_records(6))
    recipe = load_recipe(helpers.write_yaml(task.parent.parent / "bare.yaml", {"datasets": [{"task": str(task)}]}))
    documented = _documented_keys()
    loaded = {
        "seed": recipe.seed, "expansion.assignment": recipe.expansion.assignment, "expansion.k": recipe.expansion.k,
        "expansion.options": recipe.expansion.options, "expansion.option_target": recipe.expansion.option_target,
        "few_shot.share": recipe.few_shot.share, "few_shot.k": recipe.few_shot.k,
        "few_shot.max_chars": recipe.few_shot.max_chars, "few_shot.style": recipe.few_shot.style,
        "held_out.write_eval": recipe.held_out.write_eval, "held_out.eval_split": recipe.held_out.eval_split,
        "schedule.mode": recipe.schedule.mode, "mixing.mode": recipe.root.mixing.mode,
        "mixing.temperature": recipe.root.mixing.temperature, "output.chat_format": recipe.output.chat_format,
        "output.mask": recipe.output.mask, "output.overflow": recipe.output.overflow,
        "output.truncate_side": recipe.output.truncate_side,
    }
    for key, value in loaded.items():
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        assert documented[key].startswith(f"`{shown}`"), (key, documented[key], value)
    lists = {"expansion.variants": recipe.expansion.variants, "held_out.variants": recipe.held_out.variants,
             "output.formats": recipe.output.formats, "held_out.clusters": recipe.held_out.clusters}
    for key, value in lists.items():
        assert documented[key].startswith(f"`[{', '.join(value)}]`"), (key, documented[key], value)
    assert recipe.expansion.inverted_share is None and documented["expansion.inverted_share"].startswith("`null`")
    assert recipe.template_dirs == () and documented["templates"] == "`[bundled]`"
