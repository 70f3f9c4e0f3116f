"""Python's cyclic garbage collector during a build: the build makes millions of small objects that live
until the build ends (rows, examples, segments), which the default thresholds scan again and again
(a quarter of a 100k-example build's time). Within :func:`fewer_collections` the objects alive at the start
are frozen out of the scans and young collections run every ``young`` allocations instead of every 700;
cycles are still collected, and the settings are restored afterwards. Outputs do not change."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 100_000


@contextmanager
def fewer_collections(young: int = YOUNG) -> Iterator[None]:
    """Raise the collector's thresholds (and freeze what is alive now) for the duration of the block."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(young, old[0]), max(50, old[1]), max(100, old[2]))
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()
