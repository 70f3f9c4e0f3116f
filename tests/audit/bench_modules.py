"""The benchmark scripts some tests run as modules (``benchmarks/`` is a folder of scripts, not a package)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_benchmark(name: str) -> ModuleType:
    """``benchmarks/<name>.py`` imported once, as a script sees its siblings (``benchmarks/`` on the path)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


def planted_files(folder: Path, extra: list[dict[str, str]], copies: int) -> list[Path]:
    """The corruption harness's planted rows (240 instructions, 60 reviews, seed 0) as ``planted.jsonl``, and
    ``extra`` repeated ``copies`` times as ``extra.jsonl``: a second file, so per-file figures have two files."""
    harness = load_benchmark("corruption_harness")
    clean, _ = harness.load_clean(240, 60, 0, reviews_from="generated")
    corrupted = harness.plant(clean, harness.default_counts(240, 60), 0)
    return [harness.write_jsonl(corrupted.rows, folder / "planted.jsonl"),
            harness.write_jsonl(extra * copies, folder / "extra.jsonl")]
