#!/usr/bin/env python3
"""Plant realistic defects into a sample of Alpaca + Dolly instruction data.

Usage:
  python make.py OUT --dump-lang   # print rows selected for language swap (to hand-write texts)
  python make.py OUT               # build OUT/planted.jsonl + OUT/truth.jsonl
Foreign texts are hand-written in foreign_texts.json (keyed by row id).
"""
import argparse
import json
import os
import random
import re
from pathlib import Path

SEED = 20240607
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "instructions"

def wc(s):
    return len(s.split())

LANG_PLAN = ([("zh", 40), ("ja", 15), ("ko", 10), ("ru", 15), ("es", 10), ("fr", 10),
              ("de", 10), ("ar", 2), ("pt", 2), ("it", 2), ("vi", 2), ("hi", 2)])

# instructions that legitimately ask for another language / translation: not eligible for a swap
LANG_WORDS = re.compile(r"translat|language|spanish|french|german|chinese|japanese|korean|russian|"
                        r"italian|portuguese|arabic|hindi|vietnam|mandarin|latin|english|idiom|"
                        r"pronounc|spell|word|letter|rhym|grammar|sentence|synonym|antonym|"
                        r"verb|noun|adjective|adverb|plural|tense|punctuat|acronym|abbreviat|"
                        r"hashtag|anagram|alphabet|vowel|phrase|paraphrase|rewrite|edit|"
                        r"correct|haiku|poem|limerick|code|program|function|python|java|sql|html", re.I)

def is_listy(text):
    lines = [line for line in text.split("\n") if line.strip()]
    numbered = sum(bool(re.match(r"\s*(\d+[.)]|[-*•])\s+", line)) for line in lines)
    inline = len(re.findall(r"(?:^|\s)\d+\.\s+\S", text))
    short_lines = sum(len(line.split()) <= 8 for line in lines)
    return numbered >= 3 or inline >= 3 or (len(lines) >= 3 and short_lines == len(lines))

def non_ascii_frac(s):
    return sum(ord(c) > 127 for c in s) / max(1, len(s))

def load():
    a = json.loads(Path(f"{SRC}/alpaca_random_9k.json").read_text())
    d = json.loads(Path(f"{SRC}/dolly_3k.json").read_text())
    rng = random.Random(SEED)
    ai = sorted(rng.sample(range(len(a)), 3000))
    di = sorted(rng.sample(range(len(d)), 1000))
    rows = []
    for i in ai:
        r = a[i]
        rows.append({"id": f"a{i}", "instruction": r["instruction"], "input": r.get("input", "") or "",
                     "output": r["output"]})
    for i in di:
        r = d[i]
        rows.append({"id": f"d{i}", "instruction": r["instruction"], "input": r.get("input", "") or "",
                     "output": r["output"]})
    return rows, rng

