"""Atomic writes: write to a temporary file beside the target, fsync, then rename."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from ift_data import interrupts
from ift_data.errors import UserError


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temp file next to ``path``; on success it replaces ``path``, on error it is removed.

    A crash at any point leaves either the old file or no file under the final name, never a partial one.
    """
    target = Path(path)
    try:  # a folder that cannot be made or written to (read-only, under /proc) is a one-line error too
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UserError(f"cannot write output: {exc.strerror or exc}", file=str(target)) from exc
    binary = "b" in mode
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else "\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        interrupts.check()  # a stop signal that a library swallowed: no new file under the final name
        os.replace(tmp, target)
    except OSError as exc:
        _remove_quietly(tmp)
        raise UserError(f"cannot write output: {exc.strerror or exc}", file=str(target)) from exc
    except UnicodeEncodeError as exc:  # e.g. a lone surrogate that slipped past the readers
        _remove_quietly(tmp)
        raise UserError(f"cannot write output: text holds {exc.object[exc.start:exc.end]!a}, which is not "
                        "valid Unicode", file=str(target)) from exc
    except BaseException:
        _remove_quietly(tmp)
        raise


def remove_leftovers(target: Path) -> list[Path]:
    """Remove temp files a killed run left beside ``target`` (``.NAME.*.tmp``): the next write of the
    same file cleans up after the crash. Returns what was removed."""
    removed = []
    for stale in target.parent.glob(f".{glob_escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
            removed.append(stale)
    return removed


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def dumps_json_line(record: Any) -> str:
    """One canonical JSON line: UTF-8 kept as is but for the line separators U+0085, U+2028 and U+2029
    (escaped, so ``str.splitlines()`` and JavaScript read one record a line), stable key order as given,
    no NaN."""
    data = _orjson(record)
    if data is not None:
        return _escape_line_separators(data).decode("utf-8")
    return json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":")).translate(_ESCAPE_TEXT)


# orjson writes what ``json.dumps(ensure_ascii=False, allow_nan=False, separators=(",", ":"))`` writes for
# str (same escapes), int, bool, None, dict with str keys, list and tuple, about ten times faster. It differs
# on floats (``1e-07`` / ``1e-7``; NaN becomes null where json refuses it) and refuses what json refuses or
# converts (lone surrogates, non-str keys, ints past 64 bits): those records go to json. orjson writes every
# float with a digit followed by ``.``, ``e`` or ``E`` (and NaN as ``null``): bytes holding neither hold no
# float (text that merely looks like one sends the record to json too: slower, the same bytes).
_DIGITS = bytes.maketrans(b"123456789E", b"000000000e")
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME  # json refuses those


class TextRecord(dict[str, Any]):
    """A record whose values are only str, int, bool, None and lists and dicts of them, never a float (e.g.
    an exporter's row built from typed fields): ``dumps_json_line`` skips looking for floats in its bytes."""

    __slots__ = ()


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _orjson(record: Any) -> bytes | None:
    """The record's line by orjson, or None where it may differ from json's."""
    try:
        data = orjson.dumps(record, default=_refuse, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: what json writes differently or refuses with its own error
        return None
    if type(record) is TextRecord:
        return data
    digits = data.translate(_DIGITS)
    return None if b"0." in digits or b"0e" in digits or b"null" in data else data


def dumps_json_bytes(record: Any) -> bytes:
    """``dumps_json_line(record)`` as UTF-8 bytes (``UnicodeEncodeError`` for text that is not valid Unicode)."""
    data = _orjson(record)
    if data is None:
        data = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return _escape_line_separators(data)


# Valid raw in JSON, but ``str.splitlines()`` (and JavaScript before ES2019) ends a line at each of them.
_LINE_SEPARATORS = ((b"\xc2\x85", b"\\u0085"), (b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))

_ESCAPE_TEXT = str.maketrans({raw.decode("utf-8"): escaped.decode("ascii") for raw, escaped in _LINE_SEPARATORS})


def _escape_line_separators(data: bytes) -> bytes:
    for raw, escaped in _LINE_SEPARATORS:
        if raw in data:
            data = data.replace(raw, escaped)
    return data


def write_jsonl(path: str | os.PathLike[str], records: Iterable[Any]) -> int:
    """Atomically write records as JSON lines; returns the number written."""
    count = 0
    with atomic_open(path) as fh:
        for record in records:
            fh.write(dumps_json_line(record))
            fh.write("\n")
            count += 1
    return count


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Atomically write a pretty, key-stable JSON document."""
    with atomic_open(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2, allow_nan=False)
        fh.write("\n")
