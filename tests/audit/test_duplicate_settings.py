"""Rows asked in different settings (system prompt, a chat's earlier turns) or about other numbers are not
duplicates of each other (exact, MinHash, semantic), nor conflicts; real copies still are."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from audit_tables import make_table

from ift_data.audit import dedup_exact
from ift_data.audit.base import AuditContext
from ift_data.audit.cleaner import run_clean
from ift_data.audit.consistency import ConsistencySignal
from ift_data.audit.dedup_exact import DedupExactSignal, exact_groups, setting_groups
from ift_data.audit.dedup_minhash import DedupMinhashSignal
from ift_data.audit.dedup_semantic import SemanticDedupSignal
from ift_data.audit.options import AuditOptions
from ift_data.audit.pair_keys import numbers_agree
from ift_data.audit.rules import load_rules
from ift_data.embed.knn import build_knn

OPTS = AuditOptions(embeddings=False, progress=False)
ESSAY = ("Write a short paragraph about why regular exercise matters for people who work at a desk all day, "
         "and give two practical suggestions they can follow during a normal working week.")
ANSWER = ("Sitting for long hours slows circulation and stiffens the back, so regular movement keeps the body "
          "and the mind working well. Take a short walk every hour, and use the stairs instead of the lift.")


def _table(rows: list[tuple[str, str, str, str, str]]) -> pl.DataFrame:
    """Rows of (instruction, input, response, system, context)."""
    table = make_table([r[:3] for r in rows])
    return table.with_columns(pl.Series("system", [r[3] for r in rows]), pl.Series("context", [r[4] for r in rows]))


def _flags(result, name: str) -> list[bool]:
    return pl.Series(result.flags[name]).to_list()


def test_setting_groups_compare_normalized_system_and_context(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [("Q", "", "A", "You are a pirate.", ""), ("Q", "", "A", "you are a  PIRATE", ""),
            ("Q", "", "A", "You are a butler.", ""), ("Q", "", "A", "", "user: Hi\nassistant: Hello"),
            ("Q", "", "A", "", "user: hi\nassistant: hello!"), ("Q", "", "A", "", "")]
    table = _table(rows)
    expected = [0, 0, 2, 3, 3, 5]
    assert setting_groups(table).tolist() == expected
    monkeypatch.setattr(dedup_exact, "key_hashes", lambda t, key, batch: np.zeros(t.height, dtype=np.uint64))
    assert setting_groups(table, batch_rows=2).tolist() == expected  # every hash collides: texts decide
    reversed_ids = table.with_columns(pl.Series("row_id", [50, 40, 30, 20, 10, 0]))
    assert setting_groups(reversed_ids).tolist() == [40, 40, 30, 10, 10, 0]  # the smallest row_id, not the first row
    single_turn = make_table([("Q1", "", "A1"), ("Q2", "", "A2")]).drop("system")
    assert setting_groups(single_turn).tolist() == setting_groups(make_table([("Q", "", "A")] * 2)).tolist() == [0, 0]


def test_exact_duplicates_and_prompt_groups_need_the_same_setting(ctx: AuditContext) -> None:
    greet = ("Greet the user and introduce yourself in one sentence.", "", "Hello there, a pleasure to meet you!")
    table = _table([(*greet, "You are a pirate.", ""), (*greet, "You are a formal butler.", ""),
                    (*greet, "YOU ARE A PIRATE", ""), (*greet, "", "user: Hi\nassistant: Hello"), (*greet, "", "")])
    result = DedupExactSignal().compute(table, ctx)
    assert _flags(result, "flag_exact_duplicate") == [False, False, True, False, False]
    groups = exact_groups(table)
    assert groups["dedup_exact_prompt_group"].to_list() == [0, 1, 0, 3, 4]
    assert groups["dedup_exact_response_group"].to_list() == [0, 0, 0, 0, 0]  # the same text, whatever the setting


def test_conflicts_need_the_same_setting(ctx: AuditContext) -> None:
    question = "Is it safe to swim right after eating a big lunch?"
    table = _table([(question, "", "Aye, swim away, matey.", "You are a pirate.", ""),
                    (question, "", "Certainly not, madam.", "You are a formal butler.", ""),
                    (question, "", "Yes, it is safe.", "", "user: Hi\nassistant: Hello"),
                    (question, "", "No, wait an hour.", "", "user: Hi\nassistant: Hello")])
    assert _flags(ConsistencySignal().compute(table, ctx), "flag_conflict") == [False, False, True, True]


def test_near_same_prompts_join_only_in_one_setting_with_numbers_that_agree(ctx: AuditContext) -> None:
    ctx.rules = {**ctx.rules, "consistency": {**ctx.rules["consistency"], "near_threshold": 0.7}}
    long = "Read the following paragraph about the water cycle carefully and then answer whether it mentions rain at all"
    table = _table([(long + " please.", "", "Yes", "", ""), (long + " now.", "", "No", "", ""),
                    (long + " please.", "", "Yes", "You are a pirate.", ""), (long + " now.", "", "No", "You are a cat.", ""),
                    (long + " in part 12.", "", "Yes", "", "user: Hi"), (long + " in part 13.", "", "No", "", "user: Hi")])
    assert _flags(ConsistencySignal().compute(table, ctx), "flag_conflict") == [True, True] + [False] * 4


def test_near_duplicates_need_the_same_setting(ctx: AuditContext) -> None:
    edited = ANSWER.replace("every hour", "every single hour")
    table = _table([(ESSAY, "", ANSWER, "", "user: Tell me about sport.\nassistant: Sure."),
                    (ESSAY, "", edited, "", "user: Tell me about food.\nassistant: Sure."),
                    (ESSAY, "", edited, "", "user: Tell me about SPORT.\nassistant:  Sure"),
                    (ESSAY, "", ANSWER, "Be brief.", ""), (ESSAY, "", edited, "Be very detailed.", "")])
    result = DedupMinhashSignal().compute(table, ctx)
    assert _flags(result, "flag_near_duplicate") == [False, False, True, False, False]
    assert result.columns["dedup_minhash_cluster"].to_list() == [0, None, 0, None, None]


def test_numbers_agree_when_one_rows_numbers_hold_the_others() -> None:
    table = make_table([
        ("Ben has 57 stickers and gets 42 more. How many now?", "", "57 + 42 = 99. Ben has 99 stickers."),
        ("Ben has 53 stickers and gets 44 more. How many now?", "", "53 + 44 = 97. Ben has 97 stickers."),
        ("Ben has 42 stickers and gets 57 more. How many now?", "", "42 + 57 = 99, so 99 stickers."),
        ("Ben has 57 stickers and gets 42 more. How many now? {0}", "", "57 + 42 = 99. Ben has 99 stickers."),
        ("Ben has 57 stickers and gets 42 more. How many now?", "", "57 + 42 = 98. Ben has 98 stickers."),
        ("Name a color.", "", "Blue."), ("Name a colour.", "", "Blue!")])
    left, right = np.array([0, 0, 0, 0, 5]), np.array([1, 2, 3, 4, 6])
    assert numbers_agree(table, left, right).tolist() == [False, True, True, False, True]
    assert numbers_agree(table, np.array([0]), np.array([4]), ("prompt",)).tolist() == [True]
    # only the answers' numbers count: two questions answered with one pasted passage are copies of one example
    passage = "In 1600 Gilbert wrote De Magnete; in 1752 Franklin flew his kite."
    pasted = make_table([("What happened in the 19th century?", "", passage),
                         ("What happened in the 17th and 18th centuries?", "", passage + " Later work followed.")])
    assert numbers_agree(pasted, np.array([0]), np.array([1])).tolist() == [True]


def _word_problems(n: int) -> list[tuple[str, str, str]]:
    """Long word problems from one template: only their numbers differ (and no two have the same numbers)."""
    rng = np.random.default_rng(1)
    rows, seen = [], set()
    for a, b, c in rng.integers([2, 2, 2], [100, 100, 10], size=(2 * n, 3)).tolist():
        if (min(a, b), max(a, b), c) in seen or len(rows) == n:
            continue
        seen.add((min(a, b), max(a, b), c))
        rows.append((
            "A small neighborhood bakery sells boxes of cupcakes to local schools and offices every week. On Monday "
            f"the bakery baked {a} cupcakes in the morning and another {b} cupcakes in the afternoon. The cupcakes "
            f"are packed into boxes of {c} each, and any cupcakes left over are given away to the staff. How many "
            "full boxes can the bakery fill on Monday, and how many cupcakes are given to the staff?", "",
            "First add the morning and afternoon batches together to find the total number of cupcakes baked on "
            f"Monday. The total is {a} + {b} = {a + b} cupcakes. Then divide the total by the box size to find how "
            f"many full boxes can be filled. {a + b} divided by {c} is {(a + b) // c} with a remainder of "
            f"{(a + b) % c}. So the bakery fills {(a + b) // c} full boxes and gives {(a + b) % c} cupcakes to the staff."))
    return rows


def test_word_problems_with_other_numbers_are_not_near_duplicates() -> None:
    table = make_table(_word_problems(200))
    on = AuditContext(rules=load_rules("default").values, seed=0)
    off = AuditContext(rules={**on.rules, "dedup_minhash": {**on.rules["dedup_minhash"], "same_numbers": False}})
    assert sum(_flags(DedupMinhashSignal().compute(table, off), "flag_near_duplicate")) > 0  # the template alone
    assert sum(_flags(DedupMinhashSignal().compute(table, on), "flag_near_duplicate")) == 0
    copy = make_table([*_word_problems(3), (_word_problems(1)[0][0].upper(), "", _word_problems(1)[0][2] + " Done.")])
    assert _flags(DedupMinhashSignal().compute(copy, on), "flag_near_duplicate") == [False] * 3 + [True]


def _semantic(table: pl.DataFrame, pairs: list[tuple[int, int]], rules: dict | None = None):
    """The semantic signals on vectors where each pair of ``pairs`` is at cosine ~0.999 (others far apart)."""
    x = np.random.default_rng(0).normal(size=(table.height, 32)).astype(np.float32)
    for a, b in pairs:
        x[b] = x[a] + 0.01
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    graph = build_knn(x, 2, method="flat")
    ctx = AuditContext(rules=rules or load_rules("default").values, knn=lambda: graph)
    return SemanticDedupSignal().compute(table, ctx), ConsistencySignal().compute(table, ctx)


def test_semantic_duplicates_need_the_same_setting_and_numbers() -> None:
    problems = _word_problems(2)
    table = _table([(*problems[0], "", ""), (*problems[1], "", ""),  # other numbers
                    (ESSAY, "", ANSWER, "You are a coach.", ""), (ESSAY, "", ANSWER + " Enjoy!", "You are a doctor.", ""),
                    (ESSAY, "", ANSWER, "", ""), (ESSAY.lower(), "", ANSWER + " Enjoy!", "", "")])  # a copy
    semantic, _ = _semantic(table, [(0, 1), (2, 3), (4, 5)])
    assert _flags(semantic, "flag_semantic_duplicate") == [False] * 5 + [True]
    assert semantic.summary["pairs_in_other_settings"] == 2 and semantic.summary["pairs_with_other_numbers"] == 2
    rules = load_rules("default").values
    off, _ = _semantic(table, [(0, 1), (2, 3), (4, 5)],
                       {**rules, "dedup_semantic": {**rules["dedup_semantic"], "same_numbers": False}})
    assert _flags(off, "flag_semantic_duplicate") == [False, True, False, False, False, True]


def test_a_short_answer_with_another_number_is_a_conflict_not_a_duplicate() -> None:
    table = make_table([("What is six times seven?", "", "42"), ("What is six times seven?", "", "43"),
                        ("Name the capital of France.", "", "Paris."), ("Name the capital of France.", "", "Paris!")])
    semantic, consistency = _semantic(table, [(0, 1), (2, 3)])
    assert _flags(semantic, "flag_semantic_duplicate") == [False, False, False, True]
    assert _flags(consistency, "flag_conflict") == [True, True, False, False]


def _lines(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _chat(topic: str, follow_up: str = "Thanks, that was really helpful!") -> dict:
    return {"messages": [
        {"role": "user", "content": f"Can you explain {topic} in detail for a student?"},
        {"role": "assistant", "content": f"Sure. Here is a detailed explanation of {topic}, covering the key ideas."},
        {"role": "user", "content": follow_up},
        {"role": "assistant", "content": "You're welcome! Let me know if you have any other questions."}]}


def test_clean_keeps_conversations_that_differ_only_in_earlier_turns(tmp_path: Path) -> None:
    topics = ["the French revolution", "photosynthesis", "chess openings", "how vaccines work"]
    copy = _chat("photosynthesis", "THANKS, that was really helpful")  # the same conversation, case and punctuation
    data = _lines(tmp_path / "chats.jsonl", [*map(_chat, topics), copy])
    result = run_clean([data], tmp_path / "out", OPTS)
    assert (result.rows_in, result.kept, result.rejected) == (5, 4, 1)
    [reject] = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    assert reject["reasons"] == ["flag_exact_duplicate"] and reject["representative_id"] == 1


def test_clean_keeps_rows_that_differ_only_in_their_system_prompt(tmp_path: Path) -> None:
    rows = [{"instruction": "Greet the user and introduce yourself in one sentence.", "input": "",
             "output": "Hello there, it is a pleasure to meet you today!", "system": system}
            for system in ("You are a pirate.", "You are a formal butler.", "You are a kindergarten teacher.",
                           "you are a pirate")]
    result = run_clean([_lines(tmp_path / "system.jsonl", rows)], tmp_path / "out", OPTS)
    assert (result.rows_in, result.kept, result.rejected) == (4, 3, 1)