def select(rows, rng):
    """Choose disjoint row sets for each in-place defect and for copy originals."""
    used = set()
    byid = {r["id"]: r for r in rows}
    ids = [r["id"] for r in rows]

    def pick(pool, n):
        pool = [i for i in pool if i not in used]
        out = rng.sample(pool, n)
        used.update(out)
        return out

    base_ok = [i for i in ids if non_ascii_frac(byid[i]["instruction"] + byid[i]["output"]) < 0.01
               and byid[i]["output"].strip() and byid[i]["instruction"].strip()]

    # ---- language swap: 120, stratified so short prompts / short answers are well covered
    lang_ok = [i for i in base_ok if not LANG_WORDS.search(byid[i]["instruction"] + " " + byid[i]["input"])
               and wc(byid[i]["output"]) <= 220]
    short_out = [i for i in lang_ok if wc(byid[i]["output"]) < 10]
    short_ins = [i for i in lang_ok if wc(byid[i]["instruction"]) <= 5 and wc(byid[i]["output"]) >= 10]
    lang_ids = pick(short_out, 35) + pick(short_ins, 15)
    lang_ids += pick(lang_ok, 120 - len(lang_ids))
    rng.shuffle(lang_ids)
    langs = [lang for lang, n in LANG_PLAN for _ in range(n)]
    lang_assign = dict(zip(lang_ids, langs, strict=True))

    # ---- truncation: 80 = 25 short (<25 words) + 20 list-shaped + 35 other prose
    tr_ok = [i for i in base_ok if wc(byid[i]["output"]) >= 5]
    tr_short = pick([i for i in tr_ok if wc(byid[i]["output"]) < 25 and not is_listy(byid[i]["output"])], 25)
    list_ok = [i for i in tr_ok if is_listy(byid[i]["output"]) and wc(byid[i]["output"]) >= 15]
    tr_list = pick([i for i in list_ok if len(re.findall(r"(?:^|\n)\s*\d{1,2}[.)]\s", byid[i]["output"])) >= 4], 12)
    tr_list += pick(list_ok, 8)
    prose_ok = [i for i in tr_ok if wc(byid[i]["output"]) >= 25 and not is_listy(byid[i]["output"])]
    tr_prose = pick([i for i in prose_ok if re.search(r"\S\s+[(\"“]", byid[i]["output"])], 8)
    tr_prose += pick(prose_ok, 27)

    # ---- template leftovers: 30, each style drawn from rows where a real template would put that slot
    # rows whose output already greets/signs a real name: the pipeline "forgot" to fill that name slot
    name_pool = [i for i in base_ok if NAME_RE.search(byid[i]["output"]) or SIGN_RE.search(byid[i]["output"])]
    slot_pool = [i for i in base_ok if not byid[i]["input"] and SLOT_RE.search(byid[i]["instruction"].strip())]
    text_pool = [i for i in base_ok if len(byid[i]["input"]) > 20]
    lo = {}
    for st, pool, n in (("[insert name here]", name_pool, 5), ("{0}", slot_pool, 4), ("$TOPIC", slot_pool, 4),
                        ("{text}", text_pool, 5), ("<INPUT>", base_ok, 4), ("{{question}}", base_ok, 4),
                        ("{{ context }}", base_ok, 4)):
        for i in pick(pool, n):
            lo[i] = st

    # ---- copy originals: 60 exact + 60 near (originals stay clean; copies are new rows)
    ex_orig = pick(base_ok, 60)
    near_pool = [i for i in base_ok if any(re.search(rf"\b{w}\b", byid[i]["instruction"], re.I) for w in SYN
                                           if w not in VERB_ONLY)
                 or byid[i]["instruction"].split(" ")[0].lower() in VERB_ONLY]
    near_orig = pick(near_pool, 60)
    return dict(lang=lang_assign, tr_short=tr_short, tr_list=tr_list, tr_prose=tr_prose,
                leftover=lo, exact=ex_orig, near=near_orig)

# ------------------------------------------------------------------ truncation
def truncate(text, shape, rng):
    """Cut like a generation limit / broken export. Returns (cut_text, style)."""
    words = list(re.finditer(r"\S+", text))
    n = len(words)
    min_keep = 3
    styles = []
    if shape == "list":
        styles += ["list_after_marker", "list_mid_item"] * 2
    styles += ["after_comma", "after_function_word", "mid_word", "mid_sentence", "after_open_paren_quote"]
    rng.shuffle(styles)
    if shape == "list" and rng.random() < 0.85:
        numbered = len(re.findall(r"(?:^|\n|\s)\d{1,2}[.)]\s", text)) >= 3
        first = "list_after_marker" if numbered and rng.random() < 0.5 else "list_mid_item"
        styles.remove(first)
        styles.insert(0, first)
    elif re.search(r"\S\s+[(\"“]", text) and rng.random() < 0.6:
        styles.remove("after_open_paren_quote")
        styles.insert(0, "after_open_paren_quote")

    def cut_at_char(pos):
        return text[:pos]

    for style in styles:
        if style == "list_after_marker":
            ms = [m for m in re.finditer(r"(?:^|\n|\s)(\d{1,2})[.)]\s", text) if int(m.group(1)) >= 2]
            ms = [m for m in ms if len(text[:m.end()].split()) >= min_keep + 1]
            if ms:
                m = rng.choice(ms)
                # keep the marker, maybe with its trailing space (generation stops right after "3.")
                end = m.end() - (1 if rng.random() < 0.6 else 0)
                return text[:end], style
        if style == "list_mid_item":
            ms = [m for m in re.finditer(r"(?:^|\n)\s*(?:\d+[.)]|[-*•])\s+([^\n]+)", text)]
            ms = [m for m in ms if len(m.group(1).split()) >= 3 and m.start() > 0]
            if ms:
                m = rng.choice(ms)
                item_words = list(re.finditer(r"\S+", m.group(1)))
                k = rng.randint(1, len(item_words) - 1)
                end = m.start(1) + item_words[k - 1].end()
                if len(text[:end].split()) >= min_keep:
                    return text[:end], style
        if style == "after_comma":
            cands = [w for j, w in enumerate(words[:-1]) if w.group().endswith(",") and j + 1 >= min_keep]
            if cands:
                w = rng.choice(cands)
                return text[:w.end()], style
        if style == "after_function_word":
            cands = [w for j, w in enumerate(words[:-1])
                     if w.group().lower() in ("and", "the", "of", "a", "to", "with", "or", "in") and j + 1 >= min_keep]
            if cands:
                w = rng.choice(cands)
                return text[:w.end()], style
        if style == "after_open_paren_quote":
            cands = [m for m in re.finditer(r"[(\"“']", text)
                     if len(text[:m.start()].split()) >= min_keep and m.end() < len(text) - 2
                     and (m.group() != "'" or (m.start() > 0 and text[m.start() - 1] == " "))]
            if cands:
                m = rng.choice(cands)
                return text[:m.end()], style
        if style == "mid_word":
            cands = [(j, w) for j, w in enumerate(words[:-1]) if j >= min_keep and len(w.group().strip(".,;:!?\"')(")) >= 5]
            if cands:
                j, w = rng.choice(cands)
                core = w.group()
                k = rng.randint(2, len(core.rstrip(".,;:!?\"')")) - 2)
                return text[:w.start() + k], style
        if style == "mid_sentence":
            # cut at a random word boundary that is not a sentence end
            cands = [j for j in range(min_keep - 1, n - 1) if not re.search(r"[.!?:;]\W*$", words[j].group())]
            if cands:
                j = rng.choice(cands)
                return text[:words[j].end()], style
    # fallback: random word boundary
    j = rng.randint(min_keep - 1, n - 2)
    return text[:words[j].end()], "word_boundary"

