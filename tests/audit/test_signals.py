"""Each signal family on small hand-made tables, English and Chinese."""

from __future__ import annotations

import polars as pl
from audit_tables import make_table

from ift_data.audit.consistency import ConsistencySignal
from ift_data.audit.dedup_exact import DedupExactSignal
from ift_data.audit.dedup_minhash import DedupMinhashSignal
from ift_data.audit.difficulty import DifficultySignal
from ift_data.audit.format_concentration import FormatConcentrationSignal
from ift_data.audit.language import LanguageSignal
from ift_data.audit.length import LengthSignal, masking_recommendation
from ift_data.audit.noise import NoiseSignal

LONG_EN = ("The water cycle describes how water evaporates from the surface of the earth, rises into the "
           "atmosphere, cools and condenses into clouds, and falls again to the surface as precipitation.")
LONG_ZH = "水循环描述了水如何从地球表面蒸发，上升到大气中，冷却并凝结成云，然后以降水的形式再次落回地面。这个过程不断重复。"


def _flags(result, name):
    return list(pl.Series(result.flags[name]))


def test_length_counts_chinese_in_characters(ctx):
    table = make_table([("Translate the sentence.", "", "Hello world again"), ("解释水循环", "", "水循环很重要")])
    result = LengthSignal().compute(table, ctx)
    assert list(result.columns["length_instruction_words"]) == [3, 5]
    assert list(result.columns["length_response_words"]) == [3, 6]
    assert list(result.columns["length_response_chars"]) == [17, 6]
    assert abs(result.columns["length_ratio"][1] - 5 / 6) < 1e-9
    assert result.summary["unit"] == "words" and "masking" not in result.summary


def test_masking_recommendation_from_length_columns(ctx):
    """R over the dataset is mean(instruction + input) / mean(response), not a mean of row ratios."""
    table = make_table([("Translate the sentence.", "to French", "Bonjour"), ("解释水循环", "", "水循环很重要")])
    columns = pl.DataFrame(LengthSignal().compute(table, ctx).columns)
    rec = masking_recommendation(columns)
    assert rec is not None and rec.unit == "words" and rec.n_examples == 2
    assert rec.mean_instruction_length == (5 + 5) / 2 and rec.mean_response_length == (1 + 6) / 2
    assert rec.ratio == round(10 / 7, 6) and rec.mode == "instruction"
    assert masking_recommendation(pl.DataFrame({"row_id": [0]})) is None


def test_exact_duplicates_normalized(ctx):
    table = make_table([("Name a fruit.", "", "Apple"), ("name a FRUIT", "", "apple!"), ("Name a fruit.", "", "Pear"),
                        ("列出水果", "", "苹果"), ("列出水果。", "", "苹果")])
    result = DedupExactSignal().compute(table, ctx)
    assert _flags(result, "flag_exact_duplicate") == [False, True, False, False, True]
    assert list(result.columns["dedup_exact_cluster"]) == [0, 0, None, 3, 3]
    assert list(result.columns["dedup_exact_prompt_group"]) == [0, 0, 0, 3, 3]


def test_minhash_near_duplicates_english_and_chinese(ctx):
    edited = LONG_EN.replace("cools", "then cools")
    zh_edit = LONG_ZH.replace("不断", "一直")
    table = make_table([("Explain the water cycle.", "", LONG_EN), ("Describe something else entirely.", "", "Cats sleep a lot."),
                        ("Explain the water cycle.", "", edited), ("解释水循环", "", LONG_ZH), ("解释水循环", "", zh_edit)])
    result = DedupMinhashSignal().compute(table, ctx)
    assert _flags(result, "flag_near_duplicate") == [False, False, True, False, True]
    assert list(result.columns["dedup_minhash_cluster"]) == [0, None, 0, 3, 3]
    assert result.summary["clusters"] == 2


def test_language_mismatch_and_shares(ctx):
    en_q = "Please explain in a few sentences how the water cycle works on our planet and why it matters."
    table = make_table([(en_q, "", LONG_EN), (en_q, "", LONG_ZH), ("解释一下水循环是怎样运作的，以及它为什么重要。", "", LONG_ZH),
                        ("Translate the following text into Chinese: " + LONG_EN, "", LONG_ZH), ("Hi", "", "42")])
    result = LanguageSignal().compute(table, ctx)
    assert _flags(result, "flag_language_mismatch") == [False, True, False, False, False]
    assert list(result.columns["language_response"])[:3] == ["en", "zh", "zh"]  # ISO 639-1 (langdetect said zh-cn)
    assert list(result.columns["language_instruction"])[4] == "und"
    assert result.summary["instruction_shares"]["en"] == 0.6


def test_language_is_deterministic(ctx):
    table = make_table([("Écrivez une courte description de la ville de Paris et de ses monuments.", "",
                         "Paris est la capitale de la France, célèbre pour la tour Eiffel et le Louvre.")] * 3)
    a = LanguageSignal().compute(table, ctx).columns
    b = LanguageSignal().compute(table, ctx).columns
    assert list(a["language_response"]) == list(b["language_response"]) == ["fr"] * 3


