"""Property: the strict CSV splitter accounts for every physical line exactly once (rows and rejects
tile the body, in order), whatever quotes the text holds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ift_data.io.sources.delimited import _split_lines

LINE = st.lists(st.sampled_from(["a", "b c", ",", '"', '""', " "]), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=30), st.sampled_from([None, 1, 2, 3]))
def test_records_tile_the_lines(texts: list[str], expected: int | None) -> None:
    lines = [(i + 1, text + "\n") for i, text in enumerate(texts)]
    spans = [(first, last) for first, last, _ in _split_lines(lines, 0, ",", "standard", expected)]
    covered = [i for first, last in spans for i in range(first, last + 1)]
    assert covered == list(range(len(lines)))
