"""Fit the use-case tagger's linear model on Dolly's training split and write its weights as JSON.

The held-out split (``benchmarks/bench_use_case.py: split_dolly``, seed and fraction below) is never read
here: features, standardization, cross-validation and the final fit use the training rows only. The
regularization strength C is chosen by stratified k-fold cross-validation inside the training split
(mean accuracy, ties to the smaller C); the final model is fitted on the whole training split, the shape
features' standardization is folded into the weights, and the file records the split (seed, fraction,
row count, digest of the training rows) so the benchmark can check it scores only held-out rows.

    python scripts/train_use_case_model.py [--data ../shared/data/instructions/dolly_3k.json]
        [--out src/ift_data/models/use-case-logreg/weights.json] [--seed 0] [--test-fraction 0.2]

About 1-3 minutes on two cores (the cross-validation grid). Needs scikit-learn (a dependency).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_use_case import DEFAULT, DOLLY_TO_USE_CASE, load_rows, split_digest, split_dolly  # noqa: E402
from ift_data.audit.use_case import USE_CASES, rule_tags  # noqa: E402
from ift_data.audit.use_case_model import (  # noqa: E402
    FORMAT,
    SHAPE_FEATURES,
    WEIGHTS_PATH,
    feature_matrix,
    static_fingerprint,
)
from ift_data.embed.model import STATIC_MODEL  # noqa: E402
from ift_data.io.atomic import write_json  # noqa: E402

C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
FOLDS = 4
# "other" only when the keyword rules find no request and the model's top class is under this probability
# (Dolly has no "other" rows, so this is set by looking at Alpaca, not Dolly: at 0.4, 53 of 9,229 Alpaca rows,
# the least request-like, go to "other"; at 0.5, 254, many of them plain list requests).
OTHER_THRESHOLD = 0.4


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    args = parser.parse_args(argv)
    rows = load_rows(args.data)
    train, _held_out = split_dolly(rows, args.seed, args.test_fraction)
    data = [rows[i] for i in train]
    y = np.array([DOLLY_TO_USE_CASE[r["category"]] for r in data])
    instructions = [" ".join(r["instruction"].split()) for r in data]
    inputs, outputs = [r["input"] for r in data], [r["output"] for r in data]
    rules = rule_tags([r["instruction"] for r in data], inputs, outputs, [1] * len(data))
    X = feature_matrix(instructions, inputs, outputs, rules, USE_CASES)
    dim = X.shape[1] - len(SHAPE_FEATURES) - len(USE_CASES)
    shape = slice(dim, dim + len(SHAPE_FEATURES))
    mean = np.zeros(X.shape[1])
    scale = np.ones(X.shape[1])
    mean[shape] = X[:, shape].mean(axis=0)
    scale[shape] = X[:, shape].std(axis=0) + 1e-6
    Z = (X - mean) / scale

    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=args.seed).split(Z, y))
    scores = {}
    for c in C_GRID:
        correct = 0
        for fit, check in folds:
            clf = LogisticRegression(C=c, max_iter=5000).fit(Z[fit], y[fit])
            correct += int((clf.predict(Z[check]) == y[check]).sum())
        scores[c] = correct / len(y)
        print(f"C={c:<5} {FOLDS}-fold CV accuracy on the training split {scores[c]:.4f}", flush=True)
    best = max(C_GRID, key=lambda c: (round(scores[c], 6), -c))
    clf = LogisticRegression(C=best, max_iter=5000).fit(Z, y)
    coef = clf.coef_ / scale  # standardization folded in: (x - mean) / scale . w == x . (w / scale) - mean . (w / scale)
    intercept = clf.intercept_ - coef @ mean
    weights = {
        "format": FORMAT,
        "classes": [str(c) for c in clf.classes_],
        "rule_names": list(USE_CASES),
        "shape_features": list(SHAPE_FEATURES),
        "embedding_dim": dim,
        "embedder": STATIC_MODEL,
        "embedder_fingerprint": static_fingerprint(),
        "other_threshold": OTHER_THRESHOLD,
        "training": {"data": args.data.name, "data_sha256": hashlib.sha256(args.data.read_bytes()).hexdigest(),
                     "seed": args.seed, "test_fraction": args.test_fraction, "train_rows": len(train),
                     "train_digest": split_digest(rows, train, args.seed), "C": best, "cv_folds": FOLDS,
                     "cv_accuracy": {str(c): round(s, 4) for c, s in scores.items()},
                     "label_map": DOLLY_TO_USE_CASE},
        "coef": [[round(float(v), 7) for v in row] for row in coef],
        "intercept": [round(float(v), 7) for v in intercept],
    }
    write_json(args.out, weights)
    print(f"C={best}: fitted on {len(train):,} training rows; weights written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
