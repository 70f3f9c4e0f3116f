"""The use-case tagger against Dolly's own categories (the evaluation set: nothing was fitted on it).

Dolly's categories map onto InstructGPT's: creative_writing -> generation, open_qa and general_qa ->
open_qa, information_extraction -> extraction, closed_qa, brainstorming, classification, summarization
as they are. Prints accuracy, per-class precision / recall / F1, macro-F1 and the confusion matrix, and
the tagging speed.

    python benchmarks/bench_use_case.py [--data ../shared/data/instructions/dolly_3k.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ift_data.audit.use_case import USE_CASES, tag

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "instructions" / "dolly_3k.json"
DOLLY_TO_USE_CASE = {"creative_writing": "generation", "open_qa": "open_qa", "general_qa": "open_qa",
                     "information_extraction": "extraction", "closed_qa": "closed_qa",
                     "brainstorming": "brainstorming", "classification": "classification",
                     "summarization": "summarization"}


def evaluate(truth: list[str], predicted: list[str]) -> dict[str, object]:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"no evaluation file at {args.data}", file=sys.stderr)
        return 2
    rows = json.loads(args.data.read_text(encoding="utf-8"))
    truth = [DOLLY_TO_USE_CASE[r["category"]] for r in rows]
    started = time.perf_counter()
    predicted = [tag(r["instruction"], bool(r.get("input", "").strip()), r.get("output", "")) for r in rows]
    seconds = time.perf_counter() - started
    result = evaluate(truth, predicted)
    print(f"{len(rows):,} rows of {args.data.name}; tagged in {seconds:.2f} s ({len(rows) / seconds:,.0f} rows/s)")
    print(f"accuracy {result['accuracy']:.3f}   macro-F1 {result['macro_f1']:.3f}\n")
    print(f"{'class':15} {'support':>7} {'precision':>9} {'recall':>7} {'F1':>6}")
    for c, v in result["per_class"].items():  # type: ignore[attr-defined]
        print(f"{c:15} {v['support']:>7} {v['precision']:>9.3f} {v['recall']:>7.3f} {v['f1']:>6.3f}")
    print("\nconfusion (rows: Dolly, columns: tagger)")
    present = [c for c in USE_CASES if any(c in row for row in result["confusion"].values())]  # type: ignore[attr-defined]
    print(f"{'':15}" + "".join(f"{c[:8]:>9}" for c in present))
    for t, row in result["confusion"].items():  # type: ignore[attr-defined]
        print(f"{t:15}" + "".join(f"{row.get(c, 0):>9}" for c in present))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
