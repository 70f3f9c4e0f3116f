#!/usr/bin/env python
# ruff: noqa  (kept as its independent author wrote it, apart from the paths: the plants must not be tuned to the checks)
"""Plant realistic defects into Alpaca/Dolly instruction data.

Usage:
  make.py OUT select   -> writes OUT/langswap_todo.json (rows needing hand-written foreign answers)
  make.py OUT          -> builds OUT/alpaca.jsonl, OUT/dolly.jsonl, OUT/truth.jsonl (reads langswap_answers.json
                          next to this script)
Seed 9090; fully deterministic.
"""
import collections
import json
import os
import random
import re
import sys
from pathlib import Path

SEED = 9090
if len(sys.argv) < 2:
    sys.exit("usage: make.py OUT [select]")
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
HERE = Path(__file__).resolve().parent
SRC = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "instructions"

rng = random.Random(SEED)

alp_all = json.load(open(f"{SRC}/alpaca_random_9k.json"))
dol_all = json.load(open(f"{SRC}/dolly_3k.json"))

def row(prefix, i, r):
    return {"id": f"{prefix}{i}", "instruction": r["instruction"], "input": r.get("input", "") or "",
            "output": r["output"]}

a_idx = sorted(rng.sample(range(0, 3000), 1800))
d_idx = sorted(rng.sample(range(1500, 2996), 1200))
files = {
    "alpaca": [row("a", i, alp_all[i]) for i in a_idx],
    "dolly": [row("d", i, dol_all[i]) for i in d_idx],
}

# per-file quotas (60% / 40%)
Q = {
    "alpaca": dict(lang=54, trunc_list=9, trunc_short=12, trunc_gen=27, leftover=18, copy=24),
    "dolly":  dict(lang=36, trunc_list=6, trunc_short=8,  trunc_gen=18, leftover=12, copy=16),
}

LIST_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*\u2022]|[a-zA-Z][.)])\s+\S", re.M)
def list_span(text):
    """(start, end) char span of list lines if output is list-shaped (>=3 list lines)."""
    ms = list(LIST_LINE.finditer(text))
    if len(ms) < 3:
        return None
    return ms[0].start(), len(text.rstrip())

def nwords(t):
    return len(t.split())

LANG_MENTION = re.compile(
    r"translat|language|english|spanish|french|german|chinese|japanese|korean|russian|italian|portug|dutch|"
    r"swedish|turkish|polish|czech|arabic|hebrew|hindi|thai|vietnam|indonesi|greek|ukrain|roman|latin|mandarin|"
    r"cantonese|spell|grammar|gramm|word|sentence|rhym|pun\b|haiku|acronym|synonym|antonym|vowel|letter|"
    r"alphabet|pronoun|verb|noun|adjective|adverb|tense|passive|punctuat|paraphras|rewrite|re-write|edit|"
    r"syllab|code|python|java|sql|html|function|program|script|regex|\bc\+\+", re.I)
PH_NATURAL = re.compile(r"\[[A-Za-z][A-Za-z0-9 _'./-]{0,38}\]|<[A-Za-z_ ]{2,20}>|\\<noinput\\>|"
                        r"\{[^{}\n]{0,40}\}|%s|\$[A-Za-z_{]")

def is_ascii_mostly(t):
    return sum(ord(c) < 128 for c in t) >= 0.97 * max(1, len(t))

def lang_ok(r):
    t = r["instruction"] + " " + r["input"]
    o = r["output"]
    return (not LANG_MENTION.search(t) and is_ascii_mostly(o) and nwords(o) >= 1
            and not re.search(r"[{};=]\s*$|def |\bimport\b|</?\w+>", o, re.M)
            and not re.search(r"translat|language", o, re.I))

assign = {}   # id -> dict(defect=..., extra)
def take(fname, n, pred, label):
    pool = [r for r in files[fname] if r["id"] not in assign and pred(r)]
    if len(pool) < n:
        raise SystemExit(f"not enough candidates for {label} in {fname}: {len(pool)}<{n}")
    chosen = rng.sample(pool, n)
    for r in chosen:
        assign[r["id"]] = {"defect": label}
    return chosen

