"""Pre-tokenized records ``{"input_ids", "attention_mask", "labels"}`` (labels -100 where masked).

The full formatted text is tokenized ONCE (no special tokens added) with offset mapping; a token
trains when any character it covers is labelled (so a word glued to masked template text still
trains). The sequence gets exactly one BOS (the tokenizer's ``bos_token``, else ``cls_token``,
prepended and masked when the text does not start with it) and ends with the tokenizer's EOS
(``eos_token``, else ``sep_token``), appended and trained when the format's last marker is not it.
A control token produced from data text rejects the example; ``max_len`` drops or truncates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ift_data.errors import UserError
from ift_data.export.base import ExportContext, Rendered, TokenRow

NAME = "tokenized"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                   "vocab.txt", "vocab.json", "merges.txt", "tokenizer.model", "spiece.model",
                   "sentencepiece.bpe.model", "chat_template.jinja", "chat_template.json")


def load_tokenizer(path: str) -> Any:
    """A fast Hugging Face tokenizer from a local directory (never the network)."""
    if not Path(path).is_dir():
        raise UserError("tokenizer path is not a local directory", file=path, field="tokenizer")
    for name in TOKENIZER_FILES:  # a FIFO or device here would block the loader forever
        entry = Path(path) / name
        if entry.exists() and not entry.is_file():
            raise UserError("cannot read: not a regular file", file=str(entry), field="tokenizer")
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:  # pragma: no cover - transformers is a dependency
        raise UserError("the tokenized export needs 'transformers' (pip install transformers)") from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any loader failure is a user-facing problem with the path
        raise UserError(f"cannot load tokenizer: {exc}".splitlines()[0], file=path, field="tokenizer") from exc
    if not getattr(tokenizer, "is_fast", False):
        raise UserError("tokenizer must be a fast (Rust) tokenizer with offset mapping", file=path,
                        field="tokenizer")
    return tokenizer


def tokenizer_fingerprint(path: str) -> dict[str, Any]:
    """sha256 over the tokenizer's files (names and bytes), so a manifest pins the exact tokenizer."""
    digest = hashlib.sha256()
    names = []
    for name in TOKENIZER_FILES:
        file = Path(path) / name
        if file.is_file():
            names.append(name)
            digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return {"path": path, "sha256": digest.hexdigest(), "files": names}


def special_strings(tokenizer: Any) -> tuple[str, ...]:
    """Strings the tokenizer turns into control tokens: its special tokens and special added tokens."""
    found = set(getattr(tokenizer, "all_special_tokens", []))
    for token in getattr(tokenizer, "added_tokens_decoder", {}).values():
        if getattr(token, "special", False):
            found.add(str(token))
    return tuple(sorted(s for s in found if s))


def bos_eos(tokenizer: Any) -> tuple[int | None, int | None]:
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.cls_token_id
    eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id
    return bos, eos


BATCH = 1024  # texts per call of the tokenizer's batch path (its encodings are dropped after each batch)


def encode(items: list[Rendered], tokenizer: Any, max_len: int | None, overflow: str,
           counts: dict[str, int], side: str = "right") -> list[dict[str, list[int]] | str]:
    """Token ids and labels per item, or a reject reason (as :func:`encode_rows`, as JSON records)."""
    return [r if isinstance(r, str) else r.to_json()
            for r in encode_rows(items, tokenizer, max_len, overflow, counts, side)]


def encode_rows(items: Sequence[Rendered], tokenizer: Any, max_len: int | None, overflow: str,
                counts: dict[str, int], side: str = "right") -> Iterator[TokenRow | str]:
    """Token ids and labels per item, or a reject reason. ``counts`` gets bos_prepended, eos_appended,
    truncated and unknown_tokens (tokens that are the tokenizer's [UNK]). With ``overflow: truncate``,
    ``side`` right keeps the first ``max_len`` tokens (the end, EOS included, is cut); left keeps the last
    ones (the start is cut; a leading BOS stays). Texts go through the tokenizer's batch path ``BATCH`` at a
    time; labels are computed with numpy from per-character prefix sums."""
    if not items:
        return
    backend = _backend(tokenizer)
    # [UNK] is what unknown characters legitimately become; every other special id is a control token
    unk = tokenizer.unk_token_id
    special_ids = frozenset(tokenizer.all_special_ids) - {unk}
    bos, eos = bos_eos(tokenizer)
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        texts = [item.text for item in batch]
        for item, text, encoding in zip(batch, texts, backend.encode_batch(texts, add_special_tokens=False),
                                        strict=True):
            yield _one(item, text, encoding, tokenizer, special_ids, unk, bos, eos, max_len, overflow, counts, side)


def token_lengths(texts: list[str], tokenizer: Any) -> list[int]:
    """Tokens in each text without special tokens (as ``tokenizer(texts, add_special_tokens=False)`` counts),
    through the batch path ``BATCH`` texts at a time."""
    backend = _backend(tokenizer)
    batch = getattr(backend, "encode_batch_fast", backend.encode_batch)  # fast: no offsets, the same ids
    return [len(e.ids) for start in range(0, len(texts), BATCH)
            for e in batch(texts[start:start + BATCH], add_special_tokens=False)]


