"""Importing promptsource (P3) templates: safe tags, whole bodies, metadata, variants, family names, folders,
the summary and skip reasons, the p3 lint profile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from ift_data.cli import main
from ift_data.errors import TemplateError
from ift_data.templates.pack import load_pack
from ift_data.templates.promptsource import family_name, import_promptsource
from ift_data.templates.promptsource_render import PromptsourceRenderer
from ift_data.templates.render import RenderError

# The shape of promptsource files (both the list and the string form of answer_choices), wording ours.
P3_FILE = """\
dataset: demo_glue
subset: entail
templates:
  0001-aaaa: !Template
    answer_choices: Yes ||| No
    id: 0001-aaaa
    jinja: '{{premise}} Is it then certain that "{{hypothesis}}"? ||| {{ answer_choices[label] }}'
    metadata: !TemplateMetadata
      choices_in_prompt: false
      languages:
      - en
      metrics:
      - Accuracy
      original_task: true
    name: is it certain
    reference: ''
  0002-bbbb: !Template
    answer_choices:
    - 'True'
    - 'False'
    id: 0002-bbbb
    jinja: 'Fact: {{premise}}

      Claim: {{hypothesis}} True or False? |||

      {{answer_choices[label]}}'
    metadata: !TemplateMetadata
      choices_in_prompt: true
      task_template: true
    name: fact and claim
    reference: ''
  0003-cccc: !Template
    id: 0003-cccc
    jinja: 'Write a sentence that follows from: {{premise}} ||| {% if label == 0 %}{{hypothesis}}{% endif %}'
    metadata: !TemplateMetadata
      original_task: false
    name: write an entailed sentence
    reference: ''
  0004-dddd: !Template
    id: 0004-dddd
    jinja: 'No target here: {{premise}}'
    metadata: !TemplateMetadata
      original_task: true
    name: broken
    reference: ''
