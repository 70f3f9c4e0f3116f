"""``ift-data templates lint``: the bundled packs pass; each defect fails with the template's id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ift_data.cli import main
from ift_data.templates.lint import lint_packs, sample_rows
from ift_data.templates.pack import load_packs

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATES, SAMPLES = PROJECT / "templates", PROJECT / "data_samples"


def lint_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["templates", "lint", *args])
    return result.exit_code, result.output


# -- the bundled packs ------------------------------------------------------------------------------

def test_bundled_packs_pass_lint() -> None:
    code, output = lint_cli()
    assert code == 0, output
    assert "0 errors" in output


def test_bundled_packs_counts() -> None:
    packs = load_packs([TEMPLATES])
    assert len(packs) >= 10, sorted(packs)
    for family, pack in packs.items():
        assert len(pack.forward) >= 10, family
        assert 1 <= len(pack.inverted) <= 3, family
        ids = [t.id for t in pack.templates]
        assert len(ids) == len(set(ids)), family
        for template in pack.templates:
            assert template.family == family
            assert template.variant in ("forward", "inverted")
            if template.variant == "inverted":
                assert not template.original_task, template.id


def test_every_bundled_family_has_sample_rows() -> None:
    samples = sample_rows(SAMPLES)
    for family in load_packs([TEMPLATES]):
        assert any(rows for rows, _ in samples.get(family, [])), f"no sample rows for {family}"


def test_bundled_packs_lint_clean_in_process() -> None:
    packs = load_packs([TEMPLATES])
    issues = lint_packs(list(packs.values()), sample_rows(SAMPLES))
    assert [i.format() for i in issues if i.severity == "error"] == []


# -- packs with one defect each -------------------------------------------------------------------------

def good_templates() -> list[dict[str, Any]]:
    """Ten distinct valid forward templates and one inverted one for the `tiny` family."""
    out = [{"id": f"tiny-fwd-{i:02d}", "variant": "forward", "original_task": True, "choices_in_prompt": True,
            "input": f"Text {i}: {{{{ text }}}}\nIs this good or bad?{{{{ options }}}}", "target": "{{ answer }}"}
           for i in range(1, 11)]
    out.append({"id": "tiny-inv-01", "variant": "inverted", "original_task": False, "choices_in_prompt": False,
                "input": "Write a {{ answer }} sentence.", "target": "{{ text }}"})
    return out


@pytest.fixture
def lint_dirs(tmp_path: Path, helpers):
    write_jsonl, write_yaml = helpers.write_jsonl, helpers.write_yaml
    samples = tmp_path / "samples"
    write_jsonl(samples / "tiny_rows" / "train.jsonl",
                [{"text": f"sample sentence {i}", "label": i % 2} for i in range(6)])
    write_yaml(samples / "tiny_rows" / "task.yaml", {
        "name": "tiny_rows", "family": "tiny", "source": {"format": "jsonl", "splits": {"train": "train.jsonl"}},
        "fields": {"text": "text", "label": "label"}, "labels": {0: "bad", 1: "good"}})

    def write_pack(templates: list[dict[str, Any]]) -> Path:
        return write_yaml(tmp_path / "packs" / "tiny.yaml",
                          {"family": "tiny", "description": "test", "slots": ["text", "label"],
                           "templates": templates})
    return write_pack, samples


def test_good_tiny_pack_passes(lint_dirs) -> None:
    write_pack, samples = lint_dirs
    code, output = lint_cli(str(write_pack(good_templates())), "--samples", str(samples))
    assert code == 0, output
    assert "0 errors" in output


def _with(extra: dict[str, Any], replace_first: bool = False) -> list[dict[str, Any]]:
    templates = good_templates()
    if replace_first:
        templates[0] = extra
    else:
        templates.append(extra)
    return templates


DEFECTS = {
    "duplicate-id": ({"id": "tiny-fwd-03", "variant": "forward", "input": "Another: {{ text }}{{ options }}",
                      "target": "{{ answer }}"}, "tiny-fwd-03"),
    "duplicate-body": ({"id": "tiny-fwd-dup", "variant": "forward",
                        "input": "Text 4:   {{ text }}\nIs this good or bad?{{ options }}",
                        "target": "{{ answer }}"}, "tiny-fwd-dup"),
    "undefined-variable": ({"id": "tiny-fwd-undef", "variant": "forward", "input": "Text: {{ txt }}{{ options }}",
                            "target": "{{ answer }}"}, "tiny-fwd-undef"),
    "stray-character": ({"id": "tiny-fwd-glued", "variant": "forward",
                         "input": "{{ text }}nQuestion: good or bad?{{ options }}", "target": "{{ answer }}"},
                        "tiny-fwd-glued"),
    "literal-escape": ({"id": "tiny-fwd-escape", "variant": "forward",
                        "input": "Text: {{ text }}\\nQuestion: good or bad?{{ options }}",
                        "target": "{{ answer }}"}, "tiny-fwd-escape"),
    "target-not-a-choice": ({"id": "tiny-fwd-target", "variant": "forward",
                             "input": "Text: {{ text }}\nGood or bad?{{ options }}",
                             "target": "The answer is {{ answer }}"}, "tiny-fwd-target"),
    "empty-render": ({"id": "tiny-fwd-empty", "variant": "forward",
                      "input": "{% if label > 5 %}Text: {{ text }}{% endif %}", "target": "{{ answer }}"},
                     "tiny-fwd-empty"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_fails_with_template_id(lint_dirs, defect: str) -> None:
    write_pack, samples = lint_dirs
    template, bad_id = DEFECTS[defect]
    code, output = lint_cli(str(write_pack(_with(template))), "--samples", str(samples))
    assert code != 0, output
    error_lines = [line for line in output.splitlines() if ": error [" in line]
    assert error_lines, output
    assert any(bad_id in line for line in error_lines), output
    # Only the bad template is blamed (a duplicate id names the id both templates share).
    assert all(bad_id in line for line in error_lines), output


def test_literal_tab_escape_is_caught(lint_dirs) -> None:
    write_pack, samples = lint_dirs
    bad = {"id": "tiny-fwd-tab", "variant": "forward", "input": "Text:\\t{{ text }}{{ options }}",
           "target": "{{ answer }}"}
    code, output = lint_cli(str(write_pack(_with(bad))), "--samples", str(samples))
    assert code != 0 and "tiny-fwd-tab" in output, output


def test_defect_codes_in_process(lint_dirs) -> None:
    write_pack, samples = lint_dirs
    expected = {"duplicate-id": "duplicate-id", "duplicate-body": "duplicate-body",
                "undefined-variable": "undefined-variable", "stray-character": "stray-character",
                "literal-escape": "literal-escape", "target-not-a-choice": "render", "empty-render": "empty-render"}
    for defect, (template, bad_id) in DEFECTS.items():
        packs = load_packs([write_pack(_with(template))])
        issues = [i for i in lint_packs(list(packs.values()), sample_rows(samples)) if i.severity == "error"]
        assert {i.template_id for i in issues} == {bad_id}, defect
        assert expected[defect] in {i.code for i in issues}, defect


def test_unknown_template_key_is_a_user_error(lint_dirs) -> None:
    write_pack, samples = lint_dirs
    bad = {"id": "tiny-fwd-key", "variant": "forward", "input": "{{ text }}", "target": "{{ answer }}",
           "tagret": "typo"}
    result = CliRunner().invoke(main, ["templates", "lint", str(write_pack(_with(bad))), "--samples", str(samples)])
    assert result.exit_code == 2
    assert "tagret" in result.output


def test_template_count_warnings_do_not_fail(lint_dirs) -> None:
    write_pack, samples = lint_dirs
    few = good_templates()[:3] + good_templates()[-1:]
    code, output = lint_cli(str(write_pack(few)), "--samples", str(samples))
    assert code == 0, output
    assert "warning [few-templates] tiny" in output


def _sentiment_rows(texts: list[str]):
    from ift_data.tasks.rows import TaskRow

    return [TaskRow(slots={"text": t, "label": i % 2}, location=f"t.jsonl:{i + 1}", file="t.jsonl", line=i + 1)
            for i, t in enumerate(texts)]


def test_lint_task_flags_a_template_only_when_every_row_fails() -> None:
    from ift_data.templates.lint import lint_task

    pack = load_packs([TEMPLATES / "sentiment.yaml"])["sentiment"]
    good = _sentiment_rows([f"review {i}" for i in range(6)])
    assert lint_task(pack, good, ("negative", "positive")) == []
    one_bad = _sentiment_rows([f"review {i}" + ("\ufdd0" if i == 2 else "") for i in range(6)])
    assert lint_task(pack, one_bad, ("negative", "positive")) == []  # row-dependent: the build rejects the row
    issues = lint_task(pack, good, ("subjective", "objective"))  # a sentiment pack on subj's labels
    assert issues and {i.code for i in issues} == {"render"} and all(i.severity == "error" for i in issues)
    assert all("verbalizer" in i.message for i in issues)
    forward_only = lint_task(pack, good, ("subjective", "objective"), variants=("forward",))
    assert forward_only and {i.template_id for i in forward_only} <= {t.id for t in pack.forward}


def test_unknown_filter_is_a_lint_error_not_a_crash(lint_dirs) -> None:
    write_pack, samples = lint_dirs
    bad = {"id": "tiny-fwd-filter", "variant": "forward", "input": "{% if text | nosuch %}{{ text }}{% endif %}",
           "target": "{{ answer }}"}
    code, output = lint_cli(str(write_pack(_with(bad))), "--samples", str(samples))
    assert code == 1, output
    assert "unknown-name" in output and "unknown filter 'nosuch'" in output


def test_sample_spec_reading_outside_its_folder_is_reported_not_skipped_silently(lint_dirs, tmp_path: Path,
                                                                                  helpers) -> None:
    """A sample spec whose split lies outside its folder is named in a warning; with
    --allow-outside-paths its rows are read and linted on."""
    write_pack, samples = lint_dirs
    helpers.write_jsonl(tmp_path / "elsewhere" / "rows.jsonl", [{"text": "a fine sample", "label": 0}])
    spec = samples / "tiny_rows" / "task.yaml"
    spec.write_text(spec.read_text().replace("train.jsonl", "../../elsewhere/rows.jsonl"))
    pack = str(write_pack(good_templates()))
    code, output = lint_cli(pack, "--samples", str(samples))
    assert code == 0, output
    assert "sample spec not used" in output and "--allow-outside-paths" in output
    code, output = lint_cli(pack, "--samples", str(samples), "--allow-outside-paths")
    assert "sample spec not used" not in output, output


# -- escapes are errors even where no sample row renders the body ------------------------------------------

ESCAPES = {
    "class": "{{ text.__class__ }}",
    "globals": "{{ cycler.__init__.__globals__ }}",
    "item": "{{ text['__class__'] }}",
    "attr filter": "{{ text | attr('_secret') }}",
    "map attribute": "{{ label_names | map(attribute='__class__') | join }}",
}


@pytest.mark.parametrize("kind", sorted(ESCAPES))
def test_private_access_is_an_error_without_sample_rows(lint_dirs, tmp_path: Path, kind: str) -> None:
    """The reported case: no sample rows for the family, so nothing rendered, and lint said 0 errors."""
    write_pack, _ = lint_dirs
    bad = {"id": "tiny-fwd-escape", "variant": "forward", "input": f"Text: {ESCAPES[kind]}{{{{ options }}}}",
           "target": "{{ answer }}"}
    empty = tmp_path / "no_samples"
    empty.mkdir()
    code, output = lint_cli(str(write_pack(_with(bad))), "--samples", str(empty))
    assert code == 1, output
    assert "error [unsafe-access] tiny-fwd-escape" in output, output
    assert "warning [not-rendered] tiny" in output and "no sample rows for family tiny" in output, output


def test_private_access_in_a_promptsource_pack_is_an_error(tmp_path: Path, helpers) -> None:
    pack = helpers.write_yaml(tmp_path / "ps" / "ps.yaml", {
        "family": "ps", "semantics": "promptsource", "slots": ["text"],
        "templates": [{"id": "ps-1", "jinja": "{{ text }} {{ cycler.__init__.__globals__ }} ||| {{ text }}"}]})
    (tmp_path / "none").mkdir()
    code, output = lint_cli(str(pack), "--samples", str(tmp_path / "none"), "--profile", "p3")
    assert code == 1, output
    assert "error [unsafe-access] ps-1" in output and "'__init__'" in output, output


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_samples_path_that_is_no_folder_is_an_error(lint_dirs, tmp_path: Path, kind: str) -> None:
    """It used to exit 0 with only not-rendered warnings: nothing was rendered, and nothing said why."""
    write_pack, _ = lint_dirs
    samples = tmp_path / "no_such_samples"
    if kind == "file":
        samples.write_text("not a folder", encoding="utf-8")
    code, output = lint_cli(str(write_pack(good_templates())), "--samples", str(samples))
    assert code == 2, output
    assert output.count("\n") == 1 and str(samples) in output and "--samples" in output, output
    assert ("no such folder" if kind == "missing" else "not a folder") in output, output


# -- what the sandbox refuses on every row is an error even without sample rows ------------------------------

@pytest.mark.parametrize("body", [
    "{% set a0 = 2 ** 49000 + 1 %}{% set a = a0*a0 %}{{ text }}{{ (a // (a0 + 7)) > 0 }}",
    "{{ text }}{% for i in range(100000) %}{{ (10 ** 4000 * 10 ** 4000) > 0 }}{% endfor %}",
])
def test_a_literal_expression_the_sandbox_refuses_is_an_error_without_sample_rows(lint_dirs, tmp_path: Path,
                                                                                  body: str) -> None:
    write_pack, _ = lint_dirs
    bad = {"id": "tiny-fwd-bigint", "variant": "forward", "input": body + "{{ options }}", "target": "{{ answer }}"}
    empty = tmp_path / "no_samples"
    empty.mkdir()
    code, output = lint_cli(str(write_pack(_with(bad))), "--samples", str(empty))
    assert code == 1, output
    assert "error [sandbox] tiny-fwd-bigint: input: line 1:" in output and "bits" in output, output


def test_literal_expressions_the_sandbox_allows_pass(lint_dirs) -> None:
    write_pack, samples = lint_dirs
    fine = {"id": "tiny-fwd-math", "variant": "forward", "target": "{{ answer }}",
            "input": "{{ text }} {{ 2 ** 100 - 1 }} {{ (7 // 2, 1 < 2 < 3, [1, 2] + [3]) }} {{ 1 // 0 if false }}{{ options }}"}
    code, output = lint_cli(str(write_pack(_with(fine))), "--samples", str(samples))
    assert code == 0, output
    assert "[sandbox]" not in output, output


def test_a_record_key_with_one_underscore_stays_readable(lint_dirs) -> None:
    write_pack, samples = lint_dirs
    fine = {"id": "tiny-fwd-key", "variant": "forward", "input": "{{ text }} {{ {'_id': 1}['_id'] }}{{ options }}",
            "target": "{{ answer }}"}
    code, output = lint_cli(str(write_pack(_with(fine))), "--samples", str(samples))
    assert code == 0, output
    assert "unsafe-access" not in output and "not-rendered" not in output