sel = {}
for f in ("alpaca", "dolly"):
    q = Q[f]
    no_ph = lambda r: not PH_NATURAL.search(r["instruction"] + r["input"] + r["output"])
    sel[f, "trunc_list"] = take(f, q["trunc_list"],
        lambda r: list_span(r["output"]) is not None and nwords(r["output"]) >= 15, "truncation")
    sel[f, "trunc_short"] = take(f, q["trunc_short"],
        lambda r: 8 <= nwords(r["output"]) < 25 and list_span(r["output"]) is None, "truncation")
    sel[f, "lang"] = take(f, q["lang"], lang_ok, "language_swap")
    sel[f, "trunc_gen"] = take(f, q["trunc_gen"],
        lambda r: nwords(r["output"]) >= 25 and list_span(r["output"]) is None, "truncation")
    sel[f, "leftover"] = take(f, q["leftover"], lambda r: no_ph(r) and nwords(r["output"]) >= 3, "leftover")

# ---------------- language assignment ----------------
LANGS = (["zh"] * 20 + ["ja"] * 8 + ["ko"] * 6 + ["ru"] * 10 + ["es"] * 10 + ["fr"] * 10 + ["de"] * 10 +
         ["pt", "it", "nl", "sv", "tr", "pl", "cs", "ar", "he", "hi", "th", "vi", "id", "el", "uk", "ro"])
lang_rows = sel["alpaca", "lang"] + sel["dolly", "lang"]
langs = LANGS[:]
rng.shuffle(langs)
# length class by original output length tercile
by_len = sorted(lang_rows, key=lambda r: (len(r["output"]), r["id"]))
length_class = {}
for k, r in enumerate(by_len):
    length_class[r["id"]] = "short" if k < 30 else ("sentence" if k < 60 else "long")
for r, lg in zip(lang_rows, langs):
    assign[r["id"]].update(language=lg, length=length_class[r["id"]])

if len(sys.argv) > 2 and sys.argv[2] == "select":
    todo = [{"id": r["id"], "language": assign[r["id"]]["language"], "length": assign[r["id"]]["length"],
             "instruction": r["instruction"], "input": r["input"][:600], "output": r["output"][:600]}
            for r in lang_rows]
    todo.sort(key=lambda x: (x["language"], x["id"]))
    json.dump(todo, open(f"{OUT}/langswap_todo.json", "w"), ensure_ascii=False, indent=1)
    print("wrote", len(todo))
    sys.exit(0)

ANS = json.loads((HERE / "langswap_answers.json").read_text(encoding="utf-8"))
missing = [r["id"] for r in lang_rows if r["id"] not in ANS]
assert not missing, missing

for r in lang_rows:
    r["output"] = ANS[r["id"]]

# ---------------- truncation ----------------
def truncate(text, mode, lo_hi=None):
    L = len(text)
    for _ in range(500):
        lo, hi = int(L * 0.30), int(L * 0.90)
        if lo_hi:
            lo, hi = max(lo, lo_hi[0]), min(hi, lo_hi[1])
        if hi <= lo:
            lo, hi = int(L * 0.30), int(L * 0.90)
        k = rng.randint(lo, hi)
        if mode == "word":
            j = text.rfind(" ", 0, k)
            if j <= 0:
                continue
            k = j
        cut = text[:k].rstrip()
        if nwords(cut) < 3 or len(cut) >= len(text.rstrip()):
            continue
        mid = mode == "exact" and k < L and text[k - 1].isalnum() and text[k].isalnum()
        return cut, mid
    raise RuntimeError("could not truncate: " + text[:80])

