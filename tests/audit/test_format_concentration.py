"""``format_concentration`` in two phases (per-row features over batches, then the label names and the
closed-set marks on the whole table) gives what judging the whole table at once gave: same columns, same
summary, for any batch size."""

from __future__ import annotations

import json
import random
from collections import Counter

import polars as pl
import pytest
from audit_tables import make_table

from ift_data.audit.base import AuditContext
from ift_data.audit.format_concentration import FormatConcentrationSignal, shape_of
from ift_data.audit.row_phase import row_phase
from ift_data.audit.rules import load_rules
from ift_data.audit.runner import _jsonable
from ift_data.audit.text import normalize_expr, unit_count_expr


def whole_table_reference(table: pl.DataFrame, ctx: AuditContext) -> tuple[list[bool], list[str], dict]:
    """The signal as it was written before its per-row phase: everything judged on the whole table."""
    rule = lambda key, default=None: ctx.rule("format_concentration", key, default)  # noqa: E731
    closed = {c.lower() for c in rule("closed_set", [])}
    frame = table.select(normalize_expr(pl.col("response")).alias("norm"),
                         unit_count_expr(pl.col("response")).alias("units"))
    counts = frame.filter(pl.col("units") <= rule("label_max_units", 3)).group_by("norm").len()
    labels = set(counts.filter(pl.col("len") >= rule("label_min_count", 5))["norm"].to_list()) - {""}
    norms = frame["norm"].to_list()
    in_closed = [n in (closed | labels) and n != "" for n in norms]
    shapes = ["closed_set" if c else shape_of(t) for c, t in zip(in_closed, table["response"].to_list(), strict=True)]
    n = max(table.height, 1)
    top_shapes = Counter(shapes).most_common(5)
    summary = {"closed_set_share": round(sum(in_closed) / n, 6), "label_names": sorted(labels)[:50],
               "top_answers": Counter(x for x, c in zip(norms, in_closed, strict=True) if c).most_common(10),
               "shapes": [{"shape": s, "share": round(c / n, 6)} for s, c in top_shapes]}
    return in_closed, shapes, summary


def _rows(seed: int, n: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    answers = ["Yes", "no.", "Positive . . .", "  NEGATIVE!  ", "B", "Sports", "sports", "World news", "42",
               "i do not know the answer", "", "!", "?", "长城", "Paris, France", "Label: spam",
               "1. one\n2. two\n3. three", "```python\nprint(1)\n```", '{"a": 1}',
               "A long answer that explains the point in several words and ends with a period.",
               "First paragraph.\n\nSecond paragraph."]
    return [(f"Question {i}?", "", rng.choice(answers)) for i in range(n)]


@pytest.mark.parametrize("batch", [1, 7, 64, 1000])
@pytest.mark.parametrize("closed_set", [None, ["yes", "no", "i do not know the answer"]])
def test_batches_give_the_whole_table_result(batch: int, closed_set: list[str] | None) -> None:
    rules = load_rules(None).values
    if closed_set is not None:
        rules = {**rules, "format_concentration": {**rules["format_concentration"], "closed_set": closed_set}}
    ctx = AuditContext(rules=rules)
    table = make_table(_rows(batch, 400))
    signal = FormatConcentrationSignal()
    assert row_phase("format_concentration", signal, None) is signal  # runs over batches in the engines
    features = pl.concat([signal.row_features(table.slice(s, batch), ctx) for s in range(0, table.height, batch)])
    result = signal.finalize(features, table, ctx)
    in_closed, shapes, summary = whole_table_reference(table, ctx)
    assert result.columns["format_closed_set"].to_list() == in_closed
    assert result.columns["format_shape"].to_list() == shapes
    got = _jsonable(result.summary)
    got.pop("warnings")
    assert json.dumps(got) == json.dumps(_jsonable(summary))
    assert any(in_closed) and not all(in_closed)
    # a long answer from the closed set is one too; a long answer equal to nothing stays its shape
    long_rows = [i for i, r in enumerate(table["response"].to_list()) if r == "i do not know the answer"]
    assert all(in_closed[i] for i in long_rows) == (closed_set is not None)


def test_a_label_written_with_trailing_punctuation_units_is_still_the_label() -> None:
    ctx = AuditContext(rules=load_rules(None).values)
    rows = [(f"Topic of text {i}?", "", "Sports") for i in range(5)] + [("Topic?", "", "Sports . . . .")]
    result = FormatConcentrationSignal().compute(make_table(rows), ctx)
    assert result.columns["format_closed_set"].to_list() == [True] * 6
    assert result.summary["top_answers"] == [("sports", 6)]
