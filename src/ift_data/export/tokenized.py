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
from itertools import chain
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
    time (a text repeated in a batch is tokenized once); a batch's labels, control-token check, [UNK] count
    and BOS/EOS are computed with numpy over all its tokens at once."""
    if not items:
        return
    backend = _backend(tokenizer)
    # [UNK] is what unknown characters legitimately become; every other special id is a control token
    unk = tokenizer.unk_token_id
    special_ids = frozenset(tokenizer.all_special_ids) - {unk}
    controls = np.array(sorted(special_ids), dtype=np.int64)
    bos, eos = bos_eos(tokenizer)
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        texts = [item.text for item in batch]
        chunk = _Chunk(batch, texts, _encode_unique(backend.encode_batch, texts))
        yield from chunk.rows(tokenizer, controls, unk, bos, eos, max_len, overflow, counts, side)


def _encode_unique(encode_batch: Any, texts: list[str]) -> list[Any]:
    """One encoding per text, each distinct text tokenized once (tokenization is a function of the text)."""
    unique = dict.fromkeys(texts)
    if len(unique) == len(texts):
        return list(encode_batch(texts, add_special_tokens=False))
    for text, encoding in zip(unique, encode_batch(list(unique), add_special_tokens=False), strict=True):
        unique[text] = encoding
    return [unique[text] for text in texts]


class _Chunk:
    """A batch's tokens as flat arrays: ``ids``, per-text ``starts``/``ends`` (character offsets in its text),
    ``sizes`` (tokens per text), ``first`` (index of each text's first token); and its segments' characters
    as piecewise-linear prefix counts (labelled characters, characters of ``special`` segments) over the
    texts laid end to end."""

    def __init__(self, batch: Sequence[Rendered], texts: list[str], encodings: list[Any]) -> None:
        self.batch, self.texts = batch, texts
        id_lists = [e.ids for e in encodings]
        self.sizes = np.fromiter(map(len, id_lists), dtype=np.int64, count=len(id_lists))
        self.first = np.concatenate(([0], np.cumsum(self.sizes)))
        total = int(self.first[-1])
        self.ids = np.fromiter(chain.from_iterable(id_lists), dtype=np.int64, count=total)
        offsets = np.fromiter(chain.from_iterable(chain.from_iterable(e.offsets for e in encodings)),
                              dtype=np.int64, count=2 * total).reshape(-1, 2)
        self.starts, self.ends = offsets[:, 0], offsets[:, 1]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        shift = np.repeat(np.concatenate(([0], np.cumsum(lengths)[:-1])), self.sizes)  # a text's first character
        self._at_start, self._at_end = self.starts + shift, self.ends + shift
        segments = [s for item in batch for s in item.segments]
        self._seg_len = np.fromiter((len(s.text) for s in segments), dtype=np.int64, count=len(segments))
        self._seg_start = np.concatenate(([0], np.cumsum(self._seg_len)[:-1]))
        self._segments = segments

    def _covered(self, flags: np.ndarray, tokens: np.ndarray | slice) -> np.ndarray:
        """Characters with a flag under each token (``tokens``: indices into the flat arrays)."""
        before = np.concatenate(([0], np.cumsum(self._seg_len * flags)[:-1]))
        def prefix(position: np.ndarray) -> np.ndarray:  # flagged characters before ``position``
            seg = np.searchsorted(self._seg_start, position, side="right") - 1
            return before[seg] + flags[seg] * (position - self._seg_start[seg])
        return prefix(self._at_end[tokens]) - prefix(self._at_start[tokens])

    def _flags(self, test: Any) -> np.ndarray:
        return np.fromiter(map(test, self._segments), dtype=np.int64, count=len(self._segments))

    def _keep_to(self, controls: np.ndarray) -> np.ndarray:
        """Per text, the index of its first control token made (partly) of data text; its size when none."""
        keep_to = self.sizes.copy()
        if not controls.size or not self.ids.size:
            return keep_to
        found = np.flatnonzero(np.isin(self.ids, controls))
        if not found.size:
            return keep_to
        width = self.ends[found] - self.starts[found]
        bad = found[self._covered(self._flags(lambda s: s.kind == "special"), found) < width]
        owner = np.searchsorted(self.first, bad, side="right") - 1
        texts, first_bad = np.unique(owner, return_index=True)  # ``bad`` ascends: the first per text
        keep_to[texts] = bad[first_bad] - self.first[texts]
        return keep_to

    def rows(self, tokenizer: Any, controls: np.ndarray, unk: int | None, bos: int | None, eos: int | None,
             max_len: int | None, overflow: str, counts: dict[str, int], side: str) -> Iterator[TokenRow | str]:
        n, ids, sizes, first = len(self.batch), self.ids, self.sizes, self.first
        keep_to = self._keep_to(controls)
        rejected = keep_to < sizes
        owner = np.repeat(np.arange(n), sizes)
        if unk is not None:
            unknown = ids == unk
            if unknown.any():  # counted up to a rejecting control token, as in every example holding one
                before_bad = np.arange(ids.size) - first[owner] < keep_to[owner]
                counts["unknown_tokens"] = counts.get("unknown_tokens", 0) + int(np.count_nonzero(unknown & before_bad))
        labels = np.where(self._covered(self._flags(lambda s: bool(s.label)), slice(None)) > 0, ids, -100)
        add_bos = np.zeros(n, dtype=bool)
        if bos is not None:  # one BOS: prepended (masked) when the text holds none
            add_bos = np.bincount(owner[ids == bos], minlength=n) == 0
        add_eos = np.zeros(n, dtype=bool)
        if eos is not None:  # EOS last (trained): appended when the sequence does not end with it
            last = ids[np.maximum(first[1:] - 1, 0)] if ids.size else np.zeros(n, dtype=np.int64)
            add_eos = np.where(sizes > 0, last, -1 if bos is None else bos) != eos  # empty text: [BOS] or []
        size = sizes + add_bos + add_eos
        out_first = np.concatenate(([0], np.cumsum(size)))
        out_ids = np.empty(int(out_first[-1]), dtype=np.int32)
        out_labels = np.empty_like(out_ids)
        moved = np.arange(ids.size) + np.repeat(out_first[:-1] + add_bos - first[:-1], sizes)
        out_ids[moved], out_labels[moved] = ids, labels
        if bos is not None:
            out_ids[out_first[:-1][add_bos]], out_labels[out_first[:-1][add_bos]] = bos, -100
        if eos is not None:
            out_ids[out_first[1:][add_eos] - 1], out_labels[out_first[1:][add_eos] - 1] = eos, eos
        if (added := int(np.count_nonzero(add_bos & ~rejected))):
            counts["bos_prepended"] += added
        if (added := int(np.count_nonzero(add_eos & ~rejected))):
            counts["eos_appended"] += added
        bounds, lengths = out_first.tolist(), size.tolist()
        rejects = set(np.flatnonzero(rejected).tolist())
        for i in range(n):
            if i in rejects:
                yield self._control_reason(tokenizer, i, int(keep_to[i]))
                continue
            # a copy each: a row kept (a sample for the manifest) does not keep the whole batch alive
            row = TokenRow(out_ids[bounds[i]:bounds[i + 1]].copy(), out_labels[bounds[i]:bounds[i + 1]].copy())
            yield row if max_len is None or lengths[i] <= max_len else _overflow(row, max_len, overflow, counts,
                                                                                side, bos)

    def _control_reason(self, tokenizer: Any, i: int, keep_to: int) -> str:
        at = int(self.first[i]) + keep_to
        s, e = int(self.starts[at]), int(self.ends[at])
        return (f"data text {self.texts[i][s:e]!r} at characters {s}..{e} becomes the control "
                f"token {tokenizer.convert_ids_to_tokens(int(self.ids[at]))!r}")


def _overflow(row: TokenRow, max_len: int, overflow: str, counts: dict[str, int], side: str,
              bos: int | None) -> TokenRow | str:
    """A row longer than ``max_len``: the drop reason, or the row truncated (a reason when nothing trains)."""
    if overflow == "drop":
        return f"{len(row.input_ids):,} tokens > max_len {max_len:,} (overflow: drop)"
    ids, labels = _truncate(row.input_ids, row.labels, max_len, side, bos)
    if np.all(labels == -100):
        return f"no trained token left after truncating to max_len {max_len:,} ({side} side)"
    counts["truncated"] += 1
    return TokenRow(ids.astype(np.int32), labels.astype(np.int32))


def token_lengths(texts: list[str], tokenizer: Any) -> list[int]:
    """Tokens in each text without special tokens (as ``tokenizer(texts, add_special_tokens=False)`` counts),
    through the batch path ``BATCH`` texts at a time; a text repeated in ``texts`` is tokenized once."""
    backend = _backend(tokenizer)
    batch = getattr(backend, "encode_batch_fast", backend.encode_batch)  # fast: no offsets, the same ids
    unique = list(dict.fromkeys(texts))
    lengths = [len(e.ids) for start in range(0, len(unique), BATCH)
               for e in batch(unique[start:start + BATCH], add_special_tokens=False)]
    if len(unique) == len(texts):
        return lengths
    of = dict(zip(unique, lengths, strict=True))
    return [of[text] for text in texts]


def _backend(tokenizer: Any) -> Any:
    """The Rust tokenizer behind a fast Hugging Face tokenizer, set as a plain call sets it (no truncation,
    no padding): one call through the wrapper applies those settings."""
    tokenizer([""], add_special_tokens=False)
    return tokenizer.backend_tokenizer


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
