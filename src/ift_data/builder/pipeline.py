"""``ift-data build``: recipe -> read -> cap -> expand -> mix -> export, with a manifest of every count."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ift_data.builder.expand import DatasetExpander
from ift_data.builder.manifest import build_manifest
from ift_data.builder.plan import plan_counts
from ift_data.builder.recipe import Collection, DatasetEntry, OutputSpec, Recipe, load_recipe
from ift_data.builder.seeds import rng_for
from ift_data.builder.sources import MAX_FIELD_CHARS, LoadedDataset, load_dataset
from ift_data.errors import SpecError
from ift_data.io.atomic import write_json, write_jsonl
from ift_data.resources import bundled
from ift_data.schema import Example, Reject
from ift_data.templates.pack import TemplatePack, check_unique_ids, load_packs
from ift_data.templates.render import Renderer, RenderError

DEFAULT_RECIPE = "default_recipe.yaml"


@dataclass
class DatasetOutcome:
    """What happened to one dataset (the manifest's per-dataset record)."""

    loaded: LoadedDataset
    pool: int
    requested_rate: float = 0.0
    requested: int = 0
    examples: list[Example] = field(default_factory=list)
    render_rejects: list[Reject] = field(default_factory=list)
    unused: list[Reject] = field(default_factory=list)
    epochs: int = 0


@dataclass
class BuildResult:
    recipe: Recipe
    out_dir: Path
    outcomes: dict[str, DatasetOutcome]
    held_out: dict[str, Any]
    manifest: dict[str, Any]


def default_recipe_path() -> Path:
    return bundled("data_samples") / DEFAULT_RECIPE


def run_build(recipe_path: Path | None, out_dir: Path, *, seed: int | None = None,
              output: dict[str, Any] | None = None, console: Console | None = None,
              max_rows: int | None = None, max_field_chars: int | None = None) -> BuildResult:
    """Build the recipe into ``out_dir``; ``output`` overrides the recipe's output section.
    ``max_rows`` / ``max_field_chars``: resource limits per dataset split (see ``load_dataset``)."""
    limits = {"max_rows": max_rows, "max_field_chars": max_field_chars or MAX_FIELD_CHARS}
    console = console or Console(stderr=True)
    recipe = load_recipe(recipe_path or default_recipe_path())
    if seed is not None:
        recipe = replace(recipe, seed=seed)
    if output:
        recipe = replace(recipe, output=replace(recipe.output, **{k: v for k, v in output.items() if v is not None}))
    packs = load_packs(recipe.template_dirs or [bundled("templates")])
    check_unique_ids(packs)
    train, held = _split_held_out(recipe)
    _check_families(recipe.root.datasets(), packs)

    renderer = Renderer()
    outcomes: dict[str, DatasetOutcome] = {}
    expanders: dict[str, DatasetExpander] = {}
    for entry in train:
        loaded = load_dataset(entry, entry.split, recipe.seed, Path(recipe.path).resolve().parent, **limits)
        expander = DatasetExpander(entry.name, entry.split, loaded.rows, packs[entry.task.family],
                                   entry.task.label_names, recipe.expansion, recipe.few_shot, recipe.seed, renderer)
        expanders[entry.name] = expander
        outcomes[entry.name] = DatasetOutcome(loaded, pool=len(expander.assignments(0)))
    rates, counts, total = plan_counts(recipe.root, {name: o.pool for name, o in outcomes.items()})

    with _progress(console) as progress:
        task = progress.add_task("rendering", total=sum(counts.values()))
        for name, outcome in outcomes.items():
            outcome.requested_rate, outcome.requested = rates.get(name, 0.0), counts.get(name, 0)
            _select(outcome, expanders[name], recipe.seed, lambda n: progress.advance(task, n))
    eval_examples, held_info = _held_out_eval(recipe, held, packs, renderer, limits)

    export_manifest = _export(recipe, outcomes, eval_examples, out_dir)
    rejects = [r for o in outcomes.values() for r in _all_rejects(o)]
    export_rejects = [r for section in export_manifest.values() for r in section.get("rejects", [])]
    write_jsonl(out_dir / "rejects.jsonl", [*(r.to_json() for r in rejects), *export_rejects])
    manifest = build_manifest(recipe, outcomes, total, held_info, export_manifest, rejects)
    write_json(out_dir / "manifest.json", manifest)
    return BuildResult(recipe, out_dir, outcomes, held_info, manifest)


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)


