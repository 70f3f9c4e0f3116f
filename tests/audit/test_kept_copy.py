"""The kept copy of a duplicate cluster (issue 11): the best row by the keep order (fewer removal flags,
fewer noise flags, not case- or spacing-mangled, longer response, original order), the same for exact,
MinHash and semantic clusters; an exact group is never emptied by a similarity cluster; rejected.jsonl
names the row actually kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from audit_tables import make_table
from bench_modules import load_benchmark

from ift_data.audit.cleaner import run_clean
from ift_data.audit.kept_copy import keep_order, mangle_score, phrasing_score, resolve_kept_copies
from ift_data.audit.options import AuditOptions
from ift_data.audit.summary import SignalRun

OPTS = AuditOptions(embeddings=False, progress=False)
ALPACA = Path(__file__).resolve().parents[3] / "shared" / "data" / "instructions" / "alpaca_random_9k.json"

ANSWER = "The three primary colors used by painters are red, blue and yellow; mixing them gives the others."
ORIGINAL = "Name the three primary colors that painters traditionally use."


def _bench():
    return load_benchmark("bench_kept_copy")


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"id": f"ex-{i}", "instruction": ins, "input": "", "output": out}) + "\n"
                            for i, (ins, out) in enumerate(rows)), encoding="utf-8")
    return path


def _rejected(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("mangled", [
    ORIGINAL.upper(),                                         # shouted
    "  ".join(ORIGINAL.split()),                              # doubled spaces
    ORIGINAL + "  ",                                          # trailing whitespace
    ORIGINAL.lower(),                                         # all lower case
    "Name the three primary colors that painters use traditionally .",  # space before punctuation
    "NAME THE PRIMARY THREE COLORS THAT PAINTERS TRADITIONALLY USE.",   # swapped words + upper case
    "nAmE tHe ThReE pRiMaRy CoLoRs ThAt PaInTeRs UsE.",      # random case
    ORIGINAL.title(),                                         # Title Case forced on the sentence
    "name the three primary colors that painters traditionally use in Europe.",  # started in lower case
])
def test_mangled_copy_scores_worse_than_the_original(mangled: str) -> None:
    """(Title Case and a lower-case start: an independent plant of 60 case-changed copies kept 5 title-cased ones.)"""
    table = make_table([(mangled, "", ANSWER), (ORIGINAL, "", ANSWER)])
    score = mangle_score(table)
    assert score[0] > score[1] == 0, score


def test_keep_order_flags_then_mangling_then_length_then_order() -> None:
    table = make_table([(ORIGINAL.upper(), "", ANSWER), (ORIGINAL, "", ANSWER), (ORIGINAL, "", ANSWER + " More."),
                        (ORIGINAL, "", ANSWER + " Even more text.")])
    no_flags = {"flag_refusal": pl.Series([False] * 4), "flag_url_heavy": pl.Series([False] * 4)}
    assert keep_order(table, no_flags, {"flag_refusal"}).tolist() == [3, 2, 1, 0]  # longest clean response first
    flags = {"flag_refusal": pl.Series([False, False, False, True]), "flag_url_heavy": pl.Series([False, False, True, False])}
    # a removal flag weighs more than any other flag; then noise flags; then mangling; then length
    assert keep_order(table, flags, {"flag_refusal"}).tolist() == [1, 0, 2, 3]
    same = make_table([(ORIGINAL, "", ANSWER)] * 3)
    assert keep_order(same, {}, set()).tolist() == [0, 1, 2]  # original order last


def _resolve(table: pl.DataFrame, clusters: dict[str, list[int | None]], flags: dict[str, list[bool]] | None = None):
    columns = {c: pl.Series(c, v, dtype=pl.Int64) for c, v in clusters.items()}
    if "dedup_semantic_cluster" in columns:
        columns["dedup_semantic_representative"] = columns["dedup_semantic_cluster"].alias("dedup_semantic_representative")
    flag_names = {"dedup_exact_cluster": "flag_exact_duplicate", "dedup_minhash_cluster": "flag_near_duplicate",
                  "dedup_semantic_cluster": "flag_semantic_duplicate"}
    all_flags = {flag_names[c]: pl.Series([False] * table.height) for c in clusters}
    all_flags.update({k: pl.Series(v) for k, v in (flags or {}).items()})
    runs = {family: SignalRun("ok", None, (), (), {"largest_groups": [{"representative": 0, "size": 2}]})
            for family in ("dedup_exact", "dedup_minhash", "dedup_semantic")}
    runs = resolve_kept_copies(table, columns, all_flags, runs, {"clean": {"remove": ["flag_refusal"]}})
    return columns, all_flags, runs


def test_exact_group_keeps_its_best_member_and_the_figures_name_it() -> None:
    table = make_table([(ORIGINAL.upper(), "", ANSWER), ("other", "", "x y z"), (ORIGINAL, "", ANSWER)])
    columns, flags, runs = _resolve(table, {"dedup_exact_cluster": [0, None, 0]})
    assert columns["dedup_exact_cluster"].to_list() == [2, None, 2]
    assert flags["flag_exact_duplicate"].to_list() == [True, False, False]
    assert runs["dedup_exact"].summary["largest_groups"] == [{"representative": 2, "size": 2}]


def test_similarity_cluster_never_empties_an_exact_group() -> None:
    """Row 0 is an older paraphrase; rows 1 (mangled) and 2 are one exact group; all three one semantic cluster
    (the reported case: the semantic cluster kept row 0 and both members of the exact group were lost)."""
    paraphrase = ("Which three primary colors do painters use?", "", ANSWER + " More.")  # kept: the longer answer
    table = make_table([paraphrase, (ORIGINAL.upper(), "", ANSWER), (ORIGINAL, "", ANSWER)])
    columns, flags, _ = _resolve(table, {"dedup_exact_cluster": [None, 1, 1], "dedup_semantic_cluster": [0, 0, 0]})
    assert flags["flag_exact_duplicate"].to_list() == [False, True, False]
    assert flags["flag_semantic_duplicate"].to_list() == [False, True, False]  # row 2 stays: its group's kept row
    assert columns["dedup_exact_cluster"].to_list() == [None, 2, 2]
    assert columns["dedup_semantic_cluster"].to_list() == [0, 0, 0]
    removed = flags["flag_exact_duplicate"] | flags["flag_semantic_duplicate"]
    assert not removed[2] and not removed[0]


def test_a_copy_with_two_words_swapped_loses_to_its_original() -> None:
    """The more common phrasing is kept: the word pairs of the original occur elsewhere in the dataset's
    instructions, the swapped pair does not (an independent plant: 31 near copies with two words swapped)."""
    others = [("Name the three largest cities in Spain.", "", "Madrid, Barcelona and Valencia."),
              ("Describe the primary colors of the rainbow.", "", "Red, orange, yellow, green, blue, indigo, violet.")]
    swapped = "Name the primary three colors that painters traditionally use."
    for rows in ([(swapped, "", ANSWER), (ORIGINAL, "", ANSWER)], [(ORIGINAL, "", ANSWER), (swapped, "", ANSWER)]):
        table = make_table(rows + others)
        columns, flags, _ = _resolve(table, {"dedup_minhash_cluster": [0, 0, None, None]})
        kept = rows.index((ORIGINAL, "", ANSWER))
        assert flags["flag_near_duplicate"].to_list()[:2] == [i != kept for i in range(2)]
        assert phrasing_score(table, np.array([0, 1]))[kept] > phrasing_score(table, np.array([0, 1]))[1 - kept]
    # a longer response still comes first
    table = make_table([(swapped, "", ANSWER + " More."), (ORIGINAL, "", ANSWER)] + others)
    _, flags, _ = _resolve(table, {"dedup_minhash_cluster": [0, 0, None, None]})
    assert flags["flag_near_duplicate"].to_list()[:2] == [False, True]


def test_semantic_and_minhash_clusters_keep_the_best_row() -> None:
    table = make_table([(ORIGINAL.upper(), "", ANSWER), ("  ".join(ORIGINAL.split()), "", ANSWER + " More."),
                        (ORIGINAL, "", ANSWER + " More.")])
    columns, flags, _ = _resolve(table, {"dedup_minhash_cluster": [0, 0, 0], "dedup_semantic_cluster": [0, 0, 0]})
    assert columns["dedup_minhash_cluster"].to_list() == [2, 2, 2]
    assert columns["dedup_semantic_representative"].to_list() == [2, 2, 2]
    assert flags["flag_near_duplicate"].to_list() == [True, True, False]
    # a row with a removal flag loses against its clean twin even when that twin is mangled
    _, flags, _ = _resolve(table, {"dedup_minhash_cluster": [0, 0, 0]}, {"flag_refusal": [False, True, True]})
    assert flags["flag_near_duplicate"].to_list() == [False, True, True]


def test_clean_keeps_the_original_and_names_it(tmp_path: Path) -> None:
    """The mangled copies come first in the file: keeping the first row would keep them."""
    rows = [(ORIGINAL.upper(), ANSWER), ("Explain  why  the  sky  is  blue. ", "Air scatters blue light more than red."),
            ("What is the boiling point of water at sea level?", "It is 100 degrees Celsius."),
            (ORIGINAL, ANSWER), ("Explain why the sky is blue.", "Air scatters blue light more than red.")]
    data = _write(tmp_path / "data.jsonl", rows)
    result = run_clean([data], tmp_path / "out", AuditOptions(embeddings=False, progress=False, id_field="id"))
    assert (result.kept, result.rejected) == (3, 2)
    kept = [json.loads(line)["id"] for line in (tmp_path / "out" / "data.jsonl").read_text(encoding="utf-8").splitlines()]
    assert kept == ["ex-2", "ex-3", "ex-4"]
    rejected = {r["id"]: r for r in _rejected(tmp_path / "out")}
    assert rejected["ex-0"]["reasons"][0] == "flag_exact_duplicate"
    assert (rejected["ex-0"]["representative_id"], rejected["ex-0"]["kept_id"]) == (3, "ex-3")
    assert (rejected["ex-1"]["representative_id"], rejected["ex-1"]["kept_id"]) == (4, "ex-4")


def test_rejected_names_a_kept_row_through_a_chain(tmp_path: Path) -> None:
    """Row 2's MinHash cluster's best row (1) is itself removed as an exact copy of row 0: row 2 names row 0."""
    from ift_data.audit.cleaner import _KeptCopies

    signals = pl.DataFrame({"row_id": [0, 1, 2], "flag_exact_duplicate": [False, True, False],
                            "flag_near_duplicate": [False, False, True], "dedup_exact_cluster": [0, 0, None],
                            "dedup_minhash_cluster": [None, 1, 1]})
    families = {"flag_exact_duplicate": "dedup_exact", "flag_near_duplicate": "dedup_minhash"}
    removed = pl.Series([False, True, True])
    kept = _KeptCopies(signals, removed, ["flag_exact_duplicate", "flag_near_duplicate"], families)
    assert [kept.of(1), kept.of(2)] == [0, 0]
    nothing_kept = _KeptCopies(signals, pl.Series([True, True, True]), ["flag_exact_duplicate"], families)
    assert nothing_kept.of(1) is None


def test_planted_mangled_pairs_keep_the_original() -> None:
    """Synthetic pairs, copy before or after its original, every mangle of the benchmark: clean keeps every
    original (the old first-row rule kept the copy whenever it came first)."""
    bench = _bench()
    rows = [{"instruction": f"Describe the history of the town number {i} in a few sentences.", "input": "",
             "output": f"Town {i} was founded long ago by farmers; it grew around a market and a river crossing."}
            for i in range(40)]
    planted, pairs = bench.plant(rows, 40, seed=3)
    assert sum(copy < original for original, copy, _ in pairs) >= 10  # copies before their original too
    table = make_table([(r["instruction"], r["input"], r["output"]) for r in planted])
    score = mangle_score(table)
    assert all(score[copy] > score[original] for original, copy, _ in pairs)


@pytest.mark.skipif(not ALPACA.is_file(), reason="shared Alpaca data not present")
def test_alpaca_planted_copies_keep_the_original(tmp_path: Path) -> None:
    """Real Alpaca rows, 80 mangled copies planted at random places: the original is kept in >= 95 % of the
    pairs clean found (and the copy never kept where the original was removed)."""
    bench = _bench()
    data = json.loads(ALPACA.read_text(encoding="utf-8"))[:800]
    planted, pairs = bench.plant(data, 80, seed=1)
    path = tmp_path / "planted.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in planted), encoding="utf-8")
    options = AuditOptions(embeddings=False, progress=False, signals=("length", "dedup_exact", "dedup_minhash", "noise"))
    run_clean([path], tmp_path / "out", options)
    result = bench.outcome(tmp_path / "out", pairs)
    found = result["original"] + result["copy"] + result["both_removed"]
    assert found >= 50, result
    assert result["original"] >= 0.95 * found and result["copy"] == 0, result
    assert result["kept_row_named"] == result["original"], result
    # with the keep order off, the first row of each pair is kept: about half are copies
    with bench.stock_policy():
        run_clean([path], tmp_path / "stock", options)
    assert bench.outcome(tmp_path / "stock", pairs)["copy"] >= 0.25 * found


def test_keep_order_is_deterministic() -> None:
    table = make_table([(ORIGINAL, "", ANSWER)] * 5 + [(ORIGINAL.upper(), "", ANSWER)])
    a = keep_order(table, {}, set())
    assert np.array_equal(a, keep_order(table, {}, set())) and a.tolist() == [0, 1, 2, 3, 4, 5]
