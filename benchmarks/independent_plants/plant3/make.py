#!/usr/bin/env python
"""Plant realistic defects into Alpaca/Dolly instruction data. Seed 4242, reproducible.
Usage: make.py OUT            -> builds OUT/alpaca.jsonl, OUT/dolly.jsonl, OUT/truth.jsonl (needs lang_answers.py)
       make.py OUT --dump     -> writes OUT/lang_rows.json (rows selected for language swap) and exits
"""
import argparse
import json
import os
import random
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

SEED = 4242
HERE = os.path.dirname(os.path.abspath(__file__))
_parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_parser.add_argument("out", type=Path, help="output folder")
_parser.add_argument("--dump", action="store_true", help="only write OUT/lang_rows.json")
_args = _parser.parse_args()
OUT = _args.out
OUT.mkdir(parents=True, exist_ok=True)
SRC = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "instructions"
rng = np.random.default_rng(SEED)
pyr = random.Random(SEED)

dolly = json.loads(Path(f"{SRC}/dolly_3k.json").read_text())
alp = json.loads(Path(f"{SRC}/alpaca_random_9k.json").read_text())

a_idx = rng.choice(np.arange(3000, 6000), size=2000, replace=False)
d_idx = rng.choice(np.arange(len(dolly)), size=1500, replace=False)
rows = {}
for i in sorted(a_idx.tolist()):
    r = alp[i]
    rows[f"a{i}"] = dict(id=f"a{i}", instruction=r["instruction"], input=r.get("input", "") or "", output=r["output"])
for i in sorted(d_idx.tolist()):
    r = dolly[i]
    rows[f"d{i}"] = dict(id=f"d{i}", instruction=r["instruction"], input=r.get("input", "") or "", output=r["output"])
A = [k for k in rows if k[0] == "a"]
D = [k for k in rows if k[0] == "d"]

# ---------- natural properties of clean rows ----------
PH_RE = re.compile(r"(\[[^\[\]\n]{0,30}\b(your|insert|name|placeholder|date|company|city|address|email|phone|x+)\b[^\[\]\n]{0,30}\]"
                   r"|<\s*no\s*input\s*>|<[A-Z][A-Z _]{2,}>|\{\{[^{}\n]{0,40}\}\}|\{[A-Za-z_][A-Za-z0-9_ ]{0,30}\}|\{\d\}"
                   r"|\$\{\w+\}|%\(\w+\)s|<<\w+>>|\[\[\w+\]\])", re.I)
def natural_ph(r):
    return any(PH_RE.search(r[f]) for f in ("instruction", "input", "output"))
def words_key(r):
    t = " ".join([r["instruction"], r["input"], r["output"]]).lower()
    return " ".join(re.findall(r"\w+", t))
key2ids = {}
for k, r in rows.items():
    key2ids.setdefault(words_key(r), []).append(k)
natural_dup = {}
for ids in key2ids.values():
    if len(ids) > 1:
        for k in ids[1:]:
            natural_dup[k] = ids[0]
        natural_dup.setdefault(ids[0], ids[1])
nat_ph = {k for k, r in rows.items() if natural_ph(r)}
excluded = nat_ph | set(natural_dup)

def nwords(s):
    return len(s.split())
LANG_WORDS = re.compile(r"translat|language|english|spanish|french|german|chinese|japanese|korean|russian|italian|portuguese|dutch|arabic|hindi|"
                        r"turkish|greek|hebrew|thai|polish|vietnam|indonesia|ukrain|mandarin|latin|spell|grammar|rhyme|synonym|antonym|"
                        r"pronoun|word|letter|sentence|alphabet|vowel", re.I)
def english_ascii(s):
    return sum(ord(c) < 128 for c in s) / max(1, len(s)) > 0.98
TECH = re.compile(r"\b(code|program|python|java|javascript|sql|function|algorithm|html|css|api|database|software|computer|machine learning|"
                  r"neural|data|network|server|cloud|git|linux|array|variable|regex|json|docker|kubernetes|internet|http)\b", re.I)

used = set()
def pick(pool, n):
    pool = [k for k in pool if k not in used and k not in excluded]
    sel = [pool[i] for i in rng.choice(len(pool), size=n, replace=False)]
    used.update(sel)
    return sel