def _backend(tokenizer: Any) -> Any:
    """The Rust tokenizer behind a fast Hugging Face tokenizer, set as a plain call sets it (no truncation,
    no padding): one call through the wrapper applies those settings."""
    tokenizer([""], add_special_tokens=False)
    return tokenizer.backend_tokenizer


def _one(item: Rendered, text: str, encoding: Any, tokenizer: Any, special_ids: frozenset[int], unk: int | None,
         bos: int | None, eos: int | None, max_len: int | None, overflow: str, counts: dict[str, int],
         side: str) -> TokenRow | str:
    token_list = encoding.ids
    ids = np.array(token_list, dtype=np.int64)
    offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    starts, ends = offsets[:, 0], offsets[:, 1]
    lengths = np.fromiter((len(s.text) for s in item.segments), dtype=np.int64, count=len(item.segments))
    flags = np.fromiter((bool(s.label) for s in item.segments), dtype=np.int64, count=len(item.segments))
    labelled = np.concatenate(([0], np.cumsum(np.repeat(flags, lengths))))
    keep_to = len(ids)  # a control token made (partly) of data text rejects the example
    if not special_ids.isdisjoint(token_list):
        controls = np.flatnonzero(np.isin(ids, list(special_ids)))
        kinds = np.fromiter((s.kind == "special" for s in item.segments), dtype=np.int64, count=len(item.segments))
        special = np.concatenate(([0], np.cumsum(np.repeat(kinds, lengths))))
        bad = controls[special[ends[controls]] - special[starts[controls]] < ends[controls] - starts[controls]]
        keep_to = int(bad[0]) if bad.size else keep_to
    if unk is not None and unk in token_list:
        counts["unknown_tokens"] = counts.get("unknown_tokens", 0) + int(np.count_nonzero(ids[:keep_to] == unk))
    if keep_to < len(ids):
        s, e = int(starts[keep_to]), int(ends[keep_to])
        return (f"data text {text[s:e]!r} at characters {s}..{e} becomes the control "
                f"token {tokenizer.convert_ids_to_tokens(int(ids[keep_to]))!r}")
    labels = np.where(labelled[ends] - labelled[starts] > 0, ids, -100)
    if bos is not None and not np.any(ids == bos):
        ids, labels = np.concatenate(([bos], ids)), np.concatenate(([-100], labels))
        counts["bos_prepended"] += 1
    if eos is not None and (not ids.size or ids[-1] != eos):
        ids, labels = np.concatenate((ids, [eos])), np.concatenate((labels, [eos]))
        counts["eos_appended"] += 1
    if max_len is not None and len(ids) > max_len:
        if overflow == "drop":
            return f"{len(ids):,} tokens > max_len {max_len:,} (overflow: drop)"
        ids, labels = _truncate(ids, labels, max_len, side, bos)
        if np.all(labels == -100):
            return f"no trained token left after truncating to max_len {max_len:,} ({side} side)"
        counts["truncated"] += 1
    return TokenRow(ids.astype(np.int32), labels.astype(np.int32))


def _truncate(ids: np.ndarray, labels: np.ndarray, max_len: int, side: str, bos: int | None
              ) -> tuple[np.ndarray, np.ndarray]:
    if side == "right":
        return ids[:max_len], labels[:max_len]
    keep = 1 if bos is not None and ids.size and ids[0] == bos else 0  # the BOS stays first
    cut = len(ids) - (max_len - keep)
    return np.concatenate((ids[:keep], ids[cut:])), np.concatenate((labels[:keep], labels[cut:]))


def missing_markers(chat_format_specials: tuple[str, ...], tokenizer: Any) -> list[str]:
    """The chat format's own markers that are not one special or added token of this tokenizer."""
    known = set(special_strings(tokenizer)) | set(getattr(tokenizer, "get_added_vocab", dict)())
    return [s for s in chat_format_specials if s not in known]


def marker_warnings(chat_format_specials: tuple[str, ...], tokenizer: Any, items: list[Rendered]) -> list[str]:
    """One warning per missing marker, with the number of examples whose text holds it."""
    return [marker_warning(marker, sum(marker in item.text for item in items), len(items))
            for marker in missing_markers(chat_format_specials, tokenizer)]


def marker_warning(marker: str, affected: int, total: int) -> str:
    return (f"tokenized: chat-format marker {marker!r} is not in this tokenizer's vocabulary as a special "
            f"or added token: it is tokenized as plain text in {affected:,} of {total:,} examples "
            "(use the tokenizer of the model's own chat format, or add the marker as a special token)")


def format_token_notes(chat_format_specials: tuple[str, ...], tokenizer: Any) -> list[str]:
    """Notes for chat-format control strings that this tokenizer does not keep as one special token."""
    return [f"tokenized: chat-format marker {s!r} is not a special token of this tokenizer; it is tokenized "
            "as plain text" for s in missing_markers(chat_format_specials, tokenizer)]


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    for item in items:
        assert item.tokens is not None, "tokenized export needs a tokenizer"
        yield item.tokens.to_json()
