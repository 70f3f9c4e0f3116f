"""``--engine ray``: the audit's per-row signals and MinHash banding on Ray Data (``pip install ift-data[ray]``).

What runs where (the local engine's results, byte for byte: ``tests/audit/test_ray_engine.py``):

- **Per-row signals** (``ROW_SIGNALS``: each row's columns and flags depend on that row only) run as
  ``Dataset.map_batches`` over Arrow batches of the audit table, order preserved; their dataset-level
  figures are computed on the driver from the gathered columns. ``length``, ``use_case`` and
  ``difficulty`` (without ``--ifd-model``, whose causal LM stays on the driver) qualify. ``language``
  does not (a prompt too short to tell takes the dataset's usual language for its script), nor ``noise``
  (a bare end is a cut only in a file whose prose otherwise ends with punctuation).
- **MinHash** (``dedup_minhash``): shingles, signatures and band keys per batch in ``map_batches``; rows
  are shuffled by a hash of (band, key) (``groupby`` on that partition) and each partition groups its rows
  on (band, key) into the same candidate pairs as ``minhash.candidate_pairs``; verification and union-find
  on the driver (``minhash.verified_clusters``).
- **Everything else** (exact duplicates, consistency, label noise, diversity, kNN signals, embeddings) on
  the driver, exactly as the local engine runs it. Embeddings are computed on the driver (its GPU when
  it has one); GPU actors are not used.

Without ``--ray-address`` a local Ray is started (one CPU per core this process may use, no dashboard,
usage stats off) and shut down at the end, on errors and on Ctrl-C too; with it, the driver connects to
that cluster (whose workers need ift-data installed) and only disconnects at the end.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Hashable, Sequence
from types import TracebackType
from typing import Any, ClassVar

import numpy as np
import polars as pl
import pyarrow as pa

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.dedup_minhash import DedupMinhashSignal
from ift_data.audit.difficulty import DifficultySignal
from ift_data.audit.length import LengthSignal
from ift_data.audit.minhash import (
    Clusters,
    band_keys,
    lsh_params,
    shingle_hashes,
    signatures,
    verified_clusters,
)
from ift_data.audit.options import AuditOptions
from ift_data.audit.registry import Registered
from ift_data.audit.use_case import UseCaseSignal
from ift_data.io.ray_runtime import check_reachable, import_ray, start_ray

__all__ = ["RayEngine", "check_reachable", "import_ray"]  # the Ray helpers live in io/ray_runtime.py

MIN_BATCH_ROWS = 512  # smaller batches cost more in Ray task overhead than they gain


# ---- per-row signals ---------------------------------------------------------------------------------

def _length_summary(frame: pl.DataFrame, ctx: AuditContext) -> dict[str, Any]:
    return LengthSignal._summary(frame, "tokens" if ctx.tokenizer is not None else "words")


def _difficulty_summary(frame: pl.DataFrame, ctx: AuditContext) -> dict[str, Any]:
    """``DifficultySignal``'s figures from its gathered columns (the same expressions)."""
    rule = lambda key, default=None: ctx.rule("difficulty", key, default)  # noqa: E731
    weights = rule("weights", {"length": 0.35, "reasoning": 0.25, "constraints": 0.15, "steps": 0.15,
                               "readability": 0.10})
    score, bucket = frame["difficulty_score"], frame["difficulty_bucket"]
    return {"buckets": {b: int((bucket == b).sum()) for b in ("easy", "medium", "hard")},
            "mean_score": round(float(score.mean() or 0.0), 6), "weights": weights,  # type: ignore[arg-type]
            "bounds": {"medium_from": rule("medium_from", 0.3), "hard_from": rule("hard_from", 0.55)}}


def _use_case_summary(frame: pl.DataFrame, ctx: AuditContext) -> dict[str, Any]:
    """``UseCaseSignal``'s figures: its fixed ones from a run on no rows, the counts from the gathered tags."""
    summary = UseCaseSignal().compute(pl.DataFrame(schema=_AUDIT_TEXT_SCHEMA), ctx).summary
    counts = {name: 0 for name in summary["distribution"]}
    for name, n in frame["use_case"].value_counts().iter_rows():
        counts[name] = int(n)
    total = max(frame.height, 1)
    return {**summary, "distribution": counts, "shares": {k: round(v / total, 4) for k, v in counts.items()}}


_AUDIT_TEXT_SCHEMA = {"instruction": pl.String, "input": pl.String, "response": pl.String, "turns": pl.Int64}

# family -> (its signal class, its dataset-level figures from the gathered columns and flags)
ROW_SIGNALS: dict[str, tuple[type, Callable[[pl.DataFrame, AuditContext], dict[str, Any]]]] = {
    "length": (LengthSignal, _length_summary),
    "difficulty": (DifficultySignal, _difficulty_summary),
    "use_case": (UseCaseSignal, _use_case_summary),
}

