"""The corruption harness (benchmarks/corruption_harness.py): its planted defects are what they claim,
and a small end-to-end run meets the issue's precision/recall targets."""

from __future__ import annotations

import random
import re

import pytest
from bench_modules import load_benchmark

harness = load_benchmark("corruption_harness")


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[\W_]", "", w) for w in text.lower().split() if re.sub(r"[\W_]", "", w))


ROW = {"instruction": "Explain why regular exercise is important for people of every age.", "input": "",
       "output": ("Regular exercise keeps the heart strong and helps people manage their weight. It also improves "
                  "mood because the body releases endorphins during activity. Many doctors recommend at least "
                  "thirty minutes a day, and even a quick walk can make a big difference over time. Finally, "
                  "exercise helps older people keep their balance and reduce the risk of falls."),
       "category": "general"}


def test_exact_variants_normalize_to_the_original() -> None:
    for i in range(4):
        copy = harness.exact_variant(ROW, i)
        assert _norm(copy["instruction"] + " " + copy["output"]) == _norm(ROW["instruction"] + " " + ROW["output"])


def test_near_variants_differ_but_stay_close() -> None:
    rng = random.Random(0)
    for make in (harness.edit_variant, harness.reorder_variant, harness.synonym_variant):
        copy = make(ROW, rng)
        assert copy is not None
        original = _norm(ROW["instruction"] + " " + ROW["output"])
        changed = _norm(copy["instruction"] + " " + copy["output"])
        assert changed != original, make.__name__
        assert abs(len(changed.split()) - len(original.split())) <= 3


def test_truncation_leftover_and_language_swap() -> None:
    rng = random.Random(1)
    cuts = [harness.truncate(ROW, rng) for _ in range(30)]
    assert all(c is not None and ROW["output"].startswith(c["output"]) for c in cuts)
    assert all(c["output"][-1:] not in ".!?" and len(c["output"].split()) >= 2 for c in cuts)
    assert len({len(c["output"].split()) for c in cuts}) > 10  # anywhere, not only mid long sentences
    short = {**ROW, "output": "The capital of France is Paris."}
    assert {harness.truncate(short, rng)["output"] for _ in range(30)} <= {"The capital", "The capital of",
                                                                             "The capital of France",
                                                                             "The capital of France is"}
    listed = {**ROW, "output": "1. Apples\n2. Pears\n3. Plums"}
    assert harness.truncate(listed, rng) is not None and harness.truncation_kind(listed["output"]) == "list"
    assert harness.truncate({**ROW, "output": "```python\nprint(1)\n```"}, rng) is None
    left = [harness.leftover(ROW, rng, i) for i in range(6)]
    assert all(any(m in (r["instruction"] + r["output"]) for m in ("{", "|||")) for r in left)
    swapped = [harness.language_swap(ROW, i) for i in range(36)]
    assert {lang for _, lang in swapped} == set(harness.LANGUAGE_KINDS)
    assert any(len(row["output"]) < 60 for row, _ in swapped)  # short foreign answers too
    mixed = [row["output"] for row, lang in swapped if lang == "zh_mixed"]
    assert all(re.search(r"[()|]", t) and re.search(r"[A-Za-z]{2,}", t) for t in mixed)


def test_language_swaps_skip_only_translation_requests() -> None:
    assert harness._eligible_language({"instruction": "Hi", "input": ""})
    assert harness._eligible_language({"instruction": "Explain natural language processing.", "input": ""})
    assert not harness._eligible_language({"instruction": "Translate this sentence.", "input": "Good morning"})
    assert not harness._eligible_language({"instruction": "How do you say thank you in Japanese?", "input": ""})


def test_plant_keeps_every_clean_row_and_positions_are_right() -> None:
    clean, _ = harness.load_clean(120, 40, seed=0)
    counts = harness.default_counts(120, 40)
    corrupted = harness.plant(clean, counts, seed=0)
    copies = sum(1 for p in corrupted.planted if len(p.rows) == 2)
    assert len(corrupted.rows) == len(clean) + copies
    assert sorted(i for i in corrupted.base_position if i is not None) == list(range(len(clean)))
    victims = [r for p in corrupted.planted for r in p.rows]
    assert len(victims) == len(set(victims))  # one defect per row
    for p in corrupted.planted:
        if p.kind == "label_flip":
            row = corrupted.rows[p.rows[0]]
            assert row["output"] != clean[corrupted.base_position[p.rows[0]]]["output"]
        if p.kind == "exact_duplicate":
            a, b = (corrupted.rows[r] for r in p.rows)
            assert _norm(a["instruction"] + " " + a["output"]) == _norm(b["instruction"] + " " + b["output"])


