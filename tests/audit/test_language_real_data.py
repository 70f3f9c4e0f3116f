"""The language signal on real instruction data (``../shared/data``; skipped when absent): language swaps
planted by ``benchmarks/bench_language.py`` on prompts of every length are found (recall ≥ 0.9 at
precision ≥ 0.95), and clean Alpaca + Dolly rows raise under 1 % false alarms and are rarely called
non-English (the langdetect-based signal called 3.2 % of clean Alpaca rows non-English)."""

from __future__ import annotations

import polars as pl
import pytest
from bench_modules import load_benchmark

from ift_data.audit.language import LanguageSignal

ROWS = 1000  # of each file: seconds on a loaded 2-core machine


bench = load_benchmark("bench_language")
pytestmark = pytest.mark.skipif(not (bench.DATA / "alpaca_random_9k.json").is_file()
                                or not (bench.DATA / "dolly_3k.json").is_file(), reason="../shared/data is absent")


def _signal(rows: list[dict[str, str]], ctx):
    table = pl.DataFrame({k: [r[k] for r in rows] for k in ("instruction", "input", "response")})
    return LanguageSignal().compute(table, ctx)


@pytest.fixture(scope="module")
def clean() -> list[dict[str, str]]:
    return bench.load_rows(ROWS)


def test_planted_swaps_meet_the_targets(clean, ctx):
    rows, positions, langs = bench.plant(clean, 120, seed=3)
    assert len(set(langs)) == len(bench.LANGS) and len(positions) == 120
    prompts = sorted(len(rows[i]["instruction"] + rows[i]["input"]) for i in positions)
    assert prompts[0] < 30  # short prompts are planted too
    flags = list(_signal(rows, ctx).flags["flag_language_mismatch"])
    hits = sum(flags[i] for i in positions)
    flagged = sum(flags)
    assert hits / len(positions) >= 0.9
    assert hits / flagged >= 0.95


def test_clean_rows_raise_few_false_alarms_and_few_non_english_misreads(clean, ctx):
    result = _signal(clean, ctx)
    assert sum(result.flags["flag_language_mismatch"]) < 0.01 * len(clean)
    instruction = result.columns["language_instruction"].to_list()
    response = result.columns["language_response"].to_list()
    non_english = sum(a not in ("en", "und") or b not in ("en", "und")
                      for a, b in zip(instruction, response, strict=True))
    assert non_english < 0.01 * len(clean)
    shares = result.summary["response_shares"]
    assert shares["en"] > 0.6 and all(v < 0.005 for k, v in shares.items() if k not in ("en", "und"))
