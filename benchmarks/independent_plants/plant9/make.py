#!/usr/bin/env python3
"""Build the plant9 held-out instruction-tuning test set (see README.md).

Usage:
    python make.py OUT            -> OUT/alpaca.jsonl, OUT/dolly.jsonl, OUT/truth.jsonl
    python make.py OUT select     -> also OUT/select_*.json helper files

Standard library only, deterministic: every random choice uses its own
random.Random(9191) instance (one per stage), and nothing iterates over a
hash-ordered set or dict.
"""
import json
import os
import random
import re
import sys

SEED = 9191
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/work/shared/data/instructions"
T45_PATH = os.path.join(DATA, "alpaca_helpfulness_t45.json")
DOLLY_PATH = os.path.join(DATA, "dolly_3k.json")

N_SAMPLE = {"alpaca": 1600, "dolly": 1200}
N_SWAP = 30
N_TRUNC = 50
N_LEFT = 15
N_COPY = 10
FILES = ("alpaca", "dolly")
PREFIX = {"alpaca": "t", "dolly": "d"}


def rng_for(stage):
    """A fresh RNG for one stage; every stage is seeded with 9191."""
    return random.Random(SEED)


def idnum(rid):
    return int(rid[1:])


# --------------------------------------------------------------------------
# base rows
# --------------------------------------------------------------------------
def load_base():
    with open(T45_PATH, encoding="utf-8") as f:
        t45 = json.load(f)
    with open(DOLLY_PATH, encoding="utf-8") as f:
        dolly = json.load(f)[:1500]
    base = {}
    for name, src in (("alpaca", t45), ("dolly", dolly)):
        rows = []
        for i, r in enumerate(src):
            if not r["output"].strip():
                continue  # empty output: left out before sampling
            rows.append({"id": f"{PREFIX[name]}{i}",
                         "instruction": r["instruction"],
                         "input": r["input"],
                         "output": r["output"]})
        base[name] = rows
    rng = rng_for("sample")
    sampled = {}
    for name in FILES:
        picked = rng.sample(base[name], N_SAMPLE[name])
        picked.sort(key=lambda r: idnum(r["id"]))
        sampled[name] = picked
    return sampled


# --------------------------------------------------------------------------
# 1. language swap
# --------------------------------------------------------------------------
SWAP_EXCLUDE = re.compile(
    r"translat|language|english|spanish|french|german|chinese|japanese|"
    r"italian|portuguese|latin|linguist|grammar|grammatic|\bwords?\b|"
    r"sentence|spell|rhym|poem|poet|haiku|limerick|lyric|song|\bcode\b|"
    r"coding|program|python|java|javascript|html|css|sql|regex|function|"
    r"algorithm|script|\btitles?\b|headline|slogan|tagline|motto|\bnames?\b|"
    r"named|naming|placeholder|lorem|ipsum|verb|noun|adjective|adverb|"
    r"pronoun|synonym|antonym|acronym|abbreviat|phrase|idiom|pun\b|"
    r"paraphras|rewrite|re-write|rephrase|reword|edit|proofread|punctuat|"
    r"vowel|letter|alphabet|syllab|pronounc|tweet|hashtag|palindrome|"
    r"anagram|capitaliz|tense|passive|active voice|quote|quotation|"
    r"\bpinyin|kanji|dialect|accent|vocabulary|\bspeak|\bmeans?\b|"
    r"meaning|stands? for|definition|define|jingle|chant",
    re.I)


def swap_candidates(rows):
    out = []
    for r in rows:
        text = r["instruction"] + "\n" + r["input"]
        if SWAP_EXCLUDE.search(text):
            continue
        out.append(r)
    return out


def select_swaps(sampled):
    rng = rng_for("swap")
    chosen = {}
    for name in FILES:
        cands = swap_candidates(sampled[name])
        picked = rng.sample(cands, N_SWAP)
        picked.sort(key=lambda r: idnum(r["id"]))
        chosen[name] = [r["id"] for r in picked]
    return chosen