# ---------- 1. language swap: 57 alpaca + 43 dolly, 10 technical ones ----------
def lang_ok(k):
    r = rows[k]
    return (not LANG_WORDS.search(r["instruction"] + " " + r["input"][:0]) and english_ascii(r["output"]) and 3 <= nwords(r["output"]) <= 250
            and english_ascii(r["instruction"]))
tech_a = [k for k in A if lang_ok(k) and TECH.search(rows[k]["instruction"])]
tech_d = [k for k in D if lang_ok(k) and TECH.search(rows[k]["instruction"])]
lang_rows = pick(tech_a, 6) + pick(tech_d, 4)
lang_rows += pick([k for k in A if lang_ok(k)], 51) + pick([k for k in D if lang_ok(k)], 39)

if _args.dump:
    with open(f"{OUT}/lang_rows.json", "w") as f:
        json.dump([dict(rows[k], tech=(i < 10)) for i, k in enumerate(lang_rows)], f, ensure_ascii=False, indent=1)
    print("dumped", len(lang_rows))
    sys.exit(0)

sys.path.insert(0, HERE)
from lang_answers import ANSWERS  # noqa: E402 - found through the sys.path entry above

truth = {k: {"id": k, "defect": "clean"} for k in rows}
orig = {k: dict(r) for k, r in rows.items()}

for k in lang_rows:
    lang, cls, text = ANSWERS[k]
    rows[k]["output"] = text
    truth[k].update(defect="language_swap", language=lang, length_class=cls)

# ---------- 2. truncation: 70 rows (40 alpaca / 30 dolly) ----------
ITEM_RE = re.compile(r"^\s*(\d+[.)]|[-*\u2022])\s+\S", re.M)
def is_list(s):
    return len(ITEM_RE.findall(s)) >= 3
def word_starts(s):
    return [m.start() for m in re.finditer(r"\S+", s)]
def word_ends(s):
    return [m.end() for m in re.finditer(r"\S+", s)]
def min_cut(s):  # end of the 3rd word
    e = word_ends(s)
    return e[2] if len(e) >= 3 else None
END_PUNCT = tuple('.!?"\u201d)')
def ok_cut(s, pos):
    t = s[:pos].rstrip()
    return len(t.split()) >= 3 and not t.endswith(END_PUNCT) and len(s) - len(t) >= 3

def cut_random_char(s):
    lo, hi = min_cut(s) + 1, int(len(s) * 0.92)
    for _ in range(200):
        p = int(rng.integers(lo, max(lo + 1, hi)))
        if ok_cut(s, p):
            return s[:p].rstrip(), {"mid_word": bool(s[p-1].isalnum() and s[p].isalnum())}
    return None
def cut_word_boundary(s):
    c = [e for e in word_ends(s)[3:] if e < len(s) * 0.92 and ok_cut(s, e) and s[e-1].isalnum()]
    return (s[:c[int(rng.integers(len(c)))]], {}) if c else None
def cut_after_comma(s):
    c = [m.end() for m in re.finditer(r",", s) if m.end() > min_cut(s) and m.end() < len(s) * 0.95]
    return (s[:c[int(rng.integers(len(c)))]], {}) if c else None
def cut_after_open(s):
    c = [m.end() for m in re.finditer(r'(?:(?<=\s)|^)["\u201c\'](?=\w)|\((?=\w)', s) if m.end() > min_cut(s) and m.end() < len(s) * 0.95]
    return (s[:c[int(rng.integers(len(c)))]], {"opener": s[c[0]-1]}) if c else None
def cut_in_list(s):
    items = list(ITEM_RE.finditer(s))
    k = int(rng.integers(1, len(items)))           # cut inside item k (not the first)
    line_start = items[k].start()
    line_end = s.find("\n", line_start)
    line_end = len(s) if line_end < 0 else line_end
    body = items[k].end() - 1
    mode = rng.random()
    if mode < 0.15:
        p = body                                    # right after the marker ("3. ")
    else:
        for _ in range(100):
            p = int(rng.integers(body + 1, max(body + 2, line_end)))
            if ok_cut(s, p):
                break
    t = s[:p].rstrip()
    if len(t.split()) < 3 or t == s.rstrip():
        return None
    return t, {"list_item": k + 1, "list_items": len(items)}

