"""Hand-made audit tables for the signal tests."""

from __future__ import annotations

import polars as pl


def make_table(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame({
        "row_id": list(range(len(rows))), "source_file": ["t.jsonl"] * len(rows),
        "source_line": list(range(1, len(rows) + 1)), "source_record": list(range(len(rows))),
        "instruction": [r[0] for r in rows], "input": [r[1] for r in rows], "response": [r[2] for r in rows],
        "system": [""] * len(rows), "turns": [1] * len(rows), "category": [None] * len(rows),
    }, schema_overrides={"category": pl.String})

