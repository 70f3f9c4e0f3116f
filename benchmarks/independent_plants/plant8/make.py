#!/usr/bin/env python3
"""plant8: held-out instruction-tuning test set with planted defects.

Usage:
    python make.py OUT            -> OUT/alpaca.jsonl, OUT/dolly.jsonl, OUT/truth.jsonl
    python make.py OUT select     -> also OUT/select_*.txt (helper listings used
                                     while hand-writing swaps.json and the
                                     LEFTOVERS table below)

Standard library only, deterministic: every random choice comes from its own
random.Random(8181) instance; no set/dict iteration whose order depends on
hashing.
"""
import json
import math
import os
import random
import re
import sys

SEED = 8181
HERE = os.path.dirname(os.path.abspath(__file__))
ALPACA_SRC = "/work/shared/data/instructions/alpaca_random_9k.json"
DOLLY_SRC = "/work/shared/data/instructions/dolly_3k.json"

FILES = [
    # name, src, index range (inclusive), sample size, id prefix, copy id range
    ("alpaca.jsonl", ALPACA_SRC, (0, 2999), 1600, "a", (9229, 9999)),
    ("dolly.jsonl", DOLLY_SRC, (1500, 2995), 1200, "d", (3000, 3999)),
]
N_SWAP = 30
SWAP_LENGTHS = [("short", 10), ("sentence", 10), ("paragraph", 7), ("list", 3)]
N_TRUNC = 50
N_LEFTOVER = 15
N_COPY = 10
MAX_AFTER_ITEM = 4  # "a few" truncations right after a complete list item

SENT_END = re.compile(r"[.!?][\"')\]\u201d\u2019]*$")
LIST_MARK = re.compile(r"^\s*(?:[-*\u2022+]|\d{1,2}[.)]|[a-zA-Z][.)])\s+\S")


def R():
    return random.Random(SEED)


def words(s):
    return s.split()


# ---------------------------------------------------------------- loading
def load_base(src, lo, hi, n, prefix):
    with open(src, encoding="utf-8") as f:
        data = json.load(f)
    pool = []
    for i in range(lo, hi + 1):
        r = data[i]
        if not r["output"].strip():
            continue
        pool.append({
            "id": f"{prefix}{i}",
            "instruction": r["instruction"],
            "input": r["input"],
            "output": r["output"],
        })
    rows = R().sample(pool, n)
    rows.sort(key=lambda r: int(r["id"][1:]))
    return rows


# ---------------------------------------------------------------- swap pool
SWAP_EXCLUDE = re.compile(
    r"translat|language|lingu|dialect|english|spanish|french|german|chinese|"
    r"mandarin|japanese|italian|portuguese|korean|arabic|hindi|russian|latin|"
    r"dutch|swedish|polish|turkish|greek|grammar|grammatical|\bwords?\b|"
    r"sentence|spell|rhym|poem|poetry|haiku|limerick|sonnet|verse|\bcode\b|"
    r"coding|program|script|function|python|javascript|\bjava\b|\bsql\b|"
    r"html|css|regex|algorithm|\btitles?\b|headline|slogan|tagline|name|"
    r"naming|mnemonic|contraction|proverb|saying|motto|known as|\bcalled\b|placeholder|lorem|acronym|abbreviat|synonym|antonym|"
    r"adjective|adverb|\bverbs?\b|\bnouns?\b|pronoun|punctuat|capitali|vowel|"
    r"\bletters?\b|alphabet|syllable|\bpuns?\b|phrase|idiom|paraphrase|"
    r"rewrite|re-write|rephrase|\bedit|proofread|hashtag|lyrics|palindrome|"
    r"anagram|\bcorrect|pronounc|stand for|meaning of|\bdefin|\bsay\b|"
    r"\bquote|tense|passive|active voice|plural|prefix|suffix|spelling",
    re.I,
)


def list_lines(text):
    return [ln for ln in text.split("\n") if LIST_MARK.match(ln)]


def swap_stratum(out):
    wc = len(words(out))
    if len(list_lines(out)) >= 3:
        return "list"
    if "```" in out:
        return None
    if wc <= 10 and "\n" not in out.strip():
        return "short"
    if 11 <= wc <= 45 and "\n" not in out.strip():
        return "sentence"
    if wc >= 50:
        return "paragraph"
    return None


