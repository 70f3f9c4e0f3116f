"""Timing helpers the benchmarks share (no ``ift_data`` import: a benchmark may load another checkout)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def least_cpu(run: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The least CPU time (``time.process_time``: steadier than wall time on a shared machine) of ``repeat``
    calls of ``run``, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = run()
        best = min(best, time.process_time() - start)
    return best, result