"""




def _write(folder: Path, text: str = P3_FILE, dataset: str = "demo_glue", subset: str | None = "entail") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = text.replace("dataset: demo_glue\nsubset: entail\n",
                        f"dataset: {dataset}\n" + (f"subset: {subset}\n" if subset else ""))
    (folder / "templates.yaml").write_text(body, encoding="utf-8")
    return folder / "templates.yaml"


def test_import_keeps_whole_bodies_metadata_and_turned_around_variants(tmp_path: Path) -> None:
    result = import_promptsource(_write(tmp_path))
    assert result.family == "demo_glue-entail" and result.total == 4 and result.imported == 3
    assert [(s.key, s.name, s.reason) for s in result.skipped] == [
        ("0004-dddd", "broken", "no `|||` between prompt and target")]
    pack = result.pack
    assert pack is not None and pack["semantics"] == "promptsource"
    assert (pack["dataset"], pack["subset"]) == ("demo_glue", "entail")
    assert pack["slots"] == ["hypothesis", "label", "premise"]
    first, second, third = pack["templates"]
    assert first["id"] == "demo_glue-entail-ps-is-it-certain" and first["promptsource_id"] == "0001-aaaa"
    assert first["jinja"].endswith("||| {{ answer_choices[label] }}")
    assert (first["metrics"], first["languages"], first["choices_in_prompt"]) == (["Accuracy"], ["en"], False)
    assert second["answer_choices"] == "True ||| False" and second["choices_in_prompt"] is True
    # original_task false is kept; this one asks for a sentence from the premise: not the task turned around
    assert (third["original_task"], third["variant"]) == (False, "forward")


def test_original_task_false_is_inverted_only_when_the_task_is_turned_around(tmp_path: Path) -> None:
    turned = P3_FILE.replace("'Write a sentence that follows from: {{premise}} ||| {% if label == 0 %}"
                             "{{hypothesis}}{% endif %}'",
                             "'{{ answer_choices[label] }}: write a claim for {{premise}} ||| {{hypothesis}}'")
    result = import_promptsource(_write(tmp_path, turned))
    assert result.pack is not None
    third = result.pack["templates"][2]
    assert (third["original_task"], third["variant"]) == (False, "inverted")


def test_the_pack_loads_and_renders_like_promptsource(tmp_path: Path) -> None:
    out = tmp_path / "entail.yaml"
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(_write(tmp_path / "src")),
                                       "--family", "entail_p3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    pack = load_pack(out)
    assert pack.semantics == "promptsource" and pack.family == "entail_p3"
    assert [t.metrics for t in pack.templates][0] == ("Accuracy",)
    renderer = PromptsourceRenderer()
    record = {"premise": "A man is cooking dinner.", "hypothesis": "Someone is cooking.", "label": 0}
    applied = [renderer.apply(t, record) for t in pack.templates]
    assert applied[0].prompt_text == 'A man is cooking dinner. Is it then certain that "Someone is cooking."?'
    assert [a.target_text for a in applied] == ["Yes", "True", "Someone is cooking."]
    assert applied[0].answer_choices == ("Yes", "No")


def test_a_folder_imports_recursively_one_pack_per_file_with_a_summary(tmp_path: Path) -> None:
    src = tmp_path / "templates"
    _write(src / "demo_glue" / "entail")
    _write(src / "super_glue" / "rte", dataset="super_glue", subset="rte")
    _write(src / "Zaid" / "coqa_expanded", dataset="Zaid/coqa_expanded", subset=None)
    only_broken = P3_FILE[:P3_FILE.index("  0001-aaaa")] + P3_FILE[P3_FILE.index("  0004-dddd"):]
    _write(src / "broken_only", only_broken, dataset="broken_only", subset=None)
    out = tmp_path / "packs"
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(src), "--out", str(out)],
                                env={"COLUMNS": "200"})  # (a table row on one line)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["demo_glue-entail.yaml", "super_glue-rte.yaml",
                                                      "zaid-coqa_expanded.yaml"]
    text = " ".join(result.output.split())
    assert "4 files │ 3 packs written │ 9 / 13 (69.2 %) │ 0 │ no `|||` between prompt and target: 4" in text
    assert "broken_only │ (none: every template skipped) │ 0 / 1 │ 0 │ no `|||` between prompt and target: 1" in text
    assert "demo_glue/entail │ demo_glue-entail │ 3 / 4 │" in text
    assert "imported 9 of 13 templates (69.2 %) from 4 files into 3 packs" in text
    assert text.count("skipped /") == 4 and "broken_only/templates.yaml: broken (0004-dddd)" in text
    assert "few-templates" not in text and "many-inverted" not in text  # the p3 lint profile
    assert all("/" not in t.id for t in load_pack(out / "super_glue-rte.yaml").templates)


def test_family_names_are_validated() -> None:
    assert family_name("super_glue", "rte") == "super_glue-rte"
    assert family_name("ai2_arc", "ARC-Challenge") == "ai2_arc-arc-challenge"
    with pytest.raises(TemplateError):
        family_name("///", "")


def test_a_hand_given_family_with_a_slash_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(_write(tmp_path)),
                                       "--family", "super_glue/rte", "--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "super_glue/rte" in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_two_files_naming_one_family_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "templates"
    _write(src / "a", dataset="x", subset="y")
    _write(src / "b", dataset="x-y", subset=None)
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(src), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "written twice" in result.output


def test_p3_lint_flags_constructs_that_cannot_render(tmp_path: Path) -> None:
    mutating = P3_FILE.replace("'Write a sentence that follows from: {{premise}} ||| {% if label == 0 %}"
                               "{{hypothesis}}{% endif %}'",
                               "'{{ premise.append(1) }} Write ||| {{ hypothesis }}'")
    mutating = mutating.replace("'No target here: {{premise}}'", "'{{ premise | no_such_filter }} ||| x'")
    out = tmp_path / "p.yaml"
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(_write(tmp_path / "s", mutating)),
                                       "--out", str(out)])
    text = " ".join(result.output.split())
    assert "broken (0004-dddd): jinja: unknown filter 'no_such_filter' on line 1" in text  # skipped, with reason
    assert "[cannot-render]" in text and "'premise', which is read-only" in text
    assert result.exit_code == 1


def test_a_python_tag_in_a_promptsource_file_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "templates.yaml"
    source.write_text(P3_FILE.replace("!Template\n    answer_choices: Yes", "!!python/object/apply:os.system\n"
                                      "    - echo pwned\n  0009: !Template\n    answer_choices: Yes", 1),
                      encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        import_promptsource(source)
    assert "templates.yaml" in str(info.value)


def test_an_imported_sandbox_escape_never_renders(tmp_path: Path) -> None:
    source = tmp_path / "templates.yaml"
    source.write_text(P3_FILE.replace("{{premise}} Is it then certain", "{{ cycler.__init__.__globals__ }} Is it then certain"),
                      encoding="utf-8")
    out = tmp_path / "evil.yaml"
    assert CliRunner().invoke(main, ["templates", "import-promptsource", str(source), "--family", "evil",
                                     "--out", str(out)]).exit_code in (0, 1)
    with pytest.raises(RenderError):
        PromptsourceRenderer().apply(load_pack(out).templates[0], {"premise": "p", "hypothesis": "h", "label": 0})


def test_aliases_in_answer_choices_cannot_blow_up_the_import(tmp_path: Path) -> None:
    """A ~600-byte file whose answer_choices list aliases 10^8 strings: a fast one-line error, no pack."""
    import time

    lines = ["dataset: demo", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 8)]
    lines += ["templates:", "  a: !Template", "    id: a", "    jinja: '{{premise}} ||| {{label}}'",
              "    answer_choices: *l7"]
    source = tmp_path / "templates.yaml"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert source.stat().st_size < 700
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(source), "--family", "bomb",
                                       "--out", str(tmp_path / "bomb.yaml")])
    assert time.perf_counter() - start < 2
    assert result.exit_code == 2 and not (tmp_path / "bomb.yaml").exists()
    message = [line for line in result.output.splitlines() if line.strip()]
    assert len(message) == 1 and "templates.yaml:" in message[0] and "aliases expand" in message[0]
    assert "lol" not in message[0]


def test_show_prints_the_whole_body_and_lint_task_renders_on_records(tmp_path: Path) -> None:
    from ift_data.tasks.rows import TaskRow
    from ift_data.templates.lint import lint_task, promptsource_render_checks

    out = tmp_path / "p.yaml"
    assert CliRunner().invoke(main, ["templates", "import-promptsource", str(_write(tmp_path / "s")),
                                     "--out", str(out)]).exit_code == 0
    shown = CliRunner().invoke(main, ["templates", "show", "demo_glue-entail-ps-is-it-certain", "--dir", str(out)])
    assert shown.exit_code == 0 and "jinja" in shown.output and "||| {{ answer_choices[label] }}" in shown.output
    assert "original_task: true, metrics: Accuracy" in " ".join(shown.output.split())
    pack = load_pack(out)
    rows = [TaskRow({"premise": "p", "hypothesis": "h", "label": 0}, "r:1", "r", 1)]
    assert lint_task(pack, rows, ()) == []
    broken = [TaskRow({"premise": "p", "hypothesis": "h", "label": 0, "answer_choices": "x"}, "r:1", "r", 1)]
    issues = lint_task(pack, broken, ())
    assert {i.code for i in issues} == {"render"} and "reserves" in issues[0].message
    unlabeled = [TaskRow({"premise": "p", "hypothesis": "h", "label": -1}, "r:1", "r", 1)]
    assert lint_task(pack, unlabeled, ()) == []  # a build skips those rows itself, with their reason
    checks = promptsource_render_checks(pack.templates, [r.slots for r in unlabeled])
    assert [i.code for i in checks] == ["empty-render"] * 3


def test_a_folder_needs_a_folder_to_write_into(tmp_path: Path) -> None:
    src = tmp_path / "templates"
    _write(src / "a", dataset="a", subset=None)
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(src), "--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "--out must be a folder" in result.output
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("spelling", ["same", "dotdot", "hard link", "symlink"])
def test_out_that_is_the_input_file_is_refused(tmp_path: Path, spelling: str) -> None:
    """`import-promptsource templates.yaml --out templates.yaml` replaced the promptsource file with the
    converted pack (red-team): now one line naming both, exit 2, the file unchanged."""
    source = _write(tmp_path / "p3")
    before = source.read_bytes()
    out = {"same": source, "dotdot": tmp_path / "p3" / ".." / "p3" / "templates.yaml",
           "hard link": tmp_path / "hard.yaml", "symlink": tmp_path / "link.yaml"}[spelling]
    if spelling == "hard link":
        os.link(source, out)
    if spelling == "symlink":
        out.symlink_to(source)
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(source), "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert f"--out {out} is the input {source}" in lines[0]
    assert source.read_bytes() == before


def test_a_folder_import_never_writes_over_a_templates_yaml(tmp_path: Path) -> None:
    source = _write(tmp_path / "p3" / "demo")
    before = source.read_bytes()
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(tmp_path / "p3"), "--family",
                                       "templates", "--out", str(source.parent)])
    assert result.exit_code == 2 and f"over the input {source}" in result.output, result.output
    assert source.read_bytes() == before and sorted(p.name for p in source.parent.iterdir()) == ["templates.yaml"]
