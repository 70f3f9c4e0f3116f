"""The use-case tagger against Dolly's own categories: every row of ``dolly_3k.json`` is test data.

The shipped model (``models/use-case-logreg/weights.json``) was fitted by ``scripts/train_use_case_model.py``
on the project's own labelled rows (``models/use-case-logreg/train.jsonl``, written for the project), and its
hyperparameters were chosen by cross-validation on those rows only: no Dolly row was trained on or used for
model selection. This script checks that the weights record the shipped training file's digest and counts
the training instructions that also occur in Dolly (expected 0).

Dolly's categories map onto InstructGPT's: creative_writing -> generation, open_qa and general_qa ->
open_qa, information_extraction -> extraction, closed_qa, brainstorming, classification, summarization
as they are. Prints accuracy, per-class precision / recall / F1, macro-F1 (over Dolly's seven classes) and
the confusion matrix of the shipped tagger, of the model path (the same weights with ``use_model`` forced
true, so the linear model is consulted even where the training script chose the rules alone) and, as the
stock baseline in the same run, of the keyword rules alone; the tagging speed of each; and with
``--alpaca`` the shipped tagger's label distribution on non-Dolly data; and its accuracy on the hand-labelled
non-Dolly rows of ``benchmarks/labels/`` (``LABELLED_SETS``: 400 + 300 Alpaca rows and the 175 Self-Instruct
seed tasks; indices and labels only, the texts stay in ``../shared/data``).

    python benchmarks/bench_use_case.py [--data ../shared/data/instructions/dolly_3k.json]
        [--alpaca ../shared/data/instructions/alpaca_random_9k.json] [--weights PATH] [--rows N]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ift_data.audit.use_case import USE_CASES, input_kind, rule_tag, tag_rows
from ift_data.audit.use_case_model import (
    TRAIN_PATH,
    WEIGHTS_PATH,
    LinearModel,
    embed_instructions,
    load_model,
    load_training_rows,
)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "instructions"
DEFAULT = DATA / "dolly_3k.json"
LABELS = Path(__file__).resolve().parent / "labels"
# Hand-labelled rows of non-Dolly data (row index into the data file, use case, whether the labeller was sure):
# (name, labels file, data file, role). The labels were written by a reader who saw the rows and the category
# conventions, never the tagger's output. "dev" sets were read while the rules were extended (2026-12-07);
# "test" was scored only, never read.
LABELLED_SETS = (("Alpaca dev", "use_case_alpaca_dev.jsonl", "alpaca_random_9k.json", "dev"),
                 ("Self-Instruct seeds", "use_case_selfinstruct_seeds.jsonl", "selfinstruct_seed_tasks.jsonl", "dev"),
                 ("Alpaca test", "use_case_alpaca_test.jsonl", "alpaca_random_9k.json", "test"))
DOLLY_TO_USE_CASE = {"creative_writing": "generation", "open_qa": "open_qa", "general_qa": "open_qa",
                     "information_extraction": "extraction", "closed_qa": "closed_qa",
                     "brainstorming": "brainstorming", "classification": "classification",
                     "summarization": "summarization"}


def normalized(text: str) -> str:
    """Lower case, single spaces, no end punctuation: how training and test instructions are compared."""
    return " ".join(text.lower().split()).strip(" ?.!")


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON array of ``{instruction, input, output[, category]}``, or of a Self-Instruct seed-task
    JSONL file (its first instance's input and output)."""
    if path.suffix == ".jsonl":
        tasks = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [{"instruction": t["instruction"], "input": t["instances"][0]["input"] or "",
                 "output": t["instances"][0]["output"] or "", "category": None} for t in tasks]
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [{"instruction": r.get("instruction") or "", "input": r.get("input") or "", "output": r.get("output") or "",
             "category": r.get("category")} for r in rows]