trunc_rows = []
n_tr = sum(len(sel[f, sh]) for f in ("alpaca", "dolly") for sh in ("trunc_list", "trunc_short", "trunc_gen"))
all_modes = ["exact"] * (n_tr // 2) + ["word"] * (n_tr - n_tr // 2)   # exactly half / half
rng.shuffle(all_modes)
for shape in ("trunc_list", "trunc_short", "trunc_gen"):
    rows = sel["alpaca", shape] + sel["dolly", shape]
    modes = [all_modes.pop() for _ in rows]
    for r, m in zip(rows, modes):
        orig = r["output"]
        span = list_span(orig) if shape == "trunc_list" else None
        if span:
            # cut strictly inside the list, after at least the first item started
            first_nl = orig.find("\n", span[0] + 3)
            span = (first_nl if first_nl > 0 else span[0] + 5, span[1] - 2)
        cut, mid = truncate(orig, m, span)
        r["output"] = cut
        assign[r["id"]].update(original_words=nwords(orig), kept_words=nwords(cut),
                               shape={"trunc_list": "list", "trunc_short": "short", "trunc_gen": "prose"}[shape],
                               cut_mode=m, mid_word=bool(mid))
        trunc_rows.append(r)

# ---------------- template leftovers ----------------
STYLES = ["{text}", "{{ question }}", "{input}", "<TOPIC>", "[INSERT NAME]", "[[entity]]", "{{context}}",
          "%s", "${subject}", "{0}", "<<document>>", "$NAME", "{ name }"]
# where: instruction (mostly), input, output
ENT = re.compile(r"(?<=[a-z,] )(?:[A-Z][a-zA-Z'.-]+)(?: (?:of |the |de )?[A-Z][a-zA-Z'.-]+)*")
ABOUT = re.compile(r"\b(about|on|of|for|describing|regarding) ((?:the |a |an )?[a-z][a-z-]+(?: [a-z][a-z-]+){0,2})(?=[.?!,]|$)")

def put_in_text(t, ph):
    """Replace a named entity or topic phrase in t with ph; fall back to appending."""
    m = ENT.search(t)
    if m and len(m.group(0)) > 2:
        return t[:m.start()] + ph + t[m.end():], "replace_entity"
    m = ABOUT.search(t)
    if m:
        return t[:m.start(2)] + ph + t[m.end(2):], "replace_topic"
    sep = " " if t.rstrip().endswith(":") else ("\n\n" if rng.random() < 0.5 else " ")
    return t.rstrip() + sep + ph, "append"

left_rows = sel["alpaca", "leftover"] + sel["dolly", "leftover"]
styles = (STYLES * 3)[:len(left_rows)]
rng.shuffle(styles)
wheres = ["instruction"] * 16 + ["input"] * 8 + ["output"] * 6
rng.shuffle(wheres)
INPUT_STYLES = {"{text}", "{input}", "{{context}}", "<<document>>", "{{ question }}"}
for r, st, wh in zip(left_rows, styles, wheres):
    if wh == "input":
        if r["input"].strip():
            if rng.random() < 0.6:
                r["input"] = st; how = "input_replaced"
            else:
                lab = rng.choice(["Text: ", "Context: ", "Document:\n", ""])
                r["input"] = lab + st; how = "input_slot"
        else:
            r["input"] = st; how = "input_slot"
    elif wh == "instruction":
        if st in INPUT_STYLES and rng.random() < 0.7:
            pre = {"{text}": [" Text: ", "\n\n", " "], "{{ question }}": ["\n\nQuestion: ", "\nQ: ", " "],
                   "{input}": ["\n\nInput: ", "\n", " "], "{{context}}": ["\n\nContext: ", "\n\n"],
                   "<<document>>": ["\n\n", "\nDocument: "]}[st]
            r["instruction"] = r["instruction"].rstrip() + rng.choice(pre) + st; how = "instruction_slot"
        else:
            r["instruction"], how = put_in_text(r["instruction"], st)
    else:  # output
        o = r["output"]
        m = ENT.search(o)
        if m and (st not in INPUT_STYLES or rng.random() < 0.5):
            r["output"] = o[:m.start()] + st + o[m.end():]; how = "output_entity"
        elif st in ("[INSERT NAME]", "$NAME", "{ name }"):
            r["output"] = rng.choice(["Dear {p},\n\n", "Hi {p}, ", "Hello {p}!\n"]).format(p=st) + o; how = "output_greeting"
        else:
            if rng.random() < 0.5:
                r["output"] = st + "\n\n" + o; how = "output_prefix"
            else:
                r["output"] = o.rstrip() + "\n\n" + st; how = "output_suffix"
    assign[r["id"]].update(style=st, location=wh, how=how)

# ---------------- copies ----------------
def rand_case(s):
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in s)
def ws_change(s):
    k = rng.choice(["double", "lead_trail", "newline", "tab", "collapse_nl"])
    if k == "double":
        return re.sub(r" ", lambda m: "  " if rng.random() < 0.3 else " ", s), k
    if k == "lead_trail":
        return rng.choice(["  ", " ", "\n", "\t"]) + s + rng.choice([" ", "  ", "\n", "\n\n"]), k
    if k == "newline":
        return s.replace(" ", "\n", 1) + "\n", k
    if k == "tab":
        return s.replace(" ", "\t", 1) + " ", k
    return s.replace("\n", " ") + "  ", k
