"""Options of an audit run (what the CLI flags set); handed to the embeddings factory as is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# How an audit runs, not what it finds: left out of summary.json (the engines' summaries are the same).
RUN_ONLY_OPTIONS = ("progress", "engine", "ray_address", "workers")


@dataclass(frozen=True)
class AuditOptions:
    rules: str | None = None  # rules file path or a name under rules/ ("default", "strict")
    seed: int = 0
    mapping: str | None = None  # "--map instruction=question,output=answer"
    tokenizer: str | None = None  # tokenizer.json file or a local Hugging Face tokenizer folder
    embeddings: bool = True
    model: str | None = None  # --embedder: auto | minilm | static | local model folder; None = auto
    device: str = "auto"  # auto | cpu | cuda
    batch_size: int | None = None  # None: 32 on CPU, 512 on CUDA (the encoder decides)
    cache_dir: str | None = None
    ifd_model: str | None = None  # local causal LM path for the optional IFD difficulty score
    signals: tuple[str, ...] | None = None  # run only these signal families (None = all)
    progress: bool = True
    max_rows: int | None = None  # audit at most this many rows; later ones are read rejects
    max_field_chars: int | None = None  # overrides the rules' read.max_field_chars
    id_field: str | None = None  # --id FIELD: the dataset's own row id (also --map id=FIELD)
    engine: str = "local"  # --engine local|ray: where the signals run (audit/engine_local.py, engine_ray.py)
    ray_address: str | None = None  # --ray-address: a running Ray cluster (None: start a local one)
    workers: int | None = None  # --workers N: processes for the per-row phases (None: every usable core; 1: none)

    def to_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}
