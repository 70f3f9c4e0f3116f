"""The use-case tagger against Dolly's own categories, on the rows held out from the model's training.

The shipped model (``models/use-case-logreg/weights.json``) was fitted by ``scripts/train_use_case_model.py``
on Dolly rows outside the held-out split defined here (``split_dolly``: a row is held out when a keyed hash of
its text falls under ``--test-fraction``; the seed and the training rows' digest are recorded in the weights
file, and this script refuses to score when the digest differs). Model selection (the regularization
strength) used cross-validation inside the training split only.

Dolly's categories map onto InstructGPT's: creative_writing -> generation, open_qa and general_qa ->
open_qa, information_extraction -> extraction, closed_qa, brainstorming, classification, summarization
as they are. Prints accuracy, per-class precision / recall / F1, macro-F1 and the confusion matrix of the
tagger and, as the stock baseline in the same run, of the keyword rules alone; the tagging speed of
both; and with ``--alpaca`` the tagger's label distribution on non-Dolly data.

    python benchmarks/bench_use_case.py [--data ../shared/data/instructions/dolly_3k.json]
        [--alpaca ../shared/data/instructions/alpaca_random_9k.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ift_data.audit.use_case import USE_CASES, rule_tag, tag_rows
from ift_data.audit.use_case_model import embed_instructions, load_model

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "instructions"
DEFAULT = DATA / "dolly_3k.json"
DOLLY_TO_USE_CASE = {"creative_writing": "generation", "open_qa": "open_qa", "general_qa": "open_qa",
                     "information_extraction": "extraction", "closed_qa": "closed_qa",
                     "brainstorming": "brainstorming", "classification": "classification",
                     "summarization": "summarization"}
SEED = 0
TEST_FRACTION = 0.2


def row_key(row: dict[str, Any], seed: int) -> bytes:
    """A keyed hash of a row's text: equal rows get equal keys, so a duplicate never straddles the split."""
    text = "\x1f".join([str(seed), row.get("instruction", ""), row.get("input", ""), row.get("output", "")])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()


def split_dolly(rows: list[dict[str, Any]], seed: int = SEED,
                test_fraction: float = TEST_FRACTION) -> tuple[list[int], list[int]]:
    """(training row indices, held-out row indices): held out when the row's key, read as a fraction of
    2**64, is under ``test_fraction``."""
    train: list[int] = []
    test: list[int] = []
    for i, row in enumerate(rows):
        (test if int.from_bytes(row_key(row, seed), "big") < test_fraction * 2**64 else train).append(i)
    return train, test


def split_digest(rows: list[dict[str, Any]], indices: list[int], seed: int) -> str:
    """A digest of the rows a split holds (their sorted keys), recorded with the weights."""
    digest = hashlib.sha256()
    for key in sorted(row_key(rows[i], seed) for i in indices):
        digest.update(key)
    return digest.hexdigest()


def load_rows(path: Path) -> list[dict[str, Any]]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [{"instruction": r.get("instruction") or "", "input": r.get("input") or "", "output": r.get("output") or "",
             "category": r.get("category")} for r in rows]


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


def tag_model(rows: list[dict[str, Any]]) -> list[str]:
    return tag_rows([r["instruction"] for r in rows], [r["input"] for r in rows], [r["output"] for r in rows])


def tag_rules(rows: list[dict[str, Any]]) -> list[str]:
    return [rule_tag(r["instruction"], bool(r["input"].strip()), r["output"]) for r in rows]


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--alpaca", type=Path, default=DATA / "alpaca_random_9k.json",
                        help="non-Dolly data whose label distribution is printed (skipped when absent)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"no evaluation file at {args.data}", file=sys.stderr)
        return 2
    rows = load_rows(args.data)
    started = time.perf_counter()
    training = load_model().meta["training"]
    embed_instructions(["Why is the sky blue?"])  # loads the static embedding model
    load_s = time.perf_counter() - started
    seed, fraction = int(training["seed"]), float(training["test_fraction"])
    train, test = split_dolly(rows, seed, fraction)
    if split_digest(rows, train, seed) != training["train_digest"] or len(train) != training["train_rows"]:
        print(f"{args.data} is not the file the shipped model was trained on (training-split digest differs): "
              "the held-out rows cannot be told apart, so no honest score can be given", file=sys.stderr)
        return 2
    held = [rows[i] for i in test]
    truth = [DOLLY_TO_USE_CASE[r["category"]] for r in held]
    print(f"{args.data.name}: {len(rows):,} rows; held out (never trained on nor used for model selection): "
          f"{len(held):,} (seed {seed}, fraction {fraction}); training split: {len(train):,} rows\n")
    model_tags, model_s = timed(tag_model, held)
    rule_tags_, rules_s = timed(tag_rules, held)
    model, rules = evaluate(truth, model_tags), evaluate(truth, rule_tags_)
    report("tagger (model)", model)
    report("keyword rules alone (stock baseline)", rules)
    print(f"accuracy ratio tagger / rules: {model['accuracy'] / rules['accuracy']:.3f}; "
          f"macro-F1 ratio {model['macro_f1'] / rules['macro_f1']:.3f}")
    print(f"speed on the held-out rows: tagger {len(held) / model_s:,.0f} rows/s ({model_s:.2f} s), rules "
          f"{len(held) / rules_s:,.0f} rows/s; loading the weights and the static model once: {load_s:.2f} s")
    train_rows = [rows[i] for i in train]
    train_acc = evaluate([DOLLY_TO_USE_CASE[r["category"]] for r in train_rows], tag_model(train_rows))["accuracy"]
    print(f"(training-split accuracy, not a score: {train_acc:.3f})")
    if args.alpaca.is_file():
        alpaca = load_rows(args.alpaca)
        tags, seconds = timed(tag_model, alpaca)
        counts = Counter(tags)
        print(f"\n{args.alpaca.name}: {len(alpaca):,} rows tagged in {seconds:.2f} s ({len(alpaca) / seconds:,.0f} rows/s)")
        for name in USE_CASES:
            print(f"  {name:15} {counts.get(name, 0):>6} {counts.get(name, 0) / len(alpaca):>7.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
