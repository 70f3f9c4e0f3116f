"""The language and noise signals in two phases (audit/row_phase.py): per-row features on any batch of
rows, then the dataset-level decision. A row whose prompt is too short to tell waits for the dataset's
usual prompt language (``Pending``); a bare end is a cut only in a file that ends its prose with
punctuation. Split into batches, gathered and finalized, the results are the whole table's."""

from __future__ import annotations

import polars as pl
import pytest
from test_language import ENGLISH, FRENCH, GERMAN, NOT_SWAPS, RUSSIAN, SPANISH, SWAPS

from ift_data.audit.base import AuditContext, SignalResult
from ift_data.audit.lang_detect import UND, Detector
from ift_data.audit.language import LanguageSignal, _mismatch_rule, _script_change_branch, pending
from ift_data.audit.noise import NoiseSignal

SHORT = ["Hi", "Ok.", "Why?", "Name a fruit.", "Go on", "Tell me", "Explain.", "Bitte", "Merci", "Danke schön",
         "Summarize:"]
RESPONSES = [GERMAN, FRENCH, SPANISH, ENGLISH, RUSSIAN, "La lectura abre la mente y enriquece el vocabulario.",
             "Der Hund schläft im Garten und die Katze spielt mit einem Ball."]
PRIORS = [{}, {"latin": "en"}, {"latin": "de"}, {"latin": "es"}, {"latin": "fr"}, {"latin": "pt"}, {"latin": "it"},
          {"cyrillic": "ru"}, {"latin": "nl", "cyrillic": "uk"}]


def test_a_waiting_row_is_decided_as_judge_decides_it_under_any_prior(ctx: AuditContext) -> None:
    judge, detect = _mismatch_rule(ctx), Detector()
    instructions = SHORT + [row[0] for row in SWAPS + NOT_SWAPS]
    responses = RESPONSES + [row[2] for row in SWAPS + NOT_SWAPS]
    waiting = depends = 0
    for instruction in instructions:
        for input_text in ("", "Der Hund schläft im Garten.", ENGLISH):
            for response in responses:
                inst, resp = detect(instruction), detect(response)
                inp = detect(input_text) if input_text else None
                if inst.lang != UND or resp.lang == UND or not resp.prose or _script_change_branch(inst, resp):
                    continue  # judged at once, in the per-row phase
                parts = pending(judge, instruction, input_text, inst, inp, resp, response)
                expected = [judge.judge(instruction, input_text, inst, inp, resp, prior, response) for prior in PRIORS]
                assert [parts.decide(prior, resp.lang) for prior in PRIORS] == expected, (instruction, response)
                waiting += 1
                depends += len(set(expected)) > 1
    assert waiting >= 300 and depends >= 200  # the prior decides most of them


def _in_batches(signal: LanguageSignal | NoiseSignal, table: pl.DataFrame, ctx: AuditContext,
                size: int) -> SignalResult:
    parts = [signal.row_features(table.slice(start, size), ctx) for start in range(0, table.height, size)]
    return signal.finalize(pl.concat(parts, how="vertical_relaxed"), table, ctx)


def _same(a: SignalResult, b: SignalResult) -> None:
    assert a.summary == b.summary
    assert list(a.columns) == list(b.columns) and list(a.flags) == list(b.flags)
    for name in a.columns:
        assert pl.Series(a.columns[name]).equals(pl.Series(b.columns[name])), name
    for name in a.flags:
        assert pl.Series(a.flags[name]).equals(pl.Series(b.flags[name])), name


def test_language_in_batches_takes_the_whole_tables_usual_prompt_language(ctx: AuditContext) -> None:
    german = ("Erkläre bitte ausführlich, warum regelmäßige Bewegung für die Gesundheit wichtig ist.", "", GERMAN)
    short = [(s, "", r) for s in SHORT for r in (GERMAN, ENGLISH, SPANISH)]
    rows = [german] * 30 + short + [(s, "", r) for s, _, r in SWAPS]
    table = pl.DataFrame({"instruction": [r[0] for r in rows], "input": [r[1] for r in rows],
                          "response": [r[2] for r in rows]})
    whole = LanguageSignal().compute(table, ctx)
    for size in (1, 7, 40):
        _same(_in_batches(LanguageSignal(), table, ctx, size), whole)
    # the short prompts alone have no usual language: judged on their own they come out otherwise
    alone = LanguageSignal().compute(table.slice(30, len(short)), ctx)
    flags = pl.Series(whole.flags["flag_language_mismatch"])
    assert pl.Series(alone.flags["flag_language_mismatch"]).to_list() != flags.slice(30, len(short)).to_list()
    assert whole.summary["texts_detected"] == len(set(table["instruction"]) | set(table["response"]))


@pytest.mark.parametrize("size", [1, 5, 23])
def test_noise_in_batches_judges_bare_ends_by_the_whole_file(ctx: AuditContext, size: int) -> None:
    punctuated = [f"Step {i} is done. The result is written to the log file for review." for i in range(60)]
    bare = ["The committee met on Tuesday. It decided to postpone the vote until the"
            " members had read the report and the budget"]
    dropped = [f"Rivers carry water to the sea. They shape the valleys they run through {i}" for i in range(60)]
    responses = punctuated + bare + dropped + bare
    files = ["a.json"] * 61 + ["b.json"] * 61
    table = pl.DataFrame({"instruction": ["Describe it."] * len(responses), "input": [""] * len(responses),
                          "response": responses, "source_file": files})
    whole = NoiseSignal().compute(table, ctx)
    _same(_in_batches(NoiseSignal(), table, ctx, size), whole)
    reasons = pl.Series(whole.columns["noise_truncation_reason"])
    assert reasons[60] == "bare_end" and reasons[121] is None  # file a ends its prose with punctuation, b does not
    files_summary = whole.summary["truncation"]["files"]
    assert files_summary["a.json"]["bare_end_flagged"] and not files_summary["b.json"]["bare_end_flagged"]


def test_a_list_under_a_prompt_too_short_for_any_guess_waits_for_the_usual_language(ctx: AuditContext) -> None:
    """fastText cannot even guess the language of "Name the ingredients of kimchi." (top 0.13): a comma list
    whose words say Italian is judged against the dataset's usual prompt language."""
    english = ("Explain why regular exercise is important for your health and your mood.", "", ENGLISH)
    german = ("Erkläre bitte ausführlich, warum regelmäßige Bewegung für die Gesundheit wichtig ist.", "", GERMAN)
    short = [("Name the ingredients of kimchi.", "", "Zanahorie, patate e cipolle."),
             ("Ingredients for gazpacho", "", "Äpfel, Birnen und Bananen."),
             ("Name the ingredients of kimchi.", "", "Carrots, potatoes and onions.")]
    for usual, flagged in ((english, [True, True, False]), (german, [True, False, False])):
        rows = [usual] * 30 + short
        table = pl.DataFrame({"instruction": [r[0] for r in rows], "input": [r[1] for r in rows],
                              "response": [r[2] for r in rows]})
        whole = LanguageSignal().compute(table, ctx)
        assert pl.Series(whole.flags["flag_language_mismatch"]).to_list()[30:] == flagged
        for size in (1, 4):
            _same(_in_batches(LanguageSignal(), table, ctx, size), whole)
    alone = LanguageSignal().compute(pl.DataFrame({"instruction": [r[0] for r in short], "input": [""] * 3,
                                                   "response": [r[2] for r in short]}), ctx)
    assert not any(alone.flags["flag_language_mismatch"])  # no usual language to judge by
