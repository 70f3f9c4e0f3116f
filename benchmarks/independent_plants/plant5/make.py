#!/usr/bin/env python3
"""Build the plant5 independent test set of planted defects in instruction data.

Usage (from /work/main):
    python benchmarks/independent_plants/plant5/make.py OUT          # build the set into OUT
    python benchmarks/independent_plants/plant5/make.py OUT select   # write OUT/langswap_todo.json

Deterministic: every random choice comes from random.Random seeded with a
string derived from SEED, so the output is byte-identical on every run.
"""
import json
import math
import os
import random
import re
import sys
from pathlib import Path

SEED = 5151
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/work/shared/data/instructions"
ALPACA_PATH = os.path.join(DATA, "alpaca_random_9k.json")
DOLLY_PATH = os.path.join(DATA, "dolly_3k.json")
ANSWERS_PATH = os.path.join(HERE, "langswap_answers.json")

ALPACA_RANGE = range(3000, 6000)
DOLLY_RANGE = range(0, 1500)
N_SAMPLE = {"alpaca": 1800, "dolly": 1200}
FILES = {"alpaca": "alpaca.jsonl", "dolly": "dolly.jsonl"}
PREFIX = {"alpaca": "a", "dolly": "d"}

# truncation quotas by shape (random rows within each shape stratum)
TRUNC_QUOTA = {
    "alpaca": {"short": 16, "prose": 22, "list": 14, "code": 8},   # 60
    "dolly": {"short": 12, "prose": 18, "list": 10, "code": 0},    # 40 (dolly has no code answers)
}
AFTER_ITEM = {"alpaca": 3, "dolly": 2}
LANG_QUOTA = {"alpaca": {"short": 12, "sentence": 12, "paragraph": 12},
              "dolly": {"short": 8, "sentence": 8, "paragraph": 8}}
N_LEFTOVER = {"alpaca": 12, "dolly": 8}
N_COPY = {"alpaca": 12, "dolly": 8}

LANGS = ([("Chinese", "zh")] * 10 + [("Japanese", "ja")] * 6 + [("Korean", "ko")] * 5
         + [("Russian", "ru")] * 6 + [("Spanish", "es")] * 7 + [("French", "fr")] * 6
         + [("German", "de")] * 6 + [("Portuguese", "pt")] * 4 + [("Italian", "it")] * 4
         + [("Dutch", "nl")] * 3 + [("Turkish", "tr"), ("Polish", "pl"), ("Vietnamese", "vi")])
assert len(LANGS) == 60


def rng_for(stage):
    return random.Random(f"{SEED}-{stage}")


def nwords(s):
    return len(s.split())


# ---------------------------------------------------------------- shapes
LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+", re.M)
CODE_HINT = re.compile(
    r"```|^\s*(def |class |import |#include|public |function |SELECT |for\s*\(|if\s*\(|return |print\(|<\w+>|\w+\s*=\s*[^=]+;?$)|[{};]\s*$",
    re.M)


def shape_of(out):
    if CODE_HINT.search(out) and len(re.findall(r"[{}();=<>]", out)) >= 4:
        return "code"
    if len(LIST_ITEM.findall(out)) >= 3:
        return "list"
    if nwords(out) <= 25:
        return "short"
    return "prose"


# generation bleed in the base data ("6. Instruction: ..." inside an output): never plant on it
LEAKED = re.compile(r"(?:^|\n)\s*(?:\d+\.\s*)?(?:Instruction|Input|Output):", re.M)

# a cut must not end exactly at the end of a complete sentence
SENT_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")


# ---------------------------------------------------------------- truncation
def _ok(text, kept):
    return nwords(kept) >= 3 and not SENT_END.search(kept) and len(kept) < len(text)


def _window(text):
    L = len(text)
    return math.ceil(0.25 * L), math.floor(0.90 * L)


def word_cuts(text, shape):
    lo, hi = _window(text)
    res = []
    for p in range(max(lo, 1), min(hi, len(text) - 1) + 1):
        if text[p - 1].isspace() or not text[p].isspace():
            continue
        if text[p] == "\n" and shape != "code":
            continue  # cut inside a line; line ends are the after_item mode
        kept = text[:p].rstrip()
        if _ok(text, kept):
            res.append(p)
    return res