def test_label_flips_do_not_depend_on_where_the_general_rows_came_from() -> None:
    labelled = [r for r in harness.load_clean(120, 40, seed=0)[0] if r["category"] != "general"]

    def flipped(general: list[dict[str, str]]) -> list[str]:
        rows = [{**r, "category": "general"} for r in general] + labelled
        corrupted = harness.plant(rows, harness.default_counts(len(general), len(labelled)), seed=0)
        return sorted(corrupted.rows[p.rows[0]]["input"] for p in corrupted.planted if p.kind == "label_flip")

    assert flipped(harness.generated_rows(120, seed=0)) == flipped(harness.generated_rows(150, seed=5))


def test_label_flips_stay_within_their_task() -> None:
    clean, _ = harness.load_clean(60, 80, seed=0)
    corrupted = harness.plant(clean, {**harness.default_counts(60, 80), "label_flip": 20}, seed=0)
    labels = {c: {r["output"] for r in clean if r["category"] == c} for c in ("sentiment", "topic")}
    for p in corrupted.planted:
        if p.kind == "label_flip":
            row = corrupted.rows[p.rows[0]]
            assert row["output"] in labels[row["category"]] and p.note == row["category"]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """~570 rows, embeddings on (model load + two audits on the 2-core CPU).

    General rows from ../shared when it is there (else generated), plus real SST-2 and AG News rows when
    they are there. 45 language swaps and 45 truncations (not the default 10 and 7): with few, one miss
    moves recall by 0.1 and a 0.9 target is a coin toss of which rows were drawn."""
    counts = {**harness.default_counts(360, 160), "language_swap": 45, "truncation": 45, "label_flip": 16}
    result = harness.run_harness(n_rows=360, n_reviews=160, seed=0, out_dir=tmp_path_factory.mktemp("harness"),
                                 counts=counts)
    print(harness.format_table(result))
    assert not result.missing_flags, result.missing_flags
    return result


def test_near_duplicates_are_all_found(small_run) -> None:
    caught, total = small_run.near_union
    assert total > 0 and caught / total >= 0.95


def test_minhash_near_duplicates_are_precise(small_run) -> None:
    score = small_run.score_of("near_duplicate_edit", "flag_near_duplicate")
    assert score is not None and score.precision >= 0.9


def test_near_duplicates_meet_the_precision_target_with_semantic_duplicates(small_run) -> None:
    assert small_run.target("near_duplicate")[1] >= 0.9


def test_exact_duplicates_and_template_leftovers_are_all_found(small_run) -> None:
    for defect in ("exact_duplicate", "template_leftover"):
        assert small_run.meets(defect), (defect, small_run.target(defect))


def test_planted_duplicate_pairs_raise_no_conflict(small_run) -> None:
    flagged, rows = small_run.conflicts_on_pairs
    assert rows > 0 and flagged == 0


def test_truncations_meet_targets(small_run) -> None:
    recall, precision = small_run.target("truncation")
    assert recall >= 0.9 and precision >= 0.95, (recall, precision)
    kinds = {name for name, _, _ in small_run.strata["truncation by response kind"]}
    assert kinds == {"list", "prose", "short"}


def test_language_swaps_meet_the_precision_target(small_run) -> None:
    assert small_run.target("language_swap")[1] >= 0.95


def test_language_swaps_meet_the_recall_target(small_run) -> None:
    assert small_run.target("language_swap")[0] >= 0.9


def test_label_flips_are_precise_where_flagged(small_run) -> None:
    """Real SST-2 and AG News rows: precision >= 0.8 wherever the signal flags (n/a when it abstains)."""
    precision = small_run.target("label_flip")[1]
    assert precision != precision or precision >= 0.8


@pytest.mark.xfail(reason="label_noise abstains on this run's small groups (fewer than 50 rows a class); on "
                          "2,000 real rows with 10 % flips (benchmarks/bench_label_noise.py) it finds AG News flips "
                          "at recall 0.38-0.42, precision 0.91 (627 rows), and abstains on SST-2: docs/benchmarks.md, "
                          "Label noise", strict=False)
def test_label_flips_meet_the_recall_target(small_run) -> None:
    assert small_run.target("label_flip")[0] >= 0.8
