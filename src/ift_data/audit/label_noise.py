"""Label noise in classification-like data: out-of-fold probabilities, then confident learning.

**Groups.** A classification task phrased several ways is one group. Within each ``category`` (or the
whole table when there is none) rows whose response is a short label (``max_label_chars``,
``max_label_units``) are linked through their instruction's first ``key_words`` words: labels seen
under one instruction key belong to one task, and the labels that share keys form one label set (union
find). A label set of 2..``max_classes`` labels seen ``min_class_count`` times each, covering
``min_coverage`` of the rows of its instruction keys and at least ``min_rows`` rows, is a group; so a
sentiment task (positive/negative) and a topic task (world/sports/...) in one file are two groups.

**Probabilities.** Per group, K-fold (``folds``, stratified, seeded) out-of-fold class probabilities
from two logistic regressions on the text being classified (the input, or the instruction when there
is no input; never the response, which is the label): one on its sentence embedding (the audit's
embedder), one on TF-IDF word 1-2 grams (``tfidf``); their average, flattened by a temperature
fitted to the given labels when it is overconfident (``calibrate``), is ``p(label | text)``.

**Confident learning.** Every labelled row gets an error probability from the noise model: the noise
matrix ``N[given][true]`` is estimated from anchor rows (the ``anchor_quantile`` most confident rows of
each class; Patrini et al. 2017), the clean posterior is ``N^-1 p``, and ``P(wrong) = 1 - N[y][y] p*(y)
/ p(y)``. Rows are ranked by the given label's out-of-fold probability, lowest first (``rank:
self_confidence``, cleanlab's default label-quality score), and flagged in that order while the mean
error probability of the flagged set, its **estimated precision**, stays at or above
``min_precision``. ``rank: error`` is the earlier order: cleanlab's confident-joint candidates (the
given label's probability below its class's mean self-confidence, another class at its own), most
likely wrong first; on planted flips its flags were less pure at the same estimate (docs/benchmarks.md,
Label noise, where ``benchmarks/bench_label_noise.py`` checks the estimate against planted flips).

**Abstaining.** A group is not flagged, with the reason in the summary, when a class has fewer than
``min_class_rows`` labelled rows (too few to show a precision), when the classifier's skill over the
majority class, ``(accuracy - majority share) / (1 - majority share)`` out of fold, is below
``min_skill``, when it is no better than noise (an anchor diagonal at or below 0.5), when no row
reaches ``min_precision``, or when
the rows that do are under ``min_found_share`` of the estimated label errors (the labels are too weakly
predictable from the text for confident flags; e.g. sentence sentiment from a general-purpose embedding).

**Review list.** ``label_noise_issue`` marks the rows that confident learning itself calls label issues:
``cleanlab.filter.find_label_issues`` (its defaults) on the same probabilities, in every group that has
them, abstaining or not, unless the classifier's skill over the majority label is under
``review_min_skill`` (then it is null, with the reason in the summary: a classifier that hardly beats
answering the majority label makes the minority class look mislabelled). It finds more of the errors
than the flag and is far less pure (on planted flips in real SST-2 and AG News rows: recall 0.73-0.81 at
precision 0.34-0.52, docs/benchmarks.md), so it is a list to review, not a flag: ``clean`` never removes
by it.

Columns: ``label_noise_label``, ``label_noise_given_label_probability`` (out of fold; lower is more
suspicious; the flagging order), ``label_noise_error_probability``, ``label_noise_issue``,
``label_noise_suggested_label`` (flagged rows and issues). Flag: ``flag_label_noise``. ``graph: shared``
uses the vectors of the audit's kNN graph instead of embedding the text (they include the response: for
tests and experiments only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import units
from ift_data.errors import UserError

_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
_WORD = re.compile(r"\w+")


def normalize_label(response: str) -> str:
    return _EDGE_PUNCT.sub("", " ".join(response.split()).casefold())


def instruction_key(instruction: str, words: int) -> str:
    """The first ``words`` words of an instruction, case-folded: phrasings that embed the text to
    classify after a fixed prefix share a key."""
    return " ".join(_WORD.findall(instruction.casefold())[:words])


@dataclass(frozen=True)
class Group:
    name: str
    rows: np.ndarray  # positions of the group's rows (labelled or not)
    classes: tuple[str, ...]


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def classification_groups(table: pl.DataFrame, labels: list[str], ctx: AuditContext, family: str) -> list[Group]:
    """The classification-like groups of a table (see the module docstring), in a stable order."""
    rule = ctx.rule
    max_chars, max_units = int(rule(family, "max_label_chars", 40)), int(rule(family, "max_label_units", 5))
    min_count, max_classes = int(rule(family, "min_class_count", 3)), int(rule(family, "max_classes", 20))
    words = int(rule(family, "key_words", 6))
    raw = table.get_column("response").fill_null("").to_list()
    instructions = table.get_column("instruction").fill_null("").to_list()
    scopes = (table.get_column("category").cast(pl.Utf8).fill_null("").to_list()
              if "category" in table.columns else [""] * table.height)
    keys = [f"{scope}\x00{instruction_key(text, words)}" for scope, text in zip(scopes, instructions, strict=True)]
    is_label = [bool(lab) and len(text.strip()) <= max_chars and len(units(text)) <= max_units
                for lab, text in zip(labels, raw, strict=True)]
    sets = _Union()
    first_label: dict[str, str] = {}
    for i, key in enumerate(keys):
        if is_label[i]:
            node = f"{scopes[i]}\x00{labels[i]}"
            sets.union(first_label.setdefault(key, node), node)
    component_of_key = {key: sets.find(node) for key, node in first_label.items()}
    members: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key in component_of_key:
            members.setdefault(component_of_key[key], []).append(i)
    out: list[Group] = []
    for component in sorted(members):
        rows = members[component]
        counts: dict[str, int] = {}
        for i in rows:
            if is_label[i]:
                counts[labels[i]] = counts.get(labels[i], 0) + 1
        classes = sorted(c for c, k in counts.items() if k >= min_count)
        covered = sum(counts[c] for c in classes)
        if (len(rows) < int(rule(family, "min_rows", 10)) or not 2 <= len(classes) <= max_classes
                or covered < float(rule(family, "min_coverage", 0.8)) * len(rows)):
            continue
        scope = component.split("\x00", 1)[0]
        name = f"{scope}: {'/'.join(classes[:4])}" if scope else "/".join(classes[:4])
        name += "/..." if len(classes) > 4 else ""
        taken = {g.name for g in out}
        unique = next(f"{name} ({k})" for k in range(2, len(out) + 3) if f"{name} ({k})" not in taken)
        out.append(Group(unique if name in taken else name, np.asarray(rows, np.int64), tuple(classes)))
    return out


def out_of_fold_probabilities(features: list[Any], codes: np.ndarray, n_classes: int, folds: int, seed: int,
                              c_values: list[float]) -> np.ndarray:
    """Average of the K-fold out-of-fold ``predict_proba`` of one logistic regression per feature matrix."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    total = np.zeros((len(codes), n_classes))
    for x, c in zip(features, c_values, strict=True):
        model = LogisticRegression(C=c, max_iter=2000, solver="newton-cg")
        total += cross_val_predict(model, x, codes, cv=splitter, method="predict_proba")
    return total / len(features)


