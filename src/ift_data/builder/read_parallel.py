"""A big JSONL or Parquet split read by several processes, with the rows and rejects one process would give.

Parsing each row (strict JSON, the task's field map, the size checks, the row store's encoding) is most of
what reading costs: about 10 µs a row, 11 s of a 1M-row build that otherwise runs on every core. The file is
cut into ``workers`` ranges (``ranges_of``): JSONL byte ranges just after a newline, lines numbered from the
count of newlines before each range; Parquet runs of whole row groups, rows numbered from the rows before.
A ``fork`` pool reads one range each with the very loop of the one-process reader (``sources.take_items``)
into a row file of its own; the parent appends those files in range order (``row_store.concatenated``) and
the rejects in the same order. Used for UTF-8 JSONL and Parquet files of ``MIN_BYTES`` or more, never with
``--max-rows`` (whose limit counts rows across ranges); a JSONL file holding a lone or paired carriage return
(a ``\\r`` ends a line too) and a Parquet file of one row group are read in one process.
"""

from __future__ import annotations

import multiprocessing
import signal
import tempfile
from typing import TYPE_CHECKING

from ift_data.builder.row_store import Rows, RowWriter, concatenated, handed_over, sweep_stale
from ift_data.io.sources.base import Source, is_utf8
from ift_data.io.sources.jsonl import range_items
from ift_data.io.sources.parquet import group_ranges
from ift_data.io.sources.parquet import range_items as parquet_range_items
from ift_data.io.workers import pool_result, started

if TYPE_CHECKING:
    from pathlib import Path

    from ift_data.io.sources.base import ReadOptions
    from ift_data.schema import Reject
    from ift_data.tasks.spec import TaskSpec

MIN_BYTES = 4 * 2**20  # smaller files (~25k short rows) are read in one process: a pool costs more than it saves
SCAN_BLOCK = 8 * 2**20

# What the workers read (set before the pool starts, inherited through fork, cleared after).
_JOB: tuple[Source, ReadOptions, TaskSpec, str, int] | None = None


def worth_it(source: Source, options: ReadOptions, *, forking: bool = True) -> bool:
    """Whether ``source`` is a UTF-8 JSONL or a Parquet file big enough to read in parallel (``forking``:
    by forked processes, so fork must exist)."""
    if source.data is not None or (forking and "fork" not in multiprocessing.get_all_start_methods()):
        return False
    if not (source.format == "parquet" or (source.format == "jsonl" and is_utf8(options.encoding))):
        return False
    try:
        return source.path.stat().st_size >= MIN_BYTES
    except OSError:
        return False


def ranges_of(source: Source, parts: int) -> list[tuple[int, int, int]] | None:
    """Up to ``parts`` ranges of ``source`` that ``read_range`` reads: JSONL byte ranges (``byte_ranges``),
    Parquet runs of row groups (``parquet.group_ranges``); None when the file cannot be cut."""
    if source.format == "parquet":
        return group_ranges(source.path, parts)
    return byte_ranges(source, parts)


def byte_ranges(source: Source, parts: int) -> list[tuple[int, int, int]] | None:
    """``(start, stop, lines before start)`` of ``parts`` ranges of the file, each starting just after a
    newline; None when the file holds a carriage return (where lines end is then not only ``\\n``)."""
    size = source.path.stat().st_size
    targets = [size * k // parts for k in range(1, parts)]
    cuts: list[tuple[int, int]] = []  # (offset just after a newline, newlines before it)
    newlines = 0
    position = 0
    with source.path.open("rb") as handle:
        while block := handle.read(SCAN_BLOCK):
            if b"\r" in block:
                return None
            end = position + len(block)
            while targets and targets[0] < end:
                at = block.find(b"\n", max(0, targets[0] - position))
                if at < 0:
                    break  # the next newline is in a later block: the cut moves there
                cut = position + at + 1
                cuts.append((cut, newlines + block.count(b"\n", 0, at + 1)))
                while targets and targets[0] < cut:
                    targets.pop(0)
            if targets and targets[0] < end:  # no newline after the target in this block
                targets[0] = end
            newlines += block.count(b"\n")
            position = end
    starts = [(0, 0), *[(cut, lines) for cut, lines in cuts if cut < size]]
    return [(start, starts[k + 1][0] if k + 1 < len(starts) else size, lines)
            for k, (start, lines) in enumerate(starts)]


def _start() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it ends the pool)
    for signum in (signal.SIGTERM, signal.SIGHUP):  # ending the pool ends the worker at once, wherever it is
        signal.signal(signum, signal.SIG_DFL)       # (the parent then removes its row file: ``sweep_stale``)


def read_range(path: Path, name: str, options: ReadOptions, task: TaskSpec, dataset: str, max_field_chars: int,
               job: tuple[int, int, int]) -> tuple[list[Reject], Rows]:
    """The rows and rejects of one range of a file (``ranges_of``: a JSONL byte range ``(start, stop, lines
    before start)``, or Parquet row groups ``(first, stop, rows before)``), with the one-process loop, into
    a row file of this process that it hands over (``handed_over``) to the caller."""
    from ift_data.builder.sources import take_items

    start, stop, before = job
    items = (parquet_range_items(path, name, start, stop, before) if options.format == "parquet"
             else range_items(path, options, name, start, stop, before))
    rejects: list[Reject] = []
    with RowWriter(spill_rows=0) as writer:  # every row to this process's file, handed to the parent
        take_items(items, task, dataset, max_field_chars, None, writer, rejects)
        rows = writer.finish()
    return rejects, handed_over(rows)


def _read_range(job: tuple[int, int, int]) -> tuple[list[Reject], Rows]:
    assert _JOB is not None, "a reading worker started without its job"
    source, options, task, dataset, max_field_chars = _JOB
    return read_range(source.path, source.name, options, task, dataset, max_field_chars, job)


def read_rows(source: Source, options: ReadOptions, task: TaskSpec, dataset: str, max_field_chars: int,
              workers: int) -> tuple[Rows, list[Reject]]:
    """The rows and rejects of ``source`` (as ``sources.take_items`` would give them reading it whole), read
    by ``workers`` processes; in one process when the file cannot be cut (see ``ranges_of``)."""
    global _JOB
    from ift_data.builder.sources import read_serially

    ranges = ranges_of(source, workers)
    if ranges is None or len(ranges) < 2:
        return read_serially(source, task, dataset, max_field_chars, None)
    _JOB = (source, options, task, dataset, max_field_chars)
    results: list[tuple[list[Reject], Rows]] = []
    pool = started(multiprocessing.get_context("fork").Pool(len(ranges), initializer=_start))
    try:
        answers = [pool.apply_async(_read_range, (job,)) for job in ranges]
        for answer in answers:
            results.append(pool_result(answer, pool, "a reading worker process"))
        pool.close()
        pool.join()
        rows = concatenated([part for _, part in results])
    except BaseException:
        pool.terminate()
        pool.join()
        sweep_stale(tempfile.gettempdir())  # every worker's row file (named by its pid; the workers have ended)
        raise
    finally:
        _JOB = None
    return rows, [reject for part_rejects, _ in results for reject in part_rejects]
