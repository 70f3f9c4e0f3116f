"""Reading one dataset of a recipe: raw rows -> task rows, with every rejected row kept and explained."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ift_data.builder.recipe import DatasetEntry
from ift_data.builder.seeds import rng_for
from ift_data.io.raw import read_bytes, read_raw
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


MAX_FIELD_CHARS = 1_000_000


def load_dataset(entry: DatasetEntry, split: str, seed: int, base_dir: Path | None = None, *,
                 max_rows: int | None = None, max_field_chars: int = MAX_FIELD_CHARS) -> LoadedDataset:
    """Read a split; apply the hard cap (a seeded sample that keeps file order). Locations are reported
    relative to ``base_dir`` (the recipe's folder) when given.

    Resource limits: a slot value over ``max_field_chars`` characters rejects its row (stage ``map``);
    with ``max_rows``, rows after the first ``max_rows`` good ones are rejected (stage ``limit``), so
    they are counted and listed in rejects.jsonl, never dropped silently."""
    path = entry.task.source.split_path(split)
    display = os.path.relpath(path, base_dir) if base_dir is not None else str(path)
    rows: list[TaskRow] = []
    rejects: list[Reject] = []
    data = read_bytes(path)
    for item in read_raw(path, entry.task.source, display, data):
        if isinstance(item, Reject):
            rejects.append(Reject(item.file or str(path), item.line, item.reason, item.field, "read", entry.name))
            continue
        row = to_task_row(item, entry.task)
        if isinstance(row, Reject):
            rejects.append(Reject(row.file, row.line, row.reason, row.field, "map", entry.name))
            continue
        long_slot = next((slot for slot, value in row.slots.items() if _chars(value) > max_field_chars), None)
        if long_slot is not None:
            rejects.append(Reject(row.file, row.line, f"{_chars(row.slots[long_slot]):,} characters, over the "
                                  f"--max-field-chars limit of {max_field_chars:,}", dict(entry.task.fields)[long_slot],
                                  "map", entry.name))
        elif max_rows is not None and len(rows) >= max_rows:
            rejects.append(Reject(row.file, row.line, f"over --max-rows {max_rows}: not read into the build",
                                  None, "limit", entry.name))
        else:
            rows.append(row)
    digest = hashlib.sha256(data).hexdigest()
    loaded = LoadedDataset(entry, split, path, digest, rows, rejects)
    if entry.hard_cap is not None and len(rows) > entry.hard_cap:
        keep = set(rng_for(seed, entry.name, "hard-cap").sample(range(len(rows)), entry.hard_cap))
        loaded.rows = [r for i, r in enumerate(rows) if i in keep]
        loaded.capped = [r for i, r in enumerate(rows) if i not in keep]
    return loaded


def _chars(value: object) -> int:
    return sum(len(v) for v in value) if isinstance(value, list) else len(value) if isinstance(value, str) else 0
