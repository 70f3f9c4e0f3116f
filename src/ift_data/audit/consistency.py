"""Consistency: the same prompt (instruction and input, normalized, in the same setting: system prompt and
conversation context) answered materially differently.

Prompt groups are the exact prompt groups (normalized: case, whitespace, edge punctuation; reused from
dedup_exact via ``ctx.cache``); a rule set may also join near-same prompts (``consistency.near_threshold``,
MinHash Jaccard; off by default) of one setting whose numbers agree (``audit/pair_keys.py``). Two answers
differ *materially* when their words, symbols and unspaced-script characters differ as a multiset
(``answer_key``): case, spacing, punctuation and word order do not count ("Red, blue and yellow." = "red,
yellow and blue"; "<" differs from ">"). A group whose short (answer-like) responses differ materially is a
conflict, and its rows whose answer differs from one outside their own duplicate cluster (exact, MinHash with
the ``dedup_minhash`` rules, or the semantic signal's own edges on the shared kNN graph when embeddings are
on) are flagged: a near copy is reported as a duplicate, not again as a conflict. Groups of long responses
that differ are counted as open-ended variants (different essays for the same prompt are not an error)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.components import component_representatives
from ift_data.audit.dedup_exact import exact_groups, settings_of
from ift_data.audit.dedup_minhash import example_texts, short_field_keys
from ift_data.audit.dedup_semantic import duplicate_edges
from ift_data.audit.minhash import near_duplicate_clusters
from ift_data.audit.pair_keys import pair_filter
from ift_data.audit.table_texts import TableTexts
from ift_data.audit.text import EDGE_PUNCTUATION, UNSPACED_CLASS_RS, normalize_expr, unit_count_expr
from ift_data.errors import UserError

# Answer keys are built this many rows at a time: the unit lists of a whole column held the audit's peak
# memory (1.9 GB at 300k rows) before.
_BATCH_ROWS = 65_536
_HASH_SEED = 0x1F2E3D4C
# A word, one character of an unspaced script, or a symbol that is not sentence punctuation.
_PUNCTUATION_RS = "".join(f"\\x{{{ord(c):x}}}" for c in EDGE_PUNCTUATION)
_ANSWER_UNIT_RS = f"[{UNSPACED_CLASS_RS}]|[^\\W{UNSPACED_CLASS_RS}]+|[^\\w\\s{_PUNCTUATION_RS}]"


def answer_key(expr: pl.Expr) -> pl.Expr:
    """The answer as a sorted multiset of its units (lower case): equal keys mean no material difference.
    An answer of nothing but punctuation keys on its normalized text ("?" and "!" differ)."""
    units = expr.fill_null("").str.to_lowercase().str.extract_all(_ANSWER_UNIT_RS)
    return pl.when(units.list.len() > 0).then(units.list.sort().list.join("\x1f")).otherwise(normalize_expr(expr))


def answer_ids(responses: pl.Series, roots: np.ndarray, batch_rows: int = _BATCH_ROWS) -> np.ndarray:
    """An int64 id per row such that two rows of the same root (prompt group) have the same id exactly when
    their ``answer_key`` is the same. Keys are built ``batch_rows`` at a time and kept only as 64-bit
    hashes; rows whose (root, hash) is shared get their keys built again and compared as strings, so a
    hash collision never merges two different answers. Memory: O(rows) integers, not the keys' units."""
    n = len(responses)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    hashes = _key_hashes(responses, batch_rows)
    ids = np.arange(n, dtype=np.int64)  # a row alone with its hash in its group: an answer of its own
    shared = np.flatnonzero(pl.DataFrame({"root": roots, "hash": hashes})
                            .select(pl.len().over("root", "hash") > 1).to_series().to_numpy())
    if len(shared):  # same hash in one group: same id only for the same key (exactly)
        keys = pl.concat([_key_frame(responses.gather(shared[start:start + batch_rows]))
                          for start in range(0, len(shared), batch_rows)])
        ids[shared] = n + keys.rank("dense").to_numpy().astype(np.int64)
    return ids


def _key_hashes(responses: pl.Series, batch_rows: int) -> np.ndarray:
    """64-bit hashes of the answer keys, built ``batch_rows`` rows at a time."""
    return np.concatenate([_key_frame(responses.slice(start, batch_rows)).hash(seed=_HASH_SEED).to_numpy()
                           for start in range(0, len(responses), batch_rows)])


def _key_frame(responses: pl.Series) -> pl.Series:
    return pl.select(answer_key(pl.lit(responses))).to_series()