def temperature_scale(probs: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, float]:
    """Probabilities flattened by the temperature that minimizes the log loss of the given labels, when
    that temperature is above 1: an overfit classifier's overconfidence would otherwise read as label
    errors. An underconfident one (the average of two models) is left as it is: sharpening it makes the
    anchor rows look cleaner than they are and understates the noise."""
    from scipy.optimize import minimize_scalar

    logits = np.log(np.clip(probs, 1e-12, 1.0))
    rows = np.arange(len(codes))

    def scaled(temperature: float) -> np.ndarray:
        z = logits / temperature
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def loss(temperature: float) -> float:
        return float(-np.log(np.clip(scaled(temperature)[rows, codes], 1e-12, 1.0)).mean())

    best = float(minimize_scalar(loss, bounds=(1.0, 20.0), method="bounded", options={"xatol": 1e-4}).x)
    return (scaled(best), best) if best > 1.0 + 1e-3 else (probs, 1.0)


def group_probabilities(texts: list[str], vectors: np.ndarray, codes: np.ndarray, n_classes: int, folds: int,
                        ctx: AuditContext, family: str = "label_noise", note: dict[str, Any] | None = None
                        ) -> np.ndarray:
    """A group's out-of-fold ``p(label | text)`` as the signal computes it: the average of the logistic
    regressions on the embeddings and (``tfidf``) on TF-IDF word 1-2 grams, temperature-flattened when
    overconfident (``calibrate``; the temperature goes to ``note``). Public so that a benchmark can give
    another selection (cleanlab's) exactly the same probabilities."""
    rule = ctx.rule
    features: list[Any] = [vectors]
    c_values = [float(rule(family, "embedding_c", 1.0))]
    if rule(family, "tfidf", True):
        from sklearn.feature_extraction.text import TfidfVectorizer

        try:
            features.append(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(texts))
            c_values.append(float(rule(family, "tfidf_c", 10.0)))
        except ValueError:  # no word recurs: nothing to learn from words
            pass
    probs = out_of_fold_probabilities(features, codes, n_classes, folds, ctx.seed, c_values)
    if rule(family, "calibrate", True):
        probs, temperature = temperature_scale(probs, codes)
        if note is not None:
            note["temperature"] = round(temperature, 3)
    return probs


