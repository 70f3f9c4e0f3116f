"""The segments records (id, source, messages, labelled segments) as parquet, with one fixed schema so every
shard of a build has the same columns: ``datasets.load_dataset("parquet", data_files=[...])`` reads them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from ift_data.export import segments
from ift_data.export.base import ExportContext, Rendered

NAME = "parquet"

SCHEMA = pa.schema([
    ("id", pa.string()),
    ("source", pa.struct([("dataset", pa.string()), ("task", pa.string()), ("template", pa.string()),
                          ("variant", pa.string()), ("shots", pa.int64()), ("row", pa.string()),
                          ("split", pa.string())])),
    ("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
    ("segments", pa.list_(pa.struct([("text", pa.string()), ("label", pa.bool_()), ("kind", pa.string()),
                                     ("role", pa.string())]))),
])


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    return segments.rows(items, context)


def notes(items: list[Rendered], context: ExportContext) -> list[str]:
    return ["parquet: the segments records (id, source, messages, segments with label) in parquet; "
            "datasets.load_dataset('parquet', data_files=[...]) reads them"]