def char_cuts(text):
    lo, hi = _window(text)
    res = []
    for p in range(max(lo, 1), hi + 1):
        kept = text[:p].rstrip()
        if _ok(text, kept) and "\n" not in text[len(kept):p + 1].strip(" \t"):
            res.append(p)
    return res


SUFFIXES = ["ation", "tion", "ment", "ness", "ing", "able", "ible", "ally", "ity", "ous",
            "ive", "ers", "ed", "er", "ly", "es"]


def subword_cuts(text, rng):
    lo, hi = _window(text)
    res = []
    for m in re.finditer(r"[A-Za-z]{7,}", text):
        w = m.group(0)
        splits = [len(w) - len(s) for s in SUFFIXES if w.endswith(s) and len(w) - len(s) >= 3]
        k = splits[0] if splits else None
        if k is None:
            k = 3 + (sum(map(ord, w)) % (len(w) - 5))  # deterministic inner split
        p = m.start() + k
        if lo <= p <= hi:
            kept = text[:p]
            if _ok(text, kept):
                res.append(p)
    return res


def after_item_cuts(text):
    lo, hi = _window(text)
    res = []
    lines = text.split("\n")
    pos = 0
    for i, line in enumerate(lines[:-1]):
        end = pos + len(line)
        rest = "\n".join(lines[i + 1:])
        if LIST_ITEM.match(line) and LIST_ITEM.search(rest) and lo <= end <= hi:
            kept = text[:end].rstrip()
            if nwords(kept) >= 3:
                res.append(end)
        pos = end + 1
    return res


def truncate(text, shape, mode, rng):
    """Return (kept, cut_mode, cause, mid_word) or None."""
    order = {"after_item": ["after_item", "word", "char"],
             "word": ["word", "char"], "subword": ["subword", "word", "char"],
             "char": ["char", "word"]}[mode]
    for m in order:
        if m == "after_item":
            cands = after_item_cuts(text)
        elif m == "word":
            cands = word_cuts(text, shape)
            if cands:
                r = rng.random()
                pref = None
                if r < 0.18:
                    pref = [p for p in cands if text[:p].rstrip().endswith(",")]
                elif r < 0.28:
                    pref = [p for p in cands if re.search(r"[)\]}\d]$", text[:p].rstrip())]
                if pref:
                    cands = pref
        elif m == "subword":
            cands = subword_cuts(text, rng)
        else:
            cands = char_cuts(text)
        if not cands:
            continue
        p = rng.choice(cands)
        kept = text[:p].rstrip()
        mid = p < len(text) and text[p - 1].isalnum() and text[p].isalnum()
        if m == "after_item":
            return kept, "after_item", "lost_tail", False
        if m == "subword":
            return kept, "char", "token_limit", True
        if m == "word":
            return kept, "word", ("lost_tail" if rng.random() < 0.2 else "token_limit"), False
        return kept, ("char" if mid else "word"), rng.choice(["char_limit", "broken_export"]), mid
    return None


# ---------------------------------------------------------------- language swap
LANG_EXCLUDE = re.compile(
    r"translat|language|english|spanish|french|german|chinese|japanese|latin|grammar|grammatic|"
    r"\bwords?\b|sentence|phrase|verb|noun|adjective|adverb|synonym|antonym|rhym|spell|pronoun|"
    r"vocabular|alphabet|letter|syllable|tense|plural|punctuat|capitaliz|acronym|abbreviat|"
    r"code|program|python|java|script|function|sql|html|css|algorithm|regex|software|"
    r"poem|haiku|slogan|pun\b|joke|riddle|tweet|headline|title|rewrite|paraphrase|edit|"
    r"define|definition|meaning|idiom|proverb|quote|lyrics|name\b|names\b|hashtag|text\b|"
    r"\bquery|coding|slang|reverse engineer|visual basic|string", re.I)


def alpha_ratio(out):
    toks = out.split()
    return sum(bool(re.search(r"[A-Za-z]{2,}", t)) for t in toks) / max(1, len(toks))


def lang_bucket(out):
    w = nwords(out)
    if w <= 8:
        return "short"
    sents = len(re.findall(r"[.!?](?:\s|$)", out.strip()))
    if w <= 45 and sents <= 2 and "\n" not in out.strip():
        return "sentence"
    if w > 45:
        return "paragraph"
    return None


