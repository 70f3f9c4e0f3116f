"""A Hugging Face ``save_to_disk`` folder (one dataset, or a ``DatasetDict`` whose split is picked by
name). ``datasets`` reads only Arrow and JSON files from it; nothing is unpickled."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ift_data.errors import UserError
from ift_data.io.sources.arrow import table_source
from ift_data.io.sources.base import ReadOptions, Source


def folder_sha256(folder: Path) -> str:
    """One digest over the folder's files (relative name and bytes), in name order."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(file.relative_to(folder).as_posix().encode() + b"\0")
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_folder(path: Path, name: str, split: str | None) -> Any:
    """The ``datasets.Dataset`` saved in ``path`` (``split`` picks one of a ``DatasetDict``)."""
    if not path.is_dir():
        raise UserError("no such folder" if not path.exists() else "not a folder (a save_to_disk dataset "
                        "is a folder)", file=name)
    import datasets

    try:
        dataset = datasets.load_from_disk(str(path))
    except Exception as exc:  # noqa: BLE001 - any failure means "not a dataset folder"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"not a datasets.save_to_disk folder: {reason}", file=name) from exc
    if isinstance(dataset, datasets.DatasetDict):
        if split is None or split not in dataset:
            wanted = f"no split {split!r}; " if split else ""
            raise UserError(f"{wanted}the folder holds the splits {', '.join(dataset)}: give one split's "
                            "folder (or name the split)", file=name)
        dataset = dataset[split]
    return dataset


def open_hf_disk(path: Path, options: ReadOptions, name: str) -> Source:
    dataset = load_folder(path, name, options.split)
    if dataset._indices is not None:  # a saved selection: materialize the rows it picks
        dataset = dataset.flatten_indices()
    return table_source(options.format, path, name, folder_sha256(path), dataset.data.table,
                        dataset.features.to_dict())


def write_kept(source: Source, options: ReadOptions, kept_records: Sequence[int], target: Path) -> None:
    """The kept rows (0-based row indexes) as a new ``save_to_disk`` folder, swapped in whole."""
    original = load_folder(source.path, source.name, options.split)
    dataset = original.select(sorted(set(kept_records)))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        # none kept: one empty shard (datasets writes no shard for an empty dataset, and cannot load that folder)
        with _quiet_datasets():  # its "Saving the dataset" bar would break ift-data's own terminal output
            dataset.save_to_disk(tmp, num_shards=None if len(dataset) else 1)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if Path(tmp).exists():
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    """``datasets``' progress bars off for the block, as they were after it."""
    import datasets

    was_off = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if not was_off:
            datasets.enable_progress_bars()
