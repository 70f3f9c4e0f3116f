"""Super-NaturalInstructions as templates: Tk-Instruct's encodings written as Jinja templates over the rows
of a ``superni`` source (io/sources/superni.py), and ``templates import-superni``, which writes the pack
and one task spec per task file.

The prompt text is Tk-Instruct's (``ni_collator.py``): ``Definition: ...`` and ``Positive Example 1 -`` /
``Input:`` / `` Output:`` / `` Explanation:`` blocks, each text stripped and given a final period when it
does not end in punctuation, then ``Now complete the following example -\\nInput: ...\\nOutput:``. The
target is one of the instance's outputs, drawn with the example's seeded generator. Byte for byte the same
text, except that the prompt is stripped at both ends (Tk-Instruct's ends in ``Output: `` and, without a
definition, starts with a space). Tk-Instruct drops examples that would pass its token budget; here the
export's ``max_len`` / ``overflow`` bound length instead."""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ift_data.errors import UserError

FAMILY_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
PUNCTUATION = '"' + string.punctuation.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Encoding:
    """What Tk-Instruct puts before the instance: the definition, up to ``positive`` / ``negative``
    examples, and the examples' explanations."""

    definition: bool
    positive: int
    negative: int
    explanation: bool
    description: str


# Tk-Instruct's encodings (the five of its training mix, plus the "everything" one).
ENCODINGS: dict[str, Encoding] = {
    "def": Encoding(True, 0, 0, False, "definition only"),
    "pos2": Encoding(False, 2, 0, False, "2 positive examples, no definition"),
    "def-pos2": Encoding(True, 2, 0, False, "definition + 2 positive examples (Tk-Instruct's default)"),
    "def-pos2-neg2": Encoding(True, 2, 2, False, "definition + 2 positive + 2 negative examples"),
    "def-pos2-expl": Encoding(True, 2, 0, True, "definition + 2 positive examples with explanations"),
    "def-pos2-neg2-expl": Encoding(True, 2, 2, True, "definition + 2 positive + 2 negative examples, "
                                                    "with explanations"),
}
DEFAULT_ENCODINGS = ("def-pos2",)
SLOTS = ("definition", "input", "outputs", "positive_examples", "negative_examples")
TARGET = "{{ outputs | random }}"


def _ended(expression: str) -> str:
    """``expression`` stripped, then a period when it does not end in punctuation (Tk-Instruct's rule:
    an empty text gets one too, since what precedes it ends in a space)."""
    return (f"{{% set v = {expression} | trim %}}{{{{ v }}}}"
            "{% if not v or v[-1] not in P %}.{% endif %}")


def _examples(kind: str, field: str, count: int, explanation: bool) -> str:
    """``count`` examples, unrolled so their numbers are template text (boilerplate), not values."""
    out = ""
    for index in range(count):
        ex = f"{field}[{index}]"  # (not a local: Jinja counts a local set in an if as undeclared in a nested if)
        block = f" {kind} Example {index + 1} -\nInput: {_ended(ex + '.input')}\n Output: {_ended(ex + '.output')}\n"
        if explanation:
            block += f"{{% if 'explanation' in {ex} %}} Explanation: {_ended(ex + '.explanation')}\n{{% endif %}}"
        out += f"{{% if {field} | length > {index} %}}{block}\n{{% endif %}}"
    return out


def encoding_input(name: str) -> str:
    """The Jinja input template of one named encoding."""
    if name not in ENCODINGS:
        raise UserError(f"unknown SuperNI encoding {name!r}: use one of {', '.join(ENCODINGS)}", field="encoding")
    enc = ENCODINGS[name]
    body = f"{{% set P = {PUNCTUATION} %}}"
    if enc.definition:
        body += f"Definition: {_ended('definition')}\n\n"
    body += _examples("Positive", "positive_examples", enc.positive, enc.explanation)
    body += _examples("Negative", "negative_examples", enc.negative, enc.explanation)
    body += f"Now complete the following example -\nInput: {_ended('input')}\nOutput:"
    return body


def superni_pack(family: str = "superni", encodings: tuple[str, ...] = DEFAULT_ENCODINGS) -> dict[str, Any]:
    """A pack (YAML-ready mapping) with one forward template per encoding, id ``<family>-<encoding>``."""
    if not encodings:
        raise UserError("name at least one encoding", field="encoding")
    templates = [{"id": f"{family}-{name}", "variant": "forward", "original_task": True, "choices_in_prompt": False,
                  "description": f"Tk-Instruct encoding {name}: {ENCODINGS[name].description}" if name in ENCODINGS
                  else "", "input": encoding_input(name), "target": TARGET} for name in dict.fromkeys(encodings)]
    return {"family": family,
            "description": "Super-NaturalInstructions tasks in Tk-Instruct's encodings (ift-data templates "
                           "import-superni).",
            "slots": list(SLOTS), "templates": templates}


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, so the templates stay readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_BlockDumper.add_representer(str, _str)


def dump_yaml(data: dict[str, Any]) -> str:
    """``data`` as YAML, keys in their order, multi-line strings as blocks."""
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=110)


def superni_names(info: Any) -> tuple[str | None, list[str]]:
    """A task's cluster (its first category, as a name; None without categories) and related names (its
    domains, then ``language_<name>`` for each input language), so a category, a domain or a language
    can be held out."""
    from ift_data.builder.inline import slug

    related = [slug(d) for d in info.domains] + [f"language_{slug(lang)}" for lang in info.input_language]
    return (slug(info.categories[0]) if info.categories else None), list(dict.fromkeys(related))


