"""Atheris fuzz target for the readers: raw csv/tsv/jsonl/json (build) and instruction files (audit).

    python benchmarks/fuzz_readers.py --seconds 120

Any input must give rows + rejects (accounted) or a one-line ``UserError``; anything else is a finding
and stops the run with the input saved as ``crash-*``. Not part of the test suite; needs ``pip install atheris``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from ift_data.errors import UserError
    from ift_data.io.instructions import read_instructions
    from ift_data.io.sources import ReadOptions, open_source
    from ift_data.schema import Reject

FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-readers-"))
RAW = [("jsonl", {}), ("csv", {}), ("tsv", {"quoting": "none"}), ("json", {"records": "data[].items[]"}),
       ("json", {})]
INSTRUCTIONS = ("jsonl", "json", "csv", "tsv")


def one_input(data: bytes) -> None:
    if not data:
        return
    selector, body = data[0], data[1:]
    if selector % 2 == 0:
        fmt, extra = RAW[(selector // 2) % len(RAW)]
        path = FOLDER / f"raw.{fmt}"
        path.write_bytes(body)
        try:
            items = list(open_source(path, ReadOptions(format=fmt, **extra)).items())
        except UserError as exc:
            assert "\n" not in exc.format()
            return
        for item in items:
            if isinstance(item, Reject):
                assert item.reason
            else:
                for value in item.fields.values():
                    if isinstance(value, str):
                        value.encode("utf-8")
    else:
        fmt = INSTRUCTIONS[(selector // 2) % len(INSTRUCTIONS)]
        path = FOLDER / f"data.{fmt}"
        path.write_bytes(body)
        try:
            result = read_instructions([path])
        except UserError as exc:
            assert "\n" not in exc.format()
            return
        assert result.table.height + len(result.rejects) == result.rows_in


def main() -> None:
    from fuzz_main import fuzz

    fuzz(one_input, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