CUTTERS = {"random_char": cut_random_char, "word_boundary": cut_word_boundary, "after_comma": cut_after_comma,
           "after_open_quote_paren": cut_after_open, "in_list": cut_in_list}
def trunc_pool(keys, cond):
    return [k for k in keys if k not in used and k not in excluded and english_ascii(rows[k]["output"]) and cond(rows[k]["output"])]
plan = []  # (file keys, n, pool condition, shapes)
def short_c(s):
    return 7 <= nwords(s) < 25 and not is_list(s)
def long_c(s):
    return 25 <= nwords(s) <= 400 and not is_list(s)
def list_c(s):
    return is_list(s) and nwords(s) <= 400
short_shapes = ["random_char"] * 12 + ["word_boundary"] * 5 + ["after_comma"] * 3
long_shapes = ["random_char"] * 16 + ["word_boundary"] * 7 + ["after_comma"] * 6 + ["after_open_quote_paren"] * 6
list_shapes = ["in_list"] * 15
trunc_rows = []
for shapes, cond, na in ((short_shapes, short_c, 11), (long_shapes, long_c, 20), (list_shapes, list_c, 9)):
    shapes = list(shapes)
    pyr.shuffle(shapes)
    for j, shape in enumerate(shapes):
        keys = A if j < na else D
        pool = trunc_pool(keys, cond)
        pyr.shuffle(pool)
        for k in pool:
            res = CUTTERS[shape](rows[k]["output"])
            if res:
                break
        used.add(k)
        t, extra = res
        ow = nwords(rows[k]["output"])
        rows[k]["output"] = t
        truth[k].update(defect="truncation", shape=shape, original_words=ow, kept_words=nwords(t),
                        original_chars=len(orig[k]["output"]), kept_chars=len(t), **extra)
        trunc_rows.append(k)

# ---------- 4. template leftovers: 30 rows (17 alpaca / 13 dolly) ----------
def L_context_instr(r):
    r["instruction"] = "Answer the question using the context below.\n\nContext: {context}\n\nQuestion: " + r["instruction"]
    return "instruction"
def L_context_input(r):
    r["input"] = "{context}"
    return "input"
def L_context_out(r):
    r["output"] = "Based on {context}, " + r["output"][0].lower() + r["output"][1:]
    return "output"
def L_jinja_instr(r):
    r["instruction"] = "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n{{ instruction }}"
    return "instruction"
def L_question_instr(r):
    r["instruction"] = r["instruction"].rstrip() + "\n\n{question}"
    return "instruction"
def L_question_input(r):
    r["input"] = "Question: {question}"
    return "input"
def L_text_input(r):
    r["input"] = "<TEXT>"
    return "input"
def L_text_instr(r):
    r["instruction"] = r["instruction"].rstrip() + "\n\nText: <TEXT>"
    return "instruction"
def L_ph_input(r):
    r["input"] = "[PLACEHOLDER]"
    return "input"
def L_ph_instr(r):
    r["instruction"] = "[PLACEHOLDER] " + r["instruction"]
    return "instruction"
def L_insert_out(r):
    r["output"] = "[insert answer]"
    return "output"
def L_insert_out2(r):
    first = re.split(r"(?<=[.!?])\s", r["output"], maxsplit=1)[0]
    r["output"] = first + " [insert answer]"
    return "output"
def L_jinja_input(r):
    r["input"] = "{{input}}"
    return "input"
def L_jinja_input_out(r):
    r["output"] = "Sure! Here is the result:\n\n{{input}}"
    return "output"
def L_dollar_instr(r):
    r["instruction"] = r["instruction"].rstrip() + " Address the reply to ${name}."
    return "instruction"
def L_dollar_out(r):
    o = r["output"]
    m = re.search(r"(?<=[a-z,] )[A-Z][a-z]+(?: [A-Z][a-z]+)?", o)
    r["output"] = (o[:m.start()] + "${name}" + o[m.end():]) if m else ("Dear ${name},\n\n" + o)
    return "output"
def L_pct_instr(r):
    s = r["instruction"]
    m = re.search(r"\b(about|of|on|for)\s+(?:an?\s+|the\s+)?([^.?!\n]{3,60})([.?!]?)\s*$", s)
    r["instruction"] = (s[:m.start(2)] + "%(topic)s" + m.group(3)) if m else (s.rstrip() + "\nTopic: %(topic)s")
    return "instruction"