def _split_held_out(recipe: Recipe) -> tuple[list[DatasetEntry], list[DatasetEntry]]:
    """Held out: a dataset whose cluster is held out, or that names a held-out cluster as related."""
    clusters = set(recipe.held_out.clusters)
    train, held = [], []
    for entry in recipe.root.datasets():
        hit = entry.task.cluster in clusters or bool(clusters & set(entry.task.related))
        (held if hit else train).append(entry)
    if not train:
        raise SpecError("every dataset is held out; nothing is left to train on", file=recipe.path,
                        field="held_out.clusters")
    return train, held


def _check_families(entries: list[DatasetEntry], packs: dict[str, TemplatePack]) -> None:
    for entry in entries:
        pack = packs.get(entry.task.family)
        if pack is None:
            raise SpecError(f"no template pack for family {entry.task.family!r} "
                            f"(packs: {', '.join(sorted(packs))})", file=entry.task.path, field="family")
        provided = {slot for slot, _ in entry.task.fields}
        missing = [s for s in pack.slots if s not in provided]
        if missing:
            raise SpecError(f"family {pack.family!r} needs slot(s) {missing}", file=entry.task.path, field="fields")


def _select(outcome: DatasetOutcome, expander: DatasetExpander, seed: int, advance) -> None:
    """Render ``outcome.requested`` examples: a seeded sample of the pool, or whole passes over it
    (each pass with other templates) plus a sample when more are asked than one pass holds."""
    name = outcome.loaded.entry.name
    epoch = 0
    while len(outcome.examples) < outcome.requested:
        pool = expander.assignments(epoch)
        order = rng_for(seed, name, "mix", epoch).sample(range(len(pool)), len(pool))
        made = 0
        for position in order:
            if len(outcome.examples) >= outcome.requested:
                break
            row_index, template_index = pool[position]
            template = expander.templates[template_index]
            row = expander.rows[row_index]
            try:
                example = expander.example(row_index, template_index, epoch)
            except RenderError as exc:
                outcome.render_rejects.append(Reject(row.file, row.line, f"template {template.id}: {exc}",
                                                     stage="render", dataset=name))
                continue
            if example is None:
                outcome.render_rejects.append(Reject(row.file, row.line, f"template {template.id} rendered "
                                                     "empty for this row (skipped)", stage="render", dataset=name))
                continue
            outcome.examples.append(example)
            made += 1
        advance(made)
        epoch += 1
        if made == 0:
            break
    outcome.epochs = epoch
    used = {ex.source.row for ex in outcome.examples}
    outcome.unused = [Reject(r.file, r.line, "not sampled: the dataset's mixing share was filled by other rows",
                             stage="mix", dataset=name) for r in expander.rows if r.location not in used]


def _all_rejects(outcome: DatasetOutcome) -> list[Reject]:
    capped = [Reject(r.file, r.line, f"hard cap {outcome.loaded.entry.hard_cap} reached", stage="cap",
                     dataset=outcome.loaded.entry.name) for r in outcome.loaded.capped]
    return [*outcome.loaded.rejects, *capped, *outcome.render_rejects, *outcome.unused]


