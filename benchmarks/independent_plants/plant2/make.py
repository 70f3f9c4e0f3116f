"""Build OUT/planted.jsonl + OUT/truth.jsonl.  Seed 777, fully reproducible.
Run:  python benchmarks/independent_plants/plant2/make.py OUT
"""
import argparse
import collections
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
_parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_parser.add_argument("out", type=Path, help="folder for planted.jsonl + truth.jsonl")
OUT = _parser.parse_args().out
sys.path.insert(0, HERE)
import plantsel as S  # noqa: E402 - found through the sys.path entry above
from swap_answers import A as SWAP  # noqa: E402

rows, rng = S.load_base()
sel = S.select(rows, rng)
byid = {r["id"]: r for r in rows}
truth = {r["id"]: {"id": r["id"], "defect": "clean"} for r in rows}

# natural (pre-existing) issues in the base data, annotated but NOT counted as planted defects
_groups = collections.defaultdict(list)
for r in rows:
    _groups[(r["instruction"], r["input"], r["output"])].append(r["id"])
for ids in _groups.values():
    if len(ids) > 1:  # t45 is a subset of Alpaca, so some sampled 9k rows repeat a t45 row verbatim
        for i in ids:
            truth[i]["natural_dup_of"] = [j for j in ids if j != i]
for r in rows:
    if S.ARTIFACT.search(r["instruction"] + " " + r["input"]) or S.OUT_ARTIFACT.search(r["output"]):
        truth[r["id"]]["natural_placeholder_like"] = True

# ------------------------------------------------------------------ 1. language swap
for i, lang, tech in sel["language_swap"]:
    l2, cls, text = SWAP[i]
    assert l2 == lang, (i, lang, l2)
    byid[i]["output"] = text
    truth[i].update(defect="language_swap", language=lang, answer_length=cls, technical=bool(tech))

# ------------------------------------------------------------------ 2. truncation
SENT_END = re.compile(r"[.!?。！？:;]\s*$")


OPEN_CH = re.compile(r"(?:(?<=\s)|^)[\"“(\[']")


def word_spans(s):
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", s)]


def min_cut(s, k=3):
    sp = word_spans(s)
    return sp[k - 1][1]  # end of 3rd word


def trunc(out, mode, listy):
    s = out.rstrip()
    sp = word_spans(s)
    lo = min_cut(s)
    hi = len(s) - 2  # remove at least two characters
    if listy:
        # start of the 2nd list item -> cut strictly inside the list
        starts = [m.start() for m in re.finditer(r"(?m)^\s*(\d+[\.\)]|[-*•])\s+", s)]
        if len(starts) >= 2:
            lo = max(lo, starts[1] + 3)
    if hi <= lo:
        hi = len(s) - 1
    for _ in range(200):
        if mode == "open":
            cands = [m.end() for m in OPEN_CH.finditer(s) if lo <= m.end() <= hi]
            if not cands:
                mode = "char"
                continue
            p = int(rng.choice(cands))
        elif mode == "word":
            cands = [e for (b, e) in sp if lo <= e <= hi]
            if not cands:
                mode = "char"
                continue
            p = int(rng.choice(cands))
        else:
            p = int(rng.integers(lo, hi + 1))
        cut = s[:p].rstrip(" \t") if mode != "open" else s[:p]
        if len(cut.split()) < 3:
            continue
        if mode != "open" and SENT_END.search(cut):
            continue  # would look like a natural end; pick again
        if cut.endswith("\n") or cut == s:
            continue
        return cut, mode
    raise RuntimeError(out)


def pick_mode(listy):
    u = rng.random()
    if listy:
        return "char" if u < 0.6 else "word"
    return "char" if u < 0.68 else "word"


def has_open(out):
    s = out.rstrip()
    lo = min_cut(s)
    return any(lo <= m.end() <= len(s) - 2 for m in OPEN_CH.finditer(s))


# 7 prose rows (where possible) are cut right after an opening quote/parenthesis
prose_ids = sel["trunc_short"] + sel["trunc_prose"]
open_pool = [i for i in prose_ids if has_open(byid[i]["output"])]
open_ids = set(rng.choice(open_pool, size=min(7, len(open_pool)), replace=False).tolist())