class ConsistencySignal:
    name: ClassVar[str] = "consistency"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        groups = ctx.cache.pop("dedup_exact", None)  # the last reader
        if groups is None:
            groups = exact_groups(table, settings=settings_of(table, ctx))
        groups = groups.select("dedup_exact_prompt_group", "dedup_exact_cluster")
        n = table.height
        exact_rep = groups["dedup_exact_prompt_group"].to_numpy() - table["row_id"][0] if n else np.zeros(0, np.int64)
        left, right = [np.arange(n)], [exact_rep.astype(np.int64)]
        near_threshold = ctx.rule("consistency", "near_threshold", None)
        if near_threshold is not None:  # a rule set may join near-same prompts too
            if isinstance(near_threshold, bool) or not isinstance(near_threshold, int | float) \
                    or not 0 < near_threshold <= 1:
                raise UserError(f"must be a number in (0, 1] or null, not {near_threshold!r}",
                                field="consistency.near_threshold")
            prompts = TableTexts(table, pl.concat_str(["instruction", "input"], separator="\n"))
            near = near_duplicate_clusters(prompts, threshold=float(near_threshold), seed=ctx.seed, min_units=3,
                                           n_words=ctx.rule("consistency", "ngram_words", 2),
                                           pairs_ok=pair_filter(table, settings_of(table, ctx), True, ("prompt",)))
            linked = near.representative >= 0
            left.append(np.flatnonzero(linked))
            right.append(near.representative[linked])
        roots = component_representatives(n, np.concatenate(left), np.concatenate(right), np.arange(n))
        frame = pl.DataFrame({"root": roots, "response": answer_ids(table["response"], roots),
                              "units": table.select(unit_count_expr(pl.col("response"))).to_series()})
        stats = frame.group_by("root").agg(pl.len().alias("size"), pl.col("response").n_unique().alias("distinct"),
                                           pl.col("units").max().alias("max_units"))
        frame = frame.join(stats, on="root", how="left", maintain_order="left")
        short = frame["max_units"] <= ctx.rule("consistency", "max_response_units", 20)
        grouped, differ = frame["size"] > 1, frame["distinct"] > 1
        candidate = (grouped & differ & short).to_numpy()
        conflict = pl.Series(_not_duplicates(table, roots, frame["response"].to_numpy(), candidate, groups, ctx))
        row_ids = table["row_id"].to_numpy()
        group = pl.select(pl.when(pl.Series(grouped.to_numpy())).then(pl.Series(row_ids[roots] if n else row_ids))
                          .otherwise(None).alias("g"))["g"]
        variants = stats.filter((pl.col("size") > 1) & (pl.col("distinct") > 1))
        summary = {
            "prompt_groups": int(stats.filter(pl.col("size") > 1).height),
            "conflict_groups": int(len(np.unique(roots[conflict.to_numpy()]))),
            "conflict_rows": int(conflict.sum()),
            "open_ended_variant_groups": int(variants.filter(pl.col("max_units") > ctx.rule("consistency", "max_response_units", 20)).height),
        }
        return SignalResult(columns={"consistency_group": group.cast(pl.Int64),
                                     "consistency_responses": frame["distinct"].cast(pl.Int64)},
                            flags={"flag_conflict": conflict}, summary=summary)


def _not_duplicates(table: pl.DataFrame, roots: np.ndarray, responses: np.ndarray, candidate: np.ndarray,
                    groups: pl.DataFrame, ctx: AuditContext) -> np.ndarray:
    """Of the candidate rows (a prompt group with differing short answers), those with an answer that differs
    from one of a row outside their own duplicate cluster (exact, MinHash or semantic): a duplicate pair
    whose copy changed a little is a duplicate, not a conflict."""
    n = table.height
    cand = np.flatnonzero(candidate)
    if not len(cand):
        return candidate.copy()
    row_ids = table["row_id"].to_numpy()
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    left.append(np.arange(n))  # positions: row ids run from the first row's up (as exact_rep above)
    right.append(groups["dedup_exact_cluster"].to_numpy().astype(np.int64) - row_ids[0])
    r = lambda key, default: ctx.rule("dedup_minhash", key, default)  # noqa: E731
    subset = table[cand.tolist()]
    near = near_duplicate_clusters(
        example_texts(subset), threshold=r("threshold", 0.8), num_perm=r("num_perm", 128),
        n_words=r("ngram_words", 3), n_chars=r("ngram_chars", 5), min_units=r("min_units", 3), seed=ctx.seed,
        fp_weight=r("false_positive_weight", 0.1), fn_weight=r("false_negative_weight", 0.9),
        keys=short_field_keys(subset, r("short_field_units", 5)),
        pairs_ok=pair_filter(subset, settings_of(table, ctx)[cand], bool(r("same_numbers", True))))
    linked = near.representative >= 0
    left.append(cand[linked])
    right.append(cand[near.representative[linked]])
    graph = ctx.knn()
    if graph is not None:
        rows, neighbours, _ = duplicate_edges(table, graph, ctx)
        left.append(rows)
        right.append(neighbours)
    dup = component_representatives(n, np.concatenate(left), np.concatenate(right), np.arange(n))
    out = np.zeros(n, dtype=bool)
    out[cand] = differs_outside_cluster(roots[cand], responses[cand], dup[cand])
    return out


def differs_outside_cluster(group: np.ndarray, answer: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """Per row: does a row of its group have another answer *and* another duplicate cluster? Counted, not
    compared pairwise: group members minus those sharing the answer, minus those sharing the cluster, plus
    those sharing both (inclusion-exclusion), so a group of thousands of rows costs O(rows)."""
    if not len(group):
        return np.zeros(0, dtype=bool)
    frame = pl.DataFrame({"g": group, "a": answer, "c": cluster})
    counts = frame.select(pl.len().over("g").alias("all"), pl.len().over("g", "a").alias("answer"),
                          pl.len().over("g", "c").alias("cluster"), pl.len().over("g", "a", "c").alias("both"))
    other = counts["all"] - counts["answer"] - counts["cluster"] + counts["both"]
    return (other > 0).to_numpy()