def L_pct_out(r):
    r["output"] = "Here are some thoughts on %(topic)s:\n\n" + r["output"]
    return "output"
def L_angle_input(r):
    r["input"] = "<<input>>"
    return "input"
def L_angle_instr(r):
    r["instruction"] = r["instruction"].rstrip() + "\n<<input>>"
    return "instruction"
def L_num_instr(r):
    s = r["instruction"]
    m = re.search(r"\b(\d+|two|three|four|five|ten)\b", s)
    r["instruction"] = (s[:m.start()] + "{1}" + s[m.end():]) if m else ("{0} " + s[0].lower() + s[1:] + " {1}")
    return "instruction"
def L_wiki_instr(r):
    r["instruction"] = "Context: [[context]]\n\n" + r["instruction"]
    return "instruction"
def L_wiki_input(r):
    r["input"] = "[[context]]"
    return "input"
def L_your_input(r):
    r["input"] = "<YOUR TEXT HERE>"
    return "input"
def L_your_out(r):
    r["output"] = "<YOUR TEXT HERE>"
    return "output"
# (style, function, needs_input)
LEFT_SPECS = [
    ("{context}", L_context_instr, False), ("{context}", L_context_input, True), ("{context}", L_context_out, False),
    ("{{ instruction }}", L_jinja_instr, False), ("{{ instruction }}", L_jinja_instr, True),
    ("{question}", L_question_instr, False), ("{question}", L_question_input, False),
    ("<TEXT>", L_text_input, True), ("<TEXT>", L_text_instr, False),
    ("[PLACEHOLDER]", L_ph_input, True), ("[PLACEHOLDER]", L_ph_instr, False),
    ("[insert answer]", L_insert_out, False), ("[insert answer]", L_insert_out2, False),
    ("{{input}}", L_jinja_input, True), ("{{input}}", L_jinja_input, True), ("{{input}}", L_jinja_input_out, True),
    ("${name}", L_dollar_instr, False), ("${name}", L_dollar_out, False),
    ("%(topic)s", L_pct_instr, False), ("%(topic)s", L_pct_out, False),
    ("<<input>>", L_angle_input, True), ("<<input>>", L_angle_instr, False),
    ("{1}", L_num_instr, False), ("{1}", L_num_instr, False),
    ("[[context]]", L_wiki_instr, False), ("[[context]]", L_wiki_input, True), ("[[context]]", L_wiki_instr, False),
    ("<YOUR TEXT HERE>", L_your_input, True), ("<YOUR TEXT HERE>", L_your_out, False), ("<YOUR TEXT HERE>", L_your_input, True),
]
assert len(LEFT_SPECS) == 30
order = list(range(30))
pyr.shuffle(order)
left_rows = []
for j, si in enumerate(order):
    style, fn, need_in = LEFT_SPECS[si]
    keys = A if j < 17 else D
    pool = [k for k in keys if k not in used and k not in excluded and (bool(rows[k]["input"].strip()) == need_in)]
    if fn is L_num_instr:
        pool = [k for k in pool if re.search(r"\b(\d+|two|three|four|five|ten)\b", rows[k]["instruction"])] or pool
    k = pool[int(rng.integers(len(pool)))]
    used.add(k)
    field = fn(rows[k])
    truth[k].update(defect="leftover", style=style, field=field)
    left_rows.append(k)

