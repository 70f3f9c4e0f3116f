"""Properties of the strict CSV reader: the splitter accounts for every physical line exactly once (rows and
rejects tile the body, in order), whatever quotes the text holds; and the build's streamed reader (a window
that drops the lines behind the current record) gives exactly the records, rejects and line numbers of the
whole-file reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ift_data.io.sources import ReadOptions, delimited, open_source
from ift_data.io.sources.delimited import Lines, _split_lines

LINE = st.lists(st.sampled_from(["a", "b c", ",", '"', '""', " "]), max_size=8).map("".join)
RAW_LINE = st.lists(st.sampled_from(["a", "b c", ",", "\t", '"', '""', " ", "é", "\x00", "\udcff"]),
                    max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=30), st.sampled_from([None, 1, 2, 3]))
def test_records_tile_the_lines(texts: list[str], expected: int | None) -> None:
    lines = Lines([(i + 1, text + "\n") for i, text in enumerate(texts)])
    spans = [(first, last) for first, last, _ in _split_lines(lines, 0, ",", "standard", expected)]
    covered = [i for first, last in spans for i in range(first, last + 1)]
    assert covered == list(range(len(texts)))


def _items(path: Path, options: ReadOptions, stream: bool) -> list[tuple]:
    source = open_source(path, options, stream=stream)
    return [(type(i).__name__, i.line, getattr(i, "fields", None), getattr(i, "reason", None))
            for i in source.items()] + [("columns", source.columns, source.header_line, source.sha256)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from(["a,b\n", "a\tb\n", "\ufeffa,b\n", "\n\na,b\r\n"]),
       body=st.lists(RAW_LINE, max_size=25), ending=st.sampled_from(["\n", "\r\n", "\r"]),
       fmt=st.sampled_from(["csv", "tsv"]), quoting=st.sampled_from(["standard", "none"]),
       keep=st.sampled_from([1, 2, 5]), max_line_bytes=st.sampled_from([None, 12]))
def test_streamed_reader_equals_the_whole_file_reader(tmp_path_factory, header, body, ending, fmt, quoting, keep,
                                                      max_line_bytes) -> None:
    path = tmp_path_factory.mktemp("csv") / f"d.{fmt}"
    path.write_bytes((header + "".join(t + ending for t in body)).encode("utf-8", "surrogateescape"))
    options = ReadOptions(format=fmt, quoting=quoting, max_line_bytes=max_line_bytes)
    try:
        whole = _items(path, options, stream=False)
    except Exception as exc:  # noqa: BLE001 - the streamed reader must fail the same way
        with pytest.raises(type(exc), match=None) as raised:
            _items(path, options, stream=True)
        assert str(raised.value) == str(exc)
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(delimited, "KEEP_LINES", keep)  # drop lines behind the record as early as possible
        assert _items(path, options, stream=True) == whole


def test_streamed_reader_holds_a_bounded_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delimited, "KEEP_LINES", 100)
    seen: list[int] = []
    real = delimited.LineWindow.release

    def release(self: delimited.LineWindow, index: int) -> None:
        real(self, index)
        seen.append(len(self.lines))

    monkeypatch.setattr(delimited.LineWindow, "release", release)
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f'"row {i}\nsecond line",{i % 2}\n' for i in range(5000)))
    source = open_source(path, ReadOptions(format="csv"), stream=True)
    assert source.data is None
    rows = [i for i in source.items()]
    assert len(rows) == 5000 and rows[-1].line == 2 + 2 * 4999
    assert max(seen) <= 2 * 100 + 4
