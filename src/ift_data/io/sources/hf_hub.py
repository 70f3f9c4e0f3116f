"""A Hugging Face hub dataset by name, read through ``datasets`` from the local cache only: the network
is never used (offline mode is forced), and a dataset that is not cached is a one-line error saying how
to point the spec at local files instead."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ift_data.errors import UserError
from ift_data.io.sources.arrow import table_source
from ift_data.io.sources.base import ReadOptions, Source

OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


def _force_offline() -> None:
    for variable in OFFLINE_VARIABLES:
        os.environ[variable] = "1"
    import datasets.config
    import huggingface_hub.constants

    datasets.config.HF_HUB_OFFLINE = True  # read at import time: set it too if datasets was imported before
    datasets.config.HF_DATASETS_OFFLINE = True
    huggingface_hub.constants.HF_HUB_OFFLINE = True


def hub_name(options: ReadOptions) -> str:
    return f"hf:{options.dataset}/{options.config or 'default'}[{options.split or 'train'}]"


def open_hf_hub(path: Path, options: ReadOptions, name: str) -> Source:
    if not options.dataset:
        raise UserError("a hub source needs `dataset: <name>`", file=name, field="source.dataset")
    _force_offline()
    import datasets

    cache = os.environ.get("HF_DATASETS_CACHE") or None
    split = options.split or "train"
    verbosity = datasets.logging.get_verbosity()
    datasets.logging.set_verbosity_error()  # "Found the latest cached dataset ..." is not news here
    try:
        dataset = datasets.load_dataset(options.dataset, options.config, split=split, cache_dir=cache)
    except Exception as exc:  # noqa: BLE001 - not cached, unknown config or split: all "cannot read it here"
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
        where = cache or str(datasets.config.HF_DATASETS_CACHE)
        raise UserError(
            f"Hugging Face dataset {options.dataset!r} (config {options.config or 'default'}, split {split}) "
            f"cannot be read from the local cache {where} (the network is never used; {reason}): download "
            "it once elsewhere, or save it with `save_to_disk` / to Parquet and set `format: hf_disk` or "
            "`format: parquet` with `splits:` naming the files", file=name, field="source.dataset") from exc
    finally:
        datasets.logging.set_verbosity(verbosity)
    if dataset._indices is not None:
        dataset = dataset.flatten_indices()
    digest = hashlib.sha256(f"{options.dataset}\0{options.config}\0{split}\0{dataset._fingerprint}".encode())
    return table_source(options.format, path, name, digest.hexdigest(), dataset.data.table,
                        dataset.features.to_dict())
