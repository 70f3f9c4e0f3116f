"""A table's texts as a read-only sequence made a slice at a time (``TableTexts``).

A signal that goes through a large table in batches (MinHash signs 20,000 texts at a time) would still
hold every text as a Python string if it were handed ``to_list()`` of the column: at a million rows that
list is the step's peak. ``TableTexts`` computes its expression only for the rows asked for: a slice,
a gather of scattered rows (``take``), or a run of chunks when iterated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import polars as pl
import pyarrow as pa

CHUNK_ROWS = 65_536  # rows made at a time when the sequence is iterated


class TableTexts(Sequence[Any]):
    """The values of ``exprs`` over ``table``, row by row: the value of a single expression, or a tuple of
    the values of several."""

    def __init__(self, table: pl.DataFrame, *exprs: pl.Expr) -> None:
        if not exprs:
            raise ValueError("TableTexts needs at least one expression")
        self._table, self._exprs = table, [e.alias(f"_v{i}") for i, e in enumerate(exprs)]

    def __len__(self) -> int:
        return self._table.height

    def _values(self, rows: pl.DataFrame) -> list[Any]:
        return self._listed(rows.select(self._exprs))

    def _listed(self, frame: pl.DataFrame) -> list[Any]:
        """The rows of the expressions' values: values (one expression) or tuples (several)."""
        return frame.to_series().to_list() if len(self._exprs) == 1 else list(frame.iter_rows())

    @overload
    def __getitem__(self, key: int) -> Any: ...

    @overload
    def __getitem__(self, key: slice) -> list[Any]: ...

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                return self.take(range(start, stop, step))
            return self._values(self._table.slice(start, max(stop - start, 0)))
        index = key + len(self) if key < 0 else key
        if not 0 <= index < len(self):
            raise IndexError(key)
        return self._values(self._table.slice(index, 1))[0]

    def take(self, rows: Sequence[int]) -> list[Any]:
        """The values of the given rows, in that order (only the columns the expressions read are gathered)."""
        if not len(rows):
            return []
        gathered = self._table.lazy().select(pl.all().gather(pl.Series(list(rows), dtype=pl.Int64)))
        return self._listed(gathered.select(self._exprs).collect())

    def __iter__(self) -> Iterator[Any]:
        for start in range(0, len(self), CHUNK_ROWS):
            yield from self[start:start + CHUNK_ROWS]

    def arrow(self) -> pa.Array:
        """A single expression's values as one Arrow array (no Python objects; for Ray's datasets)."""
        if len(self._exprs) != 1:
            raise ValueError("arrow() is for a single expression")
        return self._table.select(self._exprs).to_series().to_arrow()


def values_at(values: Sequence[Any], rows: Sequence[int]) -> list[Any]:
    """``[values[i] for i in rows]``, as one gather when ``values`` is a ``TableTexts``."""
    if isinstance(values, TableTexts):
        return values.take(rows)
    return [values[i] for i in rows]
