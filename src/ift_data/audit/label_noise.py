"""kNN label noise for classification-like data (confident learning on the neighbour graph).

A group of rows (one per ``category`` when the table has one, else the whole table) is
classification-like when its responses, normalized (case, surrounding punctuation), come from a
small set of short strings. Within such a group, each row's neighbour probability of label c is the
share of its labelled same-group neighbours carrying c. As in cleanlab's confident learning, the
threshold of class c is the mean self-confidence of the rows labelled c; a row is flagged when its
given label's probability is below its class threshold, another label's is at or above that label's
threshold, and the given label's probability is at most ``max_label_probability``. The suggested
label is the most probable such other label. Groups that are not classification-like are skipped
with a note in the summary.

The neighbours come from a graph over the prompt only (instruction + input) when
``label_noise.graph`` is ``prompt`` (default): a graph that embeds the response would carry the
(possibly wrong) label into the neighbour search. ``shared`` reads the audit's one kNN graph.

Rules (``label_noise:``): ``graph`` (prompt), ``max_label_probability`` (0.2), ``max_classes`` (20),
``max_label_chars`` (40), ``max_label_units`` (5), ``min_class_count`` (3), ``min_coverage`` (0.8,
share of a group's rows whose response is one of the classes), ``min_rows`` (10), ``min_neighbours`` (3),
``min_agreement`` (0.75), ``k`` (10, neighbours in the prompt graph).

A group is left unflagged when its labels are not predictable from the graph: fewer than
``min_agreement`` of its scored rows carry their neighbours' majority label (e.g. sentiment with a
topic-oriented embedding model), since confident learning needs a classifier better than chance.
Columns: ``label_noise_label``, ``label_noise_given_label_probability`` (rank by it: lower is more
suspicious), ``label_noise_suggested_label``. Flag: ``flag_label_noise``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import units

_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")


def normalize_label(response: str) -> str:
    return _EDGE_PUNCT.sub("", " ".join(response.split()).casefold())


def label_classes(labels: list[str], raw: list[str], ctx: AuditContext, family: str) -> list[str] | None:
    """The class names of a classification-like group, or None when the group is not one."""
    max_chars = int(ctx.rule(family, "max_label_chars", 40))
    max_units = int(ctx.rule(family, "max_label_units", 5))
    counts: dict[str, int] = {}
    for label, text in zip(labels, raw, strict=True):
        if label and len(text) <= max_chars and len(units(text)) <= max_units:
            counts[label] = counts.get(label, 0) + 1
    frequent = sorted((c for c in counts if counts[c] >= int(ctx.rule(family, "min_class_count", 3))),
                      key=lambda c: (-counts[c], c))
    covered = sum(counts[c] for c in frequent)
    if (len(labels) < int(ctx.rule(family, "min_rows", 10)) or not 2 <= len(frequent) <= int(ctx.rule(family, "max_classes", 20))
            or covered < float(ctx.rule(family, "min_coverage", 0.8)) * len(labels)):
        return None
    return sorted(frequent)


def confident_learning(codes: np.ndarray, neighbours: np.ndarray, n_classes: int, min_neighbours: int,
                       max_probability: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(given_probability, suggested_code, flagged, agrees)`` for rows with class ``codes`` (-1: no
    label); ``agrees``: the row is scored and its given label is its neighbours' majority label.

    ``neighbours`` (n, k) holds positions into ``codes`` (-1: none)."""
    n = len(codes)
    neighbour_codes = np.where(neighbours >= 0, codes[np.maximum(neighbours, 0)], -1)
    probs = np.zeros((n, n_classes))
    for c in range(n_classes):
        probs[:, c] = (neighbour_codes == c).sum(axis=1)
    totals = probs.sum(axis=1)
    scored = (codes >= 0) & (totals >= min_neighbours)
    probs[scored] /= totals[scored, None]
    given = np.where(scored, probs[np.arange(n), np.maximum(codes, 0)], np.nan)
    thresholds = np.array([given[scored & (codes == c)].mean() if (scored & (codes == c)).any() else np.inf
                           for c in range(n_classes)])
    others = probs >= thresholds[None, :]
    others[np.arange(n), np.maximum(codes, 0)] = False
    candidate = np.where(others, probs, -1.0)
    suggested = np.where(others.any(axis=1), candidate.argmax(axis=1), -1)
    with np.errstate(invalid="ignore"):
        flagged = scored & (given < thresholds[np.maximum(codes, 0)]) & (suggested >= 0) & (given <= max_probability)
    agrees = scored & (given >= probs.max(axis=1))
    return given, np.where(flagged, suggested, -1), flagged, agrees