for group, listy in (("trunc_short", False), ("trunc_prose", False), ("trunc_list", True)):
    for i in sel[group]:
        r = byid[i]
        ow = len(r["output"].split())
        cut, mode = trunc(r["output"], "open" if i in open_ids else pick_mode(listy), listy)
        r["output"] = cut
        truth[i].update(defect="truncation", original_words=ow, shape="list" if listy else "prose")
        truth[i]["cut"] = mode
        truth[i]["kept_words"] = len(cut.split())
        truth[i]["short_original"] = ow < 25

# ------------------------------------------------------------------ 4. template leftovers
PLAN_INPUT = [("{input}", "input"), ("{input}", "input"), ("{input}", "instruction"),
              ("{{ text }}", "input"), ("{{ text }}", "input"),
              ("<PLACEHOLDER>", "input"),
              ("[INSERT TEXT]", "input"), ("[INSERT TEXT]", "input"),
              ("<<<context>>>", "input"), ("<<<context>>>", "input"), ("<<<context>>>", "instruction"),
              ("{0}", "input"), ("{0}", "input"), ("{0}", "instruction")]
PLAN_ANY = [("{instruction}", "instruction"), ("{instruction}", "instruction"), ("{instruction}", "instruction"),
            ("<PLACEHOLDER>", "output"), ("<PLACEHOLDER>", "instruction"),
            ("{{question}}", "instruction"), ("{{question}}", "instruction"), ("{{question}}", "instruction"),
            ("%s", "instruction"), ("%s", "instruction"), ("%s", "output"),
            ("[[name]]", "instruction"), ("[[name]]", "output"), ("[[name]]", "output"),
            ("${topic}", "instruction"), ("${topic}", "output")]
PLAN_INPUT = [PLAN_INPUT[j] for j in rng.permutation(len(PLAN_INPUT))]
PLAN_ANY = [PLAN_ANY[j] for j in rng.permutation(len(PLAN_ANY))]

TOPIC = re.compile(r"\b(about|on|of|for|describing|regarding)\s+([^.?!:\n]{3,60}?)([.?!]?)\s*$", re.I)


def sub_topic(instr, ph):
    m = TOPIC.search(instr)
    if m:
        return instr[:m.start(2)] + ph + (m.group(3) or "")
    return instr.rstrip() + "\n\nTopic: " + ph


counters = collections.Counter()


def leftover(r, ph, where):
    k = counters[(ph, where)]
    counters[(ph, where)] += 1
    ins, inp, out = r["instruction"], r["input"], r["output"]
    if where == "input":
        inp = ph  # the real input never got substituted
    elif ph == "{input}":
        ins, inp = ins.rstrip() + "\n\n{input}", ""
    elif ph == "<<<context>>>":
        ins = "Context: <<<context>>>\n\n" + ins
    elif ph == "{0}":
        ins, inp = ins.rstrip() + "\nInput: {0}", ""
    elif ph == "{instruction}":
        ins = ["{instruction}", "### Instruction:\n{instruction}\n\n### Response:", "{instruction}"][k % 3]
    elif ph == "{{question}}":
        ins = ["Answer the following question: {{question}}", "Q: {{question}}\nA:",
               ins.rstrip() + "\n\n{{question}}"][k % 3]
    elif ph in ("%s", "${topic}", "<PLACEHOLDER>") and where == "instruction":
        ins = sub_topic(ins, ph)
    elif ph == "[[name]]" and where == "instruction":
        ins = "User [[name]] asks: " + ins
    elif ph == "<PLACEHOLDER>":
        out = "<PLACEHOLDER>"
    elif ph == "%s":
        m = re.search(r"\d+(?:\.\d+)?", out)
        out = out[:m.start()] + "%s" + out[m.end():] if m else "%s\n\n" + out
    elif ph == "[[name]]":
        out = ["Dear [[name]],\n\n", "Hi [[name]]! "][k % 2] + out
    elif ph == "${topic}":
        out = "Here are some thoughts on ${topic}:\n\n" + out
    else:
        raise ValueError((ph, where))
    r.update(instruction=ins, input=inp, output=out)


