"""The build's ``manifest.json``: inputs, per-dataset accounting, requested vs realized rates, outputs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ift_data import __version__
from ift_data.builder.counters import Ledger, StageCount, by_reason, by_stage, merged, reason_kind
from ift_data.builder.recipe import Recipe
from ift_data.schema import Reject

if TYPE_CHECKING:
    from ift_data.builder.outcome import DatasetOutcome
    from ift_data.templates.pack import TemplatePack


def build_manifest(recipe: Recipe, outcomes: dict[str, DatasetOutcome], ledgers: dict[str, Ledger], total: int,
                   held: dict[str, Any], evals: dict[str, DatasetOutcome], eval_ledgers: dict[str, Ledger],
                   outputs: dict[str, Any], packs: dict[str, TemplatePack] | None = None) -> dict[str, Any]:
    """Everything a reader needs to trust the build: what went in (data files, the held-out eval files
    among them with ``purpose: eval``, and the recipe, task specs,
    labels files and template packs with the sha256 of the bytes as they were read), where every row
    went (merged from the stage counters of each dataset's ledger), what came out."""
    selected = sum(o.count for o in outcomes.values())
    datasets: dict[str, Any] = {}
    for name, o in outcomes.items():
        templates, variants = (o.picks.template_counts(o.expander), o.picks.variant_counts(o.expander)
                               ) if o.expander is not None else (Counter[str](), Counter[str]())
        few = o.picks.few_shot()
        datasets[name] = {
            "task": o.loaded.entry.task.name, "family": o.loaded.entry.task.family,
            "cluster": o.loaded.entry.task.cluster, "split": o.loaded.split, "hard_cap": o.loaded.entry.hard_cap,
            **ledgers[name].accounting(),
            "pool_examples": o.pool, "examples": o.count, "examples_requested": o.requested,
            "render_skipped": o.render_failed, "render_skipped_by_reason": dict(sorted(o.failed_by_kind.items())),
            "passes": o.epochs,
            "requested_rate": round(o.requested_rate, 6),
            "realized_rate": round(o.count / selected, 6) if selected else 0.0,
            "templates": dict(sorted(templates.items())),
            "variants": dict(sorted(variants.items())),
            "shots": {"zero": o.count - few, "few": few},
            "lint_errors": o.lint_errors,
            "source": o.loaded.source_info,
        }
    held = {**held, "datasets": {name: {**record, **_eval_record(evals.get(name), eval_ledgers.get(name), outputs)}
                                 for name, record in held["datasets"].items()}}
    inputs = [{"kind": "data", "dataset": name, "split": o.loaded.split, "purpose": purpose,
               "path": _relative(o.loaded.path, recipe), "sha256": o.loaded.sha256, "rows": o.loaded.rows_in}
              for purpose, group in (("train", outcomes), ("eval", evals)) for name, o in group.items()]
    inputs += _config_inputs(recipe, packs or {})
    all_ledgers = [*ledgers.values(), *eval_ledgers.values()]
    export = {name: _export_count(name, section).to_json() for name, section in outputs.items()}
    return {
        "ift_data_version": __version__,
        "recipe": {"name": recipe.name, "path": _relative(Path(recipe.path), recipe),
                   "sha256": recipe.sha256},
        "seed": recipe.seed,
        "inputs": inputs,
        "mixing": {"mode": recipe.root.mixing.mode, "weight_cap": recipe.root.mixing.weight_cap,
                   "temperature": recipe.root.mixing.temperature, "total_requested": total,
                   "total_selected": selected,
                   "total_written": sum(s["counts"]["written"] for n, s in outputs.items() if n != "eval")},
        "expansion": {"assignment": recipe.expansion.assignment, "k": recipe.expansion.k,
                      "variants": list(recipe.expansion.variants), "options": recipe.expansion.options,
                      "option_target": recipe.expansion.option_target,
                      "inverted_share": recipe.expansion.inverted_share},
        "few_shot": {"share": recipe.few_shot.share, "k": recipe.few_shot.k,
                     "max_chars": recipe.few_shot.max_chars, "style": recipe.few_shot.style},
        "schedule": {"mode": recipe.schedule.mode, "domain": list(recipe.schedule.domain),
                     "domain_share": recipe.schedule.domain_share},
        "datasets": datasets,
        "held_out": held,
        "accounting": {
            **merged(ledgers.values()),
            "examples_dropped_at_export": sum(e["dropped"] for e in export.values()),
            "export": export,
            "eval": merged(eval_ledgers.values()),
        },
        "rejects": {"file": "rejects.jsonl", "count": sum(len(ledger.rejects) for ledger in all_ledgers),
                    "by_stage": by_stage(all_ledgers), "by_reason": by_reason(all_ledgers)},
        "outputs": outputs,
    }


def _eval_record(outcome: DatasetOutcome | None, ledger: Ledger | None, outputs: dict[str, Any]) -> dict[str, Any]:
    """A held-out dataset's eval split: its row accounting and the examples written for it."""
    if outcome is None or ledger is None:
        return {}
    dropped = sum(r["dataset"] == outcome.name for r in outputs.get("eval", {}).get("rejects", []))
    return {"eval_split": ledger.split, **ledger.accounting(), "eval_examples": outcome.count - dropped,
            "render_skipped": outcome.render_failed,
            "render_skipped_by_reason": dict(sorted(outcome.failed_by_kind.items())), "lint_errors": outcome.lint_errors}


def _export_count(name: str, section: dict[str, Any]) -> StageCount:
    """The export stage of one output, in examples: in, written, dropped by reason kind."""
    counts = section["counts"]
    reasons = Counter(reason_kind(Reject("", 0, r["reason"], stage="export")) for r in section.get("rejects", []))
    return StageCount(f"export:{name}", counts["examples_in"], counts["written"], reasons)


def _config_inputs(recipe: Recipe, packs: dict[str, TemplatePack]) -> list[dict[str, Any]]:
    """The recipe, each task spec and file it read, each template pack: path and sha256 as read."""
    seen: dict[str, dict[str, Any]] = {}

    def add(kind: str, path: str, sha256: str) -> None:
        shown = _relative(Path(path), recipe)
        seen.setdefault(f"{kind}:{shown}", {"kind": kind, "path": shown, "sha256": sha256})

    add("recipe", recipe.path, recipe.sha256)
    for entry in recipe.root.datasets():
        if not entry.task.record_fields:  # an entry with source + pack has no spec file (the recipe says it)
            add("task_spec", entry.task.path, entry.task.sha256)
        for path, sha256 in entry.task.files_read:
            add("labels_file", path, sha256)
    for family in sorted(packs):
        add("template_pack", packs[family].path, packs[family].sha256)
    return list(seen.values())


def _relative(path: Path, recipe: Recipe) -> str:
    try:
        return str(path.resolve().relative_to(Path(recipe.path).resolve().parent))
    except ValueError:
        return str(path)