# ---------------------------------------------------------------- placeholders
NATURAL_PH = re.compile(
    r"\{[^{}\n]{0,40}\}|\[[A-Za-z][^\]\n]{0,40}\]|<[A-Za-z][^<>\n]{0,30}>|%[sd]\b|\$\{|\{\{")

LEFTOVER_SPECS = [
    # (style, location)
    ("curly", "instruction"), ("double_curly", "input"), ("angle", "instruction"),
    ("square_insert", "output"), ("printf", "instruction"), ("dollar_brace", "input"),
    ("positional", "output"), ("percent_named", "instruction"), ("curly", "input"),
    ("double_curly", "instruction"), ("angle", "output"), ("square_insert", "instruction"),
    ("printf", "output"), ("dollar_brace", "instruction"), ("positional", "instruction"),
    ("curly", "output"), ("double_curly", "output"), ("angle", "input"),
    ("square_insert", "input"), ("percent_named", "output"),
]


def placeholder(style, slot):
    return {
        "curly": "{" + slot + "}",
        "double_curly": "{{ " + slot + " }}",
        "angle": f"<{slot.upper()}>",
        "square_insert": "[INSERT " + slot.upper().replace("_", " ") + "]",
        "printf": "%s",
        "dollar_brace": "${" + slot + "}",
        "positional": "{0}",
        "percent_named": "%(" + slot + ")s",
    }[style]


INSTR_TAIL = re.compile(
    r"\b(about|of|for|on|called|named|titled|in|from|between|with|to)\s+((?:[\w'\-,&]+\s*){1,6}?)([.?!:]?)\s*$")
PREP_SLOT = {"about": "topic", "on": "topic", "of": "subject", "for": "item", "called": "name",
             "named": "name", "titled": "title", "in": "place", "from": "source",
             "between": "items", "with": "item", "to": "target"}


def apply_leftover(row, style, loc, rng):
    """Return (new_row, slot) or None if this row cannot take this leftover."""
    r = dict(row)
    if loc == "instruction":
        ins = r["instruction"]
        if "\n" in ins.strip():
            return None
        m = INSTR_TAIL.search(ins.strip())
        if not m or nwords(m.group(2)) < 1:
            return None
        slot = PREP_SLOT[m.group(1)]
        s = ins.strip()
        r["instruction"] = s[:m.start(2)] + placeholder(style, slot) + m.group(3)
        return r, slot
    if loc == "input":
        if not r["input"].strip():
            return None
        slot = rng.choice(["text", "input", "context", "passage"])
        r["input"] = placeholder(style, slot)
        return r, slot
    # output: a proper name or a number inside the answer left as a slot
    out = r["output"]
    cands = []
    for m in re.finditer(r"(?<=[a-z,] )([A-Z][a-z]{2,}(?: [A-Z][a-z]+)*)|(?<= )(\d[\d,.]*\d|\d)(?=[ ,.])", out):
        before = out[:m.start()].split()
        if m.group(1) and not (before and re.fullmatch(r"[a-z]+,?", before[-1])):
            continue  # take a whole capitalised name, never the tail of one
        cands.append(m)
    if not cands:
        return None
    m = rng.choice(cands)
    slot = "name" if m.group(1) else "number"
    r["output"] = out[:m.start()] + placeholder(style, slot) + out[m.end():]
    return r, slot


# ---------------------------------------------------------------- copies
def mangle(ins, rng):
    case = rng.choice(["upper", "lower", "title", None])
    ws = rng.sample(["double_space", "trailing_ws", "leading_ws", "tab", "trailing_newline"],
                    rng.choice([0, 1, 1, 2]) if case else rng.choice([1, 2]))
    changes = []
    s = ins
    if case == "upper":
        s = s.upper()
    elif case == "lower":
        s = s.lower()
    elif case == "title":
        s = s.title()
    if case and s != ins:
        changes.append(case)
    for w in ws:
        if w == "double_space" and " " in s:
            idx = [i for i, c in enumerate(s) if c == " "]
            for i in sorted(rng.sample(idx, min(len(idx), rng.choice([1, 2, 3]))), reverse=True):
                s = s[:i] + "  " + s[i + 1:]
        elif w == "trailing_ws":
            s = s + rng.choice([" ", "  ", "   "])
        elif w == "leading_ws":
            s = rng.choice([" ", "  "]) + s
        elif w == "tab":
            s = s + "\t" if rng.random() < 0.5 else s.replace(" ", "\t", 1)
        elif w == "trailing_newline":
            s = s + "\n"
        else:
            continue
        changes.append(w)
    if s == ins:
        s = ins + " "
        changes = ["trailing_ws"]
    return s, changes


