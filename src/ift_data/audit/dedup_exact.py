"""Exact duplicates: rows whose normalized (case, whitespace, edge punctuation; see ``audit/text.py``:
math, code and symbols count) prompt, response, or both (the whole example) are the same. The prompt is the
instruction and input *in their setting*: two rows have the same prompt only when their system prompts and
their conversation contexts (a chat's earlier turns, ``context``) are the same too (``setting_groups``). A
group id is the row_id of the group's first row, its representative; only the other members of a
whole-example group are flagged."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.text import normalize_expr

SEP = "\x1f"
BATCH_ROWS = 65_536  # rows whose normalized texts are built at a time
_HASH_SEED = 0x5EED_D0B1


SETTING_FIELDS = ("system", "context")  # what a prompt is asked in: its system prompt and earlier turns


def exact_groups(table: pl.DataFrame, batch_rows: int = BATCH_ROWS, settings: np.ndarray | None = None
                 ) -> pl.DataFrame:
    """row_id -> representative row_id of the prompt / response / whole groups (cached by consistency).
    The normalized texts are built ``batch_rows`` rows at a time and kept only as 64-bit hashes: rows whose
    hash another row shares get their texts built again and compared as strings, so a hash collision never
    joins two different texts. Two rows have the same prompt when their instructions and inputs are the same
    and so is their setting (``settings``: ``setting_groups``, computed when not given); they are the same
    whole example when both their prompts and their responses are."""
    prompt = normalize_expr(pl.col("instruction")) + SEP + normalize_expr(pl.col("input"))
    row_ids = table["row_id"].to_numpy().astype(np.int64)
    setting = setting_groups(table, batch_rows) if settings is None else settings
    prompt_group = first_equal_rows(table, prompt, row_ids, batch_rows)
    response_group = first_equal_rows(table, normalize_expr(pl.col("response")), row_ids, batch_rows)
    pairs = pl.DataFrame({"row_id": row_ids, "p": prompt_group, "s": setting, "r": response_group})
    pairs = pairs.with_columns(pl.col("row_id").min().over("p", "s").alias("p"))
    return pairs.select(
        "row_id",
        pl.col("p").alias("dedup_exact_prompt_group"),
        pl.col("r").alias("dedup_exact_response_group"),
        pl.col("row_id").min().over("p", "r").alias("dedup_exact_cluster"),
    )


def settings_of(table: pl.DataFrame, ctx: AuditContext) -> np.ndarray:
    """``setting_groups`` of ``table``, computed once per audit (kept in ``ctx.cache``: one int64 a row)."""
    cached = ctx.cache.get("setting_groups")
    if cached is None or cached[0] is not table:
        cached = ctx.cache["setting_groups"] = (table, setting_groups(table))
    groups: np.ndarray = cached[1]
    return groups


def setting_groups(table: pl.DataFrame, batch_rows: int = BATCH_ROWS) -> np.ndarray:
    """Per row, the smallest row_id among the rows whose normalized system prompt and context (``SETTING_FIELDS``)
    equal its own: rows of different settings are never duplicates or conflicts of each other. Without a
    system prompt or context anywhere (single-turn data), every row shares the first row's setting."""
    row_ids = table["row_id"].to_numpy().astype(np.int64) if table.height else np.zeros(0, dtype=np.int64)
    fields = [f for f in SETTING_FIELDS if f in table.columns]
    if not table.height or not fields or table.select(pl.all_horizontal(
            [pl.col(f).fill_null("").eq("").all() for f in fields])).item():
        return np.full(table.height, row_ids.min() if table.height else 0, dtype=np.int64)
    # Rows with the same raw texts (a system prompt every row shares) are grouped first, exactly, a column at a
    # time (a group-by on several long text columns would copy them); only the distinct settings are normalized.
    codes, values = [], []
    for field in fields:
        groups = _members(table.select(pl.col(field).fill_null("")), [field])
        codes.append(_scatter(groups["i"], np.arange(groups.height), table.height))
        values.append(groups[field])
    by = [f"c{k}" for k in range(len(fields))]
    settings = _members(pl.DataFrame({**dict(zip(by, codes, strict=True)), "r": row_ids}), by)
    distinct = pl.DataFrame([v.gather(settings[c]) for c, v in zip(by, values, strict=True)])
    key = pl.concat_str([normalize_expr(pl.col(f)) for f in fields], separator=SEP)
    return _scatter(settings["i"], first_equal_rows(distinct, key, settings["r"].to_numpy(), batch_rows), table.height)