for ids, plan in ((sel["left_input"], PLAN_INPUT), (sel["left_any"], PLAN_ANY)):
    for i, (ph, where) in zip(ids, plan, strict=True):
        leftover(byid[i], ph, where)
        truth[i].update(defect="leftover", style=ph, where=where)

# ------------------------------------------------------------------ 3. exact-copy duplicates


def scramble(s):
    out, up = [], bool(rng.random() < 0.5)
    for c in s:
        if c.isalpha():
            out.append(c.upper() if up else c.lower())
            up = not up if rng.random() < 0.85 else up
        else:
            out.append(c)
    return "".join(out)


def case_op(s, op):
    return {"upper": s.upper, "lower": s.lower, "title": s.title, "scramble": lambda: scramble(s)}[op]()


def ws_op(s, op):
    if op == "double_space":
        parts = s.split(" ")
        if len(parts) < 2:
            return s + "  "
        j = sorted(rng.choice(np.arange(1, len(parts)), size=min(len(parts) - 1, int(rng.integers(1, 4))), replace=False))
        return "".join(("  " if k in j else " ") + p if k else p for k, p in enumerate(parts))
    if op == "trailing_newline":
        return s + ("\n" if rng.random() < 0.7 else "\n\n")
    if op == "tab":
        if " " in s and rng.random() < 0.6:
            k = [m.start() for m in re.finditer(" ", s)]
            p = int(rng.choice(k))
            return s[:p] + "\t" + s[p + 1:]
        return "\t" + s
    if op == "pad":
        return " " + s + " "
    raise ValueError(op)


CASE_OPS = ["upper", "lower", "title", "scramble"]
WS_OPS = ["double_space", "trailing_newline", "tab", "pad"]


def apply(c, ops, field, fn, op):
    new = fn(c[field], op)
    if new != c[field]:
        c[field] = new
        ops.append(f"{field}:{op}")


copies = []
for n, src in enumerate(sel["copy_src"]):
    o = byid[src]
    for _ in range(50):
        c = dict(o)
        ops = []
        u = rng.random()
        do_case = u < 0.75
        do_ws = u >= 0.45
        if do_case:
            apply(c, ops, "instruction", case_op, CASE_OPS[int(rng.integers(4))])
        if do_ws:
            apply(c, ops, "instruction", ws_op, WS_OPS[int(rng.integers(4))])
        if c["input"] and rng.random() < 0.2:
            apply(c, ops, "input", ws_op, WS_OPS[int(rng.integers(4))])
        if rng.random() < 0.35:
            if rng.random() < 0.5:
                apply(c, ops, "output", case_op, CASE_OPS[int(rng.integers(3))])
            else:
                apply(c, ops, "output", ws_op, WS_OPS[int(rng.integers(4))])
        if c["instruction"] != o["instruction"]:
            break
    assert c["instruction"] != o["instruction"]
    cid = f"x{n + 1:03d}"
    c["id"] = cid
    copies.append(c)
    truth[cid] = {"id": cid, "defect": "exact_copy", "copy_of": src, "ops": ops}

# ------------------------------------------------------------------ write
allrows = rows + copies
perm = np.random.default_rng(S.SEED).permutation(len(allrows))
allrows = [allrows[j] for j in perm]
OUT.mkdir(parents=True, exist_ok=True)
with open(OUT / "planted.jsonl", "w") as f, open(OUT / "truth.jsonl", "w") as g:
    for r in allrows:
        f.write(json.dumps({k: r[k] for k in ("id", "instruction", "input", "output")}, ensure_ascii=False) + "\n")
        g.write(json.dumps(truth[r["id"]], ensure_ascii=False) + "\n")

cnt = collections.Counter(t["defect"] for t in truth.values())
print(len(allrows), dict(cnt))
print("natural exact-duplicate rows:", sum("natural_dup_of" in t for t in truth.values()),
      "| natural placeholder-like rows:", sum("natural_placeholder_like" in t for t in truth.values()))
