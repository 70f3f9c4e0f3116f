"""One chunk of an export, made by a pure function: examples in, the bytes of their lines out.

``export_chunk`` chat-formats, masks and (with a tokenizer) tokenizes a chunk of examples and serializes
each format's rows: JSON lines as one ``bytes`` with the end offset of every line, parquet as an Arrow
table. It also returns what the export's manifest gathers (rejects, counter deltas, the digest's lengths,
kinds and marker counts). It reads nothing but its arguments and writes nothing, so any process can make
any chunk; the export writes the results in chunk order, which makes the files the same bytes whoever
made them. The setup travels to other processes by pickling (the tokenizer is loaded again from its path).
"""

from __future__ import annotations

import uuid
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ift_data.chat.format import ChatFormat, FormatError, format_example
from ift_data.chat.masking import apply_mask
from ift_data.chat.recommend import text_lengths
from ift_data.export.base import ExportContext, Rendered, multi_turn
from ift_data.io.atomic import dumps_json_bytes
from ift_data.schema import Example

PARQUET = "parquet"

_TOKENIZERS: dict[str, Any] = {}  # per Ray worker process: a tokenizer is loaded once, not once a chunk


def reject_record(example: Example, reason: str, field: str | None = None) -> dict[str, Any]:
    """The export's record of an example it leaves out of every file."""
    return {"id": example.id, "row": example.source.row, "dataset": example.source.dataset, "field": field,
            "reason": reason, "stage": "export"}


class ChunkSetup:
    """What every chunk of one export shares: its formats with their exporters, options, chat format,
    reserved strings, context and the chat markers the tokenizer lacks. Picklable: the tokenizer is not
    pickled but loaded from ``tokenizer_path`` in the process that first needs it."""

    def __init__(self, formats: tuple[str, ...], options: Any, chat_format: ChatFormat, reserved: tuple[str, ...],
                 context: ExportContext, missing_markers: tuple[str, ...], tokenizer: Any = None) -> None:
        self.formats, self.options, self.chat_format = formats, options, chat_format
        self.reserved, self.context, self.missing_markers = reserved, context, missing_markers
        self.tokenizer_path: str | None = options.tokenizer
        self._tokenizer = tokenizer
        self._key = uuid.uuid4().hex  # this export's: a worker never reuses another export's tokenizer

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None and self.tokenizer_path is not None:
            if self._key not in _TOKENIZERS:
                from ift_data.export.tokenized import load_tokenizer

                _TOKENIZERS.clear()  # one export's tokenizer at a time per process
                _TOKENIZERS[self._key] = load_tokenizer(self.tokenizer_path)
            self._tokenizer = _TOKENIZERS[self._key]
        return self._tokenizer

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the tokenizer (loaded again from its path) and without the notes gathered so far."""
        state = dict(self.__dict__)
        state["_tokenizer"] = None
        state["context"] = ExportContext(self.context.name, self.context.mask_mode, self.context.chat_format)
        return state


@dataclass
class FormatPart:
    """The rows of one format in a chunk: JSON lines (``data`` bytes) or a parquet table (a
    ``pyarrow.Table``). ``error``: the row after these could not be serialized (text that is not valid
    Unicode); the writer raises it on the file that row would have gone to, after writing these."""

    rows: int
    data: Any  # bytes (JSON lines) | pyarrow.Table (parquet)
    error: BaseException | None = None


@dataclass
class ChunkResult:
    """One chunk's output and its share of the manifest."""

    parts: dict[str, FormatPart]
    rejects: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    written: int = 0
    kinds: dict[bool, Rendered] = field(default_factory=dict)  # the chunk's first single- and multi-turn item
    markers: dict[str, int] = field(default_factory=dict)      # examples holding each marker the tokenizer lacks
    instruction_lengths: array[int] = field(default_factory=lambda: array("q"))
    response_lengths: array[int] = field(default_factory=lambda: array("q"))


