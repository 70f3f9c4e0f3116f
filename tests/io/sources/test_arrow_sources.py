"""Parquet and save_to_disk sources: types kept, ClassLabel names found, and kept rows written back."""

from __future__ import annotations

from pathlib import Path

import pytest

from ift_data.errors import UserError
from ift_data.io.sources import ReadOptions, detect_format, open_source, write_kept
from ift_data.schema import RawRow

datasets = pytest.importorskip("datasets")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ROWS = [{"text": "a", "n": 1, "score": 0.5, "ok": True, "tags": ["x", "y"], "meta": {"k": 2}, "label": 1},
        {"text": "b", "n": 2, "score": 1.5, "ok": False, "tags": [], "meta": {"k": 3}, "label": 0}]
FEATURES = datasets.Features({"text": datasets.Value("string"), "n": datasets.Value("int64"),
                              "score": datasets.Value("float64"), "ok": datasets.Value("bool"),
                              "tags": datasets.Sequence(datasets.Value("string")), "meta": {"k": datasets.Value("int64")},
                              "label": datasets.ClassLabel(names=["no", "yes"])})


def _rows(source) -> list[dict]:
    return [i.fields for i in source.items() if isinstance(i, RawRow)]


def test_parquet_keeps_types_and_reads_class_labels(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    datasets.Dataset.from_list(ROWS, features=FEATURES).to_parquet(str(path))
    source = open_source(path, ReadOptions(format="parquet"))
    assert _rows(source) == ROWS
    assert source.columns == tuple(ROWS[0]) and source.class_labels == {"label": ("no", "yes")}
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), plain)
    assert open_source(plain, ReadOptions(format="parquet")).class_labels == {}


def test_save_to_disk_folder_and_dataset_dict_split(tmp_path: Path) -> None:
    dataset = datasets.Dataset.from_list(ROWS, features=FEATURES)
    dataset.save_to_disk(str(tmp_path / "one"))
    datasets.DatasetDict({"train": dataset, "test": dataset.select([1])}).save_to_disk(str(tmp_path / "both"))
    assert detect_format(tmp_path / "one") == "hf_disk"
    one = open_source(tmp_path / "one", ReadOptions(format="hf_disk"))
    assert _rows(one) == ROWS and one.class_labels == {"label": ("no", "yes")}
    test = open_source(tmp_path / "both", ReadOptions(format="hf_disk", split="test"))
    assert _rows(test) == ROWS[1:]
    with pytest.raises(UserError, match="holds the splits train, test"):
        open_source(tmp_path / "both", ReadOptions(format="hf_disk", split="validation"))


def test_folder_digest_changes_with_its_contents(tmp_path: Path) -> None:
    datasets.Dataset.from_list(ROWS, features=FEATURES).save_to_disk(str(tmp_path / "a"))
    datasets.Dataset.from_list(ROWS[:1], features=FEATURES).save_to_disk(str(tmp_path / "b"))
    digest = open_source(tmp_path / "a", ReadOptions(format="hf_disk")).sha256
    assert digest == open_source(tmp_path / "a", ReadOptions(format="hf_disk")).sha256
    assert digest != open_source(tmp_path / "b", ReadOptions(format="hf_disk")).sha256


@pytest.mark.parametrize("fmt", ["parquet", "hf_disk"])
def test_write_kept_keeps_rows_and_features(tmp_path: Path, fmt: str) -> None:
    dataset = datasets.Dataset.from_list(ROWS, features=FEATURES)
    path = tmp_path / ("d.parquet" if fmt == "parquet" else "d")
    dataset.to_parquet(str(path)) if fmt == "parquet" else dataset.save_to_disk(str(path))
    options = ReadOptions(format=fmt)
    source = open_source(path, options)
    write_kept(source, options, [1], tmp_path / "out" / path.name)
    again = open_source(tmp_path / "out" / path.name, options)
    assert _rows(again) == ROWS[1:] and again.class_labels == {"label": ("no", "yes")}


def test_text_writers_keep_the_original_text(tmp_path: Path) -> None:
    cases = {
        "jsonl": (b'{"a": 1}\r\n{"a":   2}\n\n{"a": 3}', [0, 2], b'{"a": 1}\n{"a": 3}\n'),
        "csv": (b'text,label\n"multi\nline",1\nplain,0\n', [0], b'text,label\n"multi\nline",1\n'),
        "tsv": (b'text\tlabel\n"open quote\t1\nx\t0\n', [0], b'text\tlabel\n"open quote\t1\n'),
    }
    for fmt, (data, kept, expected) in cases.items():
        path = tmp_path / f"d.{fmt}"
        path.write_bytes(data)
        options = ReadOptions(format=fmt, quoting="none" if fmt == "tsv" else "standard")
        write_kept(open_source(path, options), options, kept, tmp_path / "out" / path.name)
        assert (tmp_path / "out" / path.name).read_bytes() == expected, fmt


def test_streamed_parquet_gives_the_whole_read_s_rows_in_bounded_batches(tmp_path: Path, monkeypatch) -> None:
    """The build reads Parquet a batch at a time: the same rows, line numbers, columns, class labels and
    sha256 as the whole read, over several row groups and batches; a damaged file is one line naming it."""
    from ift_data.io.sources import arrow

    monkeypatch.setattr(arrow, "BATCH_ROWS", 7)
    many = [dict(ROWS[i % 2], n=i, text=f"row {i}", tags=None if i % 5 == 0 else ["x"] * (i % 3)) for i in range(50)]
    path = tmp_path / "d.parquet"
    dataset = datasets.Dataset.from_list(many, features=FEATURES)
    pq.write_table(dataset.data.table, path, row_group_size=16)  # 4 row groups, with the features' metadata
    whole = open_source(path, ReadOptions(format="parquet"))
    streamed = open_source(path, ReadOptions(format="parquet"), stream=True)
    assert streamed.table is None
    batches: list[int] = []
    real = pq.ParquetFile.iter_batches
    monkeypatch.setattr(pq.ParquetFile, "iter_batches",
                        lambda self, **kw: (batches.append(b.num_rows) or b for b in real(self, **kw)))
    assert [(i.fields, i.line) for i in streamed.items()] == [(i.fields, i.line) for i in whole.items()]
    assert _rows(streamed) == many
    assert batches and max(batches) <= 7
    assert (streamed.columns, streamed.class_labels, streamed.sha256) == (whole.columns, whole.class_labels,
                                                                          whole.sha256)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(UserError, match="not a readable Parquet file") as raised:
        open_source(broken, ReadOptions(format="parquet"), stream=True)
    assert raised.value.file == str(broken)
