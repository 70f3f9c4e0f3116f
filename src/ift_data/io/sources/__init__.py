"""One source layer for build, audit and clean: one small module per input format, each opening a
``Source`` whose records are ``RawRow``s (values keep their types) or ``Reject``s worded the same way for
every format, and, where clean needs it, a writer that writes kept records back in the input's format.

Adding a format means adding a module and one line in ``OPENERS`` (and ``WRITERS``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ift_data.errors import UserError
from ift_data.io.sources import delimited, hf_disk, hf_hub, json_records, json_stream, jsonl, parquet, superni
from ift_data.io.sources.base import MAX_LINE_BYTES, Item, ReadOptions, RowError, Source, read_bytes

Opener = Callable[[Path, ReadOptions, str], Source]
Writer = Callable[[Source, ReadOptions, Sequence[int], Path], None]

OPENERS: dict[str, Opener] = {
    "csv": delimited.open_delimited,
    "tsv": delimited.open_delimited,
    "jsonl": jsonl.open_jsonl,
    "json": json_records.open_json,
    "parquet": parquet.open_parquet,
    "hf_disk": hf_disk.open_hf_disk,
    "hf_hub": hf_hub.open_hf_hub,
    "superni": superni.open_superni,
}
WRITERS: dict[str, Writer] = {
    "csv": delimited.write_kept,
    "tsv": delimited.write_kept,
    "jsonl": jsonl.write_kept,
    "json": json_records.write_kept,
    "parquet": parquet.write_kept,
    "hf_disk": hf_disk.write_kept,
}
STREAMERS: dict[str, Opener] = {  # openers that never hold the whole input (``open_source(stream=True)``)
    "jsonl": jsonl.stream_jsonl,
    "parquet": parquet.stream_parquet,
    "csv": delimited.stream_delimited,
    "tsv": delimited.stream_delimited,
    "json": json_stream.stream_json,  # a top-level array; other records paths are read whole
}
FORMATS = tuple(OPENERS)
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet", ".pq": "parquet",
            ".csv": "csv", ".tsv": "tsv"}

__all__ = ["FORMATS", "MAX_LINE_BYTES", "Item", "ReadOptions", "RowError", "Source", "detect_format",
           "open_source", "read_bytes", "write_kept"]


def open_source(path: Path, options: ReadOptions, name: str | None = None, *, stream: bool = False) -> Source:
    """Open one input; ``name`` is what rows and rejects report as their file (default: the path).
    ``stream``: read the records as they are asked for where the format can (jsonl, parquet, csv, tsv, a JSON
    array): the same records, but ``data`` and ``table`` are None, so nothing can be written back from it."""
    opener = (STREAMERS.get(options.format) if stream else None) or OPENERS.get(options.format)
    if opener is None:
        raise UserError(f"unknown source format {options.format!r}: expected one of {', '.join(FORMATS)}",
                        file=name or str(path), field="source.format")
    shown = name or (hf_hub.hub_name(options) if options.format == "hf_hub" else str(path))
    return opener(path, options, shown)


def write_kept(source: Source, options: ReadOptions, kept_records: Sequence[int], target: Path) -> None:
    """Write the records at ``kept_records`` (0-based positions in ``source.items()``, rejects counted:
    unique even where several records share a line) to ``target``, in the source's own format and, for
    text formats, as their original text."""
    writer = WRITERS.get(source.format)
    if writer is None:
        raise UserError(f"cannot write {source.format} data back: write it to files first", file=source.name)
    writer(source, options, kept_records, target)


def detect_format(path: Path) -> str:
    """The format from the path: a folder is a ``save_to_disk`` dataset, a file goes by its suffix."""
    if path.is_dir():
        return "hf_disk"
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise UserError(f"unknown file type {path.suffix or '(none)'!r}: expected one of "
                        f"{' '.join(SUFFIXES)} or a datasets.save_to_disk folder", file=str(path))
    return fmt