class LabelNoiseSignal:
    name: ClassVar[str] = "label_noise"
    needs_embeddings: ClassVar[bool] = True

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        n = table.height
        raw = table.get_column("response").fill_null("").to_list()
        labels = [normalize_label(r) for r in raw]
        groups = (table.get_column("category").cast(pl.Utf8).fill_null("").to_list()
                  if "category" in table.columns else [""] * n)
        label_col: list[str | None] = [None] * n
        given_col = np.full(n, np.nan)
        suggested_col: list[str | None] = [None] * n
        flags = np.zeros(n, bool)
        group_notes: dict[str, Any] = {}
        codes = np.full(n, -1, np.int64)
        names: list[str] = []
        names_of_groups, group_ids = np.unique(np.array(groups, dtype=object), return_inverse=True)
        members_of = {str(g): np.flatnonzero(group_ids == j) for j, g in enumerate(names_of_groups)}
        for group in sorted(members_of):
            rows = members_of[group].tolist()
            classes = label_classes([labels[i] for i in rows], [raw[i].strip() for i in rows], ctx, self.name)
            if classes is None:
                continue
            index = {c: len(names) + j for j, c in enumerate(classes)}
            names.extend(f"{group}\x00{c}" for c in classes)
            for i in rows:
                if labels[i] in index:
                    codes[i] = index[labels[i]]
                    label_col[i] = labels[i]
            group_notes[group or "(all)"] = {"rows": len(rows), "classes": classes}
        if not names:
            return SignalResult(summary={"skipped": "not classification-like (responses are not a small set "
                                                    "of short labels)", "classification_groups": {}})
        neighbours = self._neighbours(table, codes, group_ids, ctx)
        if neighbours is None:
            return SignalResult(summary={"skipped": "no kNN graph (embeddings off)"})
        given, suggested, flagged, agrees = confident_learning(
            codes, neighbours, len(names), int(ctx.rule(self.name, "min_neighbours", 3)),
            float(ctx.rule(self.name, "max_label_probability", 0.2)))
        min_agreement = float(ctx.rule(self.name, "min_agreement", 0.75))
        scored = ~np.isnan(given)
        for group, note in group_notes.items():
            members = np.zeros(n, bool)
            members[members_of["" if group == "(all)" else group]] = True
            members &= scored
            note["agreement"] = float(agrees[members].mean()) if members.any() else None
            if note["agreement"] is None or note["agreement"] < min_agreement:
                note["not_flagged"] = f"labels not predictable from the graph (agreement below {min_agreement})"
                flagged &= ~members
        for i in np.flatnonzero(flagged).tolist():
            suggested_col[i] = names[suggested[i]].split("\x00", 1)[1]
        given_col[:] = given
        flags[:] = flagged
        for group, note in group_notes.items():
            note["flagged"] = int(flags[members_of["" if group == "(all)" else group]].sum())
        return SignalResult(
            columns={"label_noise_label": pl.Series(label_col, dtype=pl.Utf8),
                     "label_noise_given_label_probability": pl.Series(given_col, dtype=pl.Float64).fill_nan(None),
                     "label_noise_suggested_label": pl.Series(suggested_col, dtype=pl.Utf8)},
            flags={"flag_label_noise": flags},
            summary={"graph": str(ctx.rule(self.name, "graph", "prompt")), "labelled_rows": int((codes >= 0).sum()),
                     "flagged": int(flags.sum()), "classification_groups": group_notes},
        )

    def _neighbours(self, table: pl.DataFrame, codes: np.ndarray, group_ids: np.ndarray,
                    ctx: AuditContext) -> np.ndarray | None:
        """(n, k) neighbour positions restricted to labelled rows of the same group (-1 elsewhere)."""
        if str(ctx.rule(self.name, "graph", "prompt")) == "shared":
            graph = ctx.knn()
            if graph is None:
                return None
            neighbours = graph.indices.copy()
        else:
            neighbours = self._prompt_graph(table, codes, ctx)
            if neighbours is None:
                return None
        valid = neighbours >= 0
        safe = np.maximum(neighbours, 0)
        same = valid & (group_ids[safe] == group_ids[:, None]) & (codes[safe] >= 0)
        return np.where(same, neighbours, -1)

    def _prompt_graph(self, table: pl.DataFrame, codes: np.ndarray, ctx: AuditContext) -> np.ndarray | None:
        from ift_data.embed.knn import EmbedOptions, knn_provider

        options = dataclasses.replace(EmbedOptions.coerce(ctx.options), fields=("instruction", "input"),
                                      k=int(ctx.rule(self.name, "k", 10)))
        if not options.enabled:
            return None
        labelled = np.flatnonzero(codes >= 0)
        graph = knn_provider(table[labelled], options)()
        if graph is None:
            return None
        neighbours = np.full((table.height, graph.k), -1, np.int64)
        neighbours[labelled] = np.where(graph.indices >= 0, labelled[np.maximum(graph.indices, 0)], -1)
        return neighbours