def labelled_set(labels_file: str, data_file: str, data_dir: Path = DATA
                 ) -> tuple[list[dict[str, Any]], list[str], list[bool]] | None:
    """(rows, hand labels, sure) of one of ``LABELLED_SETS``, its texts read from ``data_dir``; None when
    its data file is absent there."""
    if not (data_dir / data_file).is_file():
        return None
    data = load_rows(data_dir / data_file)
    labels = [json.loads(line) for line in (LABELS / labels_file).read_text(encoding="utf-8").splitlines()]
    return [data[x["index"]] for x in labels], [x["use_case"] for x in labels], [bool(x["sure"]) for x in labels]


def labelled_accuracy(model: LinearModel) -> dict[str, dict[str, float]]:
    """The tagger's accuracy on each hand-labelled set: all rows, and the rows the labeller was sure of."""
    out = {}
    for name, labels_file, data_file, role in LABELLED_SETS:
        found = labelled_set(labels_file, data_file)
        if found is None:
            continue
        rows, truth, sure = found
        tags = tag_model(rows, model)
        right = [t == p for t, p in zip(truth, tags, strict=True)]
        out[name] = {"role": role, "rows": len(rows), "accuracy": sum(right) / len(rows), "sure_rows": sum(sure),
                     "sure_accuracy": sum(r for r, s in zip(right, sure, strict=True) if s) / max(sum(sure), 1)}
    return out


def evaluate(truth: list[str], predicted: list[str]) -> dict[str, Any]:
    """Accuracy, per-class precision/recall/F1 (classes present in the truth), macro-F1, confusion."""
    classes = sorted(set(truth))
    per_class = {}
    for c in classes:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p == c)
        n_pred = sum(1 for p in predicted if p == c)
        n_true = sum(1 for t in truth if t == c)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        per_class[c] = {"support": n_true, "precision": precision, "recall": recall, "f1": f1}
    confusion: dict[str, dict[str, int]] = {c: {} for c in classes}
    for t, p in zip(truth, predicted, strict=True):
        confusion[t][p] = confusion[t].get(p, 0) + 1
    return {"accuracy": sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth),
            "macro_f1": sum(v["f1"] for v in per_class.values()) / len(per_class),
            "per_class": per_class, "confusion": confusion}


def tag_model(rows: list[dict[str, Any]], model: LinearModel | None = None) -> list[str]:
    return tag_rows([r["instruction"] for r in rows], [r["input"] for r in rows], [r["output"] for r in rows],
                    model=model)


def tag_rules(rows: list[dict[str, Any]]) -> list[str]:
    tags = []
    for r in rows:
        has_input, short_input = input_kind(r["input"])
        tags.append(rule_tag(r["instruction"], has_input, r["output"], short_input=short_input))
    return tags


def timed(fn: Any, rows: list[dict[str, Any]]) -> tuple[list[str], float]:
    started = time.perf_counter()
    out = fn(rows)
    return out, time.perf_counter() - started


def report(name: str, result: dict[str, Any]) -> None:
    print(f"{name}: accuracy {result['accuracy']:.3f}   macro-F1 {result['macro_f1']:.3f}")
    print(f"  {'class':15} {'support':>7} {'precision':>9} {'recall':>7} {'F1':>6}")
    for c, v in result["per_class"].items():
        print(f"  {c:15} {v['support']:>7} {v['precision']:>9.3f} {v['recall']:>7.3f} {v['f1']:>6.3f}")
    present = [c for c in USE_CASES if any(c in row for row in result["confusion"].values())]
    print("  confusion (rows: Dolly, columns: tagger)")
    print(f"  {'':15}" + "".join(f"{c[:8]:>9}" for c in present))
    for t, row in result["confusion"].items():
        print(f"  {t:15}" + "".join(f"{row.get(c, 0):>9}" for c in present))
    print()


