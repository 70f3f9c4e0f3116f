"""The noise signal's shortcuts give the answers of the plain regexes they stand in for (issue 12)."""

from __future__ import annotations

import random
import re
from collections import Counter

import polars as pl
import pytest

from ift_data.audit.noise import _JINJA, _contains_template, repetition_ratio
from ift_data.audit.text import ngrams, units
from ift_data.audit.truncation import _CODE_LINE, _SENTENCE_SPLIT, _code_line, looks_like_code

LINES = ["def f(x):", "  return x;", "x = 1", "print(x)", "print(x) ", "The end (really)", "He said (so)",
         "<div class='a'>", "  <p>", "if a > b {", "}", "for item in items", "Form an idea.", "formula(1)",
         "Call f(x) now", "a.b = c", "a.b =", "SELECT * FROM t", "select * from t", "x\u00a0;\u00a0", "ab(",
         "é(ü)", "(x)", "_(y)", "value  =  42", "async def g():", "else", "elsewhere", "#include <x>", "<>",
         "", "   ", "word(s) and more)", "f(\u2028)"]


def _random_lines(count: int) -> list[str]:
    rng = random.Random(7)
    alphabet = "ab (){};=<>._ \t\u00a0é1"
    return [''.join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(count)]


def test_code_line_matches_the_full_pattern() -> None:
    for line in LINES + _random_lines(3000):
        line = line.splitlines()[0] if line.splitlines() else line
        assert _code_line(line) == bool(_CODE_LINE.search(line)), repr(line)


def test_one_line_code_is_still_code() -> None:
    assert looks_like_code("x = f(y);")
    assert looks_like_code("if (a) {")
    assert not looks_like_code("Eat well; sleep more.")
    assert looks_like_code("int main() {\n  return 0;\n}")


def test_sentence_split_order_of_lookbehinds_does_not_matter() -> None:
    old = re.compile(r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bvs\.)(?<!\betc\.)"
                     r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bJr\.)(?<!\bSr\.)(?<!\bNo\.)(?<!\b[A-Z]\.)"
                     r"(?<=[.!?。！？])[\"'”’)\]]*\s+")
    text = ('Mr. Smith met Dr. Who. He left! "Why?" she asked. E.g. this, i.e. that. A. B. Jones wrote it. '
            "It works (mostly.) Next.  Done。好的！ End")
    assert _SENTENCE_SPLIT.split(text) == old.split(text)


def _reference_repetition(text: str, n: int, min_units: int) -> float:
    toks = units(text.lower())
    if len(toks) < min_units:
        return 0.0
    grams = Counter(ngrams(toks, n))
    total = sum(grams.values())
    return (total - len(grams)) / total if total else 0.0


def test_repetition_ratio_counts_like_a_counter() -> None:
    rng = random.Random(3)
    words = ["the", "cat", "sat", "on", "mat", "猫", "A", "b."]
    for _ in range(300):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 60)))
        for n, min_units in ((3, 30), (2, 0), (1, 5), (5, 2)):
            assert repetition_ratio(text, n, min_units) == _reference_repetition(text, n, min_units)


def test_template_prefilter_finds_what_the_pattern_finds() -> None:
    markers = r"\[INST\]|<\|im_start\|>"
    pattern = "|".join([_JINJA, markers])
    texts = ["Hello {{ name }}!", "x^{2}} and {a}", "{% if x %}", "plain text", "<<SYS>> hi", "[INST] do it",
             "<|im_start|>user", "{{", "<< not a tag >>", "dict = {{'a': 1}}", None, ""]
    prose = pl.Series("p", texts, dtype=pl.String)
    expected = prose.str.contains(pattern)
    assert _contains_template(prose, pattern, markers).to_list() == expected.to_list()
    assert _contains_template(prose, pattern, markers).sum() >= 4


def test_noise_in_row_slices_equals_one_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    from ift_data.audit import noise
    from ift_data.audit.base import AuditContext
    from ift_data.audit.rules import load_rules

    responses = ["Hello {{ user }}!", "I'm sorry, but I cannot help with that.", "See https://x.org/a for more.",
                 "The list:\n1. One\n2.", "It was the best of", "ok", "", "Bad \u200b char", "<div>x</div>",
                 "word " * 40, "Name five animals: cat, dog", "Fine. Done."] * 3
    table = pl.DataFrame({"instruction": [f"Task {i}" for i in range(len(responses))],
                          "input": [""] * len(responses), "response": responses,
                          "source_file": ["a.json"] * 20 + ["b.json"] * (len(responses) - 20)})
    ctx = AuditContext(rules=load_rules(None).values)
    whole = noise.NoiseSignal().compute(table, ctx)
    monkeypatch.setattr(noise, "ROW_CHUNK", 7)
    sliced = noise.NoiseSignal().compute(table, ctx)
    assert whole.summary == sliced.summary
    for name, values in whole.flags.items():
        assert pl.Series(values).to_list() == pl.Series(sliced.flags[name]).to_list(), name
    for name, values in whole.columns.items():
        assert pl.Series(values).to_list() == pl.Series(sliced.columns[name]).to_list(), name
    assert sum(pl.Series(v).sum() for v in whole.flags.values()) >= 5