# ---------------------------------------------------------------- truncation
CODE_LINE = re.compile(
    r"[;{}]\s*$|^\s*(?:def|class|import|from|for|while|if|elif|else|return|"
    r"print|#include|public|private|var|let|const|function|SELECT|INSERT|"
    r"UPDATE|CREATE)\b|^\s*<[a-zA-Z/!]|^\s{4,}\S|\)\s*:\s*$"
)


def shape_of(out):
    lines = [ln for ln in out.split("\n") if ln.strip()]
    if "```" in out:
        return "code"
    if len(lines) >= 3:
        codey = sum(1 for ln in lines if CODE_LINE.search(ln))
        if codey >= 0.4 * len(lines):
            return "code"
    if len(list_lines(out)) >= 2:
        return "list"
    if len(lines) >= 3:
        shortish = sum(1 for ln in lines if len(words(ln)) <= 10
                       and not SENT_END.search(ln.strip()))
        if shortish >= 0.6 * len(lines):
            return "list"
    if len(words(out)) <= 25 and len(lines) == 1:
        return "short"
    return "prose"


def is_item_line(line, shape):
    if LIST_MARK.match(line):
        return True
    return (shape == "list" and 0 < len(words(line)) <= 10
            and not line.rstrip().endswith(":"))


def kept_ok(orig, kept, allow_sentence_end=False, at_line_end=False):
    L = len(orig)
    if not kept or kept == orig.rstrip():
        return False
    if not at_line_end and re.match(r"[ \t]*(?:\n|$)", orig[len(kept):]):
        # stopping exactly at a line end is the line-break mode's business
        return False
    if not (math.ceil(0.25 * L) <= len(kept) <= math.floor(0.90 * L)):
        return False
    if len(words(kept)) < 3:
        return False
    if kept.endswith("\u2026") or kept.endswith(".."):
        return False
    return not (not allow_sentence_end and SENT_END.search(kept))


SUFFIXES = ["ization", "ations", "ation", "ition", "tion", "sion", "ments",
            "ment", "ness", "ities", "ity", "ous", "ive", "able", "ible",
            "ful", "less", "ing", "ings", "ed", "er", "ers", "est", "ly",
            "al", "ize", "ise", "ence", "ance", "ism", "ist", "ists", "ies"]
PREFIXES = ["un", "re", "pre", "dis", "over", "under", "inter", "trans",
            "con", "com", "pro", "sub", "super", "micro", "photo", "auto"]


def bpe_splits(word):
    """Plausible sub-word split points inside a word (stem >= 3 chars)."""
    out = []
    lw = word.lower()
    for suf in SUFFIXES:
        if lw.endswith(suf) and len(lw) - len(suf) >= 3:
            out.append(len(lw) - len(suf))
    for pre in PREFIXES:
        if lw.startswith(pre) and len(lw) - len(pre) >= 3:
            out.append(len(pre))
    return sorted(x for x in dict.fromkeys(out) if 0 < x < len(word))


def cands_ws(t):
    res = []
    for m in re.finditer(r"\S(?=\s)", t):
        i = m.end()
        kept = t[:i]
        if kept_ok(t, kept):
            res.append((i, kept, f"stopped after a whitespace token at char {i}"))
    return res


def cands_bpe(t):
    res = []
    for m in re.finditer(r"[A-Za-z]{6,}", t):
        w = m.group(0)
        for k in bpe_splits(w):
            i = m.start() + k
            kept = t[:i]
            if kept_ok(t, kept):
                res.append((i, kept, f"inside word {w!r} at sub-word boundary: {w[:k]!r}|{w[k:]!r}"))
    return res


CHAR_LIMITS = [100, 128, 150, 200, 250, 255, 256, 300, 400, 500, 512, 1000,
               1024, 1500, 2000, 2048]


def cands_char(t):
    res = []
    for n in CHAR_LIMITS:
        if n >= len(t):
            break
        kept = t[:n].rstrip()
        if kept_ok(t, kept):
            res.append((n, kept, f"hard character limit {n}"))
    return res


def cands_arb(t):
    res = []
    for i in range(1, len(t)):
        kept = t[:i].rstrip()
        if kept_ok(t, kept):
            res.append((i, kept, f"arbitrary character offset {i} (export break)"))
    return res


def cands_line(t, shape, item):
    res = []
    for m in re.finditer(r"\n", t):
        i = m.start()
        kept = t[:i].rstrip()
        if not kept or not t[i:].strip():
            continue
        last = kept.split("\n")[-1]
        nxt = t[i:].strip().split("\n")[0]
        if item:
            if (is_item_line(last, shape) and is_item_line(nxt, shape)
                    and kept_ok(t, kept, True, True)):
                res.append((i, kept, f"stopped at line break after complete list item {last.strip()[:60]!r}"))
        else:
            if not is_item_line(last, shape) and kept_ok(t, kept, False, True):
                res.append((i, kept, f"stopped at line break after unfinished line {last.strip()[:60]!r}"))
    return res