def _members(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """The distinct values of ``by`` in ``frame``, in order of first appearance, with their rows' positions ``i``
    (and the smallest ``r`` among them, where ``frame`` has that column)."""
    extra = [pl.col("r").min()] if "r" in frame.columns else []
    return frame.with_row_index("i").group_by(by, maintain_order=True).agg(pl.col("i"), *extra)


def _scatter(members: pl.Series, values: np.ndarray, n: int) -> np.ndarray:
    """Per row position, the value of the group whose ``members`` (a list of positions per group) hold it."""
    out = np.empty(n, dtype=np.int64)
    sizes = members.list.len().to_numpy()
    out[members.explode().to_numpy().astype(np.int64)] = np.repeat(np.asarray(values, dtype=np.int64), sizes)
    return out


def first_equal_rows(table: pl.DataFrame, key: pl.Expr, row_ids: np.ndarray, batch_rows: int = BATCH_ROWS
                     ) -> np.ndarray:
    """Per row, the smallest row_id among the rows whose ``key`` (a string expression) equals its own."""
    n = table.height
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    hashes = key_hashes(table, key, batch_rows)
    first = row_ids.copy()
    shared = np.flatnonzero(pl.DataFrame({"h": hashes}).select(pl.len().over("h") > 1).to_series().to_numpy())
    if len(shared):  # only these can equal another row; every row with an equal key is among them
        keys = pl.concat([table[shared[start:start + batch_rows]].select(key.alias("k"))
                          for start in range(0, len(shared), batch_rows)])
        first[shared] = keys.with_columns(pl.Series("r", row_ids[shared])).select(
            pl.col("r").min().over("k")).to_series().to_numpy()
    return first


def key_hashes(table: pl.DataFrame, key: pl.Expr, batch_rows: int) -> np.ndarray:
    """64-bit hashes of ``key``'s values, built ``batch_rows`` rows at a time."""
    return np.concatenate([table.slice(start, batch_rows).select(key.hash(seed=_HASH_SEED)).to_series().to_numpy()
                           for start in range(0, table.height, batch_rows)])


class DedupExactSignal:
    name: ClassVar[str] = "dedup_exact"
    needs_embeddings: ClassVar[bool] = False

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        groups = exact_groups(table, settings=settings_of(table, ctx))
        ctx.cache["dedup_exact"] = groups
        whole = groups["dedup_exact_cluster"]
        is_dup = whole != groups["row_id"]
        sizes = groups.group_by("dedup_exact_cluster").len().filter(pl.col("len") > 1)
        in_group = whole.is_in(sizes["dedup_exact_cluster"].implode()) if sizes.height else pl.Series([False] * table.height)
        cluster = pl.when(pl.Series(in_group)).then(whole).otherwise(None)
        summary = {
            "duplicate_rows": int(is_dup.sum()),
            "groups": sizes.height,
            "largest_groups": sizes.sort(["len", "dedup_exact_cluster"], descending=[True, False]).head(10)
            .rename({"dedup_exact_cluster": "representative", "len": "size"}).to_dicts(),
            "prompt_duplicate_rows": int((groups["dedup_exact_prompt_group"] != groups["row_id"]).sum()),
            "response_duplicate_rows": int((groups["dedup_exact_response_group"] != groups["row_id"]).sum()),
        }
        return SignalResult(columns={
            "dedup_exact_prompt_group": groups["dedup_exact_prompt_group"],
            "dedup_exact_response_group": groups["dedup_exact_response_group"],
            "dedup_exact_cluster": pl.select(cluster.alias("c"))["c"],
        }, flags={"flag_exact_duplicate": is_dup}, summary=summary)