def training_overlap(model: LinearModel, rows: list[dict[str, Any]]) -> tuple[bool, int]:
    """(the weights record the shipped training file's digest, training instructions also in ``rows``)."""
    recorded = model.meta["training"]["data_sha256"]
    same = TRAIN_PATH.is_file() and hashlib.sha256(TRAIN_PATH.read_bytes()).hexdigest() == recorded
    test = {normalized(r["instruction"]) for r in rows}
    shared = sum(1 for r in load_training_rows(TRAIN_PATH, USE_CASES) if normalized(r.instruction) in test) \
        if TRAIN_PATH.is_file() else 0
    return same, shared


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--alpaca", type=Path, default=DATA / "alpaca_random_9k.json",
                        help="non-Dolly data whose label distribution is printed (skipped when absent)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS_PATH, help="the model to score (default: shipped)")
    parser.add_argument("--rows", type=int, default=None, help="score only the first N Dolly rows (a quick run)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"no evaluation file at {args.data}", file=sys.stderr)
        return 2
    rows = load_rows(args.data)[:args.rows]
    started = time.perf_counter()
    model = load_model(args.weights)
    embed_instructions(["Why is the sky blue?"])  # loads the static embedding model
    load_s = time.perf_counter() - started
    same, shared = training_overlap(model, rows)
    training = model.meta["training"]
    print(f"model: {args.weights.name}, trained on {training['data']} ({training['rows']} rows; "
          f"{'the shipped file' if same else 'NOT the shipped train.jsonl'}); training instructions also in "
          f"{args.data.name}: {shared}")
    truth = [DOLLY_TO_USE_CASE[r["category"]] for r in rows]
    print(f"{args.data.name}: {len(rows):,} rows, all of them test data (never trained on nor used for model "
          "selection)\n")
    print(f"shipped weights: use_model {str(model.use_model).lower()} ({training.get('choice', 'no choice recorded')}; "
          f"rules {training.get('rules_accuracy', float('nan')):.4f} on the training rows)\n")
    shipped_tags, shipped_s = timed(lambda part: tag_model(part, model), rows)
    forced = dataclasses.replace(model, use_model=True)
    model_tags, model_s = timed(lambda part: tag_model(part, forced), rows)
    rule_tags_, rules_s = timed(tag_rules, rows)
    shipped, result, rules = evaluate(truth, shipped_tags), evaluate(truth, model_tags), evaluate(truth, rule_tags_)
    shipped_name = "rules + model" if model.use_model else "rules only"
    report(f"shipped tagger ({shipped_name}: use_model {str(model.use_model).lower()})", shipped)
    report("model path (same weights, use_model forced true: rules + model)", result)
    report("keyword rules alone (stock baseline)", rules)
    for name, other in (("shipped tagger", shipped), ("model path", result)):
        print(f"{name} / rules: accuracy ratio {other['accuracy'] / rules['accuracy']:.3f}, "
              f"macro-F1 ratio {other['macro_f1'] / rules['macro_f1']:.3f}")
    print(f"speed: shipped tagger {len(rows) / shipped_s:,.0f} rows/s ({shipped_s:.2f} s), model path "
          f"{len(rows) / model_s:,.0f} rows/s ({model_s:.2f} s), rules {len(rows) / rules_s:,.0f} rows/s; "
          f"loading the weights and the static model once: {load_s:.2f} s")
    print("\nhand-labelled non-Dolly rows (benchmarks/labels/), shipped tagger:")
    for name, score in labelled_accuracy(model).items():
        print(f"  {name:20} ({score['role']:4}) accuracy {score['accuracy']:.3f} on {score['rows']} rows, "
              f"{score['sure_accuracy']:.3f} on the {score['sure_rows']} the labeller was sure of")
    if args.alpaca.is_file():
        alpaca = load_rows(args.alpaca)
        tags, seconds = timed(lambda part: tag_model(part, model), alpaca)
        counts = Counter(tags)
        print(f"\n{args.alpaca.name}: {len(alpaca):,} rows tagged by the shipped tagger in {seconds:.2f} s "
              f"({len(alpaca) / seconds:,.0f} rows/s)")
        for name in USE_CASES:
            print(f"  {name:15} {counts.get(name, 0):>6} {counts.get(name, 0) / len(alpaca):>7.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
