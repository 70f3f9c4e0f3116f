"""Build the plant7 benchmark: real Alpaca/Dolly rows with planted defects.

Usage (from the repository root):

    python benchmarks/independent_plants/plant7/make.py OUT          # build
    python benchmarks/independent_plants/plant7/make.py OUT select   # write OUT/todo_swaps.json

Deterministic: seed 7373, no set/dict-order or hash dependence.
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
from pathlib import Path

SEED = 7373
HERE = Path(__file__).resolve().parent
DATA = Path("/work/shared/data/instructions")
ALPACA_RANGE = (6000, 9228)
DOLLY_RANGE = (0, 1499)
N_ALPACA = 1600
N_DOLLY = 1200
N_TRUNC = 50  # per file
N_SWAP = 30  # per file, 10 per length bucket
N_LEFT = 15  # per file
N_COPY = 10  # per file
N_AFTER_ITEM = 2  # per file (4 total)

# ---------------------------------------------------------------- helpers

PLACEHOLDER_LIKE = re.compile(
    r"\{\{|\}\}|\{[A-Za-z_][\w .-]{0,30}\}|\{\d\}|%s|%d|%\(\w+\)[sd]"
    r"|\$\{\w+\}|\$[A-Z][A-Z_]{2,}|<[A-Za-z_][\w ]{1,30}>|\[[^\[\]\n]{1,40}\]|\[\[|###"
    r"|<noinput>|\bINSERT\b|\bPLACEHOLDER\b|\bTODO\b|\bXXX+\b|\bTBD\b"
)

LIST_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*\u2022]|[a-z][.)])\s+\S")
CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import|#include|public |private |return\b|for\s*\(|"
    r"while\s*\(|if\s*\(|function\b|var |let |const |print\(|console\.|SELECT |<\w+[^>]*>|\}|\{)"
    r"|[;{]\s*$"
)
SENT_END = re.compile(r"[.!?\u3002\uff01\uff1f][\"'\u201d\u2019)\]]*$")

NO_SWAP = re.compile(
    r"translat|language|english|spanish|french|german|chinese|japanese|italian|latin|"
    r"grammar|grammatic|\bwords?\b|synonym|antonym|rhym|spell|sentence|verb|noun|adjective|"
    r"adverb|pronoun|punctuat|\bcode\b|program|python|javascript|\bjava\b|\bsql\b|html|css|"
    r"function|algorithm|script|\bletters?\b|vowel|acronym|abbreviat|phrase|paraphrase|rewrite|"
    r"re-write|rephrase|\bedit|proofread|idiom|\bpun\b|haiku|poem|pronounc|alphabet|syllab|plural|"
    r"tense|capitaliz|regex|string|slogan|tagline|tweet|headline|title|name (?:a|an|the|one)?\s*"
    r"(?:new|creative)|summar|text|passage|paragraph|quote|essay|story|email|letter|lyrics|song",
    re.IGNORECASE,
)


WS = " \t\r\n\u00a0\u200b\u200c\u200d\ufeff"


def words(text: str) -> int:
    return len(text.split())


def ends_sentence(text: str) -> bool:
    return bool(SENT_END.search(text.rstrip()))


def shape_of(text: str) -> str:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if "```" in text or sum(bool(CODE_LINE.search(ln)) for ln in lines) >= 2:
        return "code"
    if sum(bool(LIST_LINE.match(ln)) for ln in lines) >= 2:
        return "list"
    if len(lines) >= 3 and all(words(ln) <= 8 for ln in lines):
        bare = sum(not re.search(r"[.,;!?]$", ln.strip(WS)) for ln in lines)
        if bare >= 0.6 * len(lines) and not any(ln.strip(WS).endswith(",") for ln in lines):
            return "list"  # unmarked one-item-per-line list, common in Dolly
    if words(text) <= 30 and len(lines) <= 1:
        return "short"
    return "prose"


def load(path: Path, lo: int, hi: int, prefix: str) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for idx in range(lo, hi + 1):
        rec = data[idx]
        rows.append(
            {
                "id": f"{prefix}{idx}",
                "instruction": rec["instruction"],
                "input": rec["input"],
                "output": rec["output"],
            }
        )
    return rows


def natural_placeholder(row: dict) -> bool:
    return any(PLACEHOLDER_LIKE.search(row[k]) for k in ("instruction", "input", "output"))


# ---------------------------------------------------------------- truncation


def _valid_cut(orig: str, kept: str, lo: int) -> bool:
    if kept != kept.rstrip(WS) or not kept:
        return False
    if words(kept) < 3 or len(kept) < lo or len(kept) >= len(orig):
        return False
    if ends_sentence(kept) or kept.endswith(("\u2026", "..")):
        return False
    rest = orig[len(kept) :]
    # the cut must not land exactly at the end of a line (that is a line/after_item cut)
    return not rest.lstrip(" \t\u200b").startswith("\n")


SUFFIXES = (
    "ation",
    "tion",
    "sion",
    "ment",
    "ness",
    "ing",
    "able",
    "ible",
    "ally",
    "ity",
    "ous",
    "ive",
    "ers",
    "ed",
)


def cut_word(orig: str, lo: int, hi: int, rng: random.Random) -> tuple[str, str] | None:
    cands = []
    for m in re.finditer(r"\S+", orig):
        end = m.end()
        if lo <= end <= hi and _valid_cut(orig, orig[:end], lo):
            cands.append(end)
    if not cands:
        return None
    return orig[: rng.choice(cands)], "token_limit"


def cut_subword(orig: str, lo: int, hi: int, rng: random.Random) -> tuple[str, str] | None:
    cands = []
    for m in re.finditer(r"[A-Za-z]{8,}", orig):
        w = m.group()
        splits = []
        for suf in SUFFIXES:
            k = w.lower().rfind(suf)
            if k >= 3 and k + len(suf) == len(w):
                splits.append(k)
        if not splits:
            splits = [len(w) // 2, min(4, len(w) - 3)]
        for k in sorted(set(splits)):
            end = m.start() + k
            if lo <= end <= hi and _valid_cut(orig, orig[:end], lo):
                cands.append(end)
    if not cands:
        return None
    return orig[: rng.choice(cands)], "subword"


CHAR_LIMITS = (100, 128, 150, 200, 250, 256, 300, 400, 500, 512, 1000, 1024, 2000, 2048)


def cut_char(orig: str, lo: int, hi: int, rng: random.Random) -> tuple[str, str] | None:
    limits = [n for n in CHAR_LIMITS if lo <= n <= hi and _valid_cut(orig, orig[:n].rstrip(WS), lo)]
    if limits and rng.random() < 0.5:
        return orig[: rng.choice(limits)].rstrip(WS), "char_limit"
    for _ in range(200):
        p = rng.randint(lo, hi)
        kept = orig[:p].rstrip(WS)
        if _valid_cut(orig, kept, lo):
            return kept, "broken_export"
    return None


def _line_ends(orig: str, lo: int, hi: int) -> list[tuple[int, str]]:
    out = []
    seen = set()
    for m in re.finditer(r"\n", orig):
        kept = orig[: m.start()].rstrip(WS)
        if lo <= len(kept) <= hi and words(kept) >= 3 and len(kept) not in seen:
            seen.add(len(kept))
            out.append((len(kept), kept.rsplit("\n", 1)[-1]))
    return out


def cut_line(orig: str, lo: int, hi: int, rng: random.Random) -> tuple[str, str] | None:
    shape = shape_of(orig)

    def ok(last: str) -> bool:
        if shape == "code":
            return True
        if shape == "list":  # only a heading/lead-in line, never a finished item
            return last.endswith(":") and not LIST_LINE.match(last)
        if re.match(r"^[\w'/+& -]{1,30}:\s+\S", last):  # "Label: a, b, c" line = a finished item
            return False
        return not LIST_LINE.match(last) and not ends_sentence(last)

    cands = [n for n, last in _line_ends(orig, lo, hi) if ok(last)]
    if not cands:
        return None
    return orig[: rng.choice(cands)], "line_stop"


def cut_after_item(orig: str, lo: int, hi: int, rng: random.Random) -> tuple[str, str] | None:
    def item(last: str) -> bool:
        if LIST_LINE.match(last):
            return True
        # unmarked one-per-line item (never a lead-in sentence or heading)
        return words(last) <= 8 and not last.endswith(":") and not ends_sentence(last)

    cands = [n for n, last in _line_ends(orig, lo, hi) if item(last)]
    if not cands:
        return None
    return orig[: rng.choice(cands)], "after_list_item"


CUTTERS = {"word": cut_word, "subword": cut_subword, "char": cut_char, "line": cut_line}


def truncate(row: dict, want: str, rng: random.Random) -> tuple[str, str, str] | None:
    orig = row["output"].strip(WS)
    lo, hi = math.ceil(0.25 * len(orig)), math.floor(0.90 * len(orig))
    if want == "after_item":
        res = cut_after_item(orig, lo, hi, rng)
        return (res[0], "after_item", res[1]) if res else None
    order = [want] + [m for m in ("word", "char", "subword", "line") if m != want]
    for mode in order:
        res = CUTTERS[mode](orig, lo, hi, rng)
        if res:
            kept, detail = res
            return kept, ("word" if mode == "subword" else mode), detail
    return None


# ---------------------------------------------------------------- leftover

INSTR_SLOT = re.compile(r"^(.*\b(?:about|of|for|on)\s+)([^.?!\n]{3,60})([.?!])$")


def slot_ok(row: dict) -> bool:
    m = INSTR_SLOT.match(row["instruction"])
    if not m:
        return False
    slot = m.group(2)
    return words(slot) <= 6 and not re.search(r"following|given|this|these|below|above", slot, re.I)


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)


def lo_instr_slot(row: dict, ph: str) -> None:
    m = INSTR_SLOT.match(row["instruction"])
    row["instruction"] = f"{m.group(1)}{ph}{m.group(3)}"


def lo_output_sentence(row: dict, ph: str, rng: random.Random) -> None:
    sents = sentences(row["output"])
    k = rng.randint(1, len(sents) - 2)
    sents[k] = ph
    row["output"] = " ".join(sents)


def lo_each(row: dict, ph: str) -> None:
    lines = row["output"].split("\n")
    intro = [ln for ln in lines[:1] if ln.strip() and not LIST_LINE.match(ln)]
    row["output"] = "\n".join([*intro, ph])


# (style, location, how, placeholder, requirement)
LEFT_PLAN = {
    "alpaca.jsonl": [
        ("python_format", "instruction", "slot", "{topic}", "slot"),
        ("jinja", "input", "replace_input", "{{ input }}", "input"),
        ("mustache_triple", "output", "replace_output", "{{{response}}}", "any"),
        ("handlebars_each", "output", "each", "{{#each items}}\n{{@index}}. {{this}}\n{{/each}}", "list"),
        ("printf", "instruction", "slot", "%s", "slot"),
        (
            "printf_named",
            "instruction",
            "prefix",
            "Answer the request below about %(subject)s.\n\n",
            "noinput",
        ),
        ("shell_var", "input", "fill_input", "$INPUT_TEXT", "noinput"),
        ("angle_bracket", "output", "sentence", "<EXAMPLE>", "sents"),
        ("insert_here", "output", "sentence", "[INSERT EXAMPLE HERE]", "sents"),
        ("double_bracket", "instruction", "slot", "[[topic]]", "slot"),
        ("alpaca_header", "instruction", "suffix", "\n\n### Input:\n{input}", "noinput"),
        (
            "alpaca_header",
            "output",
            "suffix_out",
            "\n\n### Instruction:\n{instruction}\n\n### Response:",
            "any",
        ),
        ("python_format_positional", "input", "replace_input", "{0}", "input"),
        ("jinja", "instruction", "slot", "{{ topic }}", "slot"),
        ("shell_brace", "output", "replace_output", "${RESPONSE}", "any"),
    ],
    "dolly.jsonl": [
        ("python_format", "input", "replace_input", "{context}", "input"),
        ("jinja", "instruction", "slot", "{{ subject }}", "slot"),
        ("jinja", "output", "replace_output", "{{ response }}", "any"),
        ("mustache_triple", "input", "replace_input", "{{{context}}}", "input"),
        ("handlebars_each", "output", "each", "{{#each bullets}}\n- {{this}}\n{{/each}}", "list"),
        ("printf", "output", "sentence", "%s", "sents"),
        ("printf_named", "input", "replace_input", "%(context)s", "input"),
        ("shell_brace", "instruction", "slot", "${TOPIC}", "slot"),
        ("angle_bracket", "instruction", "slot", "<TOPIC>", "slot"),
        ("angle_bracket", "input", "fill_input", "<CONTEXT>", "noinput"),
        ("insert_here", "input", "replace_input", "[INSERT CONTEXT HERE]", "input"),
        ("insert_here", "output", "sentence", "[INSERT ANSWER HERE]", "sents"),
        ("double_bracket", "output", "sentence", "[[answer]]", "sents"),
        ("alpaca_header", "instruction", "suffix", "\n\n### Context:\n{context}", "noinput"),
        ("shell_var", "instruction", "prefix", "Context: $CONTEXT\n\n", "noinput"),
    ],
}


def left_req_ok(row: dict, req: str) -> bool:
    if req == "slot":
        return slot_ok(row)
    if req == "input":
        return bool(row["input"].strip())
    if req == "noinput":
        return not row["input"].strip()
    if req == "list":
        return shape_of(row["output"]) == "list"
    if req == "sents":
        return len(sentences(row["output"])) >= 3 and "\n" not in row["output"]
    return words(row["output"]) >= 2


def apply_leftover(row: dict, how: str, ph: str, rng: random.Random) -> None:
    if how == "slot":
        lo_instr_slot(row, ph)
    elif how in ("replace_input", "fill_input"):
        row["input"] = ph
    elif how == "replace_output":
        row["output"] = ph
    elif how == "each":
        lo_each(row, ph)
    elif how == "prefix":
        row["instruction"] = ph + row["instruction"]
    elif how == "suffix":
        row["instruction"] = row["instruction"] + ph
    elif how == "suffix_out":
        row["output"] = row["output"] + ph
    elif how == "sentence":
        lo_output_sentence(row, ph, rng)
    else:
        raise ValueError(how)


# ---------------------------------------------------------------- exact copies


def _double_space(s: str, rng: random.Random) -> str:
    spots = [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", s)]
    if not spots:
        return s
    p = rng.choice(spots)
    return s[:p] + "  " + s[p + 1 :]


def _newline(s: str, rng: random.Random) -> str:
    spots = [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", s)]
    if not spots:
        return s
    p = rng.choice(spots)
    return s[:p] + "\n" + s[p + 1 :]


INSTR_CASE = {
    "instruction_lowercase": lambda s, r: s.lower(),
    "instruction_uppercase": lambda s, r: s.upper(),
    "instruction_decapitalized": lambda s, r: s[:1].lower() + s[1:],
}
INSTR_WS = {
    "instruction_double_space": _double_space,
    "instruction_trailing_whitespace": lambda s, r: s + r.choice([" ", "  ", "\n", " \n"]),
    "instruction_leading_whitespace": lambda s, r: r.choice([" ", "  ", "\n", "\t"]) + s,
    "instruction_inner_newline": _newline,
    "instruction_tab": lambda s, r: s.replace(" ", "\t", 1),
}
OUTPUT_CHANGES = {
    "output_trailing_newline": lambda s, r: s + "\n",
    "output_lowercase": lambda s, r: s.lower(),
    "output_double_space": _double_space,
    "output_leading_space": lambda s, r: " " + s,
    "output_newlines_collapsed": lambda s, r: re.sub(r"\s*\n\s*", " ", s),
}


def mangle(src: dict, rng: random.Random) -> tuple[dict, list[str]]:
    for _ in range(50):
        row = dict(src)
        changes = []
        plan = []
        if rng.random() < 0.7:
            plan.append(rng.choice(sorted(INSTR_CASE)))
        n_ws = rng.choice([0, 1, 1, 2]) if plan else rng.choice([1, 2])
        plan += rng.sample(sorted(INSTR_WS), n_ws)
        for name in plan:
            fn = INSTR_CASE.get(name) or INSTR_WS[name]
            new = fn(row["instruction"], rng)
            if new != row["instruction"]:
                row["instruction"] = new
                changes.append(name)
        if rng.random() < 0.35:
            name = rng.choice(sorted(OUTPUT_CHANGES))
            new = OUTPUT_CHANGES[name](row["output"], rng)
            if new != row["output"]:
                row["output"] = new
                changes.append(name)
        if any(c.startswith("instruction") for c in changes):
            return row, changes
    raise RuntimeError(f"cannot mangle {src['id']}")


# ---------------------------------------------------------------- selection


def swap_bucket(row: dict) -> str | None:
    out = row["output"].strip()
    n = words(out)
    if n == 0 or PLACEHOLDER_LIKE.search(out) or shape_of(out) == "code":
        return None
    if n <= 8 and "\n" not in out:
        return "short"
    n_sent = len(re.findall(r"[.!?](?:\s|$)", out))
    if 9 <= n <= 45 and "\n" not in out and n_sent <= 2:
        return "sentence"
    if 40 <= n <= 220:
        return "list" if shape_of(out) == "list" else "paragraph"
    return None


def swap_eligible(row: dict) -> bool:
    text = row["instruction"] + " " + row["input"][:200]
    if NO_SWAP.search(row["instruction"]) or re.search(r"translat|language", text, re.I):
        return False
    return not natural_placeholder(row) and not re.search(r"[^\x00-\x7f]", row["output"])


def select_swaps(rows: list[dict], rng: random.Random) -> list[tuple[dict, str]]:
    pool = [r for r in rows if swap_eligible(r)]
    rng.shuffle(pool)
    picked: list[tuple[dict, str]] = []
    per = {"short": 0, "sentence": 0, "long": 0}
    for r in pool:
        b = swap_bucket(r)
        if b is None:
            continue
        key = "long" if b in ("list", "paragraph") else b
        if per[key] < N_SWAP // 3:
            per[key] += 1
            picked.append((r, b))
    assert all(v == N_SWAP // 3 for v in per.values()), per
    return picked


def build(out_dir: Path, select_only: bool) -> None:
    rng = random.Random(SEED)
    files = {
        "alpaca.jsonl": load(DATA / "alpaca_random_9k.json", *ALPACA_RANGE, "a"),
        "dolly.jsonl": load(DATA / "dolly_3k.json", *DOLLY_RANGE, "d"),
    }
    sizes = {"alpaca.jsonl": N_ALPACA, "dolly.jsonl": N_DOLLY}
    sampled: dict[str, list[dict]] = {}
    for fname, rows in files.items():
        nonempty = [r for r in rows if r["output"].strip()]
        sampled[fname] = rng.sample(nonempty, sizes[fname])

    swaps_sel = {fname: select_swaps(sampled[fname], rng) for fname in sampled}
    if select_only:
        todo = [
            {
                "id": r["id"],
                "length": b,
                "instruction": r["instruction"],
                "input": r["input"],
                "output": r["output"],
            }
            for fname in sampled
            for r, b in swaps_sel[fname]
        ]
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "todo_swaps.json").write_text(
            json.dumps(todo, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        return

    swaps = json.loads((HERE / "swaps.json").read_text(encoding="utf-8"))
    truth: dict[str, dict] = {}
    all_rows: dict[str, list[dict]] = {}
    used_ids = {r["id"] for rows in sampled.values() for r in rows}

    for fname, rows in sampled.items():
        rows = [dict(r) for r in rows]
        by_id = {r["id"]: r for r in rows}
        taken: set[str] = set()

        # 2. language swaps (selected first so hand-written answers stay valid)
        for r0, bucket in swaps_sel[fname]:
            spec = swaps[r0["id"]]
            long_forms = ("paragraph", "list")
            same = spec["length"] == bucket or (spec["length"] in long_forms and bucket in long_forms)
            assert same, (r0["id"], spec["length"], bucket)
            row = by_id[r0["id"]]
            row["output"] = spec["output"]
            taken.add(row["id"])
            truth[row["id"]] = {
                "defect": "language_swap",
                "language": spec["language"],
                "language_code": spec["language_code"],
                "length": spec["length"],
                "original_words": words(r0["output"]),
            }

        # 1. truncation
        pool = [r for r in rows if r["id"] not in taken and words(r["output"]) >= 8]
        rng.shuffle(pool)
        n_done = n_after = 0
        for row in pool:
            if n_done == N_TRUNC:
                break
            shape = shape_of(row["output"].strip(WS))
            out_s = row["output"].strip(WS)
            line_ok = cut_line(
                out_s, math.ceil(0.25 * len(out_s)), math.floor(0.9 * len(out_s)), random.Random(0)
            )
            if shape == "list" and n_after < N_AFTER_ITEM:
                want = "after_item"
            elif line_ok and rng.random() < 0.6:
                want = "line"
            else:
                want = rng.choices(["word", "subword", "char", "line"], weights=[40, 12, 30, 18])[0]
            res = truncate(row, want, rng)
            if res is None and want == "after_item":
                res = truncate(row, "word", rng)
            if res is None:
                continue
            kept, mode, detail = res
            n_after += mode == "after_item"
            truth[row["id"]] = {
                "defect": "truncation",
                "shape": shape,
                "cut_mode": mode,
                "cut_detail": detail,
                "original_words": words(row["output"]),
                "kept_words": words(kept),
                "kept_fraction": round(len(kept) / len(row["output"].strip(WS)), 3),
            }
            if mode == "after_item":
                truth[row["id"]]["after_complete_list_item"] = True
            row["output"] = kept
            taken.add(row["id"])
            n_done += 1
        assert n_done == N_TRUNC

        # 3. leftovers
        pool = [r for r in rows if r["id"] not in taken and not natural_placeholder(r)]
        rng.shuffle(pool)
        for style, loc, how, ph, req in LEFT_PLAN[fname]:
            row = next(r for r in pool if r["id"] not in taken and left_req_ok(r, req))
            apply_leftover(row, how, ph, rng)
            taken.add(row["id"])
            truth[row["id"]] = {
                "defect": "leftover",
                "style": style,
                "location": loc,
                "placeholder": ph.strip(),
            }

        # 4. exact copies of clean rows
        pool = [
            r
            for r in rows
            if r["id"] not in taken
            and not natural_placeholder(r)
            and re.search(r"[A-Za-z]", r["instruction"])
        ]
        copies = []
        prefix = fname[0]
        # outside the base ranges and outside the source files, same digit count as base ids
        lo_id, hi_id = (9229, 9999) if prefix == "a" else (3000, 3999)
        for src in rng.sample(pool, N_COPY):
            new, changes = mangle(src, rng)
            while True:
                cid = f"{prefix}{rng.randint(lo_id, hi_id)}"
                if cid not in used_ids:
                    break
            used_ids.add(cid)
            new["id"] = cid
            copies.append(new)
            truth[cid] = {"defect": "exact_copy", "copy_of": src["id"], "changes": changes}

        # clean rows; natural oddities of the ORIGINAL base text flagged on every base row
        inst_count: dict[str, int] = {}
        for r in sampled[fname]:
            k = r["instruction"].strip().lower()
            inst_count[k] = inst_count.get(k, 0) + 1
        for r in sampled[fname]:
            t = truth.setdefault(r["id"], {"defect": "clean"})
            if natural_placeholder(r):
                t["natural_placeholder_like"] = True
            if inst_count[r["instruction"].strip().lower()] > 1:
                t["natural_duplicate_instruction"] = True
            if re.search(r"translat", r["instruction"], re.I):
                t["natural_translation_task"] = True
            if words(r["output"]) >= 8 and not ends_sentence(r["output"]):
                t["natural_no_final_punct"] = True

        final = rows + copies
        rng.shuffle(final)
        all_rows[fname] = final

    out_dir.mkdir(parents=True, exist_ok=True)
    truth_lines = []
    for fname, rows in all_rows.items():
        with open(out_dir / fname, "w", encoding="utf-8", newline="\n") as fh:
            for r in rows:
                rec = {
                    "id": r["id"],
                    "instruction": r["instruction"],
                    "input": r["input"],
                    "output": r["output"],
                }
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                truth_lines.append(
                    json.dumps({"id": r["id"], "file": fname, **truth[r["id"]]}, ensure_ascii=False)
                )
    (out_dir / "truth.jsonl").write_text("\n".join(truth_lines) + "\n", encoding="utf-8")


def main() -> None:
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "select"):
        sys.exit(__doc__)
    build(Path(sys.argv[1]), select_only=len(sys.argv) == 3)


if __name__ == "__main__":
    main()
