"""``--engine ray``: the audit's per-row signals and MinHash banding on Ray Data (``pip install ift-data[ray]``).

What runs where (the local engine's results, byte for byte: ``tests/audit/test_ray_engine.py``):

- **Per-row phases** (``audit/row_phase.py``): ``length``, ``language``, ``noise``, ``use_case``,
  ``format_concentration`` and ``difficulty`` (without ``--ifd-model``, whose causal LM stays on the
  driver) run their per-row phase as ``Dataset.map_batches`` over Arrow batches of the audit table, order
  preserved, with the same function the local engine's worker processes run (``row_phase.features_of``);
  each family's ``finalize`` then runs on the driver over the gathered features: ``language`` picks the
  dataset's usual prompt language per script there (it decides the prompts too short to tell), ``noise``
  each file's habit of ending prose with punctuation (it decides whether a bare end is a cut),
  ``format_concentration`` the label names (short answers that recur), the others compute their figures
  from the gathered columns.
- **MinHash** (``dedup_minhash``): shingles, signatures and band keys per batch in ``map_batches``; rows
  are shuffled by a hash of (band, key) (``groupby`` on that partition) and each partition groups its rows
  on (band, key) into the same candidate pairs as ``minhash.candidate_pairs``; verification and union-find
  on the driver (``minhash.verified_clusters``).
- **Embeddings**: when the cluster has GPUs, the texts the embedding cache lacks are encoded by a
  ``map_batches`` stage of GPU actors (``EmbedActor``: one per GPU, each holding the transformer in fp16,
  the same length-sorted fast path as a local GPU), gathered in order; the driver caches them and builds
  the kNN graph. ``--embedder auto`` then means MiniLM (the GPUs' model) and the static model, a token
  table, still runs on the driver. Without GPUs the driver embeds, as the local engine does.
- **Everything else** (exact duplicates, consistency, label noise, diversity, the kNN graph and its
  signals) on the driver, exactly as the local engine runs it.

Without ``--ray-address`` a local Ray is started (one CPU per core this process may use, no dashboard,
usage stats off) and shut down at the end, on errors and on Ctrl-C too; with it, the driver connects to
that cluster (whose workers need ift-data installed) and only disconnects at the end.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import Any, ClassVar

import numpy as np
import polars as pl
import pyarrow as pa

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.dedup_minhash import DedupMinhashSignal
from ift_data.audit.minhash import (
    Clusters,
    PairFilter,
    band_keys,
    lsh_params,
    shingle_hashes,
    signatures,
    verified_clusters,
)
from ift_data.audit.options import AuditOptions
from ift_data.audit.registry import Registered
from ift_data.audit.row_phase import UNSHIPPED_COLUMNS, RowPhased, features_of, row_phase
from ift_data.audit.table_texts import TableTexts
from ift_data.io.ray_runtime import check_reachable, cluster_cpus, data_settings, import_ray, start_ray

__all__ = ["RayEngine", "check_reachable", "import_ray"]  # the Ray helpers live in io/ray_runtime.py

MIN_BATCH_ROWS = 512  # smaller batches cost more in Ray task overhead than they gain


# ---- per-row phases -------------------------------------------------------------------------------------

def row_signal_batch(batch: pa.Table, *, family: str, rules: dict[str, Any], options: AuditOptions) -> pa.Table:
    """One batch of the audit table -> ``row_id`` + the family's per-row features (a Ray task): the same
    ``row_phase.features_of`` the local engine's worker processes run."""
    table = pl.from_arrow(batch)
    assert isinstance(table, pl.DataFrame)
    features = features_of(table, family, rules, options)
    return pl.concat([table.select("row_id"), features], how="horizontal").to_arrow()


class RowSignal:
    """A family with a per-row phase: its features computed batch by batch on Ray, its ``finalize`` on the
    driver over the gathered features and the whole table."""

    needs_embeddings: ClassVar[bool] = False

    def __init__(self, engine: RayEngine, phase: RowPhased) -> None:
        self.engine, self.phase = engine, phase
        self.name = phase.name

    def compute(self, table: pl.DataFrame, ctx: AuditContext) -> SignalResult:
        frame = self.engine.map_table(table.drop(UNSHIPPED_COLUMNS, strict=False), row_signal_batch,
                                      {"family": self.name, "rules": ctx.rules, "options": self.engine.options})
        if not frame["row_id"].equals(table["row_id"]):
            raise RuntimeError(f"Ray engine: signal {self.name} gave its rows back out of order")
        return self.phase.finalize(frame.drop("row_id"), table, ctx)


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