# ---------------------------------------------------------------- main
def load():
    a = json.loads(Path(ALPACA_PATH).read_text(encoding="utf-8"))
    d = json.loads(Path(DOLLY_PATH).read_text(encoding="utf-8"))
    base = {}
    for name, src, rng_ in (("alpaca", a, ALPACA_RANGE), ("dolly", d, DOLLY_RANGE)):
        idx = sorted(rng_for("sample-" + name).sample(list(rng_), N_SAMPLE[name]))
        rows = []
        for i in idx:
            r = src[i]
            rows.append({"id": f"{PREFIX[name]}{i}", "instruction": r["instruction"],
                         "input": r.get("input", "") or "", "output": r["output"]})
        unused = [i for i in rng_ if i not in set(idx)]
        base[name] = (rows, unused)
    return base


def select_truncation(base):
    plan = {}
    for name in ("alpaca", "dolly"):
        rng = rng_for("trunc-" + name)
        rows = base[name][0]
        chosen = []
        for shape, k in TRUNC_QUOTA[name].items():
            pool = [r for r in rows if nwords(r["output"]) >= 8 and shape_of(r["output"]) == shape]
            rng.shuffle(pool)
            got = 0
            for r in pool:
                if got == k:
                    break
                if LEAKED.search(r["output"]):
                    continue  # skipped at draw time so that the other draws stay put
                chosen.append((r, shape))
                got += 1
            assert got == k, (name, shape, got)
        list_rows = [i for i, (_, s) in enumerate(chosen) if s == "list"]
        after = set(rng.sample(list_rows, AFTER_ITEM[name]))
        for i, (r, shape) in enumerate(chosen):
            if i in after:
                mode = "after_item"
            else:
                x = rng.random()
                mode = "word" if x < 0.58 else ("subword" if x < 0.72 else "char")
            res = truncate(r["output"], shape, mode, rng)
            assert res is not None, r["id"]
            kept, cut_mode, cause, mid = res
            plan[r["id"]] = {
                "output": kept,
                "truth": {"defect": "truncation", "shape": shape, "cut_mode": cut_mode,
                          "cause": cause, "mid_word": mid,
                          "original_words": nwords(r["output"]), "kept_words": nwords(kept),
                          "original_chars": len(r["output"]), "kept_chars": len(kept)},
            }
    return plan


def select_langswap(base, taken):
    todo = []
    langs = list(LANGS)
    rng_for("lang-assign").shuffle(langs)
    for name in ("alpaca", "dolly"):
        rng = rng_for("lang-" + name)
        rows = [r for r in base[name][0] if r["id"] not in taken]
        for bucket, k in LANG_QUOTA[name].items():
            pool = [r for r in rows
                    if r["output"].strip()
                    and not LANG_EXCLUDE.search(r["instruction"] + " " + r["input"])
                    and len(r["input"]) <= 1500 and nwords(r["output"]) <= 220
                    and shape_of(r["output"]) != "code"
                    and not NATURAL_PH.search(r["output"])
                    and not re.search(r"programming language", r["output"], re.I)
                    and not re.search(r"password", r["instruction"], re.I)
                    and alpha_ratio(r["output"]) >= 0.6
                    and lang_bucket(r["output"]) == bucket]
            todo.extend({"id": r["id"], "file": FILES[name], "length": bucket,
                         "instruction": r["instruction"], "input": r["input"],
                         "original_output": r["output"]} for r in rng.sample(pool, k))
    for t, (lang, code) in zip(todo, langs, strict=False):
        t["language"], t["language_code"] = lang, code
    return todo