def _rendered(examples: Sequence[Example], setup: ChunkSetup, rejects: list[dict[str, Any]]) -> list[Rendered]:
    """The examples in the chat format with their loss labels; the ones that cannot be are rejects."""
    options = setup.options
    items: list[Rendered] = []
    for example in examples:
        try:
            formatted = format_example(example, setup.chat_format, options.system_prompt, setup.reserved)
        except FormatError as exc:
            rejects.append(reject_record(example, exc.reason, exc.field))
            continue
        items.append(Rendered(formatted, apply_mask(formatted, options.mask_mode)))
    return items


def _tokenized(items: list[Rendered], setup: ChunkSetup, counts: dict[str, int],
               rejects: list[dict[str, Any]]) -> list[Rendered]:
    from ift_data.export import tokenized

    options = setup.options
    kept = []
    encoded = tokenized.encode_rows(items, setup.tokenizer, options.max_len, options.overflow, counts,
                                    side=options.truncate_side)
    for item, result in zip(items, encoded, strict=True):
        if isinstance(result, str):
            rejects.append(reject_record(item.example, result, "tokens"))
        else:
            kept.append(Rendered(item.formatted, item.segments, result))
    return kept


def _digest(items: list[Rendered], setup: ChunkSetup, result: ChunkResult) -> None:
    """The chunk's share of what the manifest says about all written items (``export._Digest``)."""
    result.written = len(items)
    for item in items:
        if len(result.kinds) == 2:
            break
        result.kinds.setdefault(multi_turn([item]), item)
    for marker in setup.missing_markers:
        result.markers[marker] = sum(marker in item.text for item in items)
    instructions = ["\n".join(m.content for m in r.formatted.messages[:-1] if m.role != "system") for r in items]
    responses = [r.formatted.messages[-1].content for r in items]
    tokenizer = setup.tokenizer
    for lengths, texts in ((result.instruction_lengths, instructions), (result.response_lengths, responses)):
        if tokenizer is not None:
            from ift_data.export.tokenized import token_lengths

            lengths.extend(token_lengths(texts, tokenizer))
        else:
            lengths.extend(text_lengths(texts, "words"))


def json_lines(records: Sequence[dict[str, Any]]) -> FormatPart:
    """Records as UTF-8 JSON lines (``dumps_json_bytes``); a record whose text cannot be encoded ends the
    part with its error."""
    encoded: list[bytes] = []
    error: UnicodeEncodeError | None = None
    for record in records:
        try:
            encoded.append(dumps_json_bytes(record) + b"\n")
        except UnicodeEncodeError as exc:
            error = exc
            break
    return FormatPart(len(encoded), b"".join(encoded), error)


def parquet_table(records: Sequence[dict[str, Any]], schema: Any) -> FormatPart:
    """Records as an Arrow table of ``schema``; a record whose text cannot be encoded ends the part with its
    error."""
    import pyarrow as pa

    try:
        return FormatPart(len(records), pa.Table.from_pylist(list(records), schema=schema))
    except UnicodeEncodeError:
        for at, record in enumerate(records):
            try:
                pa.Table.from_pylist([record], schema=schema)
            except UnicodeEncodeError as exc:
                return FormatPart(at, pa.Table.from_pylist(list(records[:at]), schema=schema), error=exc)
        raise  # pragma: no cover - the whole failed, so one record does


def export_chunk(examples: Sequence[Example], setup: ChunkSetup) -> ChunkResult:
    """Format, mask, tokenize and serialize one chunk of examples (see the module's docstring)."""
    from ift_data.export import EXPORTERS

    rejects: list[dict[str, Any]] = []
    counts = {"bos_prepended": 0, "eos_appended": 0, "truncated": 0, "unknown_tokens": 0}
    items = _rendered(examples, setup, rejects)
    if setup.tokenizer_path is not None:
        items = _tokenized(items, setup, counts, rejects)
    result = ChunkResult({}, rejects, counts)
    _digest(items, setup, result)
    for fmt in setup.formats:
        exporter = EXPORTERS[fmt]
        records = list(exporter.rows(items, setup.context))
        result.parts[fmt] = (parquet_table(records, exporter.SCHEMA) if fmt == PARQUET else json_lines(records))
    return result
