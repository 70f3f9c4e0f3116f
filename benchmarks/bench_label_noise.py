"""Label flips planted in real SST-2 and AG News rows: ``label_noise`` against cleanlab, same embeddings.

Rows are real sentences (``../shared/data/raw/sst2/train.tsv``) and news items
(``../shared/data/raw/ag_news/{train,test}.csv``) formatted as instruction rows under several phrasings
(the text to classify in ``input``, the label as the response). A share of rows (``--flip``, 10 %) gets
another label, drawn per seed. For every draw the script runs

* ``label_noise`` (the audit's signal, through ``LabelNoiseSignal.compute``), and
* cleanlab's reference recipe on the same embeddings: 5-fold out-of-fold ``predict_proba`` of a
  logistic regression on the all-MiniLM-L6-v2 vectors of the same texts, then
  ``cleanlab.filter.find_label_issues`` (defaults); the same number of rows as label_noise flags taken
  from cleanlab's ranking (``cleanlab.rank.get_label_quality_scores``), for a comparison at one
  operating point; and, for two classes, cleanlab on the signal's own out-of-fold probabilities
  (embeddings + TF-IDF), to separate the classifier from the selection,

and prints precision / recall / F1 against the planted flips, plus the signal's estimated precision
and its abstain reason. Needs ``cleanlab`` (``pip install cleanlab``).

    python benchmarks/bench_label_noise.py --sst2-rows 2000 --seeds 5 [--embedder minilm|static]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext
from ift_data.audit.label_noise import LabelNoiseSignal
from ift_data.embed.encode import TextEncoder
from ift_data.embed.knn import EmbedOptions

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "raw"
SST2_PHRASINGS = ("Is the sentiment of this movie review positive or negative?",
                  "Classify the sentiment of the following sentence.",
                  "What is the sentiment of this review? Answer positive or negative.",
                  "Decide whether the review below is positive or negative.",
                  "Label the sentiment of this text.")
AG_PHRASINGS = ("What is the topic of this news article?",
                "Classify the news story into World, Sports, Business or Sci/Tech.",
                "Which section does this article belong to?",
                "Categorize the following news item by topic.")


def sst2_rows(n: int, seed: int) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with (DATA / "sst2" / "train.tsv").open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for label, sentence in reader:
            if len(sentence.split()) >= 8:  # whole sentences, not SST's sub-phrases
                texts.append(sentence)
                labels.append("positive" if label == "1" else "negative")
    pick = np.sort(np.random.default_rng(seed).choice(len(texts), size=min(n, len(texts)), replace=False))
    return [texts[i] for i in pick], [labels[i] for i in pick]


def ag_news_rows() -> tuple[list[str], list[str]]:
    names = (DATA / "ag_news" / "classes.txt").read_text(encoding="utf-8").split()
    texts, labels = [], []
    for name in ("train.csv", "test.csv"):
        with (DATA / "ag_news" / name).open(encoding="utf-8", newline="") as fh:
            for label, title, body in csv.reader(fh):
                texts.append(f"{title.strip()}\n{body.replace(chr(92), ' ').strip()}")
                labels.append(names[int(label) - 1])
    return texts, labels


def plant(labels: list[str], share: float, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    classes = sorted(set(labels))
    flipped = np.zeros(len(labels), bool)
    flipped[rng.choice(len(labels), size=round(share * len(labels)), replace=False)] = True
    noisy = list(labels)
    for i in np.flatnonzero(flipped).tolist():
        others = [c for c in classes if c != labels[i]]
        noisy[i] = others[int(rng.integers(len(others)))]
    return noisy, flipped


def as_table(texts: list[str], labels: list[str], phrasings: tuple[str, ...]) -> pl.DataFrame:
    n = len(texts)
    return pl.DataFrame({"row_id": range(n), "instruction": [phrasings[i % len(phrasings)] for i in range(n)],
                         "input": texts, "response": labels})


def scores(flagged: np.ndarray, truth: np.ndarray) -> tuple[int, float, float, float]:
    tp = int((flagged & truth).sum())
    precision = tp / flagged.sum() if flagged.any() else float("nan")
    recall = tp / truth.sum()
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return int(flagged.sum()), precision, recall, f1


def cleanlab_on(vectors: np.ndarray, noisy: list[str], seed: int, top: int) -> tuple[np.ndarray, np.ndarray]:
    """cleanlab's ``find_label_issues`` on out-of-fold LR probabilities of the embeddings, and the ``top``
    rows of its ranking (``get_label_quality_scores``, self-confidence): the same number of flags as
    label_noise, for a comparison at one operating point."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    classes = sorted(set(noisy))
    codes = np.array([classes.index(x) for x in noisy])
    probs = cross_val_predict(LogisticRegression(max_iter=2000), vectors, codes, method="predict_proba",
                              cv=StratifiedKFold(5, shuffle=True, random_state=seed))
    ranked = np.zeros(len(codes), bool)
    ranked[np.argsort(get_label_quality_scores(codes, probs), kind="stable")[:top]] = True
    return np.asarray(find_label_issues(codes, probs)), ranked