# --------------------------------------------------------------------------
# shared text helpers
# --------------------------------------------------------------------------
SENT_END = re.compile(r"[.!?][\"')\]\u201d\u2019]*$")
LIST_LINE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022]|[a-zA-Z][.)])\s+\S")
CODE_RE = re.compile(
    r"```|^\s*(?:SELECT\s|def |class |import |from \w+ import |#include|"
    r"function |public |if \(|for \(|while \()|^\s*\w+ = \w+\(|"
    r"^\s*<(?:html|head|body|div|p|h\d|ul|ol|table|picture)\b", re.M)


def nwords(text):
    return len(text.split())


def shape_of(text):
    if CODE_RE.search(text):
        return "code"
    if sum(1 for ln in text.split("\n") if LIST_LINE.match(ln)) >= 2:
        return "list"
    if nwords(text) <= 20 and "\n" not in text.strip():
        return "short"
    return "prose"


# a rough GPT-2-style pre-tokenizer, used only to describe token-budget cuts
PRETOK = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d{1,3}| ?[^\s\w]+|\s+(?!\S)|\s+")


def n_pretokens(text):
    return len(PRETOK.findall(text))


# --------------------------------------------------------------------------
# 2. truncation
# --------------------------------------------------------------------------
TRUNC_QUOTA = (("after_list_item", 4), ("line_break", 6), ("char_limit", 9))
TRUNC_FILL = ("max_new_tokens_whitespace", "bpe_subword", "arbitrary_char")
ROUND_LIMITS = (100, 128, 140, 150, 200, 250, 255, 256, 280, 300, 400, 500,
                512, 1000, 1024, 1500, 2000, 2048)
SUFFIXES = ("ations", "ation", "ions", "tion", "sion", "ion", "ments", "ment", "ness", "ings", "ing", "ities",
            "ity", "ously", "ous", "ively", "ive", "able", "ible", "ally",
            "ful", "less", "ized", "ize", "ers", "er", "ed", "ly", "es", "al")