# ---- embeddings on GPU actors ----------------------------------------------------------------------------

ACTOR_DEVICE = "cuda"  # where the embedding actors run (a test runs the same path on CPU actors)
ACTOR_GPUS = 1         # GPUs each embedding actor holds
EMBED_BLOCK = 8192     # texts an actor encodes per call (the fast path length-sorts within it)


class EmbedActor:
    """A Ray actor holding one embedding model on its device; each call encodes a batch of texts into
    L2-normalized float32 vectors (``TextEncoder.encode``: the fast fp16 path on a GPU)."""

    def __init__(self, model: str | None, device: str, batch_size: int) -> None:
        from ift_data.embed.encode import TextEncoder

        self.encoder = TextEncoder(model, device=device, batch_size=batch_size, cache_dir=False, progress=False)

    def __call__(self, batch: pa.Table) -> pa.Table:
        vectors = self.encoder.encode(batch["text"].to_pylist())
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1))
        return pa.table({"vector": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])})


def cluster_gpus(ray: Any) -> int:
    """The GPUs of the Ray cluster."""
    return int(ray.cluster_resources().get("GPU", 0))


class RayEncoding:
    """``TextEncoder``'s remote encoding on ``actors`` embedding actors (``embed/encode.RemoteEncoding``)."""

    def __init__(self, engine: RayEngine, actors: int) -> None:
        self.engine, self.actors = engine, actors
        self.device = ACTOR_DEVICE

    def encode(self, model: str | None, batch_size: int, texts: Sequence[str]) -> np.ndarray:
        source = pa.table({"text": pa.array(list(texts), pa.large_string())})
        blocks = [source.slice(start, EMBED_BLOCK) for start in range(0, source.num_rows, EMBED_BLOCK)]
        made = self.engine.ray.data.from_arrow(blocks).map_batches(
            EmbedActor, fn_constructor_kwargs={"model": model, "device": self.device, "batch_size": batch_size},
            batch_size=EMBED_BLOCK, batch_format="pyarrow", num_gpus=ACTOR_GPUS, concurrency=self.actors)
        vectors = self.engine._gather(made)["vector"].combine_chunks()
        if len(vectors) != len(texts):
            raise RuntimeError(f"Ray engine: {len(vectors)} vectors came back for {len(texts)} texts")
        return vectors.flatten().to_numpy().reshape(len(texts), vectors.type.list_size)


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
        self._settings = ExitStack()  # Ray Data's settings for the audit, put back on leaving
        self.cpus = 1

    def __enter__(self) -> RayEngine:
        ray = self.ray = import_ray()
        started = time.perf_counter()
        self._owns = start_ray(ray, self.options.ray_address)
        self._settings.enter_context(data_settings(ray, _data_settings()))  # no banners on the audit's console
        self.cpus = cluster_cpus(ray)
        self.timings["ray_init"] = time.perf_counter() - started
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._settings.close()  # a caller's own Ray session gets its settings back
        if self._owns and self.ray is not None:
            self.ray.shutdown()
            self._owns = False

    def signal(self, entry: Registered) -> Any:
        assert entry.cls is not None
        if entry.name == "dedup_minhash":
            return DedupMinhashSignal(find_clusters=self.near_duplicate_clusters)
        instance = entry.cls()
        phase = row_phase(entry.name, instance, self.options)  # None: runs on the driver
        return RowSignal(self, phase) if phase is not None else instance

    def remote_encoding(self) -> RayEncoding | None:
        """Embedding on the cluster's GPUs, an actor each; None without GPUs (the driver embeds)."""
        gpus = cluster_gpus(self.ray)
        return RayEncoding(self, gpus) if gpus >= 1 else None

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
                                keys: Sequence[Hashable] | None = None, batch_rows: int = 20000,
                                pairs_ok: PairFilter | None = None) -> Clusters:
        """``minhash.near_duplicate_clusters`` with the banding on Ray (the same clusters)."""
        bands, rows = lsh_params(threshold, num_perm, fp_weight, fn_weight)
        column = texts.arrow().cast(pa.large_string()) if isinstance(texts, TableTexts) \
            else pa.array(list(texts), pa.large_string())
        source = pa.table({"idx": pa.array(np.arange(len(texts), dtype=np.int64)), "text": column})
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
                                 n_chars=n_chars, min_units=min_units, keys=keys, batch_rows=batch_rows,
                                 pairs_ok=pairs_ok)
