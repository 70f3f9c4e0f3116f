#!/usr/bin/env python3
"""Build the plant10 held-out set: real Alpaca/Dolly rows with planted defects.

Usage: python make.py OUT [DATA_DIR]

Writes OUT/alpaca.jsonl, OUT/dolly.jsonl and OUT/truth.jsonl.  Standard library
only, no network, deterministic: every random choice comes from its own
string-seeded random.Random instance (one per stage and file).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = Path("/work/shared/data/instructions")
SWAPS_PATH = HERE / "swaps.json"

FILES = ("alpaca.jsonl", "dolly.jsonl")
N_ROWS = {"alpaca.jsonl": 1600, "dolly.jsonl": 1200}
N_SWAP = 30
N_TRUNC = 50
N_LEFTOVER = 15
N_COPY = 10
KEY_ORDER = ["id", "instruction", "input", "output"]

SENTENCE_END = re.compile(r"[.!?][\"')\]\u201d\u2019]*$")
LIST_ITEM = re.compile(r"^\s*(?:(?:\d{1,2}[.)]|[A-Za-z][.)]|[IVX]{1,4}\.)\s+\S|[-*\u2022]\s*[^\s\d-])")


def rng_for(stage: str, fname: str) -> random.Random:
    """One independent, string-seeded generator per stage and file."""
    return random.Random(f"plant10/{stage}/{fname}")


# --------------------------------------------------------------------------
# Stage 0: base rows
# --------------------------------------------------------------------------


def load_base(data_dir: Path) -> dict[str, list[dict]]:
    with open(data_dir / "alpaca_random_9k.json", encoding="utf-8") as fh:
        alpaca = json.load(fh)
    with open(data_dir / "dolly_3k.json", encoding="utf-8") as fh:
        dolly = json.load(fh)

    rng = rng_for("sample", "alpaca.jsonl")
    eligible = [i for i in range(3000, 9000) if alpaca[i]["output"].strip()]
    picked = sorted(rng.sample(eligible, N_ROWS["alpaca.jsonl"]))
    a_rows = [
        {"id": f"a{i}", "instruction": alpaca[i]["instruction"], "input": alpaca[i]["input"],
         "output": alpaca[i]["output"]}
        for i in picked
    ]

    rng = rng_for("sample", "dolly.jsonl")
    picked = sorted(rng.sample(range(700, 2300), N_ROWS["dolly.jsonl"]))
    d_rows = [
        {"id": f"d{i}", "instruction": dolly[i]["instruction"], "input": dolly[i]["input"],
         "output": dolly[i]["output"]}
        for i in picked
    ]
    return {"alpaca.jsonl": a_rows, "dolly.jsonl": d_rows}


# --------------------------------------------------------------------------
# Stage 1: language swaps (answers are hand-written in swaps.json)
# --------------------------------------------------------------------------

# Rows whose instruction/input is about language, words, names, form or code
# are not eligible: a foreign-language answer there could be legitimate.
SWAP_EXCLUDE = re.compile(
    r"translat|language|english|spanish|french|german|italian|chinese|japanese|latin\b|dialect|"
    r"\bwords?\b|wording|vocabular|dictionar|grammar|grammatical|spell|\bnames?\b|\bnamed\b|\bnaming\b|"
    r"title|poem|poet|haiku|rhym|\bverse|lyric|song|\bcode|coding|program|python|java|sql|html|css|script|"
    r"function|algorithm|regex|rewrite|re-write|rephrase|paraphras|\bedit|proofread|sentence|phrase|"
    r"synonym|antonym|vowel|consonant|letter|alphabet|\bnouns?\b|\bverbs?\b|adjective|adverb|pronoun|"
    r"preposition|punctuat|acronym|abbreviat|initials|slogan|tagline|headline|tweet|hashtag|emoji|\bpuns?\b|"
    r"joke|riddle|quot|proverb|idiom|metaphor|simile|pronounc|syllable|capitali|\btense|passive|plural|"
    r"singular|anagram|palindrome|limerick|acrostic|\bformat|json|csv|\btable|rhetoric|figure of speech|"
    r"define|definition|meaning|\bmeans?\b|stands? for|formal|\btone\b|analogy|complete the|fill in|"
    r"\bcorrect\b|password|username|spoken|speak|\bsay\b|\bsays\b|written|character|text message|caption|"
    r"motto|nickname|\bterm\b|\bterms\b|jargon|slang|literal|\bcompose\b|"
    r"\bsign\b|\bsymbol|keyword|\bchant|\bcheer|\bcalled\b|\bcall it\b|first[- ]person|second[- ]person|"
    r"third[- ]person|\brender\b|point of view|schema|\boutput\b"
)
NON_LATIN = re.compile(r"[^\x00-\u024f\u2000-\u206f\u20ac\u00a0-\u00ff]")


def swap_eligible(row: dict) -> bool:
    text = f"{row['instruction']} {row['input']}".lower()
    if SWAP_EXCLUDE.search(text):
        return False
    return not NON_LATIN.search(row["instruction"] + row["input"] + row["output"])


def draw_swaps(fname: str, rows: list[dict]) -> list[str]:
    rng = rng_for("swap", fname)
    eligible = [r["id"] for r in rows if swap_eligible(r)]
    return sorted(rng.sample(eligible, N_SWAP), key=lambda x: int(x[1:]))


def load_swaps() -> list[dict]:
    with open(SWAPS_PATH, encoding="utf-8") as fh:
        return json.load(fh)


# --------------------------------------------------------------------------
# Stage 2: truncations
# --------------------------------------------------------------------------

TOKEN_RE = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")
ROUND_BUDGETS = (8, 10, 12, 16, 20, 24, 25, 30, 32, 40, 48, 50, 60, 64, 80, 96, 100, 128, 150, 160, 192, 200, 256,
                 300, 384, 400, 512)
CHAR_LIMITS = (32, 40, 50, 60, 64, 80, 100, 120, 128, 140, 150, 160, 200, 250, 255, 256, 280, 300, 400, 500, 512,
               1000, 1024, 2000, 2048)
WORD_RE = re.compile(r"(?<![\w'\u2019-])[A-Za-z]{6,}(?![\w'\u2019-])")
SUFFIXES = ("ization", "isation", "ations", "ation", "itions", "ition", "ments", "ment", "ness", "ings", "ing",
            "ities", "ity", "ously", "ous", "ively", "ive", "able", "ible", "fully", "ful", "less", "ally", "ly",
            "ence", "ance", "ers", "est", "ed", "al", "ize", "ise", "ism", "ist")
PREFIXES = ("counter", "inter", "trans", "under", "over", "super", "multi", "micro", "anti", "auto", "non", "pre",
            "pro", "dis", "mis", "con", "com", "sub")
EXPORT_DELIMITERS = (
    (",", "comma", "unquoted CSV field split at its first comma"),
    ('"', "double_quote", "unescaped double quote ended the quoted field"),
    (";", "semicolon", "semicolon-separated export split the field"),
    ("|", "pipe", "pipe-delimited export split the field"),
    ("\t", "tab", "TSV export split the field at an embedded tab"),
    ("\u201c", "curly_quote", "curly quote treated as a field quote by the exporter"),
)
MODE_WEIGHT = {"max_new_tokens": 1.0, "subword_stop": 1.0, "char_limit": 1.0, "export_break": 0.9,
               "line_break": 0.34, "after_list_item": 0.34}
MODES = ("max_new_tokens", "subword_stop", "char_limit", "export_break", "line_break", "after_list_item")


def cut_ok(orig: str, kept: str, allow_sentence_end: bool = False) -> bool:
    if not kept or kept != kept.rstrip() or not orig.startswith(kept):
        return False
    ratio = len(kept) / len(orig)
    if ratio < 0.25 or ratio > 0.90:
        return False
    if len(kept.split()) < 3:
        return False
    if kept.endswith(("...", "\u2026")):
        return False
    return allow_sentence_end or not SENTENCE_END.search(kept)


def shape_of(text: str) -> str:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if sum(1 for ln in lines if LIST_ITEM.match(ln)) >= 2:
        return "list"
    if len(lines) > 1:
        return "multiline"
    if len(text.split()) <= 20:
        return "short"
    return "prose"


def cands_max_new_tokens(out: str) -> list[tuple[str, dict]]:
    res = []
    for n, m in enumerate(TOKEN_RE.finditer(out), 1):
        if not (m.group()[0].isalnum() or m.group()[0] == "_"):
            continue
        if m.end() < len(out) and not out[m.end()].isspace():
            continue
        kept = out[:m.end()].rstrip()
        if cut_ok(out, kept):
            res.append((kept, {"token_budget": n, "budget_is_round": n in ROUND_BUDGETS,
                               "tokenizer": "approximate: one token per word or punctuation mark",
                               "stopped_after": "whole word"}))
    return res


def subword_boundary(word: str) -> tuple[int, str] | None:
    low = word.lower()
    for suf in SUFFIXES:
        if low.endswith(suf) and len(word) - len(suf) >= 4:
            return len(word) - len(suf), f"before suffix -{suf}"
    for pre in PREFIXES:
        if low.startswith(pre) and len(word) - len(pre) >= 4:
            return len(pre), f"after prefix {pre}-"
    return None


def cands_subword(out: str) -> list[tuple[str, dict]]:
    res = []
    for m in WORD_RE.finditer(out):
        b = subword_boundary(m.group())
        if b is None:
            continue
        k, why = b
        kept = out[:m.start() + k]
        if cut_ok(out, kept):
            res.append((kept, {"word": m.group(), "kept_fragment": m.group()[:k], "boundary": why}))
    return res


def cands_char_limit(out: str) -> list[tuple[str, dict]]:
    res = []
    for lim in CHAR_LIMITS:
        if lim >= len(out):
            break
        kept = out[:lim].rstrip()
        if cut_ok(out, kept):
            inside = out[lim - 1].isalnum() and out[lim].isalnum()
            res.append((kept, {"limit_chars": lim, "cut_inside_word": inside}))
    return res


def cands_export_break(out: str) -> list[tuple[str, dict]]:
    res = []
    for delim, name, cause in EXPORT_DELIMITERS:
        i = out.find(delim)
        if i <= 0:
            continue
        kept = out[:i].rstrip()
        if cut_ok(out, kept):
            res.append((kept, {"delimiter": name, "char_offset": i, "occurrence": "first", "cause": cause}))
    return res


def _line_spans(out: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for i, ch in enumerate(out):
        if ch == "\n":
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(out)))
    return spans


def cands_line_break(out: str) -> list[tuple[str, dict]]:
    spans = _line_spans(out)
    total = sum(1 for s, e in spans if out[s:e].strip())
    res = []
    for _s, e in spans[:-1]:
        kept = out[:e].rstrip()
        last = kept.split("\n")[-1]
        if not last.strip() or LIST_ITEM.match(last):
            continue
        if cut_ok(out, kept):
            kept_nonempty = [ln for ln in kept.split("\n") if ln.strip()]
            kind = "ends_with_colon" if last.rstrip().endswith(":") else "no_final_punctuation"
            nxt = next((ln for ln in out[e:].split("\n") if ln.strip()), "")
            window = kept_nonempty[-3:] + [nxt]
            unmarked_list = len(kept_nonempty) >= 3 and all(
                ln.strip() and len(ln.split()) <= 6 and not re.search(r"[.,;:!?]", ln) for ln in window)
            res.append((kept, {"lines_kept": len(kept_nonempty), "lines_total": total, "last_kept_line": kind,
                               "unmarked_list_item": unmarked_list}))
    return res


def cands_after_list_item(out: str) -> list[tuple[str, dict]]:
    spans = _line_spans(out)
    lines = [out[s:e] for s, e in spans]
    items_total = sum(1 for ln in lines if LIST_ITEM.match(ln))
    res = []
    for j, (_s, e) in enumerate(spans[:-1]):
        if not LIST_ITEM.match(lines[j]):
            continue
        nxt = next((ln for ln in lines[j + 1:] if ln.strip()), "")
        if not LIST_ITEM.match(nxt):
            continue
        kept = out[:e].rstrip()
        if cut_ok(out, kept, allow_sentence_end=True):
            marker = "numbered" if re.match(r"^\s*\d", lines[j]) else "bulleted"
            items_kept = sum(1 for ln in kept.split("\n") if LIST_ITEM.match(ln))
            res.append((kept, {"items_kept": items_kept, "items_total": items_total, "marker": marker}))
    return res


CANDIDATE_FUNCS = {
    "max_new_tokens": cands_max_new_tokens,
    "subword_stop": cands_subword,
    "char_limit": cands_char_limit,
    "export_break": cands_export_break,
    "line_break": cands_line_break,
    "after_list_item": cands_after_list_item,
}


def draw_truncations(fname: str, rows: list[dict], taken: dict[str, str]) -> tuple[dict[str, dict], int]:
    rng = rng_for("truncation", fname)
    eligible = [r for r in rows if r["id"] not in taken and len(r["output"].split()) >= 8]
    rng.shuffle(eligible)
    counts = {m: 0 for m in MODES}
    plans: dict[str, dict] = {}
    skipped = 0
    for row in eligible:
        if len(plans) == N_TRUNC:
            break
        out = row["output"]
        feasible = []
        for mode in MODES:
            cands = CANDIDATE_FUNCS[mode](out)
            if cands:
                feasible.append((mode, cands))
        if not feasible:
            skipped += 1
            continue
        scored = [(counts[m] * MODE_WEIGHT[m] + rng.random() * 0.5, i) for i, (m, _c) in enumerate(feasible)]
        mode, cands = feasible[min(scored)[1]]
        if mode == "max_new_tokens" and any(d["budget_is_round"] for _k, d in cands):
            cands = [c for c in cands if c[1]["budget_is_round"]]
        kept, detail = cands[rng.randrange(len(cands))]
        detail = dict(detail)
        detail["kept_chars"] = len(kept)
        detail["original_chars"] = len(out)
        counts[mode] += 1
        plans[row["id"]] = {"kept": kept, "mode": mode, "detail": detail, "shape": shape_of(out)}
    if len(plans) != N_TRUNC:
        raise SystemExit(f"{fname}: only {len(plans)} truncations possible")
    return plans, skipped


# --------------------------------------------------------------------------
# Stage 3: template leftovers
# --------------------------------------------------------------------------

YEAR_RE = re.compile(r"\b(?:1[5-9]\d\d|20[0-2]\d)\b")
PROPER_RE = re.compile(r"(?<=[a-z] )[A-Z][a-z]{2,}(?:(?: (?:da|de|di|del|van|von|der|la|le))* [A-Z][a-z]{2,})*(?! [A-Z]\b)")
NUMBER_RE = re.compile(r"(?<![\w.,$%])\d+(?:[.,]\d+)*(?![\w%])")
INT_RE = re.compile(r"(?<![\w.,$%])\d+(?![\w.,%])")
SLOT_RE = re.compile(r"\b(?:about|of|for|on) ((?:the |a |an )?[A-Za-z][^,;:.?!\n]{2,60}?)([.?!]?)\s*$")
BLANK_WORD_RE = re.compile(r"(?<![\w'-])[A-Za-z]{5,}(?![\w'-])")
SENT_BOUNDARY_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def lo_input_replaced(token):
    def apply(row, rng):
        if not row["input"].strip():
            return None
        return {"input": token}, "input", token
    return apply


def lo_instruction_suffix(token, sep, need_empty_input=False):
    def apply(row, rng):
        if need_empty_input and row["input"].strip():
            return None
        return {"instruction": row["instruction"].rstrip() + sep + token}, "instruction", token
    return apply


def lo_instruction_prefix(token, sep):
    def apply(row, rng):
        return {"instruction": token + sep + row["instruction"]}, "instruction", token
    return apply


def lo_output_prefix(token, sep):
    def apply(row, rng):
        return {"output": token + sep + row["output"]}, "output", token
    return apply


def lo_output_suffix(token, sep):
    def apply(row, rng):
        return {"output": row["output"].rstrip() + sep + token}, "output", token
    return apply


def lo_input_set(token):
    def apply(row, rng):
        if row["input"].strip():
            return None
        return {"input": token}, "input", token
    return apply


def lo_input_label(token):
    def apply(row, rng):
        if not row["input"].strip():
            return None
        return {"input": token + " " + row["input"]}, "input", token
    return apply


def lo_sentence_placeholder(token):
    def apply(row, rng):
        out = row["output"]
        if "\n" in out:
            return None
        bounds = list(SENT_BOUNDARY_RE.finditer(out))
        if len(bounds) < 2:
            return None
        k = rng.randrange(1, len(bounds))
        start = bounds[k - 1].end()
        end = bounds[k].start()
        return {"output": _replace(out, start, end, token)}, "output", token
    return apply


def lo_square_bracket():
    def apply(row, rng):
        out = row["output"]
        m = YEAR_RE.search(out)
        if m:
            return {"output": _replace(out, m.start(), m.end(), "[INSERT YEAR]")}, "output", "[INSERT YEAR]"
        m = PROPER_RE.search(out)
        if m:
            return {"output": _replace(out, m.start(), m.end(), "[INSERT NAME]")}, "output", "[INSERT NAME]"
        return None
    return apply


def lo_number(token, pattern):
    def apply(row, rng):
        m = pattern.search(row["output"])
        if not m:
            return None
        return {"output": _replace(row["output"], m.start(), m.end(), token)}, "output", token
    return apply


def lo_slot(token):
    def apply(row, rng):
        instr = row["instruction"]
        m = SLOT_RE.search(instr)
        if not m or len(m.group(1).split()) > 6:
            return None
        return {"instruction": _replace(instr, m.start(1), m.end(1), token)}, "instruction", token
    return apply


def lo_blank(token):
    def apply(row, rng):
        out = row["output"]
        words = [m for m in BLANK_WORD_RE.finditer(out) if m.start() > 0]
        if len(words) < 3:
            return None
        m = words[rng.randrange(1, len(words))]
        return {"output": _replace(out, m.start(), m.end(), token)}, "output", token
    return apply


LEFTOVER_STYLES = {
    "alpaca.jsonl": [
        ("curly_brace", lo_input_replaced("{input}")),
        ("jinja_double_curly", lo_instruction_suffix("{{ input }}", "\n\n", need_empty_input=True)),
        ("angle_placeholder", lo_sentence_placeholder("<PLACEHOLDER>")),
        ("square_bracket_insert", lo_square_bracket()),
        ("printf_percent_s", lo_number("%s", NUMBER_RE)),
        ("dollar_variable", lo_slot("$topic")),
        ("underscore_blank", lo_blank("___")),
        ("input_scaffold", lo_instruction_suffix("Input:", "\n\n", need_empty_input=True)),
        ("response_header", lo_output_prefix("### Response:", "\n")),
        ("chatml_end_token", lo_output_suffix("<|im_end|>", "")),
        ("noinput_marker", lo_input_set("<noinput>")),
        ("eos_token", lo_output_suffix("</s>", "")),
        ("positional_format", lo_slot("{0}")),
        ("inst_tag", lo_output_prefix("[/INST]", " ")),
        ("triple_pipe_separator", lo_instruction_suffix("|||", " ")),
    ],
    "dolly.jsonl": [
        ("curly_brace", lo_input_replaced("{context}")),
        ("jinja_double_curly", lo_instruction_suffix("{{ context }}", "\n\n", need_empty_input=True)),
        ("angle_placeholder", lo_sentence_placeholder("<PLACEHOLDER>")),
        ("square_bracket_insert", lo_square_bracket()),
        ("printf_percent_d", lo_number("%d", INT_RE)),
        ("dollar_variable", lo_slot("$subject")),
        ("underscore_blank", lo_blank("_____")),
        ("input_label", lo_input_label("Input:")),
        ("response_header", lo_output_prefix("### Response:", " ")),
        ("chatml_end_token", lo_output_suffix("<|im_end|>", "\n")),
        ("triple_pipe_separator", lo_output_prefix("|||", " ")),
        ("python_named_format", lo_slot("%(topic)s")),
        ("answer_prefix", lo_output_prefix("Answer:", " ")),
        ("endoftext_token", lo_output_suffix("<|endoftext|>", "")),
        ("instruction_header", lo_instruction_prefix("### Instruction:", "\n")),
    ],
}


def draw_leftovers(fname: str, rows: list[dict], taken: dict[str, str]) -> dict[str, dict]:
    rng = rng_for("leftover", fname)
    plans: dict[str, dict] = {}
    for style, apply in LEFTOVER_STYLES[fname]:
        pool = [r for r in rows if r["id"] not in taken and r["id"] not in plans
                and apply(r, random.Random(0)) is not None]
        row = pool[rng.randrange(len(pool))]
        changes, location, placeholder = apply(row, rng)
        plans[row["id"]] = {"changes": changes, "style": style, "location": location, "placeholder": placeholder}
    return plans


# --------------------------------------------------------------------------
# Stage 4: exact copies with case/spacing mangling
# --------------------------------------------------------------------------


def title_words(text: str) -> str:
    return re.sub(r"(^|(?<=\s))(\S)", lambda m: m.group(1) + m.group(2).upper(), text)


COPY_OPS = {
    "upper": str.upper,
    "lower": str.lower,
    "title": title_words,
    "double_spaces": lambda t: t.replace(" ", "  "),
    "tab_indent": lambda t: "\n".join("\t" + ln for ln in t.split("\n")),
    "trailing_newline": lambda t: t + "\n",
    "trailing_spaces": lambda t: t + "  ",
    "leading_space": lambda t: " " + t,
    "crlf": lambda t: t.replace("\n", "\r\n"),
}
COPY_CHOICES = (
    ("instruction", "upper"), ("instruction", "lower"), ("instruction", "title"),
    ("instruction", "double_spaces"), ("instruction", "trailing_spaces"), ("instruction", "leading_space"),
    ("input", "lower"), ("input", "double_spaces"),
    ("output", "lower"), ("output", "upper"), ("output", "title"), ("output", "double_spaces"),
    ("output", "tab_indent"), ("output", "trailing_newline"), ("output", "crlf"),
)


def normalize(text: str) -> str:
    return " ".join(text.split()).casefold()


def draw_copies(fname: str, rows: list[dict], taken: dict[str, str]) -> dict[str, dict]:
    rng = rng_for("copy", fname)
    pool = [r for r in rows if r["id"] not in taken]
    originals = rng.sample(pool, N_COPY)
    plans: dict[str, dict] = {}
    for orig in originals:
        copy = {k: orig[k] for k in KEY_ORDER}
        copy["id"] = f"{orig['id']}_copy"
        n_ops = rng.choice((1, 1, 2, 2, 3))
        changes: list[str] = []
        order = list(range(len(COPY_CHOICES)))
        rng.shuffle(order)
        for idx in order:
            if len(changes) == n_ops:
                break
            field, op = COPY_CHOICES[idx]
            if any(c.startswith(field + ":") for c in changes):
                continue
            new = COPY_OPS[op](copy[field])
            if new == copy[field] or normalize(new) != normalize(copy[field]):
                continue
            copy[field] = new
            changes.append(f"{field}:{op}")
        plans[copy["id"]] = {"row": copy, "copy_of": orig["id"], "changes": changes}
    return plans


# --------------------------------------------------------------------------
# Clean-row annotations
# --------------------------------------------------------------------------

NATURAL_PLACEHOLDER_PATTERNS = (
    re.compile(r"\[(?:[A-Z][\w'.-]*)(?: [\w'.-]+){0,5}\]"),
    re.compile(r"\[(?:insert|your|name|date|enter|add)\b[^\]\n]{0,40}\]", re.IGNORECASE),
    re.compile(r"_{3,}"),
    re.compile(r"\{[^{}\n]{0,40}\}"),
    re.compile(r"<[A-Za-z_][A-Za-z _-]{0,30}>"),
    re.compile(r"%[sd]\b|%\([a-z_]+\)s"),
    re.compile(r"(?<![\w$])\$[A-Za-z_]\w*"),
    re.compile(r"\bX{3,}\b"),
    re.compile(r"\((?:[A-Z][a-z]* )*(?:URL|Name|Date|Link|Address|Website URL)\)"),
    re.compile(r"<\|[a-z_]+\|>|</s>|\[/?INST\]|\|\|\||<noinput>"),
    re.compile(r"^\s*(?:#{2,}\s*)?(?:\d+\.\s*)?(?:Instruction|Input|Output|Response)\s*:", re.MULTILINE),
)


def natural_placeholder_like(row: dict) -> bool:
    text = "\n".join((row["instruction"], row["input"], row["output"]))
    return any(p.search(text) for p in NATURAL_PLACEHOLDER_PATTERNS)


# --------------------------------------------------------------------------
# Assembly, verification, output
# --------------------------------------------------------------------------


def build(data_dir: Path) -> tuple[dict[str, list[dict]], list[dict], dict]:
    base = load_base(data_dir)
    swaps = load_swaps()
    swap_by_id = {s["id"]: s for s in swaps}
    files_rows: dict[str, list[dict]] = {}
    truth_by_file: dict[str, dict[str, dict]] = {}
    info: dict = {"trunc_skipped": {}, "truth_counts": {}}

    for fname in FILES:
        rows = base[fname]
        by_id = {r["id"]: r for r in rows}
        taken: dict[str, str] = {}
        truth: dict[str, dict] = {}

        swap_ids = draw_swaps(fname, rows)
        listed = sorted((s["id"] for s in swaps if s["file"] == fname), key=lambda x: int(x[1:]))
        if listed != swap_ids:
            missing = [i for i in swap_ids if i not in listed]
            extra = [i for i in listed if i not in swap_ids]
            raise SystemExit(f"{fname}: swaps.json mismatch; missing={missing} extra={extra}")
        new_rows: dict[str, dict] = {r["id"]: dict(r) for r in rows}
        for sid in swap_ids:
            s = swap_by_id[sid]
            new_rows[sid]["output"] = s["output"]
            taken[sid] = "language_swap"
            truth[sid] = {"id": sid, "file": fname, "defect": "language_swap", "language": s["language"],
                          "language_code": s["language_code"], "length": s["length"]}

        trunc, skipped = draw_truncations(fname, rows, taken)
        info["trunc_skipped"][fname] = skipped
        for tid, p in trunc.items():
            new_rows[tid]["output"] = p["kept"]
            taken[tid] = "truncation"
            t = {"id": tid, "file": fname, "defect": "truncation", "shape": p["shape"], "cut_mode": p["mode"],
                 "cut_detail": p["detail"], "original_words": len(by_id[tid]["output"].split()),
                 "kept_words": len(p["kept"].split())}
            if p["mode"] == "after_list_item" or p["detail"].get("unmarked_list_item"):
                t["after_complete_list_item"] = True
            truth[tid] = t

        left = draw_leftovers(fname, rows, taken)
        for lid, p in left.items():
            new_rows[lid].update(p["changes"])
            taken[lid] = "leftover"
            truth[lid] = {"id": lid, "file": fname, "defect": "leftover", "style": p["style"],
                          "location": p["location"], "placeholder": p["placeholder"]}

        copies = draw_copies(fname, rows, taken)
        for cid, p in copies.items():
            new_rows[cid] = p["row"]
            truth[cid] = {"id": cid, "file": fname, "defect": "exact_copy", "copy_of": p["copy_of"],
                          "changes": p["changes"]}

        for rid, row in new_rows.items():
            if rid in truth:
                continue
            t = {"id": rid, "file": fname, "defect": "clean"}
            if natural_placeholder_like(row):
                t["natural_placeholder_like"] = True
            if not SENTENCE_END.search(row["output"].rstrip()):
                t["natural_no_final_punct"] = True
            truth[rid] = t

        ordered = [{k: new_rows[rid][k] for k in KEY_ORDER} for rid in new_rows]
        rng_for("shuffle", fname).shuffle(ordered)
        files_rows[fname] = ordered
        truth_by_file[fname] = truth

    truth_lines = [truth_by_file[f][r["id"]] for f in FILES for r in files_rows[f]]
    verify(base, files_rows, truth_lines, swaps)
    return files_rows, truth_lines, info


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise SystemExit(f"verification failed: {msg}")


def verify(base: dict[str, list[dict]], files_rows: dict[str, list[dict]], truth_lines: list[dict],
           swaps: list[dict]) -> None:
    expected = {"language_swap": N_SWAP, "truncation": N_TRUNC, "leftover": N_LEFTOVER, "exact_copy": N_COPY}
    _check(len(truth_lines) == sum(len(v) for v in files_rows.values()), "one truth line per row")
    all_ids: list[str] = []
    ti = 0
    for fname in FILES:
        rows = files_rows[fname]
        orig = {r["id"]: r for r in base[fname]}
        _check(len(rows) == N_ROWS[fname] + N_COPY, f"{fname}: row count")
        truth = {}
        for r in rows:
            _check(list(r.keys()) == KEY_ORDER, f"{fname}: key order of {r['id']}")
            _check(all(isinstance(r[k], str) for k in KEY_ORDER), f"{fname}: string fields of {r['id']}")
            t = truth_lines[ti]
            ti += 1
            _check(t["id"] == r["id"] and t["file"] == fname, f"{fname}: truth order at {r['id']}")
            truth[r["id"]] = t
            all_ids.append(r["id"])
        counts: dict[str, int] = {}
        for t in truth.values():
            counts[t["defect"]] = counts.get(t["defect"], 0) + 1
        for d, n in expected.items():
            _check(counts.get(d, 0) == n, f"{fname}: {d} count {counts.get(d, 0)} != {n}")
        _check(counts.get("clean", 0) == N_ROWS[fname] - N_SWAP - N_TRUNC - N_LEFTOVER,
               f"{fname}: clean count")
        final = {r["id"]: r for r in rows}
        lengths: dict[str, int] = {}
        for rid, t in truth.items():
            row = final[rid]
            if t["defect"] == "clean":
                _check(row == {k: orig[rid][k] for k in KEY_ORDER}, f"{rid}: clean row modified")
            elif t["defect"] == "language_swap":
                o = orig[rid]
                _check(row["output"] != o["output"] and row["instruction"] == o["instruction"]
                       and row["input"] == o["input"], f"{rid}: swap changes output only")
                _check(swap_eligible(o), f"{rid}: swap row not eligible")
                lengths[t["length"]] = lengths.get(t["length"], 0) + 1
                if t["length"] == "short":
                    _check(1 <= len(row["output"].split()) <= 8, f"{rid}: short swap has 1-8 words")
                if t["length"] == "list":
                    _check(sum(1 for ln in row["output"].split("\n") if LIST_ITEM.match(ln)) >= 3,
                           f"{rid}: list swap has >= 3 items")
            elif t["defect"] == "truncation":
                o = orig[rid]["output"]
                kept = row["output"]
                _check(len(o.split()) >= 8, f"{rid}: truncation source has >= 8 words")
                _check(cut_ok(o, kept, allow_sentence_end=t.get("after_complete_list_item", False)),
                       f"{rid}: truncation rules")
                _check(t["kept_words"] == len(kept.split()) and t["original_words"] == len(o.split()),
                       f"{rid}: word counts")
                if t["cut_mode"] == "after_list_item":
                    _check(LIST_ITEM.match(kept.split("\n")[-1]) is not None, f"{rid}: ends at a list item")
                    _check(t.get("after_complete_list_item") is True, f"{rid}: list-item cut flagged")
                _check(row["instruction"] == orig[rid]["instruction"] and row["input"] == orig[rid]["input"],
                       f"{rid}: truncation changes output only")
            elif t["defect"] == "leftover":
                field = t["location"]
                _check(t["placeholder"] in row[field] and t["placeholder"] not in orig[rid][field],
                       f"{rid}: leftover placeholder planted")
                for k in ("instruction", "input", "output"):
                    if k != field:
                        _check(row[k] == orig[rid][k], f"{rid}: leftover touches one field only")
            elif t["defect"] == "exact_copy":
                src = t["copy_of"]
                _check(rid == f"{src}_copy", f"{rid}: copy id")
                _check(src in truth and truth[src]["defect"] == "clean", f"{rid}: copies a clean row")
                _check(all(normalize(row[k]) == normalize(final[src][k]) for k in KEY_ORDER[1:]),
                       f"{rid}: copy equal up to case/spacing")
                _check(any(row[k] != final[src][k] for k in KEY_ORDER[1:]), f"{rid}: copy differs in raw text")
                _check(len(t["changes"]) >= 1, f"{rid}: copy records its changes")
        _check(lengths == {"short": 10, "sentence": 10, "paragraph": 7, "list": 3},
               f"{fname}: swap length mix {lengths}")
        srcs = [t["copy_of"] for t in truth.values() if t["defect"] == "exact_copy"]
        _check(len(srcs) == len(dict.fromkeys(srcs)), f"{fname}: each original copied once")
    _check(len(all_ids) == len(dict.fromkeys(all_ids)), "unique ids")
    langs = sorted({s["language_code"] for s in swaps})
    _check(len(langs) >= 22, f"at least 22 languages, got {len(langs)}")
    _check(len(swaps) == 2 * N_SWAP, "swaps.json has 60 entries")
    leftover_styles = sorted({t["style"] for t in truth_lines if t["defect"] == "leftover"})
    _check(len(leftover_styles) >= 12, "at least 12 leftover styles")


def dump_jsonl(path: Path, objs: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for obj in objs:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = Path(argv[1])
    data_dir = Path(argv[2]) if len(argv) == 3 else DEFAULT_DATA_DIR
    files_rows, truth_lines, info = build(data_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for fname in FILES:
        dump_jsonl(out_dir / fname, files_rows[fname])
    dump_jsonl(out_dir / "truth.jsonl", truth_lines)
    summary: dict[str, dict[str, int]] = {}
    for t in truth_lines:
        per = summary.setdefault(t["file"], {})
        per[t["defect"]] = per.get(t["defect"], 0) + 1
    print(json.dumps({"counts": summary, "truncation_rows_skipped": info["trunc_skipped"]}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