def cleanlab_on_signal_probs(table: pl.DataFrame, result_given: np.ndarray, noisy: list[str]) -> np.ndarray:
    """cleanlab's selection on the signal's own out-of-fold probabilities (two-class only: there the
    given-label probability fixes the whole vector)."""
    from cleanlab.filter import find_label_issues

    classes = sorted(set(noisy))
    codes = np.array([classes.index(x) for x in noisy])
    probs = np.zeros((len(codes), 2))
    probs[np.arange(len(codes)), codes] = result_given
    probs[np.arange(len(codes)), 1 - codes] = 1 - result_given
    return np.asarray(find_label_issues(codes, probs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sst2-rows", type=int, default=2000)
    parser.add_argument("--flip", type=float, default=0.10)
    parser.add_argument("--seeds", type=int, default=3, help="planting draws per dataset")
    parser.add_argument("--cache-dir", default=None, help="embedding cache (default: the user cache)")
    parser.add_argument("--embedder", default="minilm",
                        help="minilm (all-MiniLM-L6-v2, default), static (the bundled Model2Vec model, the "
                             "audit's CPU default), auto, or a model folder; both methods use it")
    args = parser.parse_args(argv)
    if not (DATA / "sst2").is_dir() or not (DATA / "ag_news").is_dir():
        print(f"no data under {DATA}", file=sys.stderr)
        return 2
    options = EmbedOptions(model=args.embedder, cache_dir=args.cache_dir, progress=False)
    encoder = TextEncoder(options.model, device=options.device, cache_dir=options.cache_dir, progress=False)
    print(f"embedder: {encoder.embedder.kind} ({encoder.embedder.path.name}) on {encoder.device}")
    datasets = {"SST-2": (*sst2_rows(args.sst2_rows, 0), SST2_PHRASINGS), "AG News": (*ag_news_rows(), AG_PHRASINGS)}
    print(f"{'dataset':8} {'seed':>4} {'method':34} {'flagged':>7} {'prec':>6} {'recall':>6} {'F1':>6}  note")
    totals: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for name, (texts, labels, phrasings) in datasets.items():
        started = time.perf_counter()
        vectors = encoder.embed(texts)
        embed_s = time.perf_counter() - started
        for seed in range(args.seeds):
            noisy, truth = plant(labels, args.flip, seed)
            table = as_table(texts, noisy, phrasings)
            started = time.perf_counter()
            result = LabelNoiseSignal().compute(table, AuditContext(rules={}, seed=seed, options=options))
            signal_s = time.perf_counter() - started
            flagged = np.asarray(result.flags["flag_label_noise"], bool)
            note = next(iter(result.summary["classification_groups"].values()))
            why = note.get("not_flagged") or f"estimated precision {note.get('estimated_precision')}"
            issues, ranked = cleanlab_on(vectors, noisy, seed, int(flagged.sum()))
            rows = [("label_noise (OOF LR emb+tfidf, CL, gated)", flagged, why),
                    ("cleanlab (OOF LR on embeddings)", issues, "find_label_issues")]
            if flagged.any():
                rows.append(("cleanlab ranking, same count", ranked, "its lowest label-quality scores"))
            given = result.columns["label_noise_given_label_probability"].to_numpy()
            if len(set(labels)) == 2:
                rows.append(("cleanlab on label_noise's probs", cleanlab_on_signal_probs(table, given, noisy), ""))
            for method, mask, text in rows:
                count, precision, recall, f1 = scores(mask, truth)
                totals.setdefault((name, method), []).append((precision, recall, f1))
                print(f"{name:8} {seed:>4} {method:34} {count:>7} {precision:>6.3f} {recall:>6.3f} {f1:>6.3f}  "
                      f"{text}", flush=True)
            print(f"{'':8} {'':>4} (signal {signal_s:.1f} s; OOF accuracy {note.get('oof_accuracy')}, "
                  f"~{note.get('estimated_errors')} estimated errors, {int(truth.sum())} planted; "
                  f"embedding {len(texts)} texts {embed_s:.1f} s)", flush=True)
    print("\nmean over seeds (precision over the draws that flagged):")
    for (name, method), values in totals.items():
        arr = np.array(values, dtype=float)
        precision = np.nanmean(arr[:, 0]) if not np.isnan(arr[:, 0]).all() else float("nan")
        print(f"  {name:8} {method:34} precision {precision:.3f}  recall {arr[:, 1].mean():.3f}  "
              f"F1 {arr[:, 2].mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