def _held_out_eval(recipe: Recipe, held: list[DatasetEntry], packs: dict[str, TemplatePack],
                   renderer: Renderer, limits: dict[str, Any]) -> tuple[list[Example], dict[str, Any]]:
    info: dict[str, Any] = {"clusters": list(recipe.held_out.clusters), "datasets": {}}
    examples: list[Example] = []
    for entry in held:
        record: dict[str, Any] = {"cluster": entry.task.cluster, "related": list(entry.task.related),
                                  "in_train": False}
        split = recipe.held_out.eval_split
        if recipe.held_out.write_eval and split in dict(entry.task.source.splits):
            loaded = load_dataset(replace(entry, hard_cap=None), split, recipe.seed,
                                  Path(recipe.path).resolve().parent, **limits)
            expander = DatasetExpander(entry.name, split, loaded.rows, packs[entry.task.family],
                                       entry.task.label_names, recipe.expansion, recipe.few_shot, recipe.seed,
                                       renderer)
            made = 0
            for row_index, template_index in expander.assignments(0):
                try:
                    example = expander.example(row_index, template_index)
                except RenderError:
                    continue
                if example is not None:
                    examples.append(example)
                    made += 1
            record.update(eval_split=split, eval_rows=loaded.rows_in, eval_examples=made,
                          eval_rejected=len(loaded.rejects))
        info["datasets"][entry.name] = record
    return examples, info


def _mixed(outcomes: dict[str, DatasetOutcome], seed: int, names: set[str] | None = None) -> list[Example]:
    examples = [ex for name, o in outcomes.items() if names is None or name in names for ex in o.examples]
    rng_for(seed, "mixture-order").shuffle(examples)
    return examples


def _export(recipe: Recipe, outcomes: dict[str, DatasetOutcome], eval_examples: list[Example],
            out_dir: Path) -> dict[str, Any]:
    from ift_data.export import ExportOptions, export_examples

    spec: OutputSpec = recipe.output
    options = ExportOptions(formats=spec.formats, chat_format=spec.chat_format, mask_mode=spec.mask,
                            system_prompt=spec.system_prompt, tokenizer=spec.tokenizer, max_len=spec.max_len,
                            overflow=spec.overflow)
    sections: dict[str, Any] = {}
    if recipe.schedule.mode == "dmt":
        stage1, stage2 = _dmt_stages(recipe, outcomes)
        sections["stage1"] = export_examples(stage1, out_dir, "stage1", options)
        sections["stage2"] = export_examples(stage2, out_dir, "stage2", options)
    else:
        sections["train"] = export_examples(_mixed(outcomes, recipe.seed), out_dir, "train", options)
    if eval_examples:
        sections["eval"] = export_examples(eval_examples, out_dir, "eval", options)
    return sections


def _dmt_stages(recipe: Recipe, outcomes: dict[str, DatasetOutcome]) -> tuple[list[Example], list[Example]]:
    """DMT: stage 1 = the domain data; stage 2 = the general data plus ``domain_share`` of the domain data."""
    domain = set()
    by_name = {m.name: m for m in _walk(recipe.root)}
    for name in recipe.schedule.domain:
        if name not in by_name:
            raise SpecError(f"schedule names {name!r}, which is no dataset or collection of the recipe",
                            file=recipe.path, field="schedule.domain")
        member = by_name[name]
        domain |= {d.name for d in member.datasets()} if isinstance(member, Collection) else {name}
    stage1 = _mixed(outcomes, recipe.seed, domain & set(outcomes))
    general = _mixed(outcomes, recipe.seed, set(outcomes) - domain)
    keep = round(len(stage1) * recipe.schedule.domain_share)
    replay = rng_for(recipe.seed, "dmt-replay").sample(stage1, keep) if keep else []
    stage2 = general + replay
    rng_for(recipe.seed, "dmt-stage2").shuffle(stage2)
    return stage1, stage2


def _walk(collection: Collection) -> Iterator[DatasetEntry | Collection]:
    for member in collection.members:
        yield member
        if isinstance(member, Collection):
            yield from _walk(member)
