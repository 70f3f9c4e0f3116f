"""The first rows of a task's first split, read as the build reads them (for lint and ``templates show``)."""

from __future__ import annotations

from ift_data.io.sources import open_source
from ift_data.schema import RawRow
from ift_data.tasks.check import resolve
from ift_data.tasks.rows import TaskRow, to_task_row
from ift_data.tasks.spec import TaskSpec


def sample_task_rows(spec: TaskSpec, limit: int = 25) -> tuple[list[TaskRow], tuple[str, ...]]:
    """Up to ``limit`` good task rows and the label names (from the spec, or the source's ``ClassLabel``).
    A spec that does not fit its data raises ``UserError``."""
    split, path = spec.source.splits[0]
    source = open_source(path, spec.source.read_options(split))
    spec = resolve(spec, source)
    rows: list[TaskRow] = []
    for item in source.items():
        if len(rows) >= limit:
            break
        row = to_task_row(item, spec) if isinstance(item, RawRow) else None
        if isinstance(row, TaskRow):
            rows.append(row)
    return rows, spec.label_names