MODE_WEIGHTS = {
    "prose": [("max_tokens_whitespace", 40), ("bpe_subword", 20),
              ("char_limit", 15), ("arbitrary_char", 15), ("line_break", 60)],
    "short": [("max_tokens_whitespace", 45), ("bpe_subword", 30),
              ("arbitrary_char", 25), ("char_limit", 10)],
    "list": [("max_tokens_whitespace", 25), ("bpe_subword", 10),
             ("char_limit", 10), ("arbitrary_char", 10), ("line_break", 30),
             ("after_list_item", 30)],
    "code": [("max_tokens_whitespace", 25), ("bpe_subword", 10),
             ("char_limit", 20), ("arbitrary_char", 20), ("line_break", 25)],
}


def truncate(t, shape, rng, allow_item):
    cands = {
        "max_tokens_whitespace": cands_ws(t),
        "bpe_subword": cands_bpe(t),
        "char_limit": cands_char(t),
        "arbitrary_char": cands_arb(t),
        "line_break": cands_line(t, shape, False),
        "after_list_item": cands_line(t, shape, True) if allow_item else [],
    }
    opts = [(m, w) for m, w in MODE_WEIGHTS[shape] if cands[m]]
    if not opts:
        return None
    tot = sum(w for _, w in opts)
    x = rng.random() * tot
    for mode, w in opts:  # noqa: B007 (mode is read after the loop)
        x -= w
        if x < 0:
            break
    pos, kept, detail = rng.choice(cands[mode])
    detail = f"{detail}; kept {len(kept)} of {len(t)} chars ({100.0 * len(kept) / len(t):.0f}%)"
    return mode, kept, detail


# ---------------------------------------------------------------- placeholders
# Placeholder-like text that can already occur in real rows.
NATURAL_PH = [
    re.compile(r"\{\{[^{}\n]{1,40}\}\}"),
    re.compile(r"(?<![\w$])\{(?:[A-Za-z_][A-Za-z_ ]{0,30}|\d)\}"),
    re.compile(r"\$\{[A-Za-z_]\w*\}"),
    re.compile(r"<(?:insert|your|enter|add|name|placeholder|type)[^<>\n]{0,40}>", re.I),
    re.compile(r"<[A-Z][A-Z_ ]{2,30}>"),
    re.compile(r"\[(?:insert|your|enter|add|recipient|sender|name|company|"
               r"date|placeholder|city|address|phone|email|title|product|"
               r"location|job|book|my|table|image|link|url|topic|number)"
               r"[^\]\n]{0,40}\]", re.I),
    re.compile(r"\[[A-Z][A-Z _]{2,30}\]"),
    re.compile(r"\[\[[^\]\n]{1,40}\]\]"),
    re.compile(r"%\(\w+\)s|(?<!%)%[sd]\b"),
    re.compile(r"_{3,}"),
    re.compile(r"\bX{3,}\b|\bXX+-"),
    re.compile(r"lorem ipsum", re.I),
    re.compile(r"\b[A-Z]+_(?:HERE|NAME|TOPIC|PLACEHOLDER)\b|\bINSERT_[A-Z_]+\b"),
]


def natural_placeholders(row):
    hits = []
    for f in ("instruction", "input", "output"):
        for p in NATURAL_PH:
            for m in p.finditer(row[f]):
                hits.append(f"{f}:{m.group(0)}")
    return hits