_TOKENIZERS: dict[str, Any] = {}  # per worker process: a tokenizer is loaded once, not once a batch


def _worker_context(rules: dict[str, Any], options: AuditOptions) -> AuditContext:
    tokenizer = None
    if options.tokenizer:
        if options.tokenizer not in _TOKENIZERS:
            from ift_data.audit.runner import _load_tokenizer

            _TOKENIZERS[options.tokenizer] = _load_tokenizer(options.tokenizer)
        tokenizer = _TOKENIZERS[options.tokenizer]
    return AuditContext(rules=rules, seed=options.seed, tokenizer=tokenizer, options=options)


def row_signal_batch(batch: pa.Table, *, family: str, rules: dict[str, Any], options: AuditOptions) -> pa.Table:
    """One batch of the audit table -> ``row_id`` + the family's columns, then its flags (a Ray task)."""
    table = pl.from_arrow(batch)
    assert isinstance(table, pl.DataFrame)
    result = ROW_SIGNALS[family][0]().compute(table, _worker_context(rules, options))
    out = [table["row_id"]]
    for name, value in (*result.columns.items(), *result.flags.items()):
        series = value if isinstance(value, pl.Series) else pl.Series(name, value)
        if series.len() != table.height:
            raise RuntimeError(f"signal {family}: {name} has {series.len()} values, the batch has {table.height} rows")
        out.append(series.alias(name))
    return pl.DataFrame(out).to_arrow()


class RowSignal:
    """A per-row family computed batch by batch on Ray; figures from the gathered columns on the driver."""

    needs_embeddings: ClassVar[bool] = False

    def __init__(self, engine: RayEngine, family: str) -> None:
        self.engine, self.name = engine, family

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        frame = self.engine.map_table(table, row_signal_batch,
                                      {"family": self.name, "rules": ctx.rules, "options": self.engine.options})
        if not frame["row_id"].equals(table["row_id"]):
            raise RuntimeError(f"Ray engine: signal {self.name} gave its rows back out of order")
        outputs = [c for c in frame.columns if c != "row_id"]
        columns = {c: frame[c] for c in outputs if not c.startswith("flag_")}
        flags = {c: frame[c] for c in outputs if c.startswith("flag_")}
        summary = ROW_SIGNALS[self.name][1](frame.select(outputs), ctx)
        return SignalResult(columns=dict(columns), flags=dict(flags), summary=summary)


# ---- MinHash: band keys per batch, grouped on (band, key) ---------------------------------------------

_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_key_rows(batch: pa.Table, *, num_perm: int, seed: int, bands: int, rows: int, n_words: int, n_chars: int,
                  min_units: int, partitions: int) -> pa.Table:
    """One batch of texts -> a row per (text, band): ``idx``, ``band``, ``key`` and the shuffle ``part``
    (texts without shingles have no rows, as in ``minhash.candidate_pairs``)."""
    idx = batch["idx"].to_numpy().astype(np.int64)
    shingles = shingle_hashes(batch["text"].to_pylist(), n_words, n_chars, min_units)
    has = np.array([len(s) > 0 for s in shingles], dtype=bool)
    keys = band_keys(signatures(shingles, num_perm, seed), bands, rows)[has]
    band = np.tile(np.arange(bands, dtype=np.int32), len(keys))
    key = keys.ravel()
    with np.errstate(over="ignore"):
        part = ((key ^ (band.astype(np.uint64) * _MIX)) % np.uint64(partitions)).astype(np.int32)
    return pa.table({"idx": np.repeat(idx[has], bands), "band": band, "key": key, "part": part})


