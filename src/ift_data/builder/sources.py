"""Reading one dataset of a recipe: raw rows -> task rows, with every rejected row kept and explained."""

from __future__ import annotations

import math
import os
import random
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ift_data.builder import read_parallel
from ift_data.builder.recipe import DatasetEntry, Recipe
from ift_data.builder.row_store import MemoryRows, Rows, RowWriter
from ift_data.builder.seeds import rng_for
from ift_data.errors import SpecError, TemplateError, UserError
from ift_data.io.sources import open_source
from ift_data.io.sources.base import MAX_FIELD_CHARS, Item, Source
from ift_data.schema import Reject
from ift_data.tasks.check import resolve
from ift_data.tasks.rows import text_size, to_task_row
from ift_data.tasks.spec import TaskSpec
from ift_data.templates.pack import TemplatePack, load_pack


@dataclass
class LoadedDataset:
    """The rows of one dataset split, and the accounting of how many were read, rejected and capped.
    ``entry.task`` is the spec as resolved against the source (label names from a ``ClassLabel``).
    ``rows`` and ``capped`` are ``Rows`` (builder/row_store.py): a big split lives in a temporary file,
    a row decoded when it is read; ``close`` removes that file."""

    entry: DatasetEntry
    split: str
    path: Path
    sha256: str
    rows: Rows
    rejects: list[Reject] = field(default_factory=list)
    capped: Rows = field(default_factory=MemoryRows)
    source_info: dict[str, Any] = field(default_factory=dict)  # the source's format and provenance

    def close(self) -> None:
        """Remove the temporary file of the rows (if they were spilled); they cannot be read afterwards."""
        self.rows.close()
        self.capped.close()

    @property
    def rows_in(self) -> int:
        return len(self.rows) + len(self.rejects) + len(self.capped)

    @property
    def label_names(self) -> tuple[str, ...]:
        return self.entry.task.label_names



def split_display(path: Path, fmt: str, base_dir: Path | None) -> str:
    """How messages name a split's file: relative to ``base_dir`` (the recipe's folder) when given; a hub
    dataset by its name."""
    return os.path.relpath(path, base_dir) if base_dir is not None and fmt != "hf_hub" else str(path)


def load_dataset(entry: DatasetEntry, split: str, seed: int, base_dir: Path | None = None, *,
                 max_rows: int | None = None, max_field_chars: int = MAX_FIELD_CHARS, workers: int = 1,
                 engine: str = "local", ray_address: str | None = None) -> LoadedDataset:
    """Read a split; apply the hard cap (a seeded sample that keeps file order). Locations are reported
    relative to ``base_dir`` (the recipe's folder) when given.

    A spec whose ``fields`` name a column the source lacks is a ``SpecError``. Rejects: rows the reader
    cannot parse (stage ``read``); rows whose fields are missing, empty or hold an unknown label, or a slot
    value over ``max_field_chars`` characters (stage ``map``); with ``max_rows``, rows after the first
    ``max_rows`` good ones (stage ``limit``), so they are counted and listed, never dropped silently.
    JSONL is read line by line; the rows go to a ``RowWriter`` (spilled to a temporary file past its
    thresholds, removed if reading fails). ``workers`` > 1: a big UTF-8 JSONL or Parquet file is read by
    that many processes, a range each (``read_parallel``), with the same rows and rejects in the same order;
    ``engine="ray"``: by Ray tasks, a range each (``read_ray``; Ray joined at ``ray_address`` or local)."""
    source_spec = entry.task.source
    path = source_spec.split_path(split)
    options = replace(source_spec.read_options(split), max_field_chars=max_field_chars)  # CSV cells too
    display = None if options.format == "hf_hub" else split_display(path, options.format, base_dir)
    try:
        source = open_source(path, options, display, stream=True)
    except UserError as exc:  # a split's file that is missing or unreadable: name the spec line that names it
        if exc.line is not None or exc.file != (display or str(path)) or not exc.reason.startswith("cannot read"):
            raise
        raise SpecError(f"split {split!r}: cannot read {exc.file}: {exc.reason.removeprefix('cannot read: ')}",
                        file=entry.task.path, line=source_spec.split_line(split),
                        field=f"{source_spec.splits_field}.{split}") from None
    task = resolve(entry.task, source)
    entry = replace(entry, task=task) if task is not entry.task else entry
    big = max_rows is None and read_parallel.worth_it(source, options, forking=engine != "ray")
    if big and engine == "ray":
        from ift_data.builder import read_ray

        rows, rejects = read_ray.read_rows(source, options, task, entry.name, max_field_chars, ray_address)
    elif big and workers > 1:
        rows, rejects = read_parallel.read_rows(source, options, task, entry.name, max_field_chars, workers)
    else:
        rows, rejects = read_serially(source, task, entry.name, max_field_chars, max_rows)
    shown_path = path if options.format != "hf_hub" else Path(source.name)
    pack = {} if entry.pack is None else {"pack": os.path.relpath(entry.pack, base_dir) if base_dir else str(entry.pack)}
    info = {"format": source.format, **pack, **source.info}
    loaded = LoadedDataset(entry, split, shown_path, source.sha256, rows, rejects, source_info=info)
    if entry.hard_cap is not None and len(rows) > entry.hard_cap:
        chosen = sampled_mask(rng_for(seed, entry.name, "hard-cap"), len(rows), entry.hard_cap)
        loaded.rows = rows.subset(np.flatnonzero(chosen))
        loaded.capped = rows.subset(np.flatnonzero(~chosen))
    return loaded


