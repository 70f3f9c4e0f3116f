"""Canonical masked-ready records: id, source, messages and labelled segments.

``segments`` follows Axolotl's ``input_output`` (template-free) format: the trainer concatenates the
segment texts as they are (BOS/EOS included, nothing added) and masks those with ``label: false``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ift_data.export.base import ExportContext, Rendered
from ift_data.io.atomic import TextRecord

NAME = "segments"


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    for item in items:
        formatted = item.formatted
        example = formatted.example
        yield TextRecord(  # str, int and bool values only: written without a look for floats
            id=example.id,
            source=example.source.to_json(),
            messages=[{"role": m.role, "content": m.content} for m in formatted.messages],
            # Segment.to_json, inlined (the same keys in the same order): a build writes millions
            segments=[{"text": s.text, "label": s.label, "kind": s.kind, "role": s.role} for s in item.segments],
        )