def candidate_issues(probs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """cleanlab's confident-joint off-diagonal rows: the given label's probability is below its class's
    mean self-confidence and another class reaches its own threshold."""
    n, k = probs.shape
    thresholds = np.array([probs[codes == c, c].mean() if (codes == c).any() else np.inf for c in range(k)])
    above = probs >= thresholds[None, :]
    above[np.arange(n), codes] = False
    return above.any(axis=1) & (probs[np.arange(n), codes] < thresholds[codes])


def anchor_noise_matrix(probs: np.ndarray, quantile: float) -> np.ndarray:
    """``N[given][true]``: column t is the mean probability vector of the rows most confidently of class t."""
    k = probs.shape[1]
    matrix = np.zeros((k, k))
    for t in range(k):
        anchors = probs[:, t] >= np.quantile(probs[:, t], quantile)
        matrix[:, t] = probs[anchors].mean(axis=0)
    return matrix


def error_probability(probs: np.ndarray, codes: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(P(given label wrong), clean posterior p*)`` under the noise model ``probs = p* @ matrix.T``."""
    clean = np.linalg.lstsq(matrix, probs.T, rcond=None)[0].T
    clean = np.clip(clean, 0.0, None)
    clean /= np.maximum(clean.sum(axis=1, keepdims=True), 1e-12)
    rows = np.arange(len(codes))
    noisy = clean @ matrix.T
    right = matrix[codes, codes] * clean[rows, codes] / np.maximum(noisy[rows, codes], 1e-12)
    return np.clip(1.0 - right, 0.0, 1.0), clean


def confident_learning_issues(probs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """cleanlab's ``find_label_issues`` with its defaults (``prune_by_noise_rate``) on these probabilities:
    the rows confident learning calls label issues (a bool mask). In this process (``n_jobs=1``, the same
    result as any ``n_jobs``): cleanlab's own pool of forked workers would inherit the command line's
    signal handlers and print a traceback each when it is shut down."""
    from cleanlab.filter import find_label_issues

    return np.asarray(find_label_issues(codes, probs, n_jobs=1), dtype=bool)


def select_at_precision(error: np.ndarray, order: np.ndarray, min_precision: float) -> np.ndarray:
    """The largest prefix of the ranking ``order`` (row positions, most suspicious first) whose mean
    error probability is ``>= min_precision`` (a bool mask)."""
    flagged = np.zeros(len(error), bool)
    if order.size:
        running = np.cumsum(error[order]) / np.arange(1, order.size + 1)
        ok = np.flatnonzero(running >= min_precision)
        if ok.size:
            flagged[order[: ok.max() + 1]] = True
    return flagged


RANKS = ("self_confidence", "error")


def suspicion_order(probs: np.ndarray, codes: np.ndarray, error: np.ndarray, rank: str) -> np.ndarray:
    """Rows most likely mislabelled first: by the given label's out-of-fold probability
    (``self_confidence``, cleanlab's default label-quality score), or by error probability among
    the confident-joint candidates (``error``)."""
    if rank == "self_confidence":
        return np.argsort(probs[np.arange(len(codes)), codes], kind="stable")
    if rank == "error":
        order = np.flatnonzero(candidate_issues(probs, codes))
        return order[np.argsort(-error[order], kind="stable")]
    raise UserError(f"rules: field 'label_noise.rank': must be one of {', '.join(RANKS)}, not {rank!r}")


class LabelNoiseSignal:
    name: ClassVar[str] = "label_noise"
    needs_embeddings: ClassVar[bool] = True

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        n = table.height
        rank = str(ctx.rule(self.name, "rank", "self_confidence"))
        if rank not in RANKS:  # refused before any work, not after the embeddings
            raise UserError(f"rules: field 'label_noise.rank': must be one of {', '.join(RANKS)}, not {rank!r}")
        labels = [normalize_label(r) for r in table.get_column("response").fill_null("").to_list()]
        groups = classification_groups(table, labels, ctx, self.name)
        if not groups:
            return SignalResult(summary={"skipped": "not classification-like (no task whose responses are a small "
                                                    "set of short labels)", "classification_groups": {}})
        texts = self._texts(table)
        label_col: list[str | None] = [None] * n
        given_col = np.full(n, np.nan)
        error_col = np.full(n, np.nan)
        issue_col: list[bool | None] = [None] * n
        suggested_col: list[str | None] = [None] * n
        flags = np.zeros(n, bool)
        notes: dict[str, Any] = {}
        for group in groups:
            codes = np.array([group.classes.index(labels[i]) if labels[i] in group.classes else -1
                              for i in group.rows])
            rows = group.rows[codes >= 0]
            codes = codes[codes >= 0]
            for i in rows.tolist():
                label_col[i] = labels[i]
            note: dict[str, Any] = {"rows": int(group.rows.size), "labelled_rows": int(rows.size),
                                    "classes": list(group.classes)}
            notes[group.name] = note
            vectors = self._vectors(table, texts, rows, ctx)
            if vectors is None:
                return SignalResult(summary={"skipped": "no embeddings (embeddings off)"})
            found = self._judge(rows, codes, len(group.classes), [texts[i] for i in rows], vectors, ctx, note)
            if found is None:
                continue
            given, error, suggested, flagged, issues = found
            given_col[rows], error_col[rows] = given, error
            flags[rows] = flagged
            if issues is not None:
                for j, issue in enumerate(issues.tolist()):
                    issue_col[int(rows[j])] = issue
            for j in np.flatnonzero(flagged if issues is None else flagged | issues).tolist():
                suggested_col[int(rows[j])] = group.classes[int(suggested[j])]
        return SignalResult(
            columns={"label_noise_label": pl.Series(label_col, dtype=pl.Utf8),
                     "label_noise_given_label_probability": pl.Series(given_col, dtype=pl.Float64).fill_nan(None),
                     "label_noise_error_probability": pl.Series(error_col, dtype=pl.Float64).fill_nan(None),
                     "label_noise_issue": pl.Series(issue_col, dtype=pl.Boolean),
                     "label_noise_suggested_label": pl.Series(suggested_col, dtype=pl.Utf8)},
            flags={"flag_label_noise": flags},
            summary={"method": "out-of-fold logistic regression + confident learning",
                     "min_precision": float(ctx.rule(self.name, "min_precision", 0.8)),
                     "labelled_rows": int(sum(note["labelled_rows"] for note in notes.values())),
                     "flagged": int(flags.sum()),
                     "issues": sum(1 for issue in issue_col if issue),
                     "issues_method": "cleanlab.filter.find_label_issues (defaults) on the same probabilities: rows "
                                      "to review, not flagged",
                     "classification_groups": notes},
        )

    def _judge(self, rows: np.ndarray, codes: np.ndarray, n_classes: int, texts: list[str], vectors: np.ndarray,
               ctx: AuditContext, note: dict[str, Any]) -> tuple[Any, ...] | None:
        """``(given probability, error probability, suggested code, flagged, confident-learning issue or None
        when there is no review list)`` of a group's labelled rows, or None (with ``note['not_flagged']``) when
        it cannot be judged."""
        rule = ctx.rule
        present = np.bincount(codes, minlength=n_classes)
        folds = min(int(rule(self.name, "folds", 5)), int(present.min()))
        if folds < 2 or (present == 0).any():
            note["not_flagged"] = "a class has fewer than 2 labelled rows: no out-of-fold estimate"
            return None
        probs = group_probabilities(texts, vectors, codes, n_classes, folds, ctx, self.name, note)
        index = np.arange(len(codes))
        given = probs[index, codes]
        matrix = anchor_noise_matrix(probs, float(rule(self.name, "anchor_quantile", 0.97)))
        error, clean = error_probability(probs, codes, matrix)
        note["oof_accuracy"] = round(float((probs.argmax(axis=1) == codes).mean()), 4)
        note["estimated_errors"] = round(float(error.sum()), 1)
        other = np.where(np.eye(n_classes, dtype=bool)[codes], -1.0, clean)
        suggested = other.argmax(axis=1)
        majority = float(present.max() / present.sum())
        note["oof_skill"] = round((note["oof_accuracy"] - majority) / max(1.0 - majority, 1e-12), 4)
        review_min_skill = float(rule(self.name, "review_min_skill", 0.2))
        issues: np.ndarray | None = None
        if note["oof_skill"] >= review_min_skill:
            issues = confident_learning_issues(probs, codes)
            note["issues"] = int(issues.sum())
        else:  # a classifier that hardly beats the majority label makes the minority rows look mislabelled
            note["issues"] = 0
            note["no_review_list"] = (f"the classifier hardly beats always answering the majority label (skill "
                                      f"{note['oof_skill']:.2f} < {review_min_skill})")
        nothing = (given, error, suggested, np.zeros(len(codes), bool), issues)
        min_class_rows, min_skill = int(rule(self.name, "min_class_rows", 50)), float(rule(self.name, "min_skill", 0.5))
        if int(present.min()) < min_class_rows:
            note["not_flagged"] = (f"too few rows to show precision: a class has {int(present.min())} labelled rows "
                                   f"(< {min_class_rows})")
        elif note["oof_skill"] < min_skill:
            note["not_flagged"] = (f"labels too weakly predictable from the text: out-of-fold accuracy "
                                   f"{note['oof_accuracy']:.2f} against a majority share of {majority:.2f} (skill "
                                   f"{note['oof_skill']:.2f} < {min_skill})")
        elif float(np.diag(matrix).min()) <= 0.5:
            note["not_flagged"] = ("the classifier is no better than noise on this group (an anchor class keeps "
                                   "its own label with probability <= 0.5)")
        if "not_flagged" in note:
            note["flagged"] = 0
            return nothing
        min_precision = float(rule(self.name, "min_precision", 0.8))
        order = suspicion_order(probs, codes, error, str(rule(self.name, "rank", "self_confidence")))
        flagged = select_at_precision(error, order, min_precision)
        found = int(flagged.sum())
        expected = float(error.sum())
        note["estimated_precision"] = round(float(error[flagged].mean()), 4) if found else None
        min_share = float(rule(self.name, "min_found_share", 0.3))
        if not found:
            note["not_flagged"] = f"no row reaches an estimated precision of {min_precision}"
        elif found < min_share * expected:
            note["not_flagged"] = (f"labels too weakly predictable from the text: at estimated precision "
                                   f"{min_precision} only {found} of ~{expected:.0f} estimated label errors are "
                                   f"separable (share {found / expected:.2f} < {min_share}; out-of-fold "
                                   f"accuracy {note['oof_accuracy']:.2f})")
        if "not_flagged" in note:
            note["flagged"] = 0
            return nothing
        note["flagged"] = found
        return given, error, suggested, flagged, issues

    @staticmethod
    def _texts(table: pl.DataFrame) -> list[str]:
        """The text a row's label classifies: its input, or its instruction when the input is empty."""
        inputs = table.get_column("input").fill_null("").to_list()
        instructions = table.get_column("instruction").fill_null("").to_list()
        return [inp if inp.strip() else ins for inp, ins in zip(inputs, instructions, strict=True)]

    def _vectors(self, table: pl.DataFrame, texts: list[str], rows: np.ndarray,
                 ctx: AuditContext) -> np.ndarray | None:
        if str(ctx.rule(self.name, "graph", "prompt")) == "shared":
            graph = ctx.knn()
            return None if graph is None or graph.embeddings is None else np.asarray(graph.embeddings)[rows]
        from ift_data.embed.encode import TextEncoder
        from ift_data.embed.knn import EmbedOptions

        options = EmbedOptions.coerce(ctx.options)
        if not options.enabled:
            return None
        encoder = ctx.cache.get("label_noise_encoder")
        if encoder is None:
            encoder = TextEncoder(options.model, device=options.device, batch_size=options.batch_size,
                                  cache_dir=options.cache_dir, progress=options.progress)
            ctx.cache["label_noise_encoder"] = encoder
        return np.asarray(encoder.embed([texts[i] for i in rows.tolist()]))
