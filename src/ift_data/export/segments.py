"""Canonical masked-ready records: id, source, messages and labelled segments.

``segments`` follows Axolotl's ``input_output`` (template-free) format: the trainer concatenates the
segment texts as they are (BOS/EOS included, nothing added) and masks those with ``label: false``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ift_data.export.base import ExportContext, Rendered

NAME = "segments"


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    for item in items:
        yield {
            "id": item.example.id,
            "source": item.example.source.to_json(),
            "messages": [{"role": m.role, "content": m.content} for m in item.formatted.messages],
            "segments": [s.to_json() for s in item.segments],
        }
