"""Deterministic row selection shared by make.py (seed 777)."""
import json
import re
from pathlib import Path

import numpy as np

SEED = 777
SRC = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "instructions"
T45 = SRC / "alpaca_helpfulness_t45.json"
R9K = SRC / "alpaca_random_9k.json"

LANG_WORDS = re.compile(r"\b(translat\w*|language\w*|english|spanish|french|german|chinese|japanese|korean|russian|"
                        r"italian|portuguese|dutch|turkish|arabic|hindi|vietnamese|polish|latin|mandarin|foreign|"
                        r"bilingual|idiom\w*|pronounc\w*|grammar|grammatical\w*|spell\w*|synonym\w*|antonym\w*|"
                        r"rhyme\w*|word|words|sentence|sentences|alphabet\w*|letter|letters|vowel\w*|verb|verbs|noun|nouns|adjective\w*|adverb\w*|"
                        r"pun|puns|acronym\w*|haiku|poem|limerick|sonnet|tweet|hashtag\w*|slogan|rewrite|rephrase|paraphrase|edit|correct)\b", re.I)
TECH = re.compile(r"\b(code|program\w*|python|java\w*|function|algorithm\w*|sql|html|css|database|software|computer\w*|"
                  r"api|data|machine learning|neural|network\w*|server|cloud|array|string|loop|debug\w*|compile\w*|"
                  r"artificial intelligence|ai|gpt|internet|web\w*|encrypt\w*|blockchain|linux|git)\b", re.I)
ARTIFACT = re.compile(r"<[^>\n]{0,30}>|\{[^}\n]{0,30}\}|\[\[|\$\{|%s|noinput|\[insert|placeholder", re.I)
OUT_ARTIFACT = re.compile(r"\[[A-Za-z][a-zA-Z ]{0,25}\]|\{\{|\{[a-z_]+\}|<[a-z_ ]+>|#showname")
LIST_LINE = re.compile(r"^\s*(\d+[\.\)]|[-*•·])\s+\S")


def nwords(s):
    return len(s.split())


def is_list(out):
    lines = [line for line in out.split("\n") if line.strip()]
    return sum(1 for line in lines if LIST_LINE.match(line)) >= 3


def asciiish(s):
    return sum(ord(c) < 128 for c in s) >= 0.98 * max(1, len(s))


def load_base():
    a = json.loads(T45.read_text())
    b = json.loads(R9K.read_text())
    rng = np.random.default_rng(SEED)
    ridx = sorted(rng.choice(np.arange(6000, len(b)), size=1500, replace=False).tolist())
    rows = [dict(id=f"t{i}", **r) for i, r in enumerate(a)] + [dict(id=f"r{i}", **b[i]) for i in ridx]
    return rows, rng


def select(rows, rng):
    """Return dict defect -> list of ids (disjoint)."""
    used = set()
    byid = {r["id"]: r for r in rows}
    order = [rows[i]["id"] for i in rng.permutation(len(rows))]

    def take(pred, n):
        out = []
        for i in order:
            r = byid[i]
            if (i in used or ARTIFACT.search(r["instruction"] + " " + r["input"])
                    or OUT_ARTIFACT.search(r["output"]) or not pred(r)):
                continue
            out.append(i)
            used.add(i)
            if len(out) == n:
                break
        assert len(out) == n, (n, len(out))
        return out

    def swap_ok(r):
        txt = r["instruction"] + " " + r["input"]
        return (not LANG_WORDS.search(txt) and asciiish(txt + r["output"]) and nwords(r["output"]) >= 1
                and nwords(r["input"]) <= 60)

    sel = {}
    # language swap: 10 technical (for technical Chinese), rest stratified by instruction length
    zh_tech = take(lambda r: swap_ok(r) and TECH.search(r["instruction"] + " " + r["input"]) is not None, 10)
    bins = [(1, 5, 16), (6, 7, 16), (8, 10, 20), (11, 13, 16), (14, 18, 12), (19, 999, 10)]
    rest = []
    for lo, hi, n in bins:
        rest += take(lambda r, lo=lo, hi=hi: swap_ok(r) and lo <= nwords(r["instruction"]) <= hi, n)
    langs = (["zh"] * 20 + ["ja"] * 10 + ["ko"] * 8 + ["ru"] * 12 + ["es"] * 10 + ["fr"] * 10 + ["de"] * 8
             + ["pt", "pt", "it", "it", "nl", "nl", "tr", "tr", "ar", "hi", "vi", "pl"])
    langs = [langs[j] for j in rng.permutation(len(langs))]
    sel["language_swap"] = [(i, "zh", True) for i in zh_tech] + [(i, lang, False) for i, lang in zip(rest, langs, strict=True)]
    # truncation
    sel["trunc_short"] = take(lambda r: 4 <= nwords(r["output"]) < 25 and not is_list(r["output"]), 20)
    sel["trunc_list"] = take(lambda r: is_list(r["output"]) and nwords(r["output"]) >= 12, 15)
    sel["trunc_prose"] = take(lambda r: nwords(r["output"]) >= 25 and not is_list(r["output"]), 35)
    # leftovers: 14 with input, 16 any
    sel["left_input"] = take(lambda r: nwords(r["input"]) >= 3 and nwords(r["output"]) >= 3, 14)
    sel["left_any"] = take(lambda r: nwords(r["output"]) >= 3, 16)
    # exact-copy sources
    sel["copy_src"] = take(lambda r: nwords(r["instruction"]) >= 3 and nwords(r["output"]) >= 1, 50)
    return sel