CASES = [("upper", str.upper), ("lower", str.lower), ("title", str.title), ("random", rand_case)]

copy_rows = {"alpaca": [], "dolly": []}
cn = 0
dupkey = lambda r: (r["instruction"].strip().lower(), r["input"].strip().lower())
for f in ("alpaca", "dolly"):
    keys = collections.Counter(dupkey(r) for r in files[f])
    srcs = take(f, Q[f]["copy"], lambda r: keys[dupkey(r)] == 1, "copy_source")
    for s in srcs:
        del assign[s["id"]]  # source stays clean
        cn += 1
        c = dict(s); c["id"] = f"c{cn}"
        ops = []
        kind = rng.choice(["case", "ws", "both"])
        if kind in ("case", "both"):
            nm, fn = rng.choice(CASES)
            c["instruction"] = fn(c["instruction"]); ops.append(f"instruction_case:{nm}")
            if rng.random() < 0.3:
                c["output"] = fn(c["output"]); ops.append(f"output_case:{nm}")
        if kind in ("ws", "both"):
            c["instruction"], k = ws_change(c["instruction"]); ops.append(f"instruction_ws:{k}")
            if rng.random() < 0.35:
                c["output"], k = ws_change(c["output"]); ops.append(f"output_ws:{k}")
        if c["instruction"] == s["instruction"]:  # e.g. title of already-title text
            c["instruction"] = c["instruction"] + "  "; ops.append("instruction_ws:trailing")
        assign[c["id"]] = {"defect": "exact_copy", "copy_of": s["id"], "changes": ops}
        copy_rows[f].append(c)

# ---------------- write ----------------
LANG_NAMES = dict(zh="Chinese", ja="Japanese", ko="Korean", ru="Russian", es="Spanish", fr="French", de="German",
                  pt="Portuguese", it="Italian", nl="Dutch", sv="Swedish", tr="Turkish", pl="Polish", cs="Czech",
                  ar="Arabic", he="Hebrew", hi="Hindi", th="Thai", vi="Vietnamese", id="Indonesian", el="Greek",
                  uk="Ukrainian", ro="Romanian")
truth = []
orig_keys = {f: collections.Counter(dupkey(r) for r in files[f]) for f in files}
first_of = {}
for f in ("alpaca", "dolly"):
    rows = files[f] + copy_rows[f]
    rng.shuffle(rows)
    with open(f"{OUT}/{f}.jsonl", "w") as fh:
        for r in rows:
            fh.write(json.dumps({k: r[k] for k in ("id", "instruction", "input", "output")}, ensure_ascii=False) + "\n")
    for r in sorted(rows, key=lambda r: r["id"]):
        t = {"id": r["id"], "file": f}
        a = assign.get(r["id"])
        if a is None:
            t["defect"] = "clean"
            if PH_NATURAL.search(r["instruction"] + "\n" + r["input"] + "\n" + r["output"]):
                t["natural_placeholder_like"] = True
            k = dupkey(r)
            if orig_keys[f][k] > 1:
                if k in first_of:
                    t["natural_duplicate_of"] = first_of[k]
                else:
                    first_of[k] = r["id"]
        else:
            t.update(a)
            if a["defect"] == "language_swap":
                t["language"] = LANG_NAMES[a["language"]]; t["language_code"] = a["language"]
        truth.append(t)
with open(f"{OUT}/truth.jsonl", "w") as fh:
    for t in truth:
        fh.write(json.dumps(t, ensure_ascii=False) + "\n")
c = collections.Counter((t["file"], t["defect"]) for t in truth)
for k in sorted(c):
    print(k, c[k])
