"""The examples a build selected, kept as small records instead of ``Example`` objects.

Selecting an example renders it once (to know whether the row and template make one); the build keeps its
assignment (row index, template index, epoch) and its number of shots, 16 bytes an example, plus what the
render gave in a ``RenderCache`` (on disk past 1 MiB), and builds the example from that, a chunk at a
time, when it is written. Where no record was kept (a span that ``marshal`` cannot carry, or picks sent to
Ray workers of another machine, which cannot read this machine's file) the example is rendered again: rendering is
deterministic (every random choice comes from a generator seeded by the example's own keys), so it is the
same example either way. The mixture's
order is a permutation of record indices drawn with the very draws ``random.shuffle`` makes on a list of
that length, so the written order is the one shuffling the examples themselves gave.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, overload

import numpy as np

from ift_data.builder import render_cache
from ift_data.builder.expand import Rendered
from ift_data.builder.render_cache import RenderCache, unpack
from ift_data.schema import Example

if TYPE_CHECKING:
    from ift_data.builder.expand import DatasetExpander


class Picks:
    """The assignments of one dataset's selected examples, in the order they were made, and (``cache``) what
    their renders gave, while every pick has its record."""

    def __init__(self) -> None:
        self.rows, self.templates, self.epochs, self.shots = array("q"), array("i"), array("i"), array("i")
        self.cache: RenderCache | None = RenderCache() if render_cache.enabled() else None

    def __len__(self) -> int:
        return len(self.rows)

    def __setstate__(self, state: dict[str, object]) -> None:
        """Unpickled (in a Ray worker): the cache only where its file can be read (this machine); elsewhere
        the worker renders the examples again."""
        self.__dict__.update(state)
        if self.cache is not None and not self.cache.readable():
            self.cache = None

    def add(self, row_index: int, template_index: int, epoch: int, shots: int, record: bytes | None = None) -> None:
        self.rows.append(row_index)
        self.templates.append(template_index)
        self.epochs.append(epoch)
        self.shots.append(shots)
        self._keep([record])

    def extend(self, rows: array[int], templates: array[int], epoch: int, shots: list[int],
               records: list[bytes | None]) -> None:
        """``add`` of many picks of one epoch, in order."""
        self.rows.extend(rows)
        self.templates.extend(templates)
        self.epochs.extend(array("i", [epoch]) * len(rows))
        self.shots.extend(array("i", shots))
        self._keep(records)

    def _keep(self, records: list[bytes | None]) -> None:
        """Keep the new picks' records; one pick without its record: every example is rendered again."""
        if self.cache is None:
            return
        if any(record is None for record in records):
            self.close()
        else:
            self.cache.extend(records)  # type: ignore[arg-type]

    def example(self, expander: DatasetExpander, at: int) -> Example:
        """The example of record ``at``: built from its render at selection when kept, else rendered again."""
        row, template, epoch = self.rows[at], self.templates[at], self.epochs[at]
        if self.cache is not None:
            location, query_input, query_target, shots = unpack(self.cache.get(at))
            return expander.example_from(row, template, epoch, Rendered(query_input, query_target),
                                         [Rendered(i, t) for i, t in shots], location)
        example = expander.example(row, template, epoch)
        if example is None:  # pragma: no cover - rendering is deterministic
            raise AssertionError(f"{expander.dataset}: record {at} rendered at selection but not again")
        return example

    def close(self) -> None:
        """Drop the kept renders (their file goes)."""
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    def example_id(self, expander: DatasetExpander, at: int) -> str:
        return expander.example_id(self.rows[at], self.templates[at], self.epochs[at])

    def template_counts(self, expander: DatasetExpander) -> Counter[str]:
        """Examples per template id."""
        by_index = Counter(self.templates)
        return Counter(_merge((expander.templates[t].id, n) for t, n in by_index.items()))

    def variant_counts(self, expander: DatasetExpander) -> Counter[str]:
        """Examples per template variant (forward, inverted)."""
        by_index = Counter(self.templates)
        return Counter(_merge((expander.templates[t].variant, n) for t, n in by_index.items()))

    def few_shot(self) -> int:
        """Examples with at least one exemplar."""
        return sum(1 for s in self.shots if s)

    def per_row(self, rows: int) -> np.ndarray:
        """How many examples each of ``rows`` rows made."""
        return np.bincount(np.frombuffer(self.rows, dtype=np.int64), minlength=rows)

    def by_row(self) -> Iterator[tuple[int, list[int]]]:
        """(row index, its record indices in the order they were made), rows ascending."""
        rows = np.frombuffer(self.rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")  # stable: a row's records stay in creation order
        bounds = np.flatnonzero(np.diff(rows[order])) + 1
        for chunk in np.split(order, bounds) if len(order) else []:
            yield int(rows[chunk[0]]), chunk.tolist()


def _merge(pairs: Iterator[tuple[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, n in pairs:
        out[key] = out.get(key, 0) + n
    return out


class Part:
    """One dataset's records with the expander that renders them."""

    __slots__ = ("expander", "picks")

    def __init__(self, picks: Picks, expander: DatasetExpander) -> None:
        self.picks, self.expander = picks, expander


class Selection(Sequence[Example]):
    """The examples of several datasets (record indices numbered across the parts in order), in the given
    order (default: as they are), rendered when read: slicing renders that slice only."""

    def __init__(self, parts: Sequence[Part], order: array[int] | None = None) -> None:
        self.parts = list(parts)
        self._starts = [0]
        for part in self.parts:
            self._starts.append(self._starts[-1] + len(part.picks))
        self.order = order

    @property
    def total(self) -> int:
        """Records across all parts (the size of the index space)."""
        return self._starts[-1]

    def __len__(self) -> int:
        return len(self.order) if self.order is not None else self.total

    def _locate(self, index: int) -> tuple[Part, int]:
        g = self.order[index] if self.order is not None else index
        k = bisect_right(self._starts, g) - 1
        return self.parts[k], g - self._starts[k]

    @overload
    def __getitem__(self, index: int) -> Example: ...

    @overload
    def __getitem__(self, index: slice) -> list[Example]: ...

    def __getitem__(self, index: int | slice) -> Example | list[Example]:
        if isinstance(index, slice):
            return [self._render(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._render(index)

    def _render(self, index: int) -> Example:
        part, at = self._locate(index)
        return part.picks.example(part.expander, at)

    def __iter__(self) -> Iterator[Example]:
        for index in range(len(self)):
            yield self._render(index)

    def ids(self) -> Iterator[str]:
        """The examples' ids, in order, without rendering them."""
        for index in range(len(self)):
            part, at = self._locate(index)
            yield part.picks.example_id(part.expander, at)


def shuffled(rng: random.Random, indices: array[int]) -> array[int]:
    """``rng.shuffle(indices)`` in place (the same draws as ``random.shuffle``), returned."""
    randbelow: Callable[[int], int] = rng._randbelow  # type: ignore[attr-defined]  # shuffle's own draw
    for i in reversed(range(1, len(indices))):
        j = randbelow(i + 1)
        indices[i], indices[j] = indices[j], indices[i]
    return indices
