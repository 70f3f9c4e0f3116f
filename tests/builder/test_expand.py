"""Expansion: template assignment modes, options rendering, few-shot exemplars, provenance."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ift_data.builder.expand import DatasetExpander
from ift_data.builder.options import MARKER_STYLES, RANDOM_HEADERS
from ift_data.builder.recipe import ExpansionSpec, FewShotSpec
from ift_data.tasks.rows import TaskRow
from ift_data.templates.pack import TemplatePack, load_pack

LABELS = ("negative", "positive")
PACK = {
    "family": "mini", "description": "test", "slots": ["text", "label"],
    "templates": [
        {"id": "mini-fwd-01", "variant": "forward", "input": "Review: {{ text }}\nSentiment?{{ options }}",
         "target": "{{ answer }}"},
        {"id": "mini-fwd-02", "variant": "forward", "input": "{{ text }}\nPositive or negative?",
         "target": "{{ answer }}"},
        {"id": "mini-fwd-03", "variant": "forward", "input": "Text: {{ text }}\nIs it good?",
         "verbalizer": {"negative": "no", "positive": "yes"}, "target": "{{ answer }}"},
        {"id": "mini-fwd-04", "variant": "forward", "input": "Classify: {{ text }}{{ options }}",
         "target": "{{ answer }}"},
        {"id": "mini-inv-01", "variant": "inverted", "original_task": False,
         "input": "Write a {{ answer }} review.", "target": "{{ text }}"},
    ],
}


@pytest.fixture
def pack(tmp_path: Path, helpers) -> TemplatePack:
    return load_pack(helpers.write_yaml(tmp_path / "mini.yaml", PACK))


def rows(n: int, duplicate_of_first: int = 0) -> list[TaskRow]:
    out = [TaskRow({"text": f"review number {i} with words", "label": i % 2}, f"f.jsonl:{i + 1}", "f.jsonl", i + 1)
           for i in range(n)]
    for j in range(duplicate_of_first):  # rows equal to row 0 in every slot
        out.append(TaskRow(dict(out[0].slots), f"f.jsonl:{n + j + 1}", "f.jsonl", n + j + 1))
    return out


def expander(pack, data, seed=3, few_shot=None, **expansion) -> DatasetExpander:
    return DatasetExpander("mini_ds", "train", data, pack, LABELS, ExpansionSpec(**expansion),
                           few_shot or FewShotSpec(), seed)


def text(message) -> str:
    return message.content


# -- assignment -------------------------------------------------------------------------------------------

def test_round_robin_cycles_templates(pack) -> None:
    ex = expander(pack, rows(23))
    pairs = ex.assignments(0)
    assert [r for r, _ in pairs] == list(range(23))
    templates = [t for _, t in pairs]
    count = len(ex.templates)
    assert count == 5
    assert all(templates[i + 1] == (templates[i] + 1) % count for i in range(22))
    assert Counter(templates).most_common()[0][1] - Counter(templates).most_common()[-1][1] <= 1
    # a second pass gives each row the next template
    assert [t for _, t in ex.assignments(1)] == [(t + 1) % count for t in templates]


def test_variants_filter_templates(pack) -> None:
    assert [t.id for t in expander(pack, rows(2), variants=("forward",)).templates] == [
        "mini-fwd-01", "mini-fwd-02", "mini-fwd-03", "mini-fwd-04"]
    assert [t.id for t in expander(pack, rows(2), variants=("inverted",)).templates] == ["mini-inv-01"]


def test_random_assignment_is_seeded(pack) -> None:
    a = expander(pack, rows(200), assignment="random").assignments(0)
    assert a == expander(pack, rows(200), assignment="random").assignments(0)
    assert a != expander(pack, rows(200), seed=4, assignment="random").assignments(0)
    assert [r for r, _ in a] == list(range(200))
    assert set(Counter(t for _, t in a)) == set(range(5))


def test_all_assignment_gives_every_template(pack) -> None:
    pairs = expander(pack, rows(7), assignment="all").assignments(0)
    assert len(pairs) == 7 * 5
    assert sorted(pairs) == [(r, t) for r in range(7) for t in range(5)]


@pytest.mark.parametrize(("k", "per_row"), [(1, 1), (3, 3), (5, 5), (9, 5)])
def test_k_assignment(pack, k: int, per_row: int) -> None:
    pairs = expander(pack, rows(11), assignment="k", k=k).assignments(0)
    assert len(pairs) == 11 * per_row
    for row in range(11):
        chosen = [t for r, t in pairs if r == row]
        assert len(chosen) == len(set(chosen)) == per_row


# -- options -------------------------------------------------------------------------------------------

def render(ex: DatasetExpander, template_id: str, row: int = 1) -> tuple[str, str, list]:
    index = [t.id for t in ex.templates].index(template_id)
    example = ex.example(row, index)
    assert example is not None
    return text(example.prompt), text(example.target), list(example.prompt.segments)


def test_options_none(pack) -> None:
    prompt, target, _ = render(expander(pack, rows(3), options="none"), "mini-fwd-01")
    assert prompt == "Review: review number 1 with words\nSentiment?"
    assert target == "positive"


def test_options_fixed(pack) -> None:
    prompt, target, segments = render(expander(pack, rows(3), options="fixed"), "mini-fwd-01")
    assert prompt == "Review: review number 1 with words\nSentiment?\nOPTIONS:\n- negative\n- positive"
    assert target == "positive"
    assert [(s.text, s.kind) for s in segments] == [
        ("Review: ", "boilerplate"), ("review number 1 with words", "content"),
        ("\nSentiment?\nOPTIONS:\n- ", "boilerplate"), ("negative", "content"), ("\n- ", "boilerplate"),
        ("positive", "content")]


def test_options_random_headers_and_markers(pack) -> None:
    data = rows(60)
    ex = expander(pack, data, options="random", assignment="all")
    headers, styles = set(), set()
    for row in range(60):
        prompt, target, _ = render(ex, "mini-fwd-04", row)
        lines = prompt.split("\n")
        assert lines[0] == f"Classify: review number {row} with words"
        headers.add(lines[1])
        first, second = lines[2], lines[3]
        assert first.endswith(" negative") and second.endswith(" positive")
        marker = first[: -len(" negative")]
        styles.add(marker)
        assert target == LABELS[row % 2]  # option_target: text
    assert headers <= set(RANDOM_HEADERS) and len(headers) > 2
    assert styles <= {style(0) for style in MARKER_STYLES.values()} and len(styles) > 2


def test_option_target_marker(pack) -> None:
    ex = expander(pack, rows(60), options="random", option_target="marker", assignment="all")
    marker_targets = 0
    for row in range(60):
        prompt, target, _ = render(ex, "mini-fwd-04", row)
        lines = prompt.split("\n")
        option_line = lines[2 + row % 2]
        marker = option_line[: -len(LABELS[row % 2]) - 1]
        if marker == "-":  # dash markers cannot be answers: the target stays the text
            assert target == LABELS[row % 2]
        else:
            assert target == marker
            marker_targets += 1
    assert marker_targets > 10
    # a template without an options block keeps the text as target
    _, target, _ = render(ex, "mini-fwd-02", 5)
    assert target == "positive"


def test_verbalizer_answer(pack) -> None:
    _, target, _ = render(expander(pack, rows(3)), "mini-fwd-03", 2)
    assert target == "no"


def test_label_outside_choices_is_a_render_error(pack) -> None:
    from ift_data.templates.render import RenderError

    bad = [TaskRow({"text": "x", "label": 5}, "f:1", "f", 1)]
    with pytest.raises(RenderError, match="label index 5"):
        expander(pack, bad).example(0, 0)


# -- provenance --------------------------------------------------------------------------------------------

def test_provenance(pack) -> None:
    ex = expander(pack, rows(4))
    example = ex.example(2, 4)
    assert example is not None
    src = example.source
    assert (src.dataset, src.task, src.template, src.variant, src.shots, src.row, src.split) == (
        "mini_ds", "mini", "mini-inv-01", "inverted", 0, "f.jsonl:3", "train")
    assert text(example.prompt) == "Write a negative review."
    assert text(example.target) == "review number 2 with words"
    assert [s.role for s in example.target.segments] == ["assistant"]
    assert example.id == "mini_ds:2:mini-inv-01"


# -- few-shot -----------------------------------------------------------------------------------------------

def test_few_shot_never_uses_the_query_or_a_duplicate(pack) -> None:
    data = rows(6, duplicate_of_first=5)  # row 0 and rows 6..10 are identical
    ex = expander(pack, data, few_shot=FewShotSpec(share=1.0, k=3, max_chars=100_000, style="multi-turn"),
                  variants=("forward",))
    query_text = data[0].slots["text"]
    shots_seen = 0
    for template in range(len(ex.templates)):
        for query in [0, *range(6, 11)]:
            example = ex.example(query, template)
            assert example is not None
            shots = example.source.shots
            shots_seen += shots
            assert len(example.messages) == 2 * shots + 2
            for message in example.messages[:-2]:
                assert query_text not in message.content
            assert query_text in example.messages[-2].content
    assert shots_seen > 0


def test_few_shot_exemplars_are_other_rows_and_distinct(pack) -> None:
    data = rows(30)
    ex = expander(pack, data, few_shot=FewShotSpec(share=1.0, k=2, max_chars=100_000, style="multi-turn"),
                  variants=("forward",))
    for query in range(30):
        example = ex.example(query, 1)
        assert example is not None and example.source.shots == 2
        users = [m.content for m in example.messages[0:-2:2]]
        assert len(set(users)) == 2
        assert all(f"review number {query} with" not in u for u in users)
        assert example.source.shots == 2


def test_few_shot_character_budget(pack) -> None:
    data = rows(30)
    shortest = len("review number 1 with words\nPositive or negative?") + len("positive")
    longest = shortest + 1  # two-digit row numbers
    for budget, most in [(shortest - 1, 0), (2 * longest, 2), (3 * shortest - 1, 2), (10 * longest, 3)]:
        ex = expander(pack, data, few_shot=FewShotSpec(share=1.0, k=3, max_chars=budget, style="single-turn"),
                      variants=("forward",))
        shots = []
        for query in range(30):
            example = ex.example(query, 1)
            assert example is not None
            shots.append(example.source.shots)
            assert example.source.shots <= most
            prompt = text(example.prompt)
            query_input = f"review number {query} with words\nPositive or negative?"
            assert prompt.endswith(query_input)
            exemplar_text = prompt[: -len(query_input)]
            # exemplars: input, "\n", target, "\n\n" each; their input+target stay within the budget
            assert len(exemplar_text) - 3 * example.source.shots <= budget
            assert example.messages[-1].content == LABELS[query % 2]
        assert max(shots) == most


def test_few_shot_share(pack) -> None:
    ex = expander(pack, rows(400), few_shot=FewShotSpec(share=0.25, k=1, max_chars=10_000))
    few = sum(1 for r, t in ex.assignments(0) if ex.example(r, t).source.shots)
    assert 60 <= few <= 140


def test_zero_shot_when_share_is_zero(pack) -> None:
    ex = expander(pack, rows(20))
    assert all(ex.example(r, t).source.shots == 0 for r, t in ex.assignments(0))