# ------------------------------------------------------------------ exact copies
def exact_variant(r, rng):
    ins, inp, out = r["instruction"], r["input"], r["output"]
    kinds = []
    c = rng.random()
    if c < 0.25:
        ins = ins.upper()
        kinds.append("upper")
    elif c < 0.5:
        ins = ins.lower()
        kinds.append("lower")
    elif c < 0.7:
        ins = ins.title()
        kinds.append("title")
    ws = rng.random()
    if not kinds or ws < 0.5:
        opt = rng.choice(["double_space", "trailing_space", "trailing_newline", "leading_space", "inner_newline"])
        sp = [m.start() for m in re.finditer(" ", ins)]
        if opt == "double_space" and sp:
            p = rng.choice(sp)
            ins = ins[:p] + "  " + ins[p + 1:]
        elif opt == "inner_newline" and sp:
            p = rng.choice(sp)
            ins = ins[:p] + "\n" + ins[p + 1:]
        elif opt == "trailing_space":
            ins = ins + rng.choice([" ", "  ", "\t"])
        elif opt == "leading_space":
            ins = " " + ins
        else:
            ins = ins + "\n"
            opt = "trailing_newline"
        kinds.append(opt)
    if rng.random() < 0.3:
        o = rng.choice(["out_trailing_newline", "out_double_space", "out_strip"])
        if o == "out_trailing_newline":
            out = out + "\n"
        elif o == "out_double_space" and " " in out:
            sp = [m.start() for m in re.finditer(" ", out)]
            p = rng.choice(sp)
            out = out[:p] + "  " + out[p + 1:]
        else:
            out = "  " + out.strip() + " "
            o = "out_pad"
        kinds.append(o)
    return {"instruction": ins, "input": inp, "output": out}, kinds

# ------------------------------------------------------------------ near copies
SYN = {"describe": "explain", "explain": "describe", "list": "name", "name": "list", "write": "compose",
       "create": "generate", "generate": "create", "give": "provide", "provide": "give", "make": "create",
       "short": "brief", "brief": "short", "good": "great", "big": "large", "small": "little",
       "important": "significant", "main": "primary", "identify": "determine", "find": "identify",
       "suggest": "propose", "summarize": "sum up", "different": "various", "ways": "methods",
       "tips": "suggestions", "example": "instance", "best": "top", "help": "assist", "story": "tale",
       "construct": "build", "design": "create", "develop": "create", "benefits": "advantages",
       "advantages": "benefits", "choose": "select", "select": "choose", "use": "utilize",
       "following": "given", "given": "following", "common": "typical", "popular": "well-known"}
