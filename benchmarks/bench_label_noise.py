"""Label flips planted in real SST-2 and AG News rows: ``label_noise`` against cleanlab, same probabilities.

Rows are real sentences (``../shared/data/raw/sst2/train.tsv``) and news items
(``../shared/data/raw/ag_news/{train,test}.csv``) formatted as instruction rows under several phrasings
(the text to classify in ``input``, the label as the response). A share of rows (``--flip``, 10 %) gets
another label, drawn per seed (``--seeds`` draws from ``--first-seed``). For every draw the script runs

* ``label_noise`` (the audit's signal, through ``LabelNoiseSignal.compute``), and again with
  ``rank: error`` (the order it used before: confident-joint candidates by error probability);
* the signal's review list, ``label_noise_issue`` (checked equal to the next line);
* cleanlab's ``find_label_issues`` (defaults) on **the signal's own out-of-fold probabilities**
  (embedding + TF-IDF, recomputed with ``label_noise.group_probabilities``, checked equal to the
  signal's column): the same pred_probs, so the two differ only in how rows are selected;
* cleanlab's ``find_label_issues`` on out-of-fold ``predict_proba`` of a logistic regression on the
  embeddings alone (cleanlab's own recipe, "on the same embeddings");
* the **ceiling at precision >= 0.8**: the best F1 over all cuts of the signal's ranking (the given
  label's out-of-fold probability) whose measured precision is >= 0.8; it reads the planted truth, so it is no method,
  only the most any precision-0.8 selection from these probabilities could reach;

and prints precision / recall / F1 against the planted flips, the signal's estimated precision or its
abstain reason, and mean +- standard deviation [min..max] over the draws. ``--pr-svg DIR`` writes one
precision-recall figure per dataset (SVG, no plotting library): the signal's ranking and cleanlab's
label-quality ranking on embeddings alone, per draw, the operating points, the 0.8 line and the F1
curve of cleanlab's mean. ``cleanlab`` is a dependency of the project (the signal's review list uses it).

    OMP_NUM_THREADS=1 python benchmarks/bench_label_noise.py --sst2-rows 2000 --seeds 5 [--embedder minilm|static]

(one BLAS thread: on a shared, loaded CPU, threaded BLAS made the small regressions ~30x slower.)
"""

from __future__ import annotations

import argparse
import csv
import html
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext
from ift_data.audit.label_noise import LabelNoiseSignal, group_probabilities
from ift_data.embed.encode import TextEncoder
from ift_data.embed.knn import EmbedOptions
from ift_data.io.atomic import atomic_open

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


def curve(order: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(precision, recall) of every prefix of a ranking (most suspicious first)."""
    hits = np.cumsum(truth[order])
    return hits / np.arange(1, order.size + 1), hits / truth.sum()


def ceiling(order: np.ndarray, truth: np.ndarray, min_precision: float) -> np.ndarray:
    """The prefix of ``order`` with the best F1 among those of measured precision >= ``min_precision``
    (reads the truth: an upper bound, not a method). Empty when none qualifies."""
    precision, recall = curve(order, truth)
    f1 = np.where(precision >= min_precision, 2 * precision * recall / np.maximum(precision + recall, 1e-12), -1.0)
    mask = np.zeros(truth.size, bool)
    if f1.max() > 0:
        mask[order[: int(f1.argmax()) + 1]] = True
    return mask


def embedding_probs(vectors: np.ndarray, codes: np.ndarray, seed: int) -> np.ndarray:
    """cleanlab's recipe on the embeddings alone: 5-fold out-of-fold LR ``predict_proba``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    return np.asarray(cross_val_predict(LogisticRegression(max_iter=2000), vectors, codes, method="predict_proba",
                                        cv=StratifiedKFold(5, shuffle=True, random_state=seed)))


