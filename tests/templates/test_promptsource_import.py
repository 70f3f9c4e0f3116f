"""Importing a promptsource (P3) templates.yaml: safe tags, input ||| target split, variants, rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ift_data.builder.expand import DatasetExpander
from ift_data.builder.recipe import ExpansionSpec, FewShotSpec
from ift_data.cli import main
from ift_data.errors import TemplateError
from ift_data.tasks.rows import TaskRow
from ift_data.templates.pack import load_pack
from ift_data.templates.promptsource import import_promptsource, split_jinja
from ift_data.templates.render import joined

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


def test_split_ignores_separators_inside_jinja_tags() -> None:
    assert split_jinja("A {{ x | join(' ||| ') }} ||| B") == ("A {{ x | join(' ||| ') }}", "B")
    assert split_jinja("no separator") is None


def test_import_maps_bodies_choices_and_variants(tmp_path: Path) -> None:
    source = tmp_path / "templates.yaml"
    source.write_text(P3_FILE, encoding="utf-8")
    pack, notes = import_promptsource(source, "entail_p3")
    assert pack["slots"] == ["hypothesis", "label", "premise"]
    assert [t["variant"] for t in pack["templates"]] == ["forward", "forward", "inverted"]
    assert pack["templates"][1]["answer_choices"] == "True ||| False"
    assert notes == ["0004-dddd: skipped (no `input ||| target` split)"]

    out = tmp_path / "entail_p3.yaml"
    result = CliRunner().invoke(main, ["templates", "import-promptsource", str(source), "--family", "entail_p3",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "imported 3 templates" in result.output
    loaded = load_pack(out)
    rows = [TaskRow({"premise": "A man is cooking dinner.", "hypothesis": "Someone is cooking.", "label": 0},
                    "x.jsonl:1", "x.jsonl", 1)]
    expander = DatasetExpander("demo", "train", rows, loaded, ("entailment", "not_entailment"), ExpansionSpec(),
                               FewShotSpec(), seed=0)
    rendered = [expander.render_pair(0, i) for i in range(len(expander.templates))]
    assert joined(rendered[0].input) == 'A man is cooking dinner. Is it then certain that "Someone is cooking."?'
    assert joined(rendered[0].target) == "Yes"
    assert joined(rendered[1].target) == "True"
    assert joined(rendered[2].target) == "Someone is cooking."


def test_a_python_tag_in_a_promptsource_file_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "templates.yaml"
    source.write_text(P3_FILE.replace("!Template\n    answer_choices: Yes", "!!python/object/apply:os.system\n"
                                      "    - echo pwned\n  0009: !Template\n    answer_choices: Yes", 1),
                      encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        import_promptsource(source, "x")
    assert "templates.yaml" in str(info.value)


def test_an_imported_sandbox_escape_never_renders(tmp_path: Path) -> None:
    source = tmp_path / "templates.yaml"
    source.write_text(P3_FILE.replace("{{premise}} Is it then certain", "{{ cycler.__init__.__globals__ }} Is it then certain"),
                      encoding="utf-8")
    out = tmp_path / "evil.yaml"
    assert CliRunner().invoke(main, ["templates", "import-promptsource", str(source), "--family", "evil",
                                     "--out", str(out)]).exit_code in (0, 1)
    rows = [TaskRow({"premise": "p", "hypothesis": "h", "label": 0}, "x:1", "x", 1)]
    expander = DatasetExpander("demo", "train", rows, load_pack(out), ("a", "b"), ExpansionSpec(), FewShotSpec(),
                               seed=0)
    from ift_data.templates.render import RenderError

    with pytest.raises(RenderError):
        expander.render_pair(0, 0)


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