def read_serially(source: Source, task: TaskSpec, dataset: str, max_field_chars: int, max_rows: int | None
                  ) -> tuple[Rows, list[Reject]]:
    """The rows and rejects of ``source``, read in this process (``take_items`` over all of it)."""
    rejects: list[Reject] = []
    with RowWriter() as writer:
        take_items(source.items(), task, dataset, max_field_chars, max_rows, writer, rejects)
        return writer.finish(), rejects


def take_items(items: Iterable[Item], task: TaskSpec, dataset: str, max_field_chars: int, max_rows: int | None,
               writer: RowWriter, rejects: list[Reject]) -> None:
    """Each source item as a task row given to ``writer``, or a reject (stage ``read``, ``map`` or ``limit``)
    appended to ``rejects``, in the items' order."""
    for item in items:
        if isinstance(item, Reject):  # a source's own cap (superni max_instances) stays stage "limit"
            rejects.append(replace(item, stage="limit" if item.stage == "limit" else "read", dataset=dataset))
            continue
        row = to_task_row(item, task)
        if isinstance(row, Reject):
            rejects.append(replace(row, stage="map", dataset=dataset))
            continue
        long_slot, chars = None, 0
        for slot, value in row.slots.items():
            size = text_size(value)
            chars += size
            if size > max_field_chars and long_slot is None:
                long_slot = slot
        if long_slot is not None:
            rejects.append(Reject(row.file, row.line, f"{text_size(row.slots[long_slot]):,} characters, over "
                                  f"the --max-field-chars limit of {max_field_chars:,}",
                                  dict(task.fields)[long_slot], "map", dataset))
        elif max_rows is not None and len(writer) >= max_rows:
            rejects.append(Reject(row.file, row.line, f"over --max-rows {max_rows:,}: not read into the build",
                                  None, "limit", dataset))
        else:
            writer.add(row, chars)


def sampled_mask(rng: random.Random, n: int, k: int) -> np.ndarray:
    """Which of ``range(n)`` ``rng.sample(range(n), k)`` takes, as a boolean mask, drawn with the very
    draws ``Random.sample`` makes (its list-pool or its set method, chosen as it chooses) but holding one
    byte a row instead of a list or set of ints."""
    if not 0 <= k <= n:
        raise ValueError("Sample larger than population or is negative")
    randbelow: Callable[[int], int] = rng._randbelow  # type: ignore[attr-defined]  # Random.sample's own draw
    chosen = bytearray(n)
    setsize = 21
    if k > 5:
        setsize += 4 ** math.ceil(math.log(k * 3, 4))
    if n <= setsize:
        pool = array("q", range(n))
        for i in range(k):
            j = randbelow(n - i)
            chosen[pool[j]] = 1
            pool[j] = pool[n - i - 1]
    else:
        for _ in range(k):
            j = randbelow(n)
            while chosen[j]:
                j = randbelow(n)
            chosen[j] = 1
    return np.frombuffer(chosen, dtype=np.bool_)


def with_entry_packs(packs: dict[str, TemplatePack], recipe: Recipe) -> dict[str, TemplatePack]:
    """``packs`` plus the pack file of each entry that names one (``source:`` + ``pack:``); a pack already
    loaded from the same file is kept, another file for a loaded family is an error."""
    out = dict(packs)
    for entry in recipe.root.datasets():
        if entry.pack is None:
            continue
        known = out.get(entry.task.family)
        if known is not None:
            if Path(known.path).resolve() != entry.pack.resolve():
                raise TemplateError(f"family {entry.task.family!r} of dataset {entry.name!r} is also defined in "
                                    f"{known.path}", file=str(entry.pack), field="family")
            continue
        out[entry.task.family] = load_pack(entry.pack)
    return out