SYN.pop("different")

VERB_ONLY = {"list", "name", "use", "design", "make", "help", "select", "find"}  # only swap as sentence-initial verb

def _match_case(src, dst):
    if src.isupper() and len(src) > 1:
        return dst.upper()
    if src[0].isupper():
        return dst[0].upper() + dst[1:]
    return dst

def near_variant(r, rng):
    ins, inp, out = r["instruction"], r["input"], r["output"]
    edits = []
    n_edits = 1 if rng.random() < 0.55 else 2
    ops = ["synonym", "swap", "period"]
    rng.shuffle(ops)
    ops = ["synonym"] + [o for o in ops if o != "synonym"]  # synonym always possible for this pool
    if rng.random() < 0.4:
        ops = ops[1:] + ops[:1]
    for op in ops:
        if len(edits) >= n_edits:
            break
        if op == "synonym":
            ms = [m for m in re.finditer(r"\b[A-Za-z]+\b", ins) if m.group().lower() in SYN
                  and (m.group().lower() not in VERB_ONLY or m.start() == 0)
                  and (m.group().lower() not in ("given", "following") or ins[:m.start()].lower().endswith("the "))]
            if ms:
                m = rng.choice(ms)
                ins = ins[:m.start()] + _match_case(m.group(), SYN[m.group().lower()]) + ins[m.end():]
                edits.append(f"synonym:{m.group()}->{SYN[m.group().lower()]}")
        elif op == "swap":
            toks = ins.split(" ")
            cands = [j for j in range(1, len(toks) - 1) if toks[j].isalpha() and toks[j + 1].isalpha()]
            if cands:
                j = rng.choice(cands)
                a, b = toks[j], toks[j + 1]
                toks[j], toks[j + 1] = b, a
                ins = " ".join(toks)
                edits.append(f"swap:{a}<->{b}")
        elif op == "period":
            s = ins.rstrip()
            if s.endswith("."):
                ins = s[:-1]
                edits.append("remove_period")
            elif s[-1:] in "?!:;,)\"'":
                continue
            else:
                ins = s + "."
                edits.append("add_period")
    if not edits:  # guarantee one edit
        s = ins.rstrip()
        ins = s[:-1] if s.endswith((".", "?", "!")) else s + "."
        edits.append("period_fallback")
    if rng.random() < 0.25:
        c = rng.choice(["lower", "first_lower", "upper"])
        ins = ins.lower() if c == "lower" else ins.upper() if c == "upper" else ins[0].lower() + ins[1:]
        edits.append("case:" + c)
    return {"instruction": ins, "input": inp, "output": out}, edits

# ------------------------------------------------------------------ template leftovers
LEFTOVER_STYLES = ["{text}", "{{question}}", "<INPUT>", "[insert name here]", "{0}", "$TOPIC", "{{ context }}"]

NAME_RE = re.compile(r"\b(Dear|Hi|Hello|Hey)\s+([A-Z][^,\n\[\]]{1,40}),")
SIGN_RE = re.compile(r"(Sincerely|Best regards|Kind regards|Regards|Best|Thanks|Cheers|Yours truly),?[ \t]*\n+[ \t]*([A-Z][^\n\[\]]{1,40}?)\s*$")
SLOT_RE = re.compile(r"\b(about|on|of|for|regarding)\s+((?:\S+\s+){0,3}\S+?)([.?!]?)$")

def leftover(r, style, rng):
    ins, inp, out = r["instruction"], r["input"], r["output"]
    where = None
    if style == "{text}":
        # template "...: {text}" never formatted; the real input got lost on export
        if rng.random() < 0.5:
            ins = ins.rstrip() + "\n\n{text}"
            where = "instruction(input dropped)"
        else:
            ins = ins.rstrip() + "\n\nText: {text}"
            where = "instruction(input dropped)"
        inp = ""
    elif style == "{{question}}":
        if rng.random() < 0.5:
            ins = "{{question}}"
            where = "instruction(replaced)"
        else:
            ins = "Answer the following question.\nQuestion: {{question}}"
            where = "instruction(template)"
    elif style == "<INPUT>":
        ins = ins.rstrip() + rng.choice(["\n<INPUT>", "\n\nInput: <INPUT>", " <INPUT>"])
        where = "instruction" + ("(input dropped)" if inp else "")
        inp = ""
    elif style == "[insert name here]":
        m, m2 = NAME_RE.search(out), SIGN_RE.search(out)
        if m and (not m2 or rng.random() < 0.6):
            out = out[:m.start(2)] + "[insert name here]" + out[m.end(2):]
            where = "output(salutation)"
        else:
            out = out[:m2.start(2)] + "[insert name here]" + out[m2.end(2):]
            where = "output(signature)"
    elif style in ("{0}", "$TOPIC"):
        s0 = ins.strip()
        m = SLOT_RE.search(s0)
        ins = s0[:m.start(2)] + style + m.group(3)
        where = "instruction(slot)"
    elif style == "{{ context }}":
        if rng.random() < 0.5:
            ins = "Use the context below to answer.\n\nContext: {{ context }}\n\n" + ins
            where = "instruction(prefix)"
        else:
            out = out.rstrip() + "\n\nSource: {{ context }}"
            where = "output"
    return {"instruction": ins, "input": inp, "output": out}, where