# ---------- 3. exact-copy duplicates: 50 copies (29 alpaca / 21 dolly) ----------
def random_case(s):
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in s)
CASES = {"upper": str.upper, "lower": str.lower, "title": str.title, "random": random_case}
def ws_double(s):
    sp = [m.start() for m in re.finditer(" ", s)]
    if not sp:
        return s + "  "
    pick_ = set(rng.choice(sp, size=max(1, len(sp) // 4), replace=False).tolist())
    return "".join(("  " if i in pick_ else c) for i, c in enumerate(s))
def ws_tab(s):
    sp = [m.start() for m in re.finditer(" ", s)]
    if not sp:
        return s + "\t"
    i = sp[int(rng.integers(len(sp)))]
    return s[:i] + "\t" + s[i+1:]
WS = {"double_spaces": ws_double, "tab": ws_tab, "trailing_newline": lambda s: s + "\n",
      "leading_spaces": lambda s: "   " + s, "trailing_spaces": lambda s: s + "  "}
copies = []
for j in range(50):
    keys = A if j < 29 else D
    pool = [k for k in keys if k not in used and k not in excluded]
    k = pool[int(rng.integers(len(pool)))]
    used.add(k)
    c = dict(rows[k])
    changes = []
    mode = rng.random()
    do_case = mode < 0.75
    do_ws = mode >= 0.4
    if do_case:
        cn = list(CASES)[int(rng.integers(4))]
        c["instruction"] = CASES[cn](c["instruction"])
        changes.append(f"instruction:{cn}")
    if do_ws:
        wn = list(WS)[int(rng.integers(len(WS)))]
        c["instruction"] = WS[wn](c["instruction"])
        changes.append(f"instruction:{wn}")
    if rng.random() < 0.35:
        if rng.random() < 0.5:
            cn = ["upper", "lower"][int(rng.integers(2))]
            c["output"] = CASES[cn](c["output"])
            changes.append(f"output:{cn}")
        else:
            wn = list(WS)[int(rng.integers(len(WS)))]
            c["output"] = WS[wn](c["output"])
            changes.append(f"output:{wn}")
    if c["input"] and rng.random() < 0.2:
        c["input"] = WS["trailing_newline"](c["input"])
        changes.append("input:trailing_newline")
    if c["instruction"] == rows[k]["instruction"] and c["output"] == rows[k]["output"]:
        c["instruction"] = c["instruction"].upper() + "  "
        changes.append("instruction:upper+trailing_spaces")
    cid = f"x{j+1:03d}{k}"
    c["id"] = cid
    copies.append((k, c))
    truth[cid] = {"id": cid, "defect": "exact_copy", "copy_of": k, "changes": changes}

# ---------- natural flags on clean rows ----------
def non_english_like(r):
    t = r["output"]
    letters = [ch for ch in t if ch.isalpha()]
    return len(letters) > 0 and sum(ord(ch) > 127 for ch in letters) / len(letters) > 0.3
ins2ids = {}
for k in orig:
    ins2ids.setdefault(" ".join(re.findall(r"\w+", orig[k]["instruction"].lower())), []).append(k)
same_ins = {k: [o for o in ids if o != k][0] for ids in ins2ids.values() if len(ids) > 1 for k in ids}
for k in rows:
    if truth[k]["defect"] != "clean":
        continue
    if k in same_ins:
        truth[k]["natural_same_instruction_as"] = same_ins[k]
    if k in nat_ph:
        truth[k]["natural_placeholder_like"] = True
    if k in natural_dup:
        truth[k]["natural_dup_of"] = natural_dup[k]
    if non_english_like(rows[k]):
        truth[k]["natural_non_english_like"] = True

# ---------- write ----------
files = {"alpaca": [rows[k] for k in A] + [c for k, c in copies if k[0] == "a"],
         "dolly": [rows[k] for k in D] + [c for k, c in copies if k[0] == "d"]}
all_ids = []
for name, lst in files.items():
    perm = rng.permutation(len(lst))
    lst = [lst[i] for i in perm]
    with open(f"{OUT}/{name}.jsonl", "w") as f:
        for r in lst:
            f.write(json.dumps({"id": r["id"], "instruction": r["instruction"], "input": r["input"], "output": r["output"]}, ensure_ascii=False) + "\n")
            all_ids.append(r["id"])
    files[name] = lst
assert len(all_ids) == len(set(all_ids)) == len(truth)
with open(f"{OUT}/truth.jsonl", "w") as f:
    for name in files:
        for r in files[name]:
            f.write(json.dumps(truth[r["id"]], ensure_ascii=False) + "\n")

for name in files:
    print(name, len(files[name]), dict(Counter(truth[r["id"]]["defect"] for r in files[name])))
print("natural_placeholder_like", sum(1 for t in truth.values() if t.get("natural_placeholder_like")),
      "natural_dup_of", sum(1 for t in truth.values() if t.get("natural_dup_of")),
      "natural_non_english_like", sum(1 for t in truth.values() if t.get("natural_non_english_like")))
print("trunc shapes", dict(Counter(truth[k]["shape"] for k in trunc_rows)),
      "short<25w", sum(truth[k]["original_words"] < 25 for k in trunc_rows))