def test_noise_flags(ctx):
    rows = [
        ("Explain gravity.", "", "As an AI language model, I cannot explain that."),
        ("Summarize {text}", "", "A summary."),
        ("", "", "Something"),
        ("Write code", "", "```python\nprint(1)\n"),
        ("Say it", "", "   "),
        ("Repeat after me", "", "Repeat after me"),
        ("Describe a cat.", "", "<div>A cat is a small animal</div>&nbsp;"),
        ("Give a link", "", "https://example.com/a/very/long/path"),
        ("Tell a story about the sea.", "", "Once upon a time there was a sailor who loved the sea more than anything "
                                           "and every morning he walked down to the harbour to look at the"),
        ("Write a sentence.", "", "bad\x00char"),
        ("List words.", "", " ".join(["spam eggs ham"] * 30) + "."),
        ("请总结这段文字", "", "这是一个正常的中文回答。"),
    ]
    result = NoiseSignal().compute(make_table(rows), ctx)
    expected = {"flag_refusal": 0, "flag_template_leftover": 1, "flag_empty_instruction": 2,
                "flag_unbalanced_code_fence": 3, "flag_empty_response": 4, "flag_repeats_instruction": 5,
                "flag_html_debris": 6, "flag_url_heavy": 7, "flag_truncated_response": 8, "flag_nonprintable": 9,
                "flag_repetition": 10}
    for flag, row in expected.items():
        assert [i for i, v in enumerate(_flags(result, flag)) if v] == [row], flag


def test_c1_control_characters_are_nonprintable(ctx):
    """cp1252 quotes and dashes read as Latin-1 ("It\x92s a \x93great\x94 idea") are C1 control characters."""
    rows = [("Write a note.", "", "It\x92s a \x93great\x94 idea \x96 let\x92s meet."),
            ("Write a note.", "", "It’s a “great” idea – let’s meet.")]
    assert _flags(NoiseSignal().compute(make_table(rows), ctx), "flag_nonprintable") == [True, False]


def test_consistency_conflicts(ctx):
    table = make_table([("Is the sky blue?", "", "Yes"), ("Is the sky blue?", "", "No"), ("Is grass green?", "", "Yes"),
                        ("Write a poem about the sea.", "", LONG_EN), ("Write a poem about the sea.", "", LONG_EN + " More."),
                        ("天空是蓝色的吗？", "", "是"), ("天空是蓝色的吗？", "", "不是")])
    result = ConsistencySignal().compute(table, ctx)
    assert _flags(result, "flag_conflict") == [True, True, False, False, False, True, True]
    assert result.summary["conflict_groups"] == 2 and result.summary["open_ended_variant_groups"] == 1


def test_difficulty_buckets(ctx):
    hard = ("Explain step by step why the algorithm must run in at most O(n log n) time, compare it with two "
            "alternatives, and justify your answer in exactly three paragraphs.\n1. Analyze the recurrence.\n"
            "2. Prove the bound.\n3. Then evaluate the trade-offs?")
    table = make_table([("Say hi.", "", "Hi"), (hard, "", "..."), ("请一步一步解释为什么这个算法必须在最多n log n时间内运行", "", "...")])
    result = DifficultySignal().compute(table, ctx)
    buckets = list(result.columns["difficulty_bucket"])
    assert buckets[0] == "easy" and buckets[1] == "hard"
    scores = list(result.columns["difficulty_score"])
    assert scores[0] < scores[2] < scores[1]


def test_format_concentration_warns(ctx):
    rows = [(f"Is {i} even?", "", "yes" if i % 2 == 0 else "no") for i in range(20)]
    rows += [("Write about cats.", "", "Cats are small, independent animals that people love.")] * 2
    result = FormatConcentrationSignal().compute(make_table(rows), ctx)
    assert result.summary["closed_set_share"] > 0.9
    assert result.summary["warnings"] and "general data" in result.summary["warnings"][0]
    free = FormatConcentrationSignal().compute(make_table(rows[-2:] * 5), ctx)
    assert not free.summary["warnings"]


def test_detector_tells_latin_languages_apart_deterministically():
    from ift_data.audit.lang_detect import Detector

    french = "Le chat est assis sur le tapis et il regarde les oiseaux dans le jardin pendant que la pluie tombe."
    german = "Der Hund ist nicht sehr alt, aber er läuft mit den Kindern jeden Morgen durch den Park und zurück."
    english = "Write a creative story about a pirate who finds a hidden treasure on a small island."
    first = Detector().detect_many([french, german, english] * 3)
    again = Detector().detect_many([english, german, french])
    assert [d.lang for d in first[:3]] == ["fr", "de", "en"]  # never Portuguese for English's "a"
    assert first[:3] == again[::-1]