# ------------------------------------------------------------------ main
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", help="folder for planted.jsonl + truth.jsonl (required)")
    parser.add_argument("--dump-lang", action="store_true", help="only print the rows picked for language swap")
    args = parser.parse_args()
    if args.out is None and not args.dump_lang:
        parser.error("the output folder OUT is required")
    rows, rng = load()
    sel = select(rows, rng)
    byid = {r["id"]: r for r in rows}
    if args.dump_lang:
        for i, lang in sel["lang"].items():
            r = byid[i]
            print(json.dumps({"id": i, "lang": lang, "instruction": r["instruction"], "input": r["input"][:300],
                              "output": r["output"][:400]}, ensure_ascii=False))
        return
    foreign = json.loads(Path(HERE, "foreign_texts.json").read_text(encoding="utf-8"))
    truth = {r["id"]: {"id": r["id"], "defect": "clean"} for r in rows}

    # language swap
    for i, lang in sel["lang"].items():
        f = foreign[i]
        assert f["lang"] == lang, (i, f["lang"], lang)
        byid[i]["output"] = f["text"]
        truth[i] = {"id": i, "defect": "language_swap", "language": lang}

    # truncation
    trng = random.Random(SEED + 1)
    for group, shape in (("tr_short", None), ("tr_list", "list"), ("tr_prose", "prose")):
        for i in sel[group]:
            orig = byid[i]["output"]
            shp = shape or ("list" if is_listy(orig) else "prose")
            cut, style = truncate(orig, shp, trng)
            cut = cut.rstrip(" \t") if trng.random() < 0.8 else cut  # exporters usually strip trailing spaces
            assert len(cut.split()) >= 3 and len(cut) < len(orig.rstrip()), (i, cut, orig)
            byid[i]["output"] = cut
            truth[i] = {"id": i, "defect": "truncation", "original_words": wc(orig), "shape": shp,
                        "cut_style": style}

    # leftovers
    lrng = random.Random(SEED + 2)
    for i, st in sel["leftover"].items():
        new, where = leftover(byid[i], st, lrng)
        byid[i].update(new)
        truth[i] = {"id": i, "defect": "leftover", "placeholder": st, "where": where}

    # copies
    crng = random.Random(SEED + 3)
    out_rows = list(rows)
    k = 0
    for i in sel["exact"]:
        new, kinds = exact_variant(byid[i], crng)
        nid = f"x{k}"
        k += 1
        out_rows.append({"id": nid, **new})
        truth[nid] = {"id": nid, "defect": "exact_copy", "copy_of": i, "edits": kinds}
    for i in sel["near"]:
        new, edits = near_variant(byid[i], crng)
        nid = f"x{k}"
        k += 1
        out_rows.append({"id": nid, **new})
        truth[nid] = {"id": nid, "defect": "near_copy", "copy_of": i, "edits": edits}

    srng = random.Random(SEED + 4)
    srng.shuffle(out_rows)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "planted.jsonl", "w", encoding="utf-8") as fo, \
         open(args.out / "truth.jsonl", "w", encoding="utf-8") as ft:
        for r in out_rows:
            fo.write(json.dumps({"id": r["id"], "instruction": r["instruction"], "input": r["input"],
                                 "output": r["output"]}, ensure_ascii=False) + "\n")
            ft.write(json.dumps(truth[r["id"]], ensure_ascii=False) + "\n")
    from collections import Counter
    print(Counter(t["defect"] for t in truth.values()), len(out_rows))

if __name__ == "__main__":
    main()
