"""A recipe dataset entry that names a source and a template pack instead of a task spec file: how P3 is
used directly (a Hugging Face dataset + its promptsource pack) and how a SuperNI task is read.

    - name: rte
      source: {format: hf_disk, splits: {train: data/rte_train, validation: data/rte_validation}}
      pack: packs/super_glue_rte.yaml

The entry's ``source`` is a task spec's ``source`` section (any format; ``hf_hub`` reads the local cache).
The record's own fields feed the templates as they are (``TaskSpec.record_fields``); the pack's slots
must be columns of the source (checked when it is read); ``ClassLabel`` names come from the features.
``pack`` is a pack file (relative to the recipe) or the family name of a bundled pack."""

from __future__ import annotations

import re
from pathlib import Path

from ift_data.config import Section
from ift_data.errors import TemplateError
from ift_data.io.paths import resolve_inside
from ift_data.resources import bundled
from ift_data.tasks.spec import SourceSpec, TaskSpec, source_spec
from ift_data.templates.pack import TemplatePack, load_pack

INLINE_KEYS = ("source", "pack", "cluster", "related")


def slug(text: str) -> str:
    """A name usable as a dataset or cluster name: lower case, ``_`` between words."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


def _pack(node: Section, recipe_path: Path, allow: bool) -> TemplatePack:
    value = node.text("pack", nonempty=True)
    if value is None:
        raise node.fail("a dataset with `source:` needs `pack:` (a pack file, or a bundled family's name)", "pack")
    local = resolve_inside(recipe_path.parent, value, allow, lambda m: node.fail(m, "pack"))
    if local.is_file():
        return load_pack(local)
    shipped = bundled("templates") / f"{value}.yaml"
    if "/" not in value and shipped.is_file():
        return load_pack(shipped)
    families = sorted(p.stem for p in bundled("templates").glob("*.yaml"))
    raise node.fail(f"no pack file {value!r} next to the recipe, and no bundled family of that name "
                    f"(bundled: {', '.join(families)})", "pack")


def _default_name(source: SourceSpec, split: str) -> str:
    if source.format == "hf_hub":
        return slug(f"{source.dataset}_{source.config}" if source.config else str(source.dataset))
    return slug(source.split_path(split).stem)


def _superni_cluster(source: SourceSpec, split: str) -> tuple[str | None, tuple[str, ...]]:
    """A single SuperNI task: its cluster and related names (``templates.superni.superni_names``); a
    folder of tasks: (None, ())."""
    from ift_data.io.sources.superni import task_info
    from ift_data.templates.superni import superni_names

    path = source.split_path(split)
    if not path.is_file():
        return None, ()
    cluster, related = superni_names(task_info(path))
    return cluster, tuple(related)


def inline_spec(node: Section, recipe_path: Path, split: str, allow: bool) -> tuple[TaskSpec, Path]:
    """The task spec an entry with ``source:`` and ``pack:`` stands for, and the pack file it uses.
    Errors name the recipe's file, line and field."""
    try:
        pack = _pack(node, recipe_path, allow)
    except TemplateError as exc:
        raise node.fail(f"cannot load the pack: {exc.format()}", "pack") from exc
    source = source_spec(node, recipe_path, allow)
    if split not in dict(source.splits):
        raise node.fail(f"the source has no split {split!r} (it has {', '.join(n for n, _ in source.splits)})",
                        "split")
    cluster, related = (None, ()) if source.format != "superni" else _superni_cluster(source, split)
    cluster = node.text("cluster", nonempty=True) or cluster or pack.family
    extra = node.get("related", None)
    if extra is not None and (not isinstance(extra, list) or not all(isinstance(r, str) and r for r in extra)):
        raise node.fail("related must be a list of cluster or dataset names", "related")
    name = node.text("name", nonempty=True) or _default_name(source, split)
    line = node.line_of("pack")
    spec = TaskSpec(
        name=name, family=pack.family, cluster=cluster, related=tuple(extra) if extra is not None else related,
        source=source, fields=tuple((slot, slot) for slot in pack.slots), replace=(), labels=None,
        path=node.file, field_lines=tuple((slot, line) for slot in pack.slots), record_fields=True,
    )
    return spec, Path(pack.path)