# Hand-written leftover edits.  key: row id -> (location, old, new, style,
# placeholder).  `old` must occur exactly once in that field and is replaced by
# `new` (which contains the unfilled placeholder).
LEFTOVERS = {
    # ---- alpaca
    "a2330": ("input", "8, 3, 10, 7", "{{ numbers }}", "jinja", "{{ numbers }}"),
    "a1933": ("instruction", "Create a list of 10 different animals",
              "Create a list of 10 different [[CATEGORY]]", "double_square",
              "[[CATEGORY]]"),
    "a1586": ("output", ">Click Here<", ">%s<", "printf", "%s"),
    "a132": ("instruction", "consequences of underrating teachers.",
             "consequences of <insert topic>.", "angle_bracket", "<insert topic>"),
    "a2654": ("instruction", '"social change"', '"{concept}"', "python_named",
              "{concept}"),
    "a2746": ("instruction", "elements of a social media marketing",
              "elements of a ${channel} marketing", "shell_brace", "${channel}"),
    "a2104": ("output", "The sum is 15081.", "The sum is {result}.",
              "python_named", "{result}"),
    "a249": ("instruction", "Name ten common", "Name {{{count}}} common",
             "mustache_triple", "{{{count}}}"),
    "a2075": ("instruction", "the tone of inquiry.", "the tone of %(tone)s.",
              "printf_named", "%(tone)s"),
    "a452": ("input", "Sentence 2: She started painting.", "Sentence 2: ______",
             "blank_underscores", "______"),
    "a948": ("instruction", "\u201cnatural language processing\u201d",
             "\u201cINSERT_TERM_HERE\u201d", "insert_token", "INSERT_TERM_HERE"),
    "a118": ("input", "", "{{input}}", "jinja", "{{input}}"),
    "a1002": ("output", "can also help build customer loyalty",
              "can also help [Company Name] build customer loyalty",
              "square_bracket", "[Company Name]"),
    "a898": ("instruction", "have lived in California.", "have lived in {state}.",
             "python_named", "{state}"),
    "a2515": ("input", "Alice was invited", "$name was invited", "shell_dollar",
              "$name"),
    # ---- dolly
    "d2795": ("output", "pediatrician Hans Asperger,", "pediatrician [NAME],",
              "square_bracket", "[NAME]"),
    "d2559": ("instruction", "Is Mount Fuji a mountain", "Is [[MOUNTAIN]] a mountain",
              "double_square", "[[MOUNTAIN]]"),
    "d1606": ("instruction", "How do you make an old fashioned?",
              "How do you make a %s?", "printf", "%s"),
    "d2914": ("output", "each API request to a third party solution.",
              "each API request to <VENDOR_NAME>.", "angle_bracket", "<VENDOR_NAME>"),
    "d1689": ("instruction", ": Pagani, Panoz", ": {{ brands }}", "jinja",
              "{{ brands }}"),
    "d2886": ("instruction", "Who is the company Geberit", "Who is the company $COMPANY",
              "shell_dollar", "$COMPANY"),
    "d1826": ("output", "Zubat: Poison", "Zubat: ___", "blank_underscores", "___"),
    "d2143": ("instruction",
              ": Massachusetts, Denver, Wyoming, Los Angeles, Miami, and Alabama.",
              ": ${items}", "shell_brace", "${items}"),
    "d1595": ("instruction", ": Nagara, Sape", ": {0}", "python_positional", "{0}"),
    "d2180": ("instruction", "frames in astrophotography?", "frames in {{{field}}}?",
              "mustache_triple", "{{{field}}}"),
    "d2106": ("output", "E.T.: child", "E.T.: %(label)s", "printf_named", "%(label)s"),
    "d2960": ("output", "There are 18 countries", "There are <insert number> countries",
              "angle_bracket", "<insert number>"),
    "d2013": ("input", "", "INSERT_CONTEXT_HERE", "insert_token", "INSERT_CONTEXT_HERE"),
    "d2062": ("output", "Some cold beverages to drink",
              "Hi {{user_name}}! Some cold beverages to drink", "jinja",
              "{{user_name}}"),
    "d1993": ("output", "are still on. ",
              "are still on. If they are, contact [Your Utility Provider] to report "
              "the outage. ", "square_bracket", "[Your Utility Provider]"),
}


# ---------------------------------------------------------------- copies
COPY_CHANGES = [
    "instruction_lowercased", "instruction_uppercased",
    "instruction_double_space", "output_double_space",
    "instruction_leading_whitespace", "instruction_trailing_whitespace",
    "output_leading_whitespace", "output_trailing_whitespace",
    "output_tab", "output_trailing_newline",
]


