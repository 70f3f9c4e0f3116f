"""use_case's column is exactly ``tag`` applied row by row (rules read once per distinct instruction, the model's
features per row), including what counts as an input (Python's ``str.strip``)."""

from __future__ import annotations

import polars as pl

from ift_data.audit.use_case import tag, tag_column

CANAL = ("The Marlow Canal opened in 1801 to carry coal to the port. Trade fell after the railway came in 1852 and the "
         "canal closed in 1938. Volunteers restored it from 1971 and it reopened to leisure boats in 2002.")
FRUIT = "The stall sells apples, pears, plums and figs from the orchards along the river."
WHITESPACE_INPUTS = ["", " ", "\t\n", "\x1c\x1f", "\u3000", "\u00a0\u2028", "\x85"]
ROWS = [
    ("Summarize the text.", "A long article about rivers.", "Rivers flow.", 1),
    ("Summarize the text.", CANAL, "Built for coal, the canal lost its trade to the railway and closed in 1938, then "
     "was restored by volunteers and reopened in 2002.", 1),
    ("List the years mentioned in the text.", CANAL, "1801, 1852, 1938, 1971, 2002", 1),
    ("Give me some ideas for a rainy afternoon.", "", "- bake bread\n- a jigsaw puzzle\n- a film marathon", 1),
    ("What does it say?", FRUIT, "apples, pears, plums", 1),
    ("What does it say?", FRUIT, "It lists fruit.", 1),
    ("What does it say?", FRUIT, "One. Two. Three. " + "word " * 40, 1),
    ("What does it say?", "Apples, pears, plums and figs.", "It lists fruit.", 1),  # a short input: a topic
    ("What does it say?", "", "It says nothing.", 1),
    ("Write a poem about the sea.", "", "Waves.", 1),
    ("And then?", "", "Then it rained.", 3),
    ("And then?", "", "Then it rained.", 1),
    ("  List   some  ways to relax. ", "", "Breathe.", 1),
    ("List some ways to relax.", "", "Breathe.", 1),
    ("Which is it?", "\u2003x", "- a\n- b", 1),
    *[("Which is it?", ws, "- a\n- b", 1) for ws in WHITESPACE_INPUTS],
    *[("Tell me about it.", ws + "x", "Short.", 1) for ws in WHITESPACE_INPUTS],
]


def _table(rows: list[tuple[str, str, str, int]], with_turns: bool = True) -> pl.DataFrame:
    columns: dict[str, list[object]] = {"instruction": [r[0] for r in rows], "input": [r[1] for r in rows],
                                        "response": [r[2] for r in rows]}
    if with_turns:
        columns["turns"] = [r[3] for r in rows]
    return pl.DataFrame(columns)


def test_column_is_tag_row_by_row() -> None:
    expected = [tag(ins, inp, resp, turns) for ins, inp, resp, turns in ROWS]
    assert tag_column(_table(ROWS)).to_list() == expected
    assert {"extraction", "summarization", "closed_qa", "chat", "generation", "brainstorming"} <= set(expected)


def test_whitespace_only_inputs_are_no_input() -> None:
    rows = [("Which is it?", ws, "- a\n- b", 1) for ws in WHITESPACE_INPUTS]
    assert len(set(tag_column(_table(rows)).to_list())) == 1  # none of them counts as an input
    assert tag_column(_table(rows)).to_list() == [tag("Which is it?", "", "- a\n- b")] * len(rows)


def test_without_turns_column_and_empty_table() -> None:
    assert tag_column(_table(ROWS, with_turns=False)).to_list() == [
        tag(ins, inp, resp) for ins, inp, resp, _ in ROWS]
    empty = tag_column(_table([]))
    assert empty.len() == 0 and empty.dtype == pl.Utf8
