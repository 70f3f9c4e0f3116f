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
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

from ift_data.errors import UserError
from ift_data.export.base import ExportContext, Rendered

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


def encode(items: list[Rendered], tokenizer: Any, max_len: int | None, overflow: str,
           counts: dict[str, int], side: str = "right") -> list[dict[str, list[int]] | str]:
    """Token ids and labels per item, or a reject reason. ``counts`` gets bos_prepended, eos_appended,
    truncated and unknown_tokens (tokens that are the tokenizer's [UNK]). With ``overflow: truncate``,
    ``side`` right keeps the first ``max_len`` tokens (the end, EOS included, is cut); left keeps the last
    ones (the start is cut; a leading BOS stays)."""
    if not items:
        return []
    texts = [item.text for item in items]
    encoded = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
    # [UNK] is what unknown characters legitimately become; every other special id is a control token
    special_ids = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id}
    bos, eos = bos_eos(tokenizer)
    out: list[dict[str, list[int]] | str] = []
    for item, ids, offsets in zip(items, encoded["input_ids"], encoded["offset_mapping"], strict=True):
        labelled = [0, *accumulate(1 if s.label else 0 for s in item.segments for _ in s.text)]
        special = [0, *accumulate(1 if s.kind == "special" else 0 for s in item.segments for _ in s.text)]
        ids, labels, reason = list(ids), [], None
        for token, (start, end) in zip(ids, offsets, strict=True):
            if token in special_ids and special[end] - special[start] < end - start:
                reason = (f"data text {item.text[start:end]!r} at characters {start}..{end} becomes the control "
                          f"token {tokenizer.convert_ids_to_tokens(token)!r}")
                break
            labels.append(token if labelled[end] - labelled[start] > 0 else -100)
            if token == tokenizer.unk_token_id:
                counts["unknown_tokens"] = counts.get("unknown_tokens", 0) + 1
        if reason:
            out.append(reason)
            continue
        if bos is not None and bos not in ids:
            ids, labels = [bos, *ids], [-100, *labels]
            counts["bos_prepended"] += 1
        if eos is not None and (not ids or ids[-1] != eos):
            ids, labels = [*ids, eos], [*labels, eos]
            counts["eos_appended"] += 1
        if max_len is not None and len(ids) > max_len:
            if overflow == "drop":
                out.append(f"{len(ids):,} tokens > max_len {max_len:,} (overflow: drop)")
                continue
            ids, labels = _truncate(ids, labels, max_len, side, bos)
            if all(label == -100 for label in labels):
                out.append(f"no trained token left after truncating to max_len {max_len:,} ({side} side)")
                continue
            counts["truncated"] += 1
        out.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels})
    return out


def _truncate(ids: list[int], labels: list[int], max_len: int, side: str, bos: int | None
              ) -> tuple[list[int], list[int]]:
    if side == "right":
        return ids[:max_len], labels[:max_len]
    keep = 1 if bos is not None and ids and ids[0] == bos else 0  # the BOS stays first
    return ids[:keep] + ids[len(ids) - (max_len - keep):], labels[:keep] + labels[len(labels) - (max_len - keep):]


def missing_markers(chat_format_specials: tuple[str, ...], tokenizer: Any) -> list[str]:
    """The chat format's own markers that are not one special or added token of this tokenizer."""
    known = set(special_strings(tokenizer)) | set(getattr(tokenizer, "get_added_vocab", dict)())
    return [s for s in chat_format_specials if s not in known]


def marker_warnings(chat_format_specials: tuple[str, ...], tokenizer: Any, items: list[Rendered]) -> list[str]:
    """One warning per missing marker, with the number of examples whose text holds it."""
    out = []
    for marker in missing_markers(chat_format_specials, tokenizer):
        affected = sum(marker in item.text for item in items)
        out.append(f"tokenized: chat-format marker {marker!r} is not in this tokenizer's vocabulary as a special "
                   f"or added token: it is tokenized as plain text in {affected:,} of {len(items):,} examples "
                   "(use the tokenizer of the model's own chat format, or add the marker as a special token)")
    return out


def format_token_notes(chat_format_specials: tuple[str, ...], tokenizer: Any) -> list[str]:
    """Notes for chat-format control strings that this tokenizer does not keep as one special token."""
    return [f"tokenized: chat-format marker {s!r} is not a special token of this tokenizer; it is tokenized "
            "as plain text" for s in missing_markers(chat_format_specials, tokenizer)]


def rows(items: list[Rendered], context: ExportContext) -> Iterator[dict[str, Any]]:
    for item in items:
        assert item.tokens is not None, "tokenized export needs a tokenizer"
        yield item.tokens