def apply_change(row, ch, rng):
    ins, out = row["instruction"], row["output"]
    if ch == "instruction_lowercased":
        new = ins.lower()
        if new == ins:
            return False
        row["instruction"] = new
    elif ch == "instruction_uppercased":
        new = ins.upper()
        if new == ins:
            return False
        row["instruction"] = new
    elif ch in ("instruction_double_space", "output_double_space"):
        f = ch.split("_")[0]
        spaces = [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", row[f])]
        if not spaces:
            return False
        k = rng.choice(spaces)
        row[f] = row[f][:k] + "  " + row[f][k + 1:]
    elif ch == "instruction_leading_whitespace":
        row["instruction"] = rng.choice([" ", "  ", "\n"]) + ins
    elif ch == "instruction_trailing_whitespace":
        row["instruction"] = ins + rng.choice([" ", "  ", "\n"])
    elif ch == "output_leading_whitespace":
        row["output"] = rng.choice([" ", "\n", "\n\n"]) + out
    elif ch == "output_trailing_whitespace":
        row["output"] = out + rng.choice([" ", "   "])
    elif ch == "output_tab":
        spaces = [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", out)]
        if not spaces:
            return False
        k = rng.choice(spaces)
        row["output"] = out[:k] + "\t" + out[k + 1:]
    elif ch == "output_trailing_newline":
        if out.endswith("\n"):
            return False
        row["output"] = out + "\n"
    return True


# ---------------------------------------------------------------- main build
def build(select_dir=None):
    with open(os.path.join(HERE, "swaps.json"), encoding="utf-8") as f:
        swaps = json.load(f)
    all_truth = []
    outputs = {}
    for fname, src, (lo, hi), n, prefix, (clo, chi) in FILES:
        rows = load_base(src, lo, hi, n, prefix)

        truth = {r["id"]: {"id": r["id"], "file": fname, "defect": "clean"}
                 for r in rows}
        used = set()

        # 1. language swaps: stratified by length class
        rng = R()
        pools = {k: [] for k, _ in SWAP_LENGTHS}
        for r in rows:
            if SWAP_EXCLUDE.search(r["instruction"] + "\n" + r["input"]):
                continue
            st = swap_stratum(r["output"])
            if st in pools:
                pools[st].append(r)
        chosen = []
        for k, cnt in SWAP_LENGTHS:
            for r in rng.sample(pools[k], cnt):
                chosen.append((r, k))
        if select_dir:
            with open(os.path.join(select_dir, f"select_swaps_{prefix}.txt"),
                      "w", encoding="utf-8") as f:
                for r, k in chosen:
                    f.write("=== {} [{}]\nINSTR: {}\nINPUT: {}\nOUTPUT: {}\n\n".format(
                        r["id"], k, r["instruction"], r["input"][:400],
                        r["output"][:500]))
        for r, k in chosen:
            used.add(r["id"])
            sw = swaps.get(r["id"])
            if sw is None:
                if select_dir:
                    continue
                raise SystemExit("swaps.json has no entry for {}".format(r["id"]))
            if sw["length"] != k:
                raise SystemExit("length class mismatch for {}".format(r["id"]))
            r["output"] = sw["output"]
            truth[r["id"]] = {"id": r["id"], "file": fname,
                              "defect": "language_swap",
                              "language": sw["language"],
                              "language_code": sw["language_code"],
                              "length": k}
            used.add(r["id"])

        # 2. truncations: random among the rest with >= 8 output words
        pick = R()
        cut_rng = R()
        elig = [r for r in rows if r["id"] not in used
                and len(words(r["output"])) >= 8]
        order = pick.sample(elig, len(elig))
        n_done = 0
        n_item = 0
        for r in order:
            if n_done == N_TRUNC:
                break
            t = r["output"]
            shape = shape_of(t)
            res = truncate(t, shape, cut_rng, n_item < MAX_AFTER_ITEM)
            if res is None:
                continue
            mode, kept, detail = res
            if mode == "after_list_item":
                n_item += 1
            r["output"] = kept
            truth[r["id"]] = {"id": r["id"], "file": fname,
                              "defect": "truncation", "shape": shape,
                              "cut_mode": mode, "cut_detail": detail,
                              "original_words": len(words(t)),
                              "kept_words": len(words(kept)),
                              "after_complete_list_item": mode == "after_list_item"}
            used.add(r["id"])
            n_done += 1
        assert n_done == N_TRUNC

        # 3. leftovers: the first N_LEFTOVER rows in seeded order among rows
        # that are still clean and carry no placeholder-like text already.
        lrng = R()
        elig = [r for r in rows if r["id"] not in used
                and not natural_placeholders(r)]
        order = lrng.sample(elig, len(elig))[:N_LEFTOVER]
        if select_dir:
            with open(os.path.join(select_dir, f"select_leftover_{prefix}.txt"),
                      "w", encoding="utf-8") as f:
                for r in order:
                    f.write("=== {}\nINSTR: {}\nINPUT: {}\nOUTPUT: {}\n\n".format(
                        r["id"], r["instruction"], r["input"][:600],
                        r["output"][:700]))
        for r in order:
            used.add(r["id"])
            if r["id"] not in LEFTOVERS:
                if select_dir:
                    continue
                raise SystemExit("LEFTOVERS has no entry for {}".format(r["id"]))
            loc, old, new, style, ph = LEFTOVERS[r["id"]]
            if ph not in new:
                raise SystemExit("placeholder missing in {}".format(r["id"]))
            if old == "":
                # empty field filled with an unrendered template variable
                if r[loc] != "":
                    raise SystemExit("field not empty in {}".format(r["id"]))
                r[loc] = new
            else:
                if r[loc].count(old) != 1:
                    raise SystemExit("leftover anchor not unique in {}: {!r}".format(r["id"], old))
                r[loc] = r[loc].replace(old, new)
            truth[r["id"]] = {"id": r["id"], "file": fname, "defect": "leftover",
                              "style": style, "location": loc, "placeholder": ph}
            used.add(r["id"])
        ids_here = [r["id"] for r in order]
        for k in sorted(LEFTOVERS):
            if k.startswith(prefix) and k not in ids_here and not select_dir:
                raise SystemExit(f"LEFTOVERS entry {k} not selected")

        # 4. exact copies of clean rows
        crng = R()
        clean = [r for r in rows if r["id"] not in used]
        sources = crng.sample(clean, N_COPY)
        new_ids = crng.sample(range(clo, chi + 1), N_COPY)
        copies = []
        for src_row, nid in zip(sources, new_ids, strict=False):
            row = {"id": f"{prefix}{nid}",
                   "instruction": src_row["instruction"],
                   "input": src_row["input"], "output": src_row["output"]}
            k = crng.choice([1, 1, 2, 2, 3])
            changes = []
            plan = crng.sample(COPY_CHANGES, len(COPY_CHANGES))
            if crng.random() < 0.4:
                # a case change of the whole instruction leads the plan
                case = crng.choice(["instruction_lowercased", "instruction_uppercased"])
                plan = [case] + [c for c in plan if c != case]
            for ch in plan:
                if len(changes) == k:
                    break
                if ch == "instruction_uppercased" and "instruction_lowercased" in changes:
                    continue
                if ch == "instruction_lowercased" and "instruction_uppercased" in changes:
                    continue
                if apply_change(row, ch, crng):
                    changes.append(ch)
            assert changes and (row["instruction"], row["output"]) != (
                src_row["instruction"], src_row["output"])
            copies.append(row)
            t = {"id": row["id"], "file": fname, "defect": "exact_copy",
                 "copy_of": src_row["id"], "changes": changes}
            if natural_placeholders(src_row):
                t["natural_placeholder_like"] = True
            truth[row["id"]] = t

        # clean-row annotations
        for r in rows:
            t = truth[r["id"]]
            if t["defect"] != "clean":
                continue
            if natural_placeholders(r):
                t["natural_placeholder_like"] = True
            if not SENT_END.search(r["output"].rstrip()):
                t["natural_no_final_punct"] = True

        allrows = rows + copies
        R().shuffle(allrows)
        outputs[fname] = allrows
        for r in allrows:
            all_truth.append(truth[r["id"]])

        if select_dir:
            with open(os.path.join(select_dir, f"select_natural_{prefix}.txt"),
                      "w", encoding="utf-8") as f:
                for r in rows:
                    if truth[r["id"]]["defect"] == "clean" and natural_placeholders(r):
                        f.write("{} {!r}\n".format(r["id"], natural_placeholders(r)))
    ids = [t["id"] for t in all_truth]
    assert len(ids) == len(set(ids))
    swapped = [t["id"] for t in all_truth if t["defect"] == "language_swap"]
    extra = [k for k in sorted(swaps) if k not in swapped]
    if extra and not select_dir:
        raise SystemExit("swaps.json entries not used: {}".format(", ".join(extra)))
    return outputs, all_truth


def dump_jsonl(path, rows, keys):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps({k: r[k] for k in keys}, ensure_ascii=False) + "\n")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    select = len(sys.argv) > 2 and sys.argv[2] == "select"
    outputs, truth = build(out if select else None)
    for fname in ("alpaca.jsonl", "dolly.jsonl"):
        dump_jsonl(os.path.join(out, fname), outputs[fname],
                   ["id", "instruction", "input", "output"])
    with open(os.path.join(out, "truth.jsonl"), "w", encoding="utf-8",
              newline="\n") as f:
        for t in truth:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