def bucket_pairs(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The rows of one shuffle partition grouped on (band, key): in each bucket every member is paired with
    its predecessor and with the bucket's first member (members in row order), as ``candidate_pairs``."""
    idx, band, key = group["idx"].astype(np.int64), group["band"], group["key"]
    order = np.lexsort((idx, key, band))
    idx, band, key = idx[order], band[order], key[order]
    new = np.r_[True, (band[1:] != band[:-1]) | (key[1:] != key[:-1])]
    same = np.flatnonzero(~new)
    starts = np.flatnonzero(new)
    first = idx[starts[np.searchsorted(starts, same, side="right") - 1]]
    return {"a": np.concatenate([idx[same - 1], first]), "b": np.concatenate([idx[same], idx[same]])}


# ---- the engine ----------------------------------------------------------------------------------------

def _data_settings() -> dict[str, Any]:
    from ray.data.context import ShuffleStrategy

    # The sort-based pull shuffle runs as plain tasks: 0.3 s for the banding of 1,290 rows once workers are
    # up, where the default actor-based hash shuffle took 12-18 s on 2 cores.
    return {"shuffle_strategy": ShuffleStrategy.SORT_SHUFFLE_PULL_BASED, "enable_progress_bars": False,
            "enable_auto_log_stats": False}


class RayEngine:
    """Starts (or joins) Ray, hands the runner Ray-backed signals, stops Ray at the end."""

    name = "ray"

    def __init__(self, options: AuditOptions, timings: dict[str, Any]) -> None:
        self.options, self.timings = options, timings
        self.ray: Any = None
        self._owns = False  # this engine called ray.init (and so calls ray.shutdown)
        self._saved: dict[str, Any] = {}
        self._saved_order = False
        self.cpus = 1

    def __enter__(self) -> RayEngine:
        ray = self.ray = import_ray()
        started = time.perf_counter()
        self._owns = start_ray(ray, self.options.ray_address)
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # no banners on the audit's console
        data_context = ray.data.DataContext.get_current()
        wanted = _data_settings()
        self._saved = {name: getattr(data_context, name) for name in wanted}
        self._saved_order = data_context.execution_options.preserve_order
        for name, value in wanted.items():
            setattr(data_context, name, value)
        data_context.execution_options.preserve_order = True
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.timings["ray_init"] = time.perf_counter() - started
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.ray is not None and self._saved:  # a caller's own Ray session gets its settings back
            data_context = self.ray.data.DataContext.get_current()
            for name, value in self._saved.items():
                setattr(data_context, name, value)
            data_context.execution_options.preserve_order = self._saved_order
            self._saved = {}
        if self._owns and self.ray is not None:
            self.ray.shutdown()
            self._owns = False

    def signal(self, entry: Registered) -> Any:
        assert entry.cls is not None
        if entry.name == "difficulty" and self.options.ifd_model:
            return entry.cls()  # the causal LM runs on the driver
        if entry.name in ROW_SIGNALS:
            return RowSignal(self, entry.name)
        if entry.name == "dedup_minhash":
            return DedupMinhashSignal(find_clusters=self.near_duplicate_clusters)
        return entry.cls()

    def dataset(self, table: pa.Table) -> tuple[Any, int]:
        """``table`` as a Ray dataset of about two blocks a CPU (so every CPU has work)."""
        size = max(MIN_BATCH_ROWS, math.ceil(table.num_rows / (2 * self.cpus)))
        blocks = [table.slice(start, size) for start in range(0, table.num_rows, size)] or [table]
        return self.ray.data.from_arrow(blocks), size

    def map_table(self, table: pl.DataFrame, fn: Callable[..., pa.Table], kwargs: dict[str, Any]) -> pl.DataFrame:
        """``fn`` over Arrow batches of ``table`` on Ray, gathered in row order."""
        ds, size = self.dataset(table.to_arrow())
        out = ds.map_batches(fn, batch_format="pyarrow", batch_size=size, fn_kwargs=kwargs, zero_copy_batch=True)
        frame = pl.from_arrow(self._gather(out))
        assert isinstance(frame, pl.DataFrame)
        return frame.rechunk()

    def _gather(self, ds: Any) -> pa.Table:
        tables = [t for t in self.ray.get(ds.to_arrow_refs()) if t.num_rows]
        return pa.concat_tables(tables, promote_options="default") if tables else pa.table({})

    def near_duplicate_clusters(self, texts: Sequence[str], *, threshold: float, num_perm: int = 128,
                                n_words: int = 3, n_chars: int = 5, min_units: int = 3, seed: int = 0,
                                fp_weight: float = 0.1, fn_weight: float = 0.9,
                                keys: Sequence[Hashable] | None = None, batch_rows: int = 20000) -> Clusters:
        """``minhash.near_duplicate_clusters`` with the banding on Ray (the same clusters)."""
        bands, rows = lsh_params(threshold, num_perm, fp_weight, fn_weight)
        source = pa.table({"idx": pa.array(np.arange(len(texts), dtype=np.int64)), "text": pa.array(texts, pa.large_string())})
        ds, size = self.dataset(source)
        keyed = ds.map_batches(band_key_rows, batch_format="pyarrow", batch_size=min(size, batch_rows),
                               fn_kwargs={"num_perm": num_perm, "seed": seed, "bands": bands, "rows": rows,
                                          "n_words": n_words, "n_chars": n_chars, "min_units": min_units,
                                          "partitions": 2 * self.cpus})
        pairs = self._gather(keyed.groupby("part").map_groups(bucket_pairs, batch_format="numpy"))
        if pairs.num_rows:
            cand = np.sort(np.stack([pairs["a"].to_numpy(), pairs["b"].to_numpy()], axis=1).astype(np.int64), axis=1)
            cand = np.unique(cand[cand[:, 0] != cand[:, 1]], axis=0)
        else:
            cand = np.zeros((0, 2), dtype=np.int64)
        return verified_clusters(texts, cand, threshold=threshold, bands=bands, rows=rows, n_words=n_words,
                                 n_chars=n_chars, min_units=min_units, keys=keys, batch_rows=batch_rows)
