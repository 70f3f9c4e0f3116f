"""Reading one dataset of a recipe: raw rows -> task rows, with every rejected row kept and explained."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ift_data.build.recipe import DatasetEntry
from ift_data.build.seeds import rng_for
from ift_data.io.raw import read_raw
from ift_data.schema import Reject
from ift_data.tasks.rows import TaskRow, to_task_row


@dataclass
class LoadedDataset:
    """The rows of one dataset split, and the accounting of how many were read, rejected and capped."""

    entry: DatasetEntry
    split: str
    path: Path
    sha256: str
    rows: list[TaskRow]
    rejects: list[Reject] = field(default_factory=list)
    capped: list[TaskRow] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return len(self.rows) + len(self.rejects) + len(self.capped)


def load_dataset(entry: DatasetEntry, split: str, seed: int, base_dir: Path | None = None) -> LoadedDataset:
    """Read a split; apply the hard cap (a seeded sample that keeps file order). Locations are reported
    relative to ``base_dir`` (the recipe's folder) when given."""
    path = entry.task.source.split_path(split)
    display = os.path.relpath(path, base_dir) if base_dir is not None else str(path)
    rows: list[TaskRow] = []
    rejects: list[Reject] = []
    for item in read_raw(path, entry.task.source, display):
        if isinstance(item, Reject):
            rejects.append(Reject(item.file or str(path), item.line, item.reason, item.field, "read", entry.name))
            continue
        row = to_task_row(item, entry.task)
        if isinstance(row, Reject):
            rejects.append(Reject(row.file, row.line, row.reason, row.field, "map", entry.name))
        else:
            rows.append(row)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    loaded = LoadedDataset(entry, split, path, digest, rows, rejects)
    if entry.hard_cap is not None and len(rows) > entry.hard_cap:
        keep = set(rng_for(seed, entry.name, "hard-cap").sample(range(len(rows)), entry.hard_cap))
        loaded.rows = [r for i, r in enumerate(rows) if i in keep]
        loaded.capped = [r for i, r in enumerate(rows) if i not in keep]
    return loaded
