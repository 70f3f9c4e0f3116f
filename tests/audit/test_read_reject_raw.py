"""A read reject's ``raw`` in ``rejected.jsonl``: a record of a JSON array that is not an object (``5``, ``null``,
a list, a string) comes back as its JSON text, as a JSONL line would."""

from __future__ import annotations

import json
from pathlib import Path

from ift_data.audit.cleaner import run_clean
from ift_data.audit.options import AuditOptions
from ift_data.io.sources import ReadOptions
from ift_data.io.sources.json_records import open_json
from ift_data.schema import Reject

ROWS = [{"instruction": f"Name sea animal number {i}.", "input": "", "output": f"Sea animal {i}: the dolphin."}
        for i in range(3)]
ODD = [5, None, [1, "two"], "text", 2.5, True]


def test_records_that_are_not_objects_keep_their_json_as_raw(tmp_path: Path) -> None:
    path = tmp_path / "arr.json"
    path.write_text(json.dumps(ROWS + ODD), encoding="utf-8")
    result = run_clean([path], tmp_path / "out", AuditOptions(embeddings=False, progress=False))
    assert (result.rows_in, result.kept, result.rejected) == (9, 3, 6)
    read = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    assert [r["source_record"] for r in read] == [3, 4, 5, 6, 7, 8]
    assert [json.loads(r["raw"]) for r in read] == ODD
    assert [r["raw"] for r in read][:2] == ["5", "null"]
    assert "record [4] is null" in read[1]["reasons"][0]


def test_the_whole_document_reader_keeps_them_too(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"data": [ROWS[0], 5, None]}), encoding="utf-8")
    items = list(open_json(path, ReadOptions(format="json", records="data[]"), str(path)).items())
    assert [item.raw for item in items if isinstance(item, Reject)] == ["5", "null"]
    assert Reject("f", 1, "r", raw="5") == Reject("f", 1, "r")  # where and what it was, not part of the reject
