"""One kNN graph over the dataset's embeddings, shared by every kNN signal.

Factory for the audit runner (the only entry point it needs)::

    knn_provider(table: pl.DataFrame, options: EmbedOptions | Mapping | AuditOptions | None = None)
        -> Callable[[], KnnGraph | None]

``ift_data.embed.knn_provider`` re-exports it (the runner looks it up there). ``options`` may be
an ``EmbedOptions``, a mapping of its fields, or any object with attributes of the same names (the
audit's ``AuditOptions``: ``embeddings`` -> enabled, ``model``, ``device``, ``batch_size``,
``cache_dir``, ``seed``, ``progress``).

The returned callable embeds the text of every row once (``options.fields``, default
instruction + input + response, joined by blank lines), builds the graph once, memoizes it and
returns it on every later call; it returns None when ``options.enabled`` is false. Pass it as
``AuditContext(knn=knn_provider(table, options))``.

``KnnGraph``: ``indices`` (n, k) int64 row positions (not row ids) of each row's neighbours, most
similar first, self excluded, -1 where none was found (IVF only); ``similarities`` (n, k) float32
cosines (NaN where -1); ``embeddings`` (n, d) float32, L2-normalized; ``info`` (method, k, timings).

Search: faiss ``IndexFlatIP`` (exact) up to ``ivf_threshold`` rows, ``IndexIVFFlat`` above it, and
on CUDA a blocked fp16 matmul + top-k with the kept similarities recomputed in fp32.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ift_data.audit.table_texts import TableTexts
from ift_data.errors import UserError

if TYPE_CHECKING:
    from ift_data.embed.encode import RemoteEncoding


@dataclass(frozen=True)
class KnnGraph:
    """Neighbours of every row (positions into the audit table) with their cosine similarities."""

    indices: np.ndarray
    similarities: np.ndarray
    embeddings: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])

    @property
    def valid(self) -> np.ndarray:
        """(n, k) bool: True where a neighbour was found."""
        return self.indices >= 0


@dataclass
class EmbedOptions:
    """How the audit embeds its rows and builds the graph (CLI flags or a rules ``embeddings:`` block)."""

    enabled: bool = True
    model: str | None = "auto"  # auto | minilm | static | a local model folder (see embed/model.py)
    device: str = "auto"
    batch_size: int | None = None
    fields: tuple[str, ...] = ("instruction", "input", "response")
    k: int = 10
    method: str = "auto"  # auto | flat | ivf | torch
    ivf_threshold: int = 200_000
    nlist: int | None = None
    nprobe: int = 32
    cache_dir: str | None | bool = None  # None: default cache; False: no cache
    progress: bool = True
    seed: int = 0

    @classmethod
    def coerce(cls, options: EmbedOptions | Mapping[str, Any] | Any | None) -> EmbedOptions:
        """Accept ``EmbedOptions``, a mapping, or any options object (e.g. the audit's ``AuditOptions``):
        its attributes named like ours are used, ``embeddings`` meaning ``enabled``."""
        if options is None or isinstance(options, EmbedOptions):
            return options or cls()
        if isinstance(options, Mapping):
            return cls.from_mapping(options)
        values = {f.name: getattr(options, f.name) for f in fields(cls) if getattr(options, f.name, None) is not None}
        if getattr(options, "embeddings", None) is not None:
            values["enabled"] = bool(options.embeddings)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> EmbedOptions:
        known = {f.name for f in fields(cls)}
        values = dict(values or {})
        unknown = sorted(set(values) - known)
        if unknown:
            raise UserError(f"unknown embedding option(s) {unknown}; known: {sorted(known)}")
        if "fields" in values:
            values["fields"] = tuple([values["fields"]] if isinstance(values["fields"], str) else values["fields"])
        return cls(**values)


def row_texts(table: pl.DataFrame, columns: tuple[str, ...]) -> list[str]:
    """The text embedded for each row: the non-empty given columns joined by a blank line."""
    return list(row_text_sequence(table, columns))


def row_text_sequence(table: pl.DataFrame, columns: tuple[str, ...]) -> TableTexts:
    """``row_texts`` made a slice or a gather at a time (``audit/table_texts.TableTexts``): the encoder reads
    the texts in chunks and never holds every row's text as a Python string."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise UserError(f"cannot embed: the audit table has no column(s) {missing}")
    fields = [pl.col(c).cast(pl.Utf8).fill_null("") for c in columns]
    present = pl.concat_list([pl.when(f != "").then(f) for f in fields]).list.drop_nulls()
    return TableTexts(table, present.list.join("\n\n"))


def knn_provider(table: pl.DataFrame, options: EmbedOptions | Mapping[str, Any] | Any | None = None,
                 remote: RemoteEncoding | None = None) -> Callable[[], KnnGraph | None]:
    """A memoized callable that embeds ``table`` and builds its kNN graph on first call. ``remote``: where
    the texts not in the cache are encoded instead of here (the Ray engine's GPU actors)."""
    opts = EmbedOptions.coerce(options)
    memo: list[KnnGraph | None] = []

    def provide() -> KnnGraph | None:
        if not memo:
            memo.append(_build_for_table(table, opts, remote) if opts.enabled else None)
        return memo[0]

    return provide


def _build_for_table(table: pl.DataFrame, opts: EmbedOptions, remote: RemoteEncoding | None = None) -> KnnGraph:
    from ift_data.embed.encode import TextEncoder

    started = time.perf_counter()
    encoder = TextEncoder(opts.model, device=opts.device, batch_size=opts.batch_size,
                          cache_dir=opts.cache_dir, progress=opts.progress, remote=remote)
    vectors = encoder.embed(row_text_sequence(table, opts.fields))
    embed_seconds = time.perf_counter() - started
    graph = build_knn(vectors, opts.k, method=opts.method, ivf_threshold=opts.ivf_threshold, nlist=opts.nlist,
                      nprobe=opts.nprobe, device=encoder.device, seed=opts.seed)
    graph.info.update(model=encoder.embedder.name, embedder=encoder.embedder.kind, model_key=encoder.model_key,
                      device=encoder.remote.device if encoder.remote is not None else encoder.device,
                      fields=list(opts.fields), embed_seconds=round(embed_seconds, 3))
    return graph


def build_knn(vectors: np.ndarray, k: int = 10, *, method: str = "auto", ivf_threshold: int = 200_000,
              nlist: int | None = None, nprobe: int = 32, device: str | None = "auto", seed: int = 0) -> KnnGraph:
    """The k nearest neighbours (cosine, self excluded) of every row of L2-normalized ``vectors``."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n = x.shape[0]
    k = max(0, min(int(k), n - 1))
    if method == "auto":
        from ift_data.embed.model import pick_device

        method = "torch" if pick_device(device).startswith("cuda") else "flat" if n <= ivf_threshold else "ivf"
    started = time.perf_counter()
    if k == 0:
        indices, sims = np.zeros((n, 0), np.int64), np.zeros((n, 0), np.float32)
    elif method == "flat":
        indices, sims = _drop_self(*_search_flat(x, k + 1), k)
    elif method == "ivf":
        indices, sims = _drop_self(*_search_ivf(x, k + 1, nlist, nprobe, seed), k)
    elif method == "torch":
        indices, sims = _search_torch(x, k, device)
    else:
        raise UserError(f"unknown kNN method {method!r} (auto, flat, ivf, torch)")
    sims = sims.astype(np.float32)
    sims[indices < 0] = np.nan
    info = {"method": method, "k": k, "rows": n, "dim": int(x.shape[1]) if x.ndim == 2 else 0,
            "knn_seconds": round(time.perf_counter() - started, 3)}
    return KnnGraph(indices.astype(np.int64), sims, x, info)


def _drop_self(indices: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own entry from a (n, k+1) result; where it is absent (ties), drop the last."""
    n = indices.shape[0]
    is_self = indices == np.arange(n)[:, None]
    is_self[~is_self.any(axis=1), -1] = True
    keep = ~is_self
    return indices[keep].reshape(n, k), sims[keep].reshape(n, k)


def _search_flat(x: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    sims, indices = index.search(x, width)
    return indices, sims


def _search_ivf(x: np.ndarray, width: int, nlist: int | None, nprobe: int, seed: int
                ) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    n, dim = x.shape
    nlist = nlist or int(min(65536, max(16, 4 * math.sqrt(n))))
    nlist = min(nlist, max(1, n // 39))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    sample = np.random.default_rng(seed).choice(n, size=min(n, nlist * 64), replace=False)
    index.train(x[np.sort(sample)])
    index.add(x)
    index.nprobe = min(nprobe, nlist)
    sims, indices = index.search(x, width)
    return indices, sims


def _search_torch(x: np.ndarray, k: int, device: str | None, budget_bytes: int = 1 << 30
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Blocked matmul + top-k (fp16 on CUDA); the kept similarities are recomputed in fp32."""
    import torch

    from ift_data.embed.model import pick_device

    dev = torch.device(pick_device(device))
    n = x.shape[0]
    exact = torch.from_numpy(x).to(dev)
    fast = exact.half() if dev.type == "cuda" else exact
    block = int(max(1, min(8192, n, budget_bytes // (fast.element_size() * n))))
    indices = np.empty((n, k), np.int64)
    sims = np.empty((n, k), np.float32)
    with torch.inference_mode():
        for start in range(0, n, block):
            stop = min(n, start + block)
            scores = fast[start:stop] @ fast.T
            rows = torch.arange(stop - start, device=dev)
            scores[rows, rows + start] = float("-inf")
            top = torch.topk(scores, k, dim=1).indices
            kept = (exact[start:stop, None, :] * exact[top]).sum(-1)
            kept, order = torch.sort(kept, dim=1, descending=True, stable=True)
            indices[start:stop] = torch.gather(top, 1, order).cpu().numpy()
            sims[start:stop] = kept.float().cpu().numpy()
            del scores
    return indices, sims