def select_leftovers(base, taken):
    plan = {}
    specs = list(LEFTOVER_SPECS)
    rng = rng_for("leftover")
    rng.shuffle(specs)
    split = {"alpaca": specs[:N_LEFTOVER["alpaca"]], "dolly": specs[N_LEFTOVER["alpaca"]:]}
    for name in ("alpaca", "dolly"):
        rows = [r for r in base[name][0] if r["id"] not in taken and r["output"].strip()
                and not any(NATURAL_PH.search(r[k]) or re.search(r"[{}\[\]<>%$]", r[k])
                            for k in ("instruction", "input", "output"))]
        rng.shuffle(rows)
        used = set()
        for style, loc in split[name]:
            for r in rows:
                if r["id"] in used:
                    continue
                res = apply_leftover(r, style, loc, rng)
                if res:
                    new, slot = res
                    used.add(r["id"])
                    plan[r["id"]] = {"row": new, "truth": {
                        "defect": "leftover", "style": style, "location": loc,
                        "placeholder": placeholder(style, slot)}}
                    break
            else:
                raise AssertionError((name, style, loc))
    return plan


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    base = load()
    trunc = select_truncation(base)
    todo = select_langswap(base, set(trunc))
    if len(sys.argv) > 2 and sys.argv[2] == "select":
        with open(os.path.join(out_dir, "langswap_todo.json"), "w", encoding="utf-8") as f:
            json.dump(todo, f, ensure_ascii=False, indent=1)
        print(f"wrote {len(todo)} todo rows")
        return
    answers = json.loads(Path(ANSWERS_PATH).read_text(encoding="utf-8"))
    lang = {}
    for t in todo:
        a = answers[t["id"]]
        assert a["language_code"] == t["language_code"] and a["output"].strip(), t["id"]
        lang[t["id"]] = {"output": a["output"], "truth": {
            "defect": "language_swap", "language": t["language"],
            "language_code": t["language_code"], "length": a.get("length", t["length"])}}
    assert len(lang) == 60
    taken = set(trunc) | set(lang)
    left = select_leftovers(base, taken)
    taken |= set(left)

    truth = {}
    files = {}
    for name in ("alpaca", "dolly"):
        rows, unused = base[name]
        final = []
        for r in rows:
            rid = r["id"]
            if rid in trunc:
                nr = dict(r, output=trunc[rid]["output"])
                truth[rid] = trunc[rid]["truth"]
            elif rid in lang:
                nr = dict(r, output=lang[rid]["output"])
                truth[rid] = lang[rid]["truth"]
            elif rid in left:
                nr = left[rid]["row"]
                truth[rid] = left[rid]["truth"]
            else:
                nr = dict(r)
                truth[rid] = {"defect": "clean"}
            final.append(nr)
        # exact copies of clean rows, with case/whitespace mangling of the instruction
        rng = rng_for("copy-" + name)
        clean = [r for r in final if truth[r["id"]]["defect"] == "clean" and r["output"].strip()
                 and nwords(r["instruction"]) >= 3]
        originals = rng.sample(clean, N_COPY[name])
        new_ids = rng.sample(unused, N_COPY[name])
        for orig, ni in zip(originals, new_ids, strict=False):
            nid = f"{PREFIX[name]}{ni}"
            ins, changes = mangle(orig["instruction"], rng)
            final.append({"id": nid, "instruction": ins, "input": orig["input"],
                          "output": orig["output"]})
            truth[nid] = {"defect": "exact_copy", "copy_of": orig["id"], "changes": changes}
        for r in final:
            t = truth[r["id"]]
            if t["defect"] != "leftover" and any(NATURAL_PH.search(r[k]) for k in ("instruction", "input", "output")):
                t["natural_placeholder_like"] = True
        rng_for("shuffle-" + name).shuffle(final)
        files[name] = final

    ids = [r["id"] for n in files for r in files[n]]
    assert len(ids) == len(set(ids))
    for name in ("alpaca", "dolly"):
        with open(os.path.join(out_dir, FILES[name]), "w", encoding="utf-8", newline="\n") as f:
            for r in files[name]:
                f.write(json.dumps({"id": r["id"], "instruction": r["instruction"],
                                    "input": r["input"], "output": r["output"]},
                                   ensure_ascii=False) + "\n")
    with open(os.path.join(out_dir, "truth.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for name in ("alpaca", "dolly"):
            for r in files[name]:
                rec = {"id": r["id"], "file": FILES[name]}
                rec.update(truth[r["id"]])
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print("wrote", out_dir)


if __name__ == "__main__":
    main()