def task_spec(info: Any, family: str, split: str, data_path: str, max_instances: int | None) -> dict[str, Any]:
    """The task spec (YAML-ready mapping) of one task file: cluster and related from ``superni_names``;
    the description keeps the categories, domains and languages as written."""
    cluster, related = superni_names(info)
    source: dict[str, Any] = {"format": "superni", "splits": {split: data_path}}
    if max_instances is not None:
        source["max_instances"] = max_instances
    languages = ", ".join(dict.fromkeys([*info.input_language, *info.output_language])) or "unknown"
    return {
        "name": info.name, "family": family,
        "cluster": cluster or family, "related": related,
        "description": (f"SuperNI {info.name}: categories {', '.join(info.categories) or '-'}; domains "
                        f"{', '.join(info.domains) or '-'}; languages {languages}"),
        "source": source, "fields": {slot: slot for slot in SLOTS},
    }


def import_superni(path: Path, out_dir: Path, console: Console, *, family: str = "superni",
                   encodings: tuple[str, ...] = DEFAULT_ENCODINGS, split: str = "train",
                   max_instances: int | None = None) -> int:
    """Write ``out_dir/templates/<family>.yaml`` and ``out_dir/tasks/<task>.yaml`` for the task file or
    folder ``path``; print one row per task and every task file that could not be read, with its reason.
    Returns the exit code: 1 when a task file was skipped."""
    from ift_data.io.atomic import atomic_open
    from ift_data.io.paths import overwritten_input
    from ift_data.io.sources.superni import task_files, task_info, task_rows
    from ift_data.schema import Reject

    if not FAMILY_NAME.match(family):
        raise UserError(f"family {family!r} must be lower case letters, digits, '_', '.' and '-' (it starts every "
                        "template id)", field="family")
    for name in encodings:
        encoding_input(name)  # an unknown name fails before anything is written
    files = task_files(path)
    pack = superni_pack(family, encodings)
    pack_path = out_dir / "templates" / f"{family}.yaml"
    clash = overwritten_input([pack_path, *(out_dir / "tasks" / f"{file.stem}.yaml" for file in files)], files)
    if clash is not None:
        raise UserError(f"--out {out_dir} would write {clash[0].relative_to(out_dir)} over the input {clash[1]}; "
                        "choose another output folder")
    with atomic_open(pack_path) as fh:
        fh.write(dump_yaml(pack))
    table = Table(title=f"SuperNI tasks -> {out_dir}")
    for column in ("task", "instances", "used", "cluster", "related", "input language"):
        table.add_column(column)
    skipped: list[UserError] = []
    malformed: list[tuple[str, int, Reject]] = []  # (task, malformed instances, the first one's reject)
    written, instances, used, outside = 0, 0, 0, False
    specs_dir = (out_dir / "tasks").resolve()
    for file in files:
        try:
            info = task_info(file)
            shown = os.path.relpath(file)
            rows = list(task_rows(file, shown, max_instances))  # what a build reads: rows, and rejects saying why
        except UserError as exc:
            skipped.append(exc)
            continue
        data_path = os.path.relpath(file.resolve(), specs_dir)
        outside = outside or data_path.startswith("..")
        spec = task_spec(info, family, split, data_path, max_instances)
        with atomic_open(out_dir / "tasks" / f"{info.name}.yaml") as fh:
            fh.write(dump_yaml(spec))
        bad = [r for r in rows if isinstance(r, Reject) and r.stage != "limit"]
        take = sum(1 for r in rows if not isinstance(r, Reject))
        if bad:
            malformed.append((info.name, len(bad), bad[0]))
        written, instances, used = written + 1, instances + info.instances, used + take
        table.add_row(info.name, f"{info.instances:,}", f"{take:,}", spec["cluster"], ", ".join(spec["related"]),
                      ", ".join(info.input_language))
    console.print(table)
    for error in skipped:
        console.print(f"[red]skipped: {escape(error.format())}[/]", highlight=False, soft_wrap=True)
    for name, count, first in malformed:
        console.print(f"[yellow]{escape(name)}: {count:,} malformed instance(s), not used (read rejects when built); "
                      f"the first: {escape(first.field or '')}: {escape(first.reason)}[/]", highlight=False,
                      soft_wrap=True)
    bad_total = sum(count for _, count, _ in malformed)
    console.print(f"{written} of {len(files)} task files imported ({instances:,} instances, {used:,} used"
                  f"{f' with max_instances {max_instances}' if max_instances is not None else ''}"
                  f"{f', {bad_total:,} malformed' if bad_total else ''}); pack "
                  f"{pack_path} with {len(pack['templates'])} template(s): "
                  f"{', '.join(t['id'] for t in pack['templates'])}")
    if outside:
        # A spec may read files in its own folder only (or below it): the specs are in OUT/tasks/.
        console.print(f"[yellow]the task specs in {escape(str(out_dir / 'tasks'))} name task files outside that "
                      "folder, which a build reads only with --allow-outside-paths; or import again with --out "
                      "set to the folder that holds the task files in its tasks/ folder (for "
                      "natural-instructions/tasks: --out natural-instructions), so each spec lies beside its "
                      "task file[/]", highlight=False, soft_wrap=True)
    return 1 if skipped else 0
