"""Trainer-ready exports of built examples: one writer per format, plus the manifest section.

Adding a format: write ``export/<format>.py`` (``NAME``, ``rows``; optional ``notes``, ``dataset_info``)
and add the module to ``EXPORTERS``.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Sequence
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from ift_data.chat.format import ChatFormat, find_reserved
from ift_data.chat.masking import DEFAULT_MASK_MODE, check_mask_mode
from ift_data.chat.registry import get_chat_format
from ift_data.errors import UserError
from ift_data.export import alpaca, messages, parquet, prompt_completion, segments, sharegpt, text, tokenized
from ift_data.export.base import ExportContext, Rendered
from ift_data.export.chunks import ChunkResult, ChunkSetup
from ift_data.export.files import FormatWriter, shard_bounds
from ift_data.export.parallel import ExportRun, chunk_ranges, chunk_results
from ift_data.export.shard_writer import ShardTarget
from ift_data.io.atomic import write_json
from ift_data.schema import Example

EXPORTERS: dict[str, ModuleType] = {
    m.NAME: m for m in (segments, messages, prompt_completion, alpaca, sharegpt, text, tokenized, parquet)}
ALIASES = {"prompt-completion": prompt_completion.NAME}
OVERFLOW_POLICIES = ("drop", "truncate")
TRUNCATE_SIDES = ("right", "left")  # right: keep the first max_len tokens (cut the end); left: keep the end
DATASET_INFO_FILE = "dataset_info.json"


@dataclass(frozen=True)
class ExportOptions:
    formats: tuple[str, ...] = ("segments",)
    chat_format: str = "chatml"          # preset name or path to a custom YAML
    mask_mode: str = "response"
    system_prompt: str | None = None
    tokenizer: str | None = None         # local path
    max_len: int | None = None
    overflow: str = "drop"               # drop | truncate
    truncate_side: str = "right"         # right (cut the end) | left (cut the start, BOS kept)
    masking_rules: str | None = None     # path of the recommendation rules (default rules/masking.yaml)
    shard_size: int | None = None        # rows per shard file (None: one file per format)


def _check(options: ExportOptions) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(ALIASES.get(f, f) for f in options.formats))
    for name in formats:
        if name not in EXPORTERS:
            raise UserError(f"unknown export format {name!r}; use any of {', '.join(EXPORTERS)}", field="formats")
    if not formats:
        raise UserError("no export format given", field="formats")
    check_mask_mode(options.mask_mode)
    if options.overflow not in OVERFLOW_POLICIES:
        raise UserError(f"overflow must be one of {', '.join(OVERFLOW_POLICIES)}", field="overflow")
    if options.truncate_side not in TRUNCATE_SIDES:
        raise UserError(f"truncate_side must be one of {', '.join(TRUNCATE_SIDES)}", field="truncate_side")
    if options.truncate_side != "right" and options.overflow != "truncate":
        raise UserError(f"truncate_side {options.truncate_side} has no effect with overflow {options.overflow}: "
                        "set overflow: truncate (--overflow truncate) or leave truncate_side out",
                        field="truncate_side")
    if options.overflow == "truncate" and options.max_len is None:
        raise UserError("overflow truncate has no effect without max_len (--max-len N, with --tokenizer): nothing "
                        "can run over; set max_len or leave overflow out", field="overflow")
    if options.max_len is not None and (options.max_len < 2 or options.tokenizer is None):
        raise UserError("max_len needs a tokenizer and must be at least 2", field="max_len")
    if options.shard_size is not None and options.shard_size < 1:
        raise UserError("shard_size must be at least 1 row", field="shard_size")
    listed = [f for f in formats if hasattr(EXPORTERS[f], "dataset_info")]
    if options.shard_size is not None and listed:
        raise UserError(f"--shard-size cannot be used with {', '.join(listed)}: LLaMA-Factory's dataset_info.json "
                        "names one file per dataset; write those formats unsharded", field="shard_size")
    if "tokenized" in formats and options.tokenizer is None:
        raise UserError("the tokenized format needs a tokenizer path", field="tokenizer")
    return formats


def _check_system_prompt(prompt: str | None, chat_format: ChatFormat, reserved: tuple[str, ...]) -> None:
    """A system prompt holding a control token would make every example a reject: refuse it up front."""
    own = prompt is None and chat_format.default_system_prompt is not None  # the format's default is used
    token = find_reserved((chat_format.default_system_prompt if own else prompt) or "",
                          (*chat_format.reserved_strings(), *reserved))
    if token is not None:
        owner = f"chat format {chat_format.name}" + (" or the tokenizer" if reserved else "")
        what = ("the chat format's default_system_prompt (used when there is no --system)" if own
                else "the system prompt (--system / output.system_prompt)")
        raise UserError(f"{what} contains {token!r}, a control token of {owner}: every example would be rejected",
                        file=chat_format.source if own else None,
                        field="default_system_prompt" if own else "system_prompt")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_dataset_info(out_dir: Path, entries: dict[str, Any]) -> Path:
    """Merge our entries into ``<out_dir>/dataset_info.json`` (other datasets' entries are kept)."""
    path = out_dir / DATASET_INFO_FILE
    info: dict[str, Any] = {}
    if path.exists():
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot update existing dataset_info.json: {exc}", file=str(path)) from exc
        if not isinstance(info, dict):
            raise UserError("existing dataset_info.json is not a JSON object", file=str(path))
    info.update(entries)
    write_json(path, dict(sorted(info.items())))
    return path


def _mask_warnings(formats: Sequence[str], items: list[Rendered], context: ExportContext) -> list[str]:
    """One warning per file that cannot carry the mask mode. When no file carries a mode other than the
    default, the mode would be written nowhere: that is an error."""
    limits = {fmt: EXPORTERS[fmt].mask_limit(items, context) for fmt in formats
              if hasattr(EXPORTERS[fmt], "mask_limit")}
    limits = {fmt: why for fmt, why in limits.items() if why}
    if context.mask_mode != DEFAULT_MASK_MODE and len(limits) == len(formats):
        first = next(iter(limits))
        raise UserError(f"mask mode {context.mask_mode!r} cannot be written in any requested format "
                        f"({', '.join(formats)}): {first}: {limits[first]}; add the segments or tokenized "
                        "format, or choose another mask mode", field="mask")
    return [f"{fmt}: {why}" for fmt, why in limits.items()]


def check_export_options(options: ExportOptions) -> None:
    """The checks ``export_examples`` makes before it writes, made up front (a build runs them before it
    reads any data): formats, mask mode and whether some requested file can carry it, overflow, limits."""
    formats = _check(options)
    context = ExportContext("", options.mask_mode, get_chat_format(options.chat_format))
    _mask_warnings(formats, [], context)


def settle_dataset_info(sections: dict[str, dict[str, Any]], out_dir: Path) -> None:
    """``dataset_info.json`` is one file shared by every output section that adds entries to it: once all
    are written, each section's listing of it gets the final sha256 and entry count (its own entries stay
    under ``entries``)."""
    path = Path(out_dir) / DATASET_INFO_FILE
    listings = [f for s in sections.values() for f in s.get("files", []) if f["path"] == DATASET_INFO_FILE]
    if not listings or not path.is_file():
        return
    sha256, total = _sha256(path), len(json.loads(path.read_text(encoding="utf-8")))
    for listing in listings:
        listing.update(sha256=sha256, rows=total)


class _Digest:
    """What the manifest says about all written items, gathered a chunk at a time (in chunk order): their
    count, one single-turn and one multi-turn item (what exporters' ``mask_limit`` and ``notes`` look at),
    the instruction and response lengths of the masking recommendation, the examples holding each chat
    marker the tokenizer lacks."""

    def __init__(self, tokenizer: Any, missing: tuple[str, ...]) -> None:
        self.tokenizer, self.count = tokenizer, 0
        self._kinds: dict[bool, Rendered] = {}
        self._lengths: tuple[array[int], array[int]] = (array("q"), array("q"))
        self._markers = dict.fromkeys(missing, 0)

    @property
    def sample(self) -> list[Rendered]:
        return [self._kinds[k] for k in sorted(self._kinds)]

    def add(self, chunk: ChunkResult) -> None:
        self.count += chunk.written
        for kind, item in chunk.kinds.items():
            self._kinds.setdefault(kind, item)
        for marker, n in chunk.markers.items():
            self._markers[marker] += n
        self._lengths[0].extend(chunk.instruction_lengths)
        self._lengths[1].extend(chunk.response_lengths)

    def marker_warnings(self) -> list[str]:
        return [tokenized.marker_warning(marker, n, self.count) for marker, n in self._markers.items()]

    def recommendation(self, rules_path: str | None) -> dict[str, Any]:
        from ift_data.chat.recommend import load_rules, recommend_mask_mode

        unit = "tokens" if self.tokenizer is not None else "words"
        return recommend_mask_mode(list(self._lengths[0]), list(self._lengths[1]), unit,
                                   load_rules(rules_path)).to_json()


def export_examples(examples: Sequence[Example], out_dir: Path, name: str, options: ExportOptions,
                    run: ExportRun | None = None) -> dict:
    """Write <out_dir>/<name>.<format>.jsonl for each format (dataset_info.json for sharegpt/alpaca);
    return a JSON-serializable manifest section: files with row counts and sha256, format, mask mode,
    chat format, tokenizer path and a hash of its files, truncation/drop counts, rejects with reasons,
    and the masking recommendation.

    Every file holds the same examples in the same order: an example rejected for one reason (bad turn
    order, a control-token string in its data, too long under ``overflow: drop``) is left out of all.
    With ``shard_size``, shard ``k`` holds what is written of ``examples[k * shard_size:(k + 1) * shard_size]``;
    with ``--engine ray`` the Ray workers write the shards (``export/shard_writer.py``), the same bytes.
    """
    formats = _check(options)
    if options.tokenizer is not None:
        options = replace(options, tokenizer=str(options.tokenizer))
    if options.chat_format is not None:
        options = replace(options, chat_format=str(options.chat_format), formats=tuple(options.formats))
    out_dir = Path(out_dir)
    chat_format = get_chat_format(options.chat_format)
    tokenizer = tokenized.load_tokenizer(options.tokenizer) if options.tokenizer else None
    reserved = tokenized.special_strings(tokenizer) if tokenizer is not None else ()
    _check_system_prompt(options.system_prompt, chat_format, reserved)
    counts = {"bos_prepended": 0, "eos_appended": 0, "truncated": 0, "unknown_tokens": 0}
    context = ExportContext(name, options.mask_mode, chat_format)
    missing = tokenized.missing_markers(chat_format.written_tokens(), tokenizer) \
        if tokenizer is not None and "tokenized" in formats else []
    digest = _Digest(tokenizer, tuple(missing))
    setup = ChunkSetup(formats, options, chat_format, reserved, context, tuple(missing), tokenizer)
    rejects: list[dict[str, Any]] = []

    def gather(chunk: ChunkResult) -> None:
        rejects.extend(chunk.rejects)
        for key, n in chunk.counts.items():
            counts[key] += n
        digest.add(chunk)

    run = run or ExportRun()
    shards = shard_bounds(len(examples), options.shard_size)
    schemas = {fmt: getattr(EXPORTERS[fmt], "SCHEMA", None) for fmt in formats}
    with ExitStack() as stack:
        writers = {fmt: stack.enter_context(FormatWriter(out_dir, name, fmt, options.shard_size, schemas[fmt]))
                   for fmt in formats}
        if run.engine == "ray" and options.shard_size is not None:  # the Ray workers write the shards
            from ift_data.export import files as output_files
            from ift_data.export import parallel
            from ift_data.export.ray_chunks import ray_written_shards

            target = ShardTarget(out_dir.absolute(), name, options.shard_size, schemas, output_files.ROW_GROUP,
                                 parallel.CHUNK)  # absolute: a worker's working folder is not the driver's
            for shard in stack.enter_context(closing(ray_written_shards(examples, setup, shards, target,
                                                                        run.ray_address))):
                for chunk in shard.chunks:
                    gather(chunk)
                for fmt, writer in writers.items():
                    writer.add_shard(*shard.files[fmt])
        else:
            # a chunk at a time, merged in chunk order whoever made it: memory bounded by the chunks in flight
            ranges = [chunk for start, stop in shards for chunk in chunk_ranges(start, stop)]
            ends = {stop for _, stop in shards} if options.shard_size is not None else set()
            made = stack.enter_context(closing(chunk_results(examples, setup, ranges, run)))
            for (_, stop), chunk in zip(ranges, made, strict=True):
                gather(chunk)
                for fmt, writer in writers.items():
                    writer.write_part(chunk.parts[fmt])
                    if stop in ends:
                        writer.end_shard()
        files_of = {fmt: writer.finish() for fmt, writer in writers.items()}
    warnings: list[str] = []
    if tokenizer is not None:
        context.notes.extend(tokenized.format_token_notes(chat_format.written_tokens(), tokenizer))
        warnings.extend(digest.marker_warnings())
    warnings[:0] = _mask_warnings(formats, digest.sample, context)

    files, dataset_info = [], {}
    for fmt in formats:
        exporter = EXPORTERS[fmt]
        files.extend(files_of[fmt])
        if hasattr(exporter, "notes"):
            context.notes.extend(exporter.notes(digest.sample, context))
        if hasattr(exporter, "dataset_info"):
            dataset_info[f"{name}_{fmt}"] = exporter.dataset_info(files_of[fmt][0]["path"], context)
    if dataset_info:
        info_path = _write_dataset_info(out_dir, dataset_info)
        files.append({"path": info_path.name, "format": "llamafactory_dataset_info", "rows": len(dataset_info),
                      "sha256": _sha256(info_path), "entries": sorted(dataset_info)})
    written = digest.count

    return {
        "name": name,
        "formats": list(formats),
        "mask_mode": options.mask_mode,
        "chat_format": {"name": chat_format.name, "source": chat_format.source,
                        "sha256": _sha256(Path(chat_format.source)) if chat_format.source else None},
        "system_prompt": options.system_prompt,
        "tokenizer": tokenized.tokenizer_fingerprint(options.tokenizer) if options.tokenizer else None,
        "max_len": options.max_len,
        "overflow": options.overflow,
        "truncate_side": options.truncate_side,
        "counts": {"examples_in": len(examples), "written": written, "rejected": len(rejects),
                   "dropped_overflow": sum(r["reason"].endswith("(overflow: drop)") for r in rejects), **counts},
        "files": files,
        "rejects": rejects,
        "notes": context.notes,
        "warnings": warnings,
        "masking_recommendation": digest.recommendation(options.masking_rules),
        "options": asdict(options),
    }


__all__ = ["EXPORTERS", "TRUNCATE_SIDES", "ExportOptions", "check_export_options", "export_examples",
           "settle_dataset_info"]
