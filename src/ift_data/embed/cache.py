"""On-disk embedding cache keyed by (model key, text hash), safe against a kill mid-write.

Layout: ``<root>/<model key>/shard-<hash>.emb``, append-only. Each shard is written to a temp file
and renamed into place, so a killed run leaves whole shards only. A shard holds a header (magic,
row count, dimension), the 16-byte blake2b keys of its texts, float32 vectors, and a trailing
blake2b checksum of everything before it; a shard that fails the check (truncated, corrupted) is
renamed ``*.corrupt`` and ignored, so its texts are embedded again. So is a shard whose vectors have
another dimension than the model's (another model's shard in a mixed-up cache folder), once the
model's dimension is given to ``lookup``. No pickle anywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ift_data.errors import UserError
from ift_data.io.atomic import atomic_open

MAGIC = b"IFTEMB01"
_HEADER = struct.Struct("<8sQI")  # magic, rows, dimension
_KEY_BYTES = 16
_DIGEST_BYTES = 32
log = logging.getLogger(__name__)


def text_key(text: str) -> bytes:
    """The 16-byte cache key of one text."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=_KEY_BYTES).digest()


def default_cache_root() -> Path:
    """``$IFT_DATA_CACHE`` or ``$XDG_CACHE_HOME/ift-data`` (``~/.cache/ift-data``), then ``embeddings``."""
    base = os.environ.get("IFT_DATA_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "ift-data"
    return Path(base) / "embeddings"


def check_cache_dir(path: str | os.PathLike[str], option: str = "--cache-dir", *, writable: bool = False) -> None:
    """A one-line ``UserError`` when the cache folder ``path`` (or a folder above it) is an existing file:
    checked before any work, as nothing could be cached there. ``writable`` (a run that will embed): the
    folder is made if missing and a file is made and removed in it; a folder that cannot be made or written
    to (read-only, under /proc) is a one-line error too, not a traceback once the texts are embedded."""
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{option} is a file, not a folder", file=str(path))
    for parent in folder.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise UserError(f"{option} lies under {parent}, a file, not a folder", file=str(path))
            break
    if not writable:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(f"{option} cannot be written to ({exc.strerror or exc}): embeddings are cached there; "
                        "choose a folder you can write to", file=str(path)) from exc


def _checksum(path: Path, length: int) -> bytes:
    digest = hashlib.blake2b(digest_size=_DIGEST_BYTES)
    with path.open("rb") as fh:
        remaining = length
        while remaining:
            block = fh.read(min(remaining, 1 << 22))
            if not block:
                break
            digest.update(block)
            remaining -= len(block)
    return digest.digest()


class _Shard:
    """One verified shard: its keys in memory, its vectors memory-mapped."""

    def __init__(self, path: Path) -> None:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(_HEADER.size)
        if len(head) < _HEADER.size:
            raise ValueError("short header")
        magic, rows, dim = _HEADER.unpack(head)
        body = _HEADER.size + rows * _KEY_BYTES + rows * dim * 4
        if magic != MAGIC or size != body + _DIGEST_BYTES:
            raise ValueError("bad magic or size")
        with path.open("rb") as fh:
            fh.seek(body)
            stored = fh.read(_DIGEST_BYTES)
        if stored != _checksum(path, body):
            raise ValueError("checksum mismatch")
        self.path, self.rows, self.dim = path, rows, dim
        self.keys = np.fromfile(path, dtype=np.uint8, count=rows * _KEY_BYTES, offset=_HEADER.size)
        self.vectors = np.memmap(path, dtype="<f4", mode="r", offset=_HEADER.size + rows * _KEY_BYTES,
                                 shape=(rows, dim)) if rows else np.zeros((0, dim), np.float32)


class EmbeddingCache:
    """The cache of one model key (model fingerprint + precision) under ``root``."""

    def __init__(self, root: str | os.PathLike[str], model_key: str) -> None:
        self.dir = Path(root) / model_key
        self._shards: list[_Shard] = []
        self._index: dict[bytes, tuple[int, int]] | None = None

    def _load(self) -> dict[bytes, tuple[int, int]]:
        if self._index is not None:
            return self._index
        self._index = {}
        for path in sorted(self.dir.glob("shard-*.emb")):
            try:
                shard = _Shard(path)
            except (OSError, ValueError) as exc:
                _set_aside(path, f"damaged embedding cache shard {path}", exc)
                continue
            self._add_shard(shard)
        return self._index

    def dims(self) -> set[int]:
        """The vector dimensions of the readable shards (one, or none, unless the folder is mixed up)."""
        self._load()
        return {shard.dim for shard in self._shards}

    def keep_dim(self, dim: int) -> None:
        """Set aside (warning, ``*.corrupt``) every shard whose vectors are not ``dim`` wide: its texts are
        embedded again."""
        self._load()
        if all(shard.dim == dim for shard in self._shards):
            return
        kept = []
        for shard in self._shards:
            if shard.dim == dim:
                kept.append(shard)
            else:
                _set_aside(shard.path, f"embedding cache shard {shard.path} of another model",
                           f"vectors of dimension {shard.dim}, not {dim}")
        self._shards, self._index = [], {}
        for shard in kept:
            self._add_shard(shard)

    def _add_shard(self, shard: _Shard) -> None:
        assert self._index is not None
        number = len(self._shards)
        self._shards.append(shard)
        keys = shard.keys.reshape(-1, _KEY_BYTES)
        for row in range(shard.rows):
            self._index.setdefault(keys[row].tobytes(), (number, row))

    def __len__(self) -> int:
        return len(self._load())

    def lookup(self, keys: Sequence[bytes], dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(found, vectors)``: a bool mask over ``keys`` and the float32 vectors of the found ones. ``dim``:
        the model's vector dimension; shards of another one are set aside first (warning), so their texts
        count as not found. Without it, hits from shards of different dimensions are a ``ValueError``."""
        if dim is not None:
            self.keep_dim(dim)
        index = self._load()
        places = [index.get(key) for key in keys]
        found = np.fromiter((p is not None for p in places), dtype=bool, count=len(keys))
        if not found.any():
            return found, np.zeros((0, dim or 0), np.float32)
        dims = {self._shards[p[0]].dim for p in places if p is not None}
        if len(dims) != 1 or (dim is not None and dims != {dim}):
            raise ValueError(f"embedding cache {self.dir} mixes dimensions {sorted(dims)}")
        out = np.empty((int(found.sum()), dims.pop()), np.float32)
        hits = [p for p in places if p is not None]
        shard_of = np.fromiter((p[0] for p in hits), dtype=np.int64, count=len(hits))
        row_of = np.fromiter((p[1] for p in hits), dtype=np.int64, count=len(hits))
        for number in np.unique(shard_of):
            where = np.flatnonzero(shard_of == number)
            out[where] = self._shards[number].vectors[row_of[where]]
        return found, out

    def add(self, keys: Sequence[bytes], vectors: np.ndarray) -> Path | None:
        """Append one shard atomically; returns its path (None when there was nothing to add)."""
        if len(keys) == 0:
            return None
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        if vectors.shape[0] != len(keys):
            raise ValueError("keys and vectors differ in length")
        key_bytes = b"".join(keys)
        payload = _HEADER.pack(MAGIC, len(keys), vectors.shape[1]) + key_bytes + vectors.tobytes()
        digest = hashlib.blake2b(payload, digest_size=_DIGEST_BYTES).digest()
        name = hashlib.blake2b(key_bytes, digest_size=8).hexdigest()
        path = self.dir / f"shard-{name}.emb"
        with atomic_open(path, "wb") as fh:
            fh.write(payload)
            fh.write(digest)
        if self._index is not None:
            self._add_shard(_Shard(path))
        return path


def _set_aside(path: Path, what: str, why: object) -> None:
    """Warn that the shard at ``path`` is ignored and rename it ``*.corrupt`` (never read again)."""
    log.warning("ignoring %s (%s)", what, why)
    with contextlib.suppress(OSError):
        path.rename(path.with_suffix(".corrupt"))
