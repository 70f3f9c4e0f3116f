"""The build's ``manifest.json``: inputs, per-dataset accounting, requested vs realized rates, outputs."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ift_data import __version__
from ift_data.builder.recipe import Recipe
from ift_data.schema import Reject

if TYPE_CHECKING:
    from ift_data.builder.pipeline import DatasetOutcome


def build_manifest(recipe: Recipe, outcomes: dict[str, DatasetOutcome], total: int, held: dict[str, Any],
                   outputs: dict[str, Any], rejects: list[Reject]) -> dict[str, Any]:
    """Everything a reader needs to trust the build: what went in, where every row went, what came out."""
    written = sum(len(o.examples) for o in outcomes.values())
    datasets: dict[str, Any] = {}
    for name, o in outcomes.items():
        rows_used = len(o.loaded.rows) - len(o.unused)
        templates = Counter(ex.source.template for ex in o.examples)
        datasets[name] = {
            "task": o.loaded.entry.task.name, "family": o.loaded.entry.task.family,
            "cluster": o.loaded.entry.task.cluster, "split": o.loaded.split,
            "rows_in": o.loaded.rows_in, "rows_rejected": len(o.loaded.rejects),
            "rows_hard_capped": len(o.loaded.capped), "hard_cap": o.loaded.entry.hard_cap,
            "rows_not_sampled": len(o.unused), "rows_used": rows_used,
            "pool_examples": o.pool, "examples": len(o.examples), "examples_requested": o.requested,
            "render_skipped": len(o.render_rejects), "passes": o.epochs,
            "requested_rate": round(o.requested_rate, 6),
            "realized_rate": round(len(o.examples) / written, 6) if written else 0.0,
            "templates": dict(sorted(templates.items())),
            "variants": dict(sorted(Counter(ex.source.variant for ex in o.examples).items())),
            "shots": {"zero": sum(1 for ex in o.examples if not ex.source.shots),
                      "few": sum(1 for ex in o.examples if ex.source.shots)},
        }
    inputs = [{"dataset": name, "split": o.loaded.split, "path": _relative(o.loaded.path, recipe),
               "sha256": o.loaded.sha256, "rows": o.loaded.rows_in} for name, o in outcomes.items()]
    return {
        "ift_data_version": __version__,
        "recipe": {"name": recipe.name, "path": _relative(Path(recipe.path), recipe),
                   "sha256": hashlib.sha256(Path(recipe.path).read_bytes()).hexdigest()},
        "seed": recipe.seed,
        "inputs": inputs,
        "mixing": {"mode": recipe.root.mixing.mode, "weight_cap": recipe.root.mixing.weight_cap,
                   "temperature": recipe.root.mixing.temperature, "total_requested": total,
                   "total_written": written},
        "expansion": {"assignment": recipe.expansion.assignment, "k": recipe.expansion.k,
                      "variants": list(recipe.expansion.variants), "options": recipe.expansion.options,
                      "option_target": recipe.expansion.option_target},
        "few_shot": {"share": recipe.few_shot.share, "k": recipe.few_shot.k,
                     "max_chars": recipe.few_shot.max_chars, "style": recipe.few_shot.style},
        "schedule": {"mode": recipe.schedule.mode, "domain": list(recipe.schedule.domain),
                     "domain_share": recipe.schedule.domain_share},
        "datasets": datasets,
        "held_out": held,
        "accounting": {
            "rows_in": sum(d["rows_in"] for d in datasets.values()),
            "rows_used": sum(d["rows_used"] for d in datasets.values()),
            "rows_hard_capped": sum(d["rows_hard_capped"] for d in datasets.values()),
            "rows_not_sampled": sum(d["rows_not_sampled"] for d in datasets.values()),
            "rows_rejected": sum(d["rows_rejected"] for d in datasets.values()),
        },
        "rejects": {"file": "rejects.jsonl", "count": len(rejects) + sum(len(s.get("rejects", [])) for s in outputs.values()),
                    "by_stage": dict(sorted(Counter(r.stage for r in rejects).items())),
                    "by_reason": dict(Counter(_reason_kind(r) for r in rejects).most_common())},
        "outputs": outputs,
    }


def _reason_kind(reject: Reject) -> str:
    """The reason with its specifics (quoted values, numbers) blanked, to count rejects by kind."""
    return f"{reject.stage}: " + re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", reject.reason)


def _relative(path: Path, recipe: Recipe) -> str:
    try:
        return str(path.resolve().relative_to(Path(recipe.path).resolve().parent))
    except ValueError:
        return str(path)