def _bounds(text):
    n = len(text)
    lo = -(-n * 25 // 100)  # ceil(25 %)
    hi = n * 90 // 100      # floor(90 %)
    return lo, hi


def _ends_line(text, k):
    """True when the kept prefix text[:k] stops at the end of a line."""
    rest = text[k:]
    return bool(re.match(r"[ \t]*(\n|$)", rest))


def _valid(text, kept, allow_sentence_end=False, allow_line_end=False):
    lo, hi = _bounds(text)
    if not (lo <= len(kept) <= hi):
        return False
    if nwords(kept) < 3 or kept == text.rstrip():
        return False
    if not allow_sentence_end and SENT_END.search(kept):
        return False
    return not (not allow_line_end and _ends_line(text, len(kept)))


def _newline_positions(text):
    return [m.start() for m in re.finditer(r"\n", text)]


def _cut_after_list_item(text, rng):
    lines_at = _newline_positions(text)
    opts = []
    for p in lines_at:
        prev = text[:p].rstrip()
        last = prev.split("\n")[-1]
        if not LIST_LINE.match(last):
            continue
        later = text[p:].split("\n")
        if not any(LIST_LINE.match(ln) for ln in later):
            continue
        if _valid(text, prev, allow_sentence_end=True, allow_line_end=True):
            opts.append(p)
    if not opts:
        return None
    p = rng.choice(opts)
    kept = text[:p].rstrip()
    total = sum(1 for ln in text.split("\n") if LIST_LINE.match(ln))
    done = sum(1 for ln in kept.split("\n") if LIST_LINE.match(ln))
    return kept, {"cut_char": len(kept), "items_kept": done,
                  "items_total": total, "last_line": kept.split("\n")[-1]}


def _cut_line_break(text, rng):
    opts = []
    for p in _newline_positions(text):
        prev = text[:p].rstrip()
        last = prev.split("\n")[-1]
        if not last.strip() or LIST_LINE.match(last):
            continue
        if _valid(text, prev, allow_line_end=True):
            opts.append(p)
    if not opts:
        return None
    p = rng.choice(opts)
    kept = text[:p].rstrip()
    return kept, {"cut_char": len(kept), "stop": "newline",
                  "last_line": kept.split("\n")[-1]}


def _cut_char_limit(text, rng):
    opts = []
    for lim in ROUND_LIMITS:
        kept = text[:lim].rstrip()
        if lim < len(text) and _valid(text, kept):
            opts.append(lim)
    if not opts:
        return None
    lim = rng.choice(opts)
    kept = text[:lim].rstrip()
    mid = text[lim - 1].isalnum() and text[lim].isalnum()
    return kept, {"limit_chars": lim, "mid_word": mid}


def _cut_whitespace_token(text, rng):
    lo, hi = _bounds(text)
    opts = []
    for m in re.finditer(r"\S(?=[ \t]+\S)", text):
        k = m.end()
        if lo <= k <= hi and _valid(text, text[:k]):
            opts.append(k)
    if not opts:
        return None
    k = rng.choice(opts)
    kept = text[:k]
    ntok = n_pretokens(kept) + 1  # + the whitespace token it stopped on
    return kept, {"cut_char": k, "approx_tokens_generated": ntok,
                  "last_token": "whitespace"}


def _cut_bpe(text, rng):
    lo, hi = _bounds(text)
    opts = []
    for m in re.finditer(r"[A-Za-z]{6,}", text):
        w = m.group(0)
        split = None
        for suf in SUFFIXES:
            if w.lower().endswith(suf) and len(w) - len(suf) >= 3:
                split = (len(w) - len(suf), "before_suffix")
                break
        if split is None:
            continue
        k = m.start() + split[0]
        kept = text[:k]
        if _valid(text, kept):
            opts.append((m.start(), w, split))
    # inner splits for long words without a known suffix
    for m in re.finditer(r"[A-Za-z]{8,}", text):
        w = m.group(0)
        if any(w.lower().endswith(s) for s in SUFFIXES):
            continue
        k0 = 3 + (len(w) - 6) // 2
        kept = text[:m.start() + k0]
        if _valid(text, kept):
            opts.append((m.start(), w, (k0, "inner")))
    if not opts:
        return None
    opts.sort()
    start, w, (k, how) = rng.choice(opts)
    kept = text[:start + k]
    return kept, {"cut_char": len(kept), "word": w, "kept_piece": w[:k],
                  "split": how}


def _cut_arbitrary(text, rng):
    lo, hi = _bounds(text)
    for _ in range(400):
        k = rng.randint(lo, hi)
        kept = text[:k].rstrip()
        if _valid(text, kept):
            mid = text[k - 1].isalnum() and text[k].isalnum()
            return kept, {"cut_char": k, "mid_word": mid}
    return None


CUTTERS = {
    "after_list_item": _cut_after_list_item,
    "line_break": _cut_line_break,
    "char_limit": _cut_char_limit,
    "max_new_tokens_whitespace": _cut_whitespace_token,
    "bpe_subword": _cut_bpe,
    "arbitrary_char": _cut_arbitrary,
}


def select_truncations(sampled, swaps):
    rng = rng_for("truncation-select")
    chosen = {}
    for name in FILES:
        taken = set(swaps[name])
        pool = [r for r in sampled[name]
                if r["id"] not in taken and nwords(r["output"]) >= 8]
        picked = rng.sample(pool, N_TRUNC)
        picked.sort(key=lambda r: idnum(r["id"]))
        chosen[name] = [r["id"] for r in picked]
    return chosen


def plan_truncations(sampled, trunc_ids):
    """Assign a cut mode to every selected row and make the cut."""
    rng = rng_for("truncation-cut")
    result = {}
    for name in FILES:
        byid = {r["id"]: r for r in sampled[name]}
        ids = list(trunc_ids[name])
        mode_of = {}
        for mode, quota in TRUNC_QUOTA:
            free = [i for i in ids if i not in mode_of]
            ok = [i for i in free
                  if CUTTERS[mode](byid[i]["output"], rng_for("probe"))]
            for i in rng.sample(ok, min(quota, len(ok))):
                mode_of[i] = mode
        rest = [i for i in ids if i not in mode_of]
        rng.shuffle(rest)
        for j, i in enumerate(rest):
            mode_of[i] = TRUNC_FILL[j % len(TRUNC_FILL)]
        for i in ids:
            text = byid[i]["output"]
            mode = mode_of[i]
            got = CUTTERS[mode](text, rng)
            if got is None:
                for alt in ("max_new_tokens_whitespace", "arbitrary_char"):
                    got = CUTTERS[alt](text, rng)
                    if got is not None:
                        mode = alt
                        break
            if got is None:
                raise SystemExit(f"no valid cut for {i}")
            kept, detail = got
            result[i] = {"mode": mode, "kept": kept, "detail": detail,
                         "shape": shape_of(text)}
    return result


# --------------------------------------------------------------------------
# placeholder-like text that is already in the real rows
# --------------------------------------------------------------------------
HTML_TAGS = set("""a abbr b body br caption code div em footer h1 h2 h3 h4 h5 h6
head header hr html i img input label li link meta nav ol option p picture pre
script section select small source span strong style table tbody td th thead
title tr u ul""".split())
WIKI_NOTE = re.compile(r"citation needed|^note \d|^nb \d|page needed|failed "
                       r"verification|clarification needed|dubious|better "
                       r"source needed|timeframe\?|^(?:int|ext)\.", re.I)
SQUARE = re.compile(r"\[([A-Za-z][^\[\]\n]{0,39})\](?!\()")
CURLY = re.compile(r"\{\{?\s*[A-Za-z_][\w .'/-]{0,40}\s*\}\}?")
ANGLE = re.compile(r"<([^<>\n]{2,40})>")
OTHER = re.compile(r"_{3,}|%s\b|%\(\w+\)s|\$\{\w+\}|\$[A-Za-z_]\w*|<<|\[\[|"
                   r"\b(?:INSERT|PLACEHOLDER|TODO|TBD|XXX)\b|\b[A-Z]{2,}_[A-Z_]{2,}\b")


def natural_placeholders(text):
    hits = []
    for m in SQUARE.finditer(text):
        body = m.group(1)
        if WIKI_NOTE.search(body) or body.rstrip().endswith(".") \
                or len(body.split()) > 5:
            continue
        if not all(ch.isascii() or ch in "\u2019" for ch in body):
            continue  # IPA transcriptions and the like
        hits.append(m.group(0))
    for m in CURLY.finditer(text):
        hits.append(m.group(0))
    for m in ANGLE.finditer(text):
        body = m.group(1).strip()
        if body.startswith("/") or body.startswith("!"):
            continue
        tag = re.split(r"[\s/]", body.lower(), maxsplit=1)[0]
        if tag in HTML_TAGS or not re.search(r"[A-Za-z]", body):
            continue
        hits.append(m.group(0))
    for m in OTHER.finditer(text):
        hits.append(m.group(0))
    return hits


def row_placeholders(r):
    return [h for f in ("instruction", "input", "output")
            for h in natural_placeholders(r[f])]


# --------------------------------------------------------------------------
# 3. leftover template placeholders
# --------------------------------------------------------------------------
def select_leftovers(sampled, swaps, trunc_ids):
    rng = rng_for("leftover-select")
    chosen = {}
    for name in FILES:
        taken = set(swaps[name]) | set(trunc_ids[name])
        pool = [r for r in sampled[name]
                if r["id"] not in taken and not row_placeholders(r)]
        picked = rng.sample(pool, N_LEFT)
        picked.sort(key=lambda r: idnum(r["id"]))
        chosen[name] = [r["id"] for r in picked]
    return chosen


# Hand-written edits for the rows that select_leftovers() draws.  Each entry:
# (id, style, location, op, find, replacement, placeholder)
#   op "replace": the first occurrence of `find` becomes `replacement`
#   op "set":     the whole field becomes `replacement`
#   op "prepend" / "append": `replacement` is added at the start / end
LEFTOVER_EDITS = (
    # ---- alpaca (t45) ----
    ("t451", "jinja", "input", "set", None,
     "{{ description }}", "{{ description }}"),
    ("t610", "python_format_named", "instruction", "replace",
     "How could recycling help", "How could {activity} help", "{activity}"),
    ("t697", "angle_insert", "instruction", "replace",
     "Make a crayon drawing", "Make a crayon drawing of <insert subject here>",
     "<insert subject here>"),
    ("t705", "square_bracket", "output", "replace",
     "The laptop itself weighs only", "The [PRODUCT NAME] weighs only",
     "[PRODUCT NAME]"),
    ("t717", "printf_s", "instruction", "replace",
     "feelings of nostalgia.", "feelings of %s.", "%s"),
    ("t727", "python_format_positional", "instruction", "replace",
     "Combine two colors to create", "Combine {0} and {1} to create",
     "{0} and {1}"),
    ("t781", "shell_dollar", "input", "replace",
     "Ingredients: lettuce, tomatoes, peppers, mushrooms, avocado, beans",
     "Ingredients: $ingredients", "$ingredients"),
    ("t782", "double_angle", "output", "replace",
     'called "Fantastic Wares"', 'called "<<store_name>>"', "<<store_name>>"),
    ("t1011", "blank_underscores", "instruction", "replace",
     "to play at a party.", "to play at a ___ party.", "___"),
    ("t1184", "printf_named", "instruction", "replace",
     "whose pet just died", "whose %(pet)s just died", "%(pet)s"),
    ("t1680", "caps_token", "instruction", "replace",
     "promote their business online?",
     "promote their INSERT_BUSINESS_TYPE business online?",
     "INSERT_BUSINESS_TYPE"),
    ("t1693", "double_square", "instruction", "replace",
     "technology on healthcare.", "technology on [[INDUSTRY]].", "[[INDUSTRY]]"),
    ("t1898", "shell_dollar_brace", "input", "replace",
     "Height: 5'6\u201d", "Height: ${height}", "${height}"),
    ("t1962", "square_bracket", "output", "replace",
     "and a secure authentication system.",
     "and [insert authentication protocol].",
     "[insert authentication protocol]"),
    ("t1998", "square_bracket", "output", "prepend", None,
     "Happy birthday, [Name]! ", "[Name]"),
    # ---- dolly ----
    ("d112", "python_format_named", "instruction", "replace",
     "Dongfeng, Chrysler", "{manufacturers}", "{manufacturers}"),
    ("d165", "jinja", "instruction", "replace",
     "and kosher salt the same?", "and {{ salt_type }} the same?",
     "{{ salt_type }}"),
    ("d191", "angle_caps", "instruction", "replace",
     "? Ultron, Brainiac", "? <CHARACTERS>", "<CHARACTERS>"),
    ("d302", "jinja_input_in_response", "output", "prepend", None,
     'Corrected version of "{{input}}":\n', "{{input}}"),
    ("d425", "shell_dollar_brace", "output", "replace",
     "Treasury notes are issued and", "Treasury notes are issued by ${issuer} and",
     "${issuer}"),
    ("d589", "shell_dollar", "instruction", "replace",
     "at Disney World's Magic Kingdom theme park.", "at $park theme park.",
     "$park"),
    ("d650", "python_format_positional", "instruction", "replace",
     "\nParis, Munich, Frankfurt, Nice, Lyon, Dresden", "\n{0}", "{0}"),
    ("d837", "double_angle", "instruction", "replace",
     "enable a support team", "enable the <<team_name>> support team",
     "<<team_name>>"),
    ("d1063", "caps_token", "instruction", "append", None,
     " Keep the answer under MAX_WORDS words.", "MAX_WORDS"),
    ("d1191", "angle_insert", "output", "replace",
     "In Canada, the term automated banking machine",
     "In <insert country>, the term automated banking machine",
     "<insert country>"),
    ("d1210", "python_format_named", "instruction", "replace",
     "used to make carbonara.", "used to make {dish}.", "{dish}"),
    ("d1252", "printf_s", "instruction", "replace",
     ": pizza, pasta, tiramisu, ice cream, ribs, steak, ceviche", ": %s", "%s"),
    ("d1311", "mustache_triple", "input", "set", None,
     "{{{passage}}}", "{{{passage}}}"),
    ("d1433", "blank_underscores", "output", "replace",
     "The eight institutions", "The ___ institutions", "___"),
    ("d1487", "python_format_named", "output", "append", None,
     "\n\nFinal answer: {final_answer}", "{final_answer}"),
)


def apply_leftover(row, edit):
    rid, style, loc, op, find, repl, ph = edit
    text = row[loc]
    if op == "set":
        new = repl
    elif op == "replace":
        if find not in text:
            raise SystemExit(f"leftover edit for {rid}: {find!r} not found")
        new = text.replace(find, repl, 1)
    elif op == "prepend":
        new = repl + text
    elif op == "append":
        new = text + repl
    else:
        raise SystemExit("bad op " + op)
    if ph not in new or new == text:
        raise SystemExit(f"leftover edit for {rid} did not plant {ph!r}")
    row[loc] = new
    return {"style": style, "location": loc, "placeholder": ph}


# --------------------------------------------------------------------------
# 4. exact copies
# --------------------------------------------------------------------------
COPY_PLANS = (  # per file, in order of the drawn source rows
    (), (),
    ("instruction_lowercased",),
    ("instruction_lowercased", "output_trailing_newline"),
    ("instruction_uppercased",),
    ("instruction_double_space",),
    ("output_double_space", "instruction_trailing_space"),
    ("instruction_leading_space",),
    ("instruction_tab",),
    ("output_leading_whitespace", "output_trailing_whitespace"),
)


def _respace(text, rng, new):
    spots = [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", text)]
    if not spots:
        return None
    k = rng.choice(spots)
    return text[:k] + new + text[k + 1:]


def apply_change(row, change, rng):
    ins, out = row["instruction"], row["output"]
    if change == "instruction_lowercased":
        row["instruction"] = ins.lower()
    elif change == "instruction_uppercased":
        row["instruction"] = ins.upper()
    elif change == "instruction_double_space":
        row["instruction"] = _respace(ins, rng, "  ") or ins
    elif change == "output_double_space":
        row["output"] = _respace(out, rng, "  ") or out
    elif change == "instruction_tab":
        row["instruction"] = _respace(ins, rng, "\t") or ins
    elif change == "instruction_trailing_space":
        row["instruction"] = ins + " "
    elif change == "instruction_leading_space":
        row["instruction"] = " " + ins
    elif change == "output_trailing_newline":
        row["output"] = out + "\n"
    elif change == "output_leading_whitespace":
        row["output"] = " " + out
    elif change == "output_trailing_whitespace":
        row["output"] = out + "  "
    else:
        raise SystemExit("bad change " + change)
    return (row["instruction"], row["output"]) != (ins, out)


def make_copies(rows_by_file, clean_ids, natural):
    rng = rng_for("copies")
    copies = {}
    for name in FILES:
        byid = {r["id"]: r for r in rows_by_file[name]}
        pool = [i for i in clean_ids[name] if not natural.get(i)]
        src_ids = rng.sample(pool, N_COPY)
        new_nums = rng.sample(range(3000, 4000), N_COPY)
        plans = list(COPY_PLANS)
        rng.shuffle(plans)
        made = []
        for src, num, plan in zip(src_ids, new_nums, plans, strict=False):
            base = byid[src]
            row = {"id": f"{PREFIX[name]}{num}",
                   "instruction": base["instruction"],
                   "input": base["input"], "output": base["output"]}
            changes = []
            for ch in plan:
                if not apply_change(row, ch, rng):
                    # e.g. lower-casing an already lower-case instruction
                    alt = "instruction_trailing_space"
                    apply_change(row, alt, rng)
                    ch = alt
                changes.append(ch)
            made.append((row, {"copy_of": src, "changes": changes}))
        copies[name] = made
    return copies


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
def load_swaps():
    with open(os.path.join(HERE, "swaps.json"), encoding="utf-8") as f:
        return json.load(f)


def build(select_dir=None):
    sampled = load_base()
    swaps = select_swaps(sampled)
    trunc_ids = select_truncations(sampled, swaps)
    trunc = plan_truncations(sampled, trunc_ids)
    left_ids = select_leftovers(sampled, swaps, trunc_ids)

    if select_dir is not None:
        byid = {r["id"]: r for n in FILES for r in sampled[n]}
        for fname, data in (
                ("select_swaps.json", [byid[i] for n in FILES for i in swaps[n]]),
                ("select_leftovers.json", [byid[i] for n in FILES for i in left_ids[n]]),
                ("select_truncations.json",
                 [dict(id=i, original=byid[i]["output"], **trunc[i])
                  for n in FILES for i in trunc_ids[n]])):
            with open(os.path.join(select_dir, fname), "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=1)

    swap_text = load_swaps()
    want = sorted((i for n in FILES for i in swaps[n]), key=lambda k: (k[0], idnum(k)))
    have = sorted(swap_text, key=lambda k: (k[0], idnum(k)))
    missing = [i for i in want if i not in swap_text]
    extra = [i for i in have if i not in want]
    if missing or extra:
        raise SystemExit(f"swaps.json does not match the drawn rows: missing {missing}, "
                         f"extra {extra}")
    edits = {e[0]: e for e in LEFTOVER_EDITS}
    want = [i for n in FILES for i in left_ids[n]]
    if sorted(want) != sorted(edits):
        raise SystemExit(f"LEFTOVER_EDITS does not match the drawn rows: {sorted(set(want) ^ set(edits))}")

    rows = {}
    truth = {}
    clean_ids = {}
    natural = {}
    for name in FILES:
        out_rows = []
        clean_ids[name] = []
        sw, tr, lf = set(swaps[name]), set(trunc_ids[name]), set(left_ids[name])
        for base in sampled[name]:
            rid = base["id"]
            row = {"id": rid, "instruction": base["instruction"],
                   "input": base["input"], "output": base["output"]}
            t = {"id": rid, "file": name + ".jsonl"}
            if rid in sw:
                s = swap_text[rid]
                row["output"] = s["output"]
                t.update(defect="language_swap", language=s["language"],
                         language_code=s["language_code"], length=s["length"])
            elif rid in tr:
                c = trunc[rid]
                orig = row["output"]
                row["output"] = c["kept"]
                t.update(defect="truncation", shape=c["shape"], cut_mode=c["mode"],
                         cut_detail=c["detail"], original_words=nwords(orig),
                         kept_words=nwords(c["kept"]))
                if c["mode"] == "after_list_item":
                    t["after_complete_list_item"] = True
            elif rid in lf:
                info = apply_leftover(row, edits[rid])
                t.update(defect="leftover", **info)
            else:
                t["defect"] = "clean"
                clean_ids[name].append(rid)
                if row_placeholders(row):
                    t["natural_placeholder_like"] = True
                    natural[rid] = True
                if not SENT_END.search(row["output"].rstrip()):
                    t["natural_no_final_punct"] = True
            out_rows.append(row)
            truth[rid] = t
        rows[name] = out_rows

    copies = make_copies(rows, clean_ids, natural)
    rng = rng_for("shuffle")
    for name in FILES:
        for row, info in copies[name]:
            if row["id"] in truth:
                raise SystemExit("duplicate id " + row["id"])
            rows[name].append(row)
            truth[row["id"]] = dict({"id": row["id"], "file": name + ".jsonl",
                                     "defect": "exact_copy"}, **info)
        rng.shuffle(rows[name])
    return rows, truth


def check(rows, truth):
    ids = [r["id"] for n in FILES for r in rows[n]]
    assert len(ids) == len(set(ids)) == len(truth)
    for name in FILES:
        kinds = {}
        for r in rows[name]:
            assert list(r) == ["id", "instruction", "input", "output"]
            d = truth[r["id"]]["defect"]
            kinds[d] = kinds.get(d, 0) + 1
        assert kinds["language_swap"] == N_SWAP
        assert kinds["truncation"] == N_TRUNC
        assert kinds["leftover"] == N_LEFT
        assert kinds["exact_copy"] == N_COPY
        assert sum(kinds.values()) == N_SAMPLE[name] + N_COPY
    byid = {r["id"]: r for n in FILES for r in rows[n]}
    for rid, t in truth.items():
        if t["defect"] == "truncation":
            kept = byid[rid]["output"]
            assert kept == kept.rstrip() and nwords(kept) >= 3
            if not t.get("after_complete_list_item"):
                assert not SENT_END.search(kept), rid
        if t["defect"] == "exact_copy":
            a, b = byid[rid], byid[t["copy_of"]]
            assert a["input"] == b["input"]
            for f in ("instruction", "output"):
                assert " ".join(a[f].split()).lower() == " ".join(b[f].split()).lower()


def write_jsonl(path, items):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    out_dir = argv[1]
    select = len(argv) > 2 and argv[2] == "select"
    os.makedirs(out_dir, exist_ok=True)
    rows, truth = build(out_dir if select else None)
    check(rows, truth)
    write_jsonl(os.path.join(out_dir, "alpaca.jsonl"), rows["alpaca"])
    write_jsonl(os.path.join(out_dir, "dolly.jsonl"), rows["dolly"])
    write_jsonl(os.path.join(out_dir, "truth.jsonl"),
                [truth[r["id"]] for n in FILES for r in rows[n]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