def write_pr_svg(path: Path, title: str, curves: list[tuple[str, np.ndarray, np.ndarray]],
                 points: list[tuple[str, str, float, float]], iso_f1: float | None, min_precision: float) -> None:
    """A precision (y) / recall (x) figure: polylines per ``(colour, precision, recall)``, labelled points
    ``(colour, label, recall, precision)``, the precision line and an F1 contour."""
    w, h, m = 560, 420, 50
    sx = lambda r: m + r * (w - 2 * m)  # noqa: E731
    sy = lambda p: h - m - p * (h - 2 * m)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
           f'font-size="11"><rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="13">{html.escape(title)}</text>',
           f'<rect x="{m}" y="{m}" width="{w - 2 * m}" height="{h - 2 * m}" fill="none" stroke="black"/>']
    for t in np.linspace(0, 1, 6):
        out.append(f'<text x="{sx(t):.1f}" y="{h - m + 15}" text-anchor="middle">{t:.1f}</text>')
        out.append(f'<text x="{m - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">{t:.1f}</text>')
    out.append(f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">recall</text>')
    out.append(f'<text x="14" y="{h / 2}" text-anchor="middle" transform="rotate(-90 14 {h / 2})">precision</text>')
    out.append(f'<line x1="{sx(0)}" y1="{sy(min_precision):.1f}" x2="{sx(1)}" y2="{sy(min_precision):.1f}" '
               'stroke="grey" stroke-dasharray="4 3"/>')
    if iso_f1:
        rs = np.linspace(iso_f1 / 2 + 1e-3, 1, 60)
        ps = iso_f1 * rs / (2 * rs - iso_f1)
        keep = ps <= 1
        pts = " ".join(f"{sx(r):.1f},{sy(p):.1f}" for r, p in zip(rs[keep], ps[keep], strict=True))
        out.append(f'<polyline points="{pts}" fill="none" stroke="red" stroke-dasharray="2 3"/>')
    for colour, precision, recall in curves:
        step = max(1, precision.size // 300)
        pts = " ".join(f"{sx(r):.1f},{sy(p):.1f}" for r, p in zip(recall[::step], precision[::step], strict=True))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-opacity="0.6"/>')
    for colour, _, r, p in points:
        if np.isfinite(p):
            out.append(f'<circle cx="{sx(r):.1f}" cy="{sy(p):.1f}" r="3.5" fill="{colour}"/>')
    legend = [("#1f77b4", "label_noise ranking (emb + TF-IDF probs), one line a draw"),
              ("#ff7f0e", "cleanlab label-quality ranking, embeddings alone"),
              ("red", f"F1 = {iso_f1:.2f} (cleanlab on the same probs, mean)" if iso_f1 else ""),
              ("grey", f"precision {min_precision}")]
    seen = {label: colour for colour, label, _, _ in points}
    legend += [(colour, f"dot: {label}") for label, colour in seen.items()]
    shown = [t for t in legend if t[1]]
    for i, (colour, text) in enumerate(shown):  # bottom left: low recall at low precision stays empty
        y = h - m - 8 - 14 * (len(shown) - 1 - i)
        out.append(f'<rect x="{m + 8}" y="{y - 8}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{m + 23}" y="{y + 1}">{html.escape(text)}</text>')
    out.append("</svg>\n")
    with atomic_open(path) as fh:
        fh.write("\n".join(out))


def summarize(values: list[float]) -> str:
    arr = np.array(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if not arr.size:
        return "n/a"
    return f"{arr.mean():.3f} ± {arr.std():.3f} [{arr.min():.2f}..{arr.max():.2f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sst2-rows", type=int, default=2000)
    parser.add_argument("--flip", type=float, default=0.10)
    parser.add_argument("--seeds", type=int, default=5, help="planting draws per dataset")
    parser.add_argument("--first-seed", type=int, default=0, help="first draw (development draws: 100)")
    parser.add_argument("--cache-dir", default=None, help="embedding cache (default: the user cache)")
    parser.add_argument("--embedder", default="minilm",
                        help="minilm (all-MiniLM-L6-v2, default), static (the bundled Model2Vec model, the "
                             "audit's CPU default), auto, or a model folder; every method uses it")
    parser.add_argument("--pr-svg", default=None, help="folder for one precision-recall SVG per dataset")
    args = parser.parse_args(argv)
    if not (DATA / "sst2").is_dir() or not (DATA / "ag_news").is_dir():
        print(f"no data under {DATA}", file=sys.stderr)
        return 2
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    options = EmbedOptions(model=args.embedder, cache_dir=args.cache_dir, progress=False)
    encoder = TextEncoder(options.model, device=options.device, cache_dir=options.cache_dir, progress=False)
    print(f"embedder: {encoder.embedder.kind} ({encoder.embedder.path.name}) on {encoder.device}")
    datasets = {"SST-2": (*sst2_rows(args.sst2_rows, 0), SST2_PHRASINGS), "AG News": (*ag_news_rows(), AG_PHRASINGS)}
    print(f"{'dataset':8} {'seed':>4} {'method':42} {'flagged':>7} {'prec':>6} {'recall':>6} {'F1':>6}  note")
    totals: dict[tuple[str, str], list[tuple[float, ...]]] = {}
    min_precision = 0.8
    for name, (texts, labels, phrasings) in datasets.items():
        started = time.perf_counter()
        vectors = encoder.embed(texts)
        embed_s = time.perf_counter() - started
        classes = sorted(set(labels))
        curves: list[tuple[str, np.ndarray, np.ndarray]] = []
        points: list[tuple[str, str, float, float]] = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            noisy, truth = plant(labels, args.flip, seed)
            table = as_table(texts, noisy, phrasings)
            ctx = AuditContext(rules={}, seed=seed, options=options)
            started = time.perf_counter()
            result = LabelNoiseSignal().compute(table, ctx)
            signal_s = time.perf_counter() - started
            flagged = np.asarray(result.flags["flag_label_noise"], bool)
            note = next(iter(result.summary["classification_groups"].values()))
            why = note.get("not_flagged") or f"estimated precision {note.get('estimated_precision')}"
            codes = np.array([classes.index(x) for x in noisy])
            folds = min(5, int(np.bincount(codes).min()))
            probs = group_probabilities(texts, vectors, codes, len(classes), folds, ctx)
            given = result.columns["label_noise_given_label_probability"].to_numpy()
            if not np.allclose(probs[np.arange(codes.size), codes], given, atol=1e-6):
                print("warning: recomputed probabilities differ from the signal's", file=sys.stderr)
            ours_order = np.argsort(given, kind="stable")  # the signal's flagging order (rank: self_confidence)
            before = LabelNoiseSignal().compute(table, AuditContext(rules={"label_noise": {"rank": "error"}}, seed=seed,
                                                                    options=options))
            before_flags = np.asarray(before.flags["flag_label_noise"], bool)
            before_note = next(iter(before.summary["classification_groups"].values()))
            emb_probs = embedding_probs(vectors, codes, seed)
            same = np.asarray(find_label_issues(codes, probs))
            alone = np.asarray(find_label_issues(codes, emb_probs))
            review = result.columns["label_noise_issue"].fill_null(False).to_numpy()
            if not np.array_equal(review, same):
                print("warning: the signal's label_noise_issue differs from find_label_issues on its probabilities",
                      file=sys.stderr)
            top = ceiling(ours_order, truth, min_precision)
            rows = [("label_noise (emb+TF-IDF probs, CL, gated)", flagged, why),
                    ("label_noise, rank: error (before)", before_flags,
                     before_note.get("not_flagged") or f"estimated precision {before_note.get('estimated_precision')}"),
                    ("label_noise_issue (review list, not a flag)", review, "the signal's column"),
                    ("cleanlab, same probs as label_noise", same, "find_label_issues"),
                    ("cleanlab, embeddings alone", alone, "find_label_issues, OOF LR on the vectors"),
                    ("ceiling: best cut of ours at prec>=0.8", top, "reads the truth: a bound")]
            for method, mask, text in rows:
                count, precision, recall, f1 = scores(mask, truth)
                totals.setdefault((name, method), []).append((count, precision, recall, f1))
                print(f"{name:8} {seed:>4} {method:42} {count:>7} {precision:>6.3f} {recall:>6.3f} {f1:>6.3f}  "
                      f"{text}", flush=True)
            print(f"{'':8} {'':>4} (signal {signal_s:.1f} s; OOF accuracy {note.get('oof_accuracy')}, "
                  f"~{note.get('estimated_errors')} estimated errors, {int(truth.sum())} planted; "
                  f"embedding {len(texts)} texts {embed_s:.1f} s)", flush=True)
            precision_curve, recall_curve = curve(ours_order, truth)
            curves.append(("#1f77b4", precision_curve, recall_curve))
            cl_order = np.argsort(get_label_quality_scores(codes, emb_probs), kind="stable")
            curves.append(("#ff7f0e", *curve(cl_order, truth)))
            for colour, label, mask in (("#1f77b4", "label_noise flags", flagged),
                                        ("red", "cleanlab, same probs", same),
                                        ("#ff7f0e", "cleanlab, embeddings alone", alone)):
                _, precision, recall, _ = scores(mask, truth)
                points.append((colour, label, recall, precision))
        if args.pr_svg:
            iso = float(np.mean([v[3] for v in totals[(name, "cleanlab, same probs as label_noise")]]))
            slug = name.lower().replace(" ", "_").replace("-", "")
            path = Path(args.pr_svg) / f"label_noise_pr_{slug}_{args.embedder}.svg"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_pr_svg(path, f"{name}, {args.flip:.0%} flips, {args.embedder}, {args.seeds} draws", curves, points,
                         iso, min_precision)
            print(f"wrote {path}")
    for name in datasets:
        review_f1 = [v[3] for v in totals[(name, "label_noise_issue (review list, not a flag)")]]
        alone_f1 = [v[3] for v in totals[(name, "cleanlab, embeddings alone")]]
        ahead = sum(r >= a for r, a in zip(review_f1, alone_f1, strict=True))
        print(f"{name}: the review list's F1 >= cleanlab on the embeddings alone in {ahead} of {len(review_f1)} draws")
    print("\nmean ± sd [min..max] over draws (precision over the draws that flagged):")
    for (name, method), values in totals.items():
        cols = list(zip(*values, strict=True))
        print(f"  {name:8} {method:42} flagged {np.mean(cols[0]):6.1f}  precision {summarize(list(cols[1]))}  "
              f"recall {summarize(list(cols[2]))}  F1 {summarize(list(cols[3]))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
