"""Fit the use-case tagger's linear model on the project's own labelled rows and write its weights as JSON.

Training data: ``src/ift_data/models/use-case-logreg/train.jsonl``, rows written for this project (62 to 242
per category, none copied or paraphrased from Dolly, Alpaca or any other dataset). Dolly is never read here:
it is only the benchmark's test set (``benchmarks/bench_use_case.py``).

Model selection: the regularization strength C, the ``other`` threshold and the input rule (how far the
keyword rules decide a row with an input: ``use_case._rules_decide``) are chosen by stratified
k-fold cross-validation on the training rows (rows sharing an input passage kept in one fold), scoring the whole tagger (keyword rules first, then the
fold's model; ``use_case.tag_rows``), mean accuracy, ties to the smaller C and threshold. The model picks among
the task categories (not chat or other, which the rules read from the row's form) and is fitted on their
rows, the shape features' standardization is folded into the weights, and the file
records the training file's SHA-256, the grid and its scores. Also printed, for the docs: the
cross-validated accuracy of the keyword rules alone and of the model alone (no rule overrides).

"Rules only" is a candidate too: the keyword rules fit no parameters, so their accuracy on all training rows
is their cross-validated accuracy. The tagger with the model is used only when it beats the rules twice: in
cross-validation on the training rows, and on **real labelled rows** (``--validation``, by default the
hand-labelled dev sets of ``benchmarks/labels/``: 400 Alpaca rows and the 175 Self-Instruct seed tasks,
whose texts are read from ``../shared/data/instructions``). Our own rows are written to be clear examples
of each category; real data is not, and a model that wins on the first can lose on the second (it did:
docs/benchmarks.md, "Use-case tagger"). Otherwise the weights say ``"use_model": false`` and the tagger
returns the rules' tags; the best model's coefficients and every figure are still written, so adding
training rows and retraining can turn it on. Dolly is never read here. ``--no-validation`` decides on the
training rows alone (and says so in the weights).

    python scripts/train_use_case_model.py [--data src/ift_data/models/use-case-logreg/train.jsonl]
        [--out src/ift_data/models/use-case-logreg/weights.json] [--seed 0]

Under a minute on two cores. Needs scikit-learn (a dependency). Same file and seed: same weights.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from ift_data.audit.use_case import USE_CASES, rule_tags, tag_rows
from ift_data.audit.use_case_model import (
    FORMAT,
    INPUT_RULES,
    SHAPE_FEATURES,
    TRAIN_PATH,
    WEIGHTS_PATH,
    LinearModel,
    TrainingRow,
    feature_matrix,
    load_training_rows,
    static_fingerprint,
)
from ift_data.embed.model import STATIC_MODEL
from ift_data.io.atomic import write_json

C_GRID = (0.25, 1.0, 4.0, 16.0, 64.0)
# "other" instead of the model's pick when the keyword rules found no request and the model's top
# probability is under this (0: never); chosen by cross-validation with C.
OTHER_THRESHOLDS = (0.0, 0.3, 0.5)
FOLDS = 5
# The model picks among the open-ended task categories; chat (several turns, or a conversational message),
# rewrite and classification (explicit wording) and other (no recognizable request) are the keyword rules'
# (and the threshold's) alone. Their training rows still count in the tagger's cross-validated accuracy.
MODEL_CLASSES = tuple(c for c in USE_CASES if c not in ("chat", "other", "rewrite", "classification"))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_use_case import DATA as VALIDATION_DATA  # noqa: E402  (the hand-labelled sets live with the benchmark)
from bench_use_case import LABELLED_SETS, labelled_set  # noqa: E402

# Real rows labelled by hand (benchmarks/labels/): the dev sets only; the Alpaca test set stays a test set.
VALIDATION_SETS = tuple((labels_file, data_file) for _, labels_file, data_file, role in LABELLED_SETS if role == "dev")


def validation_rows(data: Path) -> tuple[list[TrainingRow], list[str]]:
    """The hand-labelled dev rows (``VALIDATION_SETS``) as training-row records and their labels. Raises
    FileNotFoundError naming the data file when ``data`` lacks one."""
    rows, labels = [], []
    for labels_file, data_file in VALIDATION_SETS:
        found = labelled_set(labels_file, data_file, data)
        if found is None:
            raise FileNotFoundError(f"{data / data_file}: the validation rows' texts (or pass --no-validation)")
        texts, truth, _ = found
        rows += [TrainingRow(label, r["instruction"], r["input"], r["output"], 1) for r, label in
                 zip(texts, truth, strict=True)]
        labels += truth
    return rows, labels


def _fit(Z: np.ndarray, y: np.ndarray, c: float, seed: int):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000, random_state=seed).fit(Z, y)


def _linear(clf, mean: np.ndarray, scale: np.ndarray, threshold: float,  # type: ignore[no-untyped-def]
            input_rule: str) -> LinearModel:
    """The fitted classifier as the tagger's model, standardization folded in:
    (x - mean) / scale . w == x . (w / scale) - mean . (w / scale)."""
    coef = clf.coef_ / scale
    return LinearModel(tuple(str(c) for c in clf.classes_), coef, clf.intercept_ - coef @ mean, USE_CASES,
                       threshold, input_rule, {}, True)


def _standardization(X: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale that standardize the shape features (embedding and rule one-hot left as they are)."""
    shape = slice(dim, dim + len(SHAPE_FEATURES))
    mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    mean[shape] = X[:, shape].mean(axis=0)
    scale[shape] = X[:, shape].std(axis=0) + 1e-6
    return mean, scale


