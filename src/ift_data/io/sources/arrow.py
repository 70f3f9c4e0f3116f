"""What the Arrow-backed formats (Parquet, ``save_to_disk`` folders, the hub cache) share: rows from a
table with their types kept, ``ClassLabel`` names from the Hugging Face features, and write-back."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ift_data.io.sources.base import Item, Source
from ift_data.schema import RawRow

BATCH_ROWS = 4096


def class_labels(features: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """Column -> label names for the top-level ``ClassLabel`` features (the serialized features dict)."""
    found: dict[str, tuple[str, ...]] = {}
    for column, feature in (features or {}).items():
        if isinstance(feature, Mapping) and feature.get("_type") == "ClassLabel":
            names = feature.get("names")
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                found[column] = tuple(names)
    return found


def features_of_schema(schema: Any) -> dict[str, Any] | None:
    """The Hugging Face features stored in an Arrow/Parquet schema's metadata (written by ``datasets``)."""
    raw = (schema.metadata or {}).get(b"huggingface")
    if not raw:
        return None
    try:
        features = json.loads(raw).get("info", {}).get("features")
    except (ValueError, AttributeError):
        return None
    return features if isinstance(features, dict) else None


def table_source(fmt: str, path: Path, name: str, sha256: str, table: Any,
                 features: Mapping[str, Any] | None) -> Source:
    """A source over an Arrow table: row ``i`` (0-based) is line ``i + 1``; values keep their types."""

    def items() -> Iterator[Item]:
        number = 0
        for batch in table.to_batches(max_chunksize=BATCH_ROWS):
            for record in batch.to_pylist():
                number += 1
                yield RawRow(record, name, number)

    return Source(fmt, path, name, sha256, items, columns=tuple(table.column_names),
                  class_labels=class_labels(features), table=table)


def kept_table(source: Source, kept_records: Sequence[int]) -> Any:
    """The source's table restricted to the kept rows (0-based row indexes), in file order (none kept: the
    table's schema with no rows; the indexes are typed, since pyarrow cannot take an untyped empty list)."""
    import pyarrow as pa

    return source.table.take(pa.array(sorted(set(kept_records)), type=pa.int64()))

