"""``ift-data build``: recipe -> read -> cap -> expand/render -> mix -> export; every row settles once in a
per-dataset ``Ledger`` whose stage counters make the manifest's accounting."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from ift_data.builder.checks import (
    check_has_rows,
    check_lint,
    check_not_all_exported,
    check_not_all_rejected,
    check_schedule,
    domain_datasets,
    split_held_out,
)
from ift_data.builder.collector import fewer_collections
from ift_data.builder.expand import DatasetExpander
from ift_data.builder.manifest import build_manifest
from ift_data.builder.outcome import DatasetOutcome, render_all, select
from ift_data.builder.outdir import check_inputs_kept, check_out_dir, discard, fresh_dir, swap_in
from ift_data.builder.picks import Selection, shuffled
from ift_data.builder.plan import plan_counts
from ift_data.builder.recipe import DatasetEntry, ExpansionSpec, OutputSpec, Recipe, load_recipe
from ift_data.builder.seeds import rng_for
from ift_data.builder.sources import load_dataset, split_display, with_entry_packs
from ift_data.errors import SpecError
from ift_data.export import ExportOptions, check_export_options
from ift_data.export.parallel import ExportRun, check_engine, engine_session
from ift_data.io.atomic import write_json, write_jsonl
from ift_data.io.run_lock import run_lock
from ift_data.io.sources.base import MAX_FIELD_CHARS
from ift_data.io.workers import resolve_workers
from ift_data.report.progress import step_progress
from ift_data.resources import bundled
from ift_data.schema import Reject
from ift_data.templates.pack import TemplatePack, check_unique_ids, load_packs, text_slots
from ift_data.templates.render import Renderer

DEFAULT_RECIPE = "default_recipe.yaml"


@dataclass
class BuildResult:
    recipe: Recipe
    out_dir: Path
    outcomes: dict[str, DatasetOutcome]
    held_out: dict[str, Any]
    manifest: dict[str, Any]


@dataclass(frozen=True)
class BuildChecks:
    """What the build lets through: datasets whose every row is rejected, packs failing lint on a task."""

    allow_empty_datasets: bool = False
    allow_lint_errors: bool = False


def default_recipe_path() -> Path:
    return bundled("data_samples") / DEFAULT_RECIPE


def run_build(recipe_path: Path | None, out_dir: Path, *, seed: int | None = None,
              output: dict[str, Any] | None = None, console: Console | None = None,
              max_rows: int | None = None, max_field_chars: int | None = None,
              checks: BuildChecks = BuildChecks(), allow_outside_paths: bool = False,
              shard_size: int | None = None, list_unsampled: bool = False, workers: int | None = None,
              engine: str = "local", ray_address: str | None = None) -> BuildResult:
    """Build the recipe into ``out_dir`` (written beside it and swapped in at the end: the folder holds
    exactly this build's files; a second build into the same folder meanwhile is refused);
    ``output`` overrides the recipe's output section.
    ``max_rows`` / ``max_field_chars``: resource limits per dataset split (see ``load_dataset``).
    ``allow_outside_paths``: the recipe and its specs may name files outside their folders.
    ``shard_size``: write each output in shard files of that many rows (default: one file per format).
    ``list_unsampled``: one line of rejects.jsonl per row not sampled (default: one per run of such rows).
    ``workers``: processes that render and format the examples (None: every core this process may use;
    1: in this process); the output is the same bytes for any number.
    ``engine``: ``local`` (this machine) or ``ray`` (chunks rendered on Ray, ``ray_address`` to join a
    running cluster; a local Ray is started when it is None); the same bytes either way."""
    out_dir = Path(out_dir)
    workers = resolve_workers(workers)
    check_engine(engine, ray_address)
    check_out_dir(out_dir)
    with run_lock(out_dir), fewer_collections():
        return _run_build(recipe_path, out_dir, seed, output, console, max_rows, max_field_chars, checks,
                          allow_outside_paths, shard_size, list_unsampled, workers, engine, ray_address)


def _run_build(recipe_path: Path | None, out_dir: Path, seed: int | None, output: dict[str, Any] | None,
               console: Console | None, max_rows: int | None, max_field_chars: int | None, checks: BuildChecks,
               allow_outside_paths: bool, shard_size: int | None = None, list_unsampled: bool = False,
               workers: int = 1, engine: str = "local", ray_address: str | None = None) -> BuildResult:
    limits = {"max_rows": max_rows, "max_field_chars": max_field_chars or MAX_FIELD_CHARS, "workers": workers,
              "engine": engine, "ray_address": ray_address}
    console = console or Console(stderr=True, emoji=False)
    recipe = load_recipe(recipe_path or default_recipe_path(), allow_outside_paths=allow_outside_paths)
    check_inputs_kept(out_dir, _input_files(recipe))
    if seed is not None:
        recipe = replace(recipe, seed=seed)
    if output:
        recipe = replace(recipe, output=replace(recipe.output, **{k: v for k, v in output.items() if v is not None}))
    export_options = replace(_export_options(recipe.output), shard_size=shard_size)
    check_export_options(export_options)
    packs = with_entry_packs(load_packs(recipe.template_dirs or [bundled("templates")]), recipe)
    check_unique_ids(packs)
    train, held = split_held_out(recipe)
    check_schedule(recipe, train)
    _check_families(recipe.root.datasets(), packs)

    run = ExportRun(workers, engine, ray_address)
    with engine_session(run):  # Ray (--engine ray) started once: reading, the selection's renders, every output
        renderer = Renderer()
        outcomes: dict[str, DatasetOutcome] = {}
        expanders: dict[str, DatasetExpander] = {}
        for entry in train:
            outcome, expanders[entry.name] = _prepare(recipe, entry, entry.split, packs, renderer, limits, checks)
            outcomes[entry.name] = outcome
            _warn_share_unmet(entry, expanders[entry.name], console)
        rates, counts, total = plan_counts(recipe.root, {name: o.pool for name, o in outcomes.items()})
        with step_progress(console, "rendering", sum(counts.values())) as step:
            for name, outcome in outcomes.items():
                outcome.requested_rate, outcome.requested = rates.get(name, 0.0), counts.get(name, 0)
                select(outcome, expanders[name], recipe.seed, step.advance, workers, engine)
                _check_rendered(outcome, checks)
        evals, held_info = _held_out_eval(recipe, held, packs, renderer, limits, checks)
        work = fresh_dir(out_dir)
        try:
            sections, inputs = _export(recipe, export_options, outcomes, evals, work, run)
            dropped = _export_fates(sections, inputs)
            ledgers = {name: o.settle(dropped, list_unsampled) for name, o in outcomes.items()}
            eval_ledgers = {name: o.settle(dropped) for name, o in evals.items()}
            check_not_all_exported({**ledgers, **eval_ledgers}, checks.allow_empty_datasets)
            _print_export_warnings(sections, console)
            rejects = [r for ledger in [*ledgers.values(), *eval_ledgers.values()] for r in ledger.rejects]
            write_jsonl(work / "rejects.jsonl", (r.to_json() for r in rejects))
            manifest = build_manifest(recipe, outcomes, ledgers, total, held_info, evals, eval_ledgers, sections, packs)
            write_json(work / "manifest.json", manifest)
            swap_in(work, out_dir)
        finally:
            discard(work)
            for outcome in [*outcomes.values(), *evals.values()]:
                outcome.picks.close()  # the kept renders' files go; examples read later are rendered again
    return BuildResult(recipe, out_dir, outcomes, manifest["held_out"], manifest)


def _input_files(recipe: Recipe) -> list[str | Path]:
    """The files the build reads: the recipe, each task spec, its source files and the files it names (a hub
    source's splits are names, not files)."""
    files: list[str | Path] = [recipe.path]
    for entry in recipe.root.datasets():
        task = entry.task
        files += [task.path, *(path for path, _ in task.files_read)]
        if task.source.format != "hf_hub":
            files += [path for _, path in task.source.splits]
        if entry.pack is not None:
            files.append(entry.pack)
    return [f for f in files if f]


def _prepare(recipe: Recipe, entry: DatasetEntry, split: str, packs: dict[str, TemplatePack], renderer: Renderer,
             limits: dict[str, Any], checks: BuildChecks, expansion: ExpansionSpec | None = None
             ) -> tuple[DatasetOutcome, DatasetExpander]:
    """Read one dataset split, refuse it when every row is rejected, lint its pack on its rows.
    ``expansion``: how to expand it (default: the recipe's; the held-out eval split uses its own variants)."""
    expansion = expansion or recipe.expansion
    pack = packs[entry.task.family]
    entry = replace(entry, task=replace(entry.task, text_slots=text_slots(pack)))  # a list there: a map reject
    base_dir = Path(recipe.path).resolve().parent
    loaded = load_dataset(entry, split, recipe.seed, base_dir, **limits)
    shown = split_display(loaded.path, entry.task.source.format, base_dir)
    check_has_rows(entry.name, split, shown, loaded.rows_in, checks.allow_empty_datasets)
    if not loaded.rows and not loaded.capped:
        check_not_all_rejected(entry.name, loaded.rows_in, loaded.rejects, checks.allow_empty_datasets)
    if not any(t.variant in expansion.variants for t in pack.templates):
        raise SpecError(f"dataset {entry.name!r}: template pack {pack.family!r} has no "
                        f"{' or '.join(expansion.variants)} template", file=pack.path, field="templates")
    issues = check_lint(loaded.entry, pack, loaded.rows, expansion.variants, checks.allow_lint_errors)
    expander = DatasetExpander(entry.name, split, loaded.rows, pack, loaded.label_names, expansion,
                               recipe.few_shot, recipe.seed, renderer)
    outcome = DatasetOutcome(loaded, pool=expander.pool_size(), lint_errors=[i.format() for i in issues])
    return outcome, expander


def _warn_share_unmet(entry: DatasetEntry, expander: DatasetExpander, console: Console) -> None:
    if expander.share_unmet:
        have = sorted({t.variant for t in expander.templates})
        console.print(f"[bold yellow]warning:[/] dataset {escape(entry.name)}: expansion.inverted_share "
                      f"{expander.expansion.inverted_share:g} cannot be met: template pack "
                      f"{escape(entry.task.family)!r} has only {' and '.join(have)} templates, so every example uses "
                      f"them (manifest.json → datasets → variants)", highlight=False, soft_wrap=True)


def _check_rendered(outcome: DatasetOutcome, checks: BuildChecks) -> None:
    if not outcome.count and outcome.failures:
        check_not_all_rejected(outcome.name, len(outcome.loaded.rows), outcome.render_rejects(),
                               checks.allow_empty_datasets)


def _check_families(entries: list[DatasetEntry], packs: dict[str, TemplatePack]) -> None:
    for entry in entries:
        pack = packs.get(entry.task.family)
        if pack is None:
            raise SpecError(f"no template pack for family {entry.task.family!r} "
                            f"(packs: {', '.join(sorted(packs))})", file=entry.task.path, field="family")
        provided = {slot for slot, _ in entry.task.fields}
        valid = (*pack.slots, *pack.optional_slots)
        unknown = [slot for slot, _ in entry.task.fields if slot not in valid]
        if unknown and not entry.task.record_fields:
            raise SpecError(f"unknown slot {unknown[0]!r}: family {pack.family!r} has slots {', '.join(valid)}",
                            file=entry.task.path, line=entry.task.field_line(unknown[0]), field=f"fields.{unknown[0]}")
        missing = [s for s in pack.slots if s not in provided]
        if missing:
            raise SpecError(f"family {pack.family!r} needs slot(s) {missing}", file=entry.task.path, field="fields")


def _held_out_eval(recipe: Recipe, held: list[DatasetEntry], packs: dict[str, TemplatePack], renderer: Renderer,
                   limits: dict[str, Any], checks: BuildChecks) -> tuple[dict[str, DatasetOutcome], dict[str, Any]]:
    """Every row of each held-out dataset's eval split, rendered once (no cap, no sampling)."""
    info: dict[str, Any] = {"clusters": list(recipe.held_out.clusters), "variants": list(recipe.held_out.variants),
                            "datasets": {}}
    evals: dict[str, DatasetOutcome] = {}
    split = recipe.held_out.eval_split
    variants = recipe.held_out.variants
    expansion = replace(recipe.expansion, variants=variants,
                        inverted_share=recipe.expansion.inverted_share if len(set(variants)) == 2 else None)
    for entry in held:
        info["datasets"][entry.name] = {"cluster": entry.task.cluster, "related": list(entry.task.related),
                                        "in_train": False}
        if recipe.held_out.write_eval and split in dict(entry.task.source.splits):
            outcome, expander = _prepare(recipe, replace(entry, hard_cap=None), split, packs, renderer, limits,
                                         checks, expansion)
            render_all(outcome, expander)
            _check_rendered(outcome, checks)
            evals[entry.name] = outcome
    return evals, info


def _export_fates(sections: dict[str, Any], inputs: dict[str, Selection]) -> dict[str, Reject]:
    """The export reject of each example written in no section (the first section's reason)."""
    rejected = {name: {r["id"]: r for r in sections[name].get("rejects", [])} for name in inputs}
    candidates = {i for section in rejected.values() for i in section}
    if not candidates:
        return {}
    written: set[str] = set()
    dropped: dict[str, Reject] = {}
    for name, examples in inputs.items():
        for example_id in examples.ids():
            if example_id not in candidates:
                continue
            r = rejected[name].get(example_id)
            if r is None:
                written.add(example_id)
            else:
                dropped.setdefault(example_id, Reject("", 0, r["reason"], r.get("field"), "export", r["dataset"]))
    return {i: r for i, r in dropped.items() if i not in written}


def _mixed(outcomes: dict[str, DatasetOutcome], seed: int, names: set[str] | None = None) -> array[int]:
    """The mixture's order: the record numbers (across ``outcomes`` in order) of the named datasets,
    shuffled as ``random.shuffle`` shuffled their examples."""
    order: array[int] = array("q")
    start = 0
    for name, o in outcomes.items():
        if names is None or name in names:
            order.extend(range(start, start + o.count))
        start += o.count
    return shuffled(rng_for(seed, "mixture-order"), order)


def _selection(outcomes: dict[str, DatasetOutcome], order: array[int] | None = None) -> Selection:
    return Selection([o.part for o in outcomes.values() if o.expander is not None], order)


def _export_options(spec: OutputSpec) -> ExportOptions:
    return ExportOptions(formats=spec.formats, chat_format=spec.chat_format, mask_mode=spec.mask,
                         system_prompt=spec.system_prompt, tokenizer=spec.tokenizer, max_len=spec.max_len,
                         overflow=spec.overflow, truncate_side=spec.truncate_side)


def _print_export_warnings(sections: dict[str, Any], console: Console) -> None:
    """What the files cannot carry (a mask mode, chat markers the tokenizer lacks), once per message."""
    where: dict[str, list[str]] = {}
    for name, section in sections.items():
        for message in section.get("warnings", []):
            where.setdefault(message, []).append(name)
    for message, names in where.items():
        console.print(f"[bold yellow]warning:[/] export {', '.join(names)}: {escape(message)}", highlight=False,
                      soft_wrap=True)


def _export(recipe: Recipe, options: ExportOptions, outcomes: dict[str, DatasetOutcome],
            evals: dict[str, DatasetOutcome], out_dir: Path, run: ExportRun | None = None
            ) -> tuple[dict[str, Any], dict[str, Selection]]:
    """(the manifest section of each output, the examples given to it: rendered a chunk at a time as the
    export reads them)."""
    from ift_data.export import export_examples, settle_dataset_info

    inputs: dict[str, Selection] = {}
    if recipe.schedule.mode == "dmt":
        inputs["stage1"], inputs["stage2"] = _dmt_stages(recipe, outcomes)
    else:
        inputs["train"] = _selection(outcomes, _mixed(outcomes, recipe.seed))
    eval_examples = _selection(evals)
    if len(eval_examples):
        inputs["eval"] = eval_examples
    sections = {name: export_examples(examples, out_dir, name, options, run) for name, examples in inputs.items()}
    settle_dataset_info(sections, out_dir)
    return sections, inputs


def _dmt_stages(recipe: Recipe, outcomes: dict[str, DatasetOutcome]) -> tuple[Selection, Selection]:
    """DMT: stage 1 = the domain data; stage 2 = the general data plus ``domain_share`` of the domain data."""
    domain = domain_datasets(recipe)
    stage1 = _mixed(outcomes, recipe.seed, domain & set(outcomes))
    general = _mixed(outcomes, recipe.seed, set(outcomes) - domain)
    keep = round(len(stage1) * recipe.schedule.domain_share)
    replay = rng_for(recipe.seed, "dmt-replay").sample(range(len(stage1)), keep) if keep else []
    stage2 = general + array("q", (stage1[i] for i in replay))
    shuffled(rng_for(recipe.seed, "dmt-stage2"), stage2)
    return _selection(outcomes, stage1), _selection(outcomes, stage2)