def _choice(use_model: bool, cv_win: bool, validation: dict[str, object]) -> str:
    if use_model:
        return "model used: it beats the rules in CV on these rows" + (
            " and on the real labelled dev rows" if validation["used"] else " (no real-row validation)")
    if not cv_win:
        return ("rules only: their accuracy on these rows (no parameters fitted) is at least the best CV accuracy "
                "of the tagger with a model")
    return "rules only: the tagger with the model wins in CV on these rows but not on the real labelled dev rows"


def _tag(rows: list[TrainingRow], model: LinearModel) -> list[str]:
    return tag_rows([r.instruction for r in rows], [r.input for r in rows], [r.response for r in rows],
                    [r.turns for r in rows], model=model)


def main(argv: list[str] | None = None) -> int:
    from sklearn.model_selection import StratifiedGroupKFold

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=TRAIN_PATH)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--validation", type=Path, default=VALIDATION_DATA,
                        help="folder with the data files of the hand-labelled dev rows (benchmarks/labels/)")
    parser.add_argument("--no-validation", action="store_true", help="choose on the training rows alone")
    args = parser.parse_args(argv)
    try:
        real = None if args.no_validation else validation_rows(args.validation)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rows = load_training_rows(args.data, USE_CASES)
    y = np.array([r.category for r in rows])
    instructions = [" ".join(r.instruction.split()) for r in rows]
    inputs, responses = [r.input for r in rows], [r.response for r in rows]
    rules = rule_tags([r.instruction for r in rows], inputs, responses, [r.turns for r in rows])
    X = feature_matrix(instructions, inputs, responses, rules, USE_CASES)
    dim = X.shape[1] - len(SHAPE_FEATURES) - len(USE_CASES)
    print(f"{args.data.name}: {len(rows)} rows, " + ", ".join(f"{c} {int((y == c).sum())}" for c in USE_CASES))
    rules_accuracy = float(np.mean(np.array(rules) == y))
    print(f"keyword rules alone, accuracy on all rows (no fitting): {rules_accuracy:.4f}")

    # rows that share a passage (several questions about one text) stay in one fold
    groups = [r.input.strip() or f"row {i}" for i, r in enumerate(rows)]
    folds = list(StratifiedGroupKFold(FOLDS, shuffle=True, random_state=args.seed).split(X, y, groups))
    correct: dict[tuple[float, float, str], int] = {}
    model_only: dict[float, int] = {}
    task = np.isin(y, MODEL_CLASSES)
    for fit_all, check in folds:
        fit = fit_all[task[fit_all]]
        mean, scale = _standardization(X[fit], dim)
        held = [rows[i] for i in check]
        for c in C_GRID:
            clf = _fit((X[fit] - mean) / scale, y[fit], c, args.seed)
            model_only[c] = model_only.get(c, 0) + int((clf.predict((X[check] - mean) / scale) == y[check]).sum())

            for threshold in OTHER_THRESHOLDS:
                for rule in INPUT_RULES:
                    tags = np.array(_tag(held, _linear(clf, mean, scale, threshold, rule)))
                    key = (c, threshold, rule)
                    correct[key] = correct.get(key, 0) + int((tags == y[check]).sum())
    scores = {key: n / len(y) for key, n in correct.items()}
    for c in C_GRID:
        print(f"C={c:<5} {FOLDS}-fold CV accuracy: model alone {model_only[c] / len(y):.4f}; tagger (rules first, "
              "other threshold / input rule) " + "  ".join(f"{t}/{r} {scores[c, t, r]:.4f}" for t in OTHER_THRESHOLDS
                                                           for r in INPUT_RULES), flush=True)
    best_c, best_t, best_r = max(scores, key=lambda k: (round(scores[k], 6), -k[0], -k[1], -INPUT_RULES.index(k[2])))
    # rules only wins ties: the model must beat them on our rows (and on real rows) to be consulted
    cv_win = round(scores[best_c, best_t, best_r], 6) > round(rules_accuracy, 6)
    mean, scale = _standardization(X[task], dim)
    model = _linear(_fit((X[task] - mean) / scale, y[task], best_c, args.seed), mean, scale, best_t, best_r)
    validation: dict[str, object] = {"used": False}
    use_model = cv_win
    if real is not None:
        real_rows, real_labels = real
        truth = np.array(real_labels)
        with_model = float(np.mean(np.array(_tag(real_rows, model)) == truth))
        rules_only = float(np.mean(np.array(rule_tags([r.instruction for r in real_rows], [r.input for r in real_rows],
                                                      [r.response for r in real_rows], [1] * len(real_rows)))
                                   == truth))
        validation = {"used": True, "sets": [name for name, _ in VALIDATION_SETS], "rows": len(real_rows),
                      "rules_accuracy": round(rules_only, 4), "model_accuracy": round(with_model, 4)}
        print(f"real labelled dev rows ({len(real_rows)}): rules {rules_only:.4f}, tagger with the model "
              f"{with_model:.4f}")
        use_model = cv_win and round(with_model, 6) > round(rules_only, 6)
    weights = {
        "format": FORMAT,
        "classes": list(model.classes),
        "rule_names": list(USE_CASES),
        "shape_features": list(SHAPE_FEATURES),
        "embedding_dim": dim,
        "embedder": STATIC_MODEL,
        "embedder_fingerprint": static_fingerprint(),
        "other_threshold": best_t,
        "input_rule": best_r,
        "use_model": use_model,
        "training": {"data": args.data.name, "data_sha256": hashlib.sha256(args.data.read_bytes()).hexdigest(),
                     "rows": len(rows), "model_rows": int(task.sum()), "per_class": {c: int((y == c).sum()) for c in USE_CASES},
                     "seed": args.seed, "cv_folds": FOLDS, "C": best_c,
                     "cv_accuracy": {f"C={c},other<{t},input_rule={r}": round(s, 4)
                                     for (c, t, r), s in sorted(scores.items())},
                     "cv_accuracy_model_alone": {f"C={c}": round(n / len(y), 4) for c, n in model_only.items()},
                     "rules_accuracy": round(rules_accuracy, 4),
                     "validation": validation,
                     "choice": _choice(use_model, cv_win, validation),
                     "evaluation": "none here: Dolly's categories are the test set (benchmarks/bench_use_case.py)"},
        "coef": [[round(float(v), 7) for v in row] for row in model.coef],
        "intercept": [round(float(v), 7) for v in model.intercept],
    }
    write_json(args.out, weights)
    print(f"best model: C={best_c}, other threshold {best_t}, input rule {best_r} (CV accuracy "
          f"{scores[best_c, best_t, best_r]:.4f}); "
          f"fitted on the {int(task.sum())} rows of {len(MODEL_CLASSES)} task categories")
    print(f"chosen: {'rules + model' if use_model else 'rules only'} ({_choice(use_model, cv_win, validation)}; "
          f"CV: rules {rules_accuracy:.4f} vs tagger with the model {scores[best_c, best_t, best_r]:.4f}); "
          f"weights written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
