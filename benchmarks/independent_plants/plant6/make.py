"""Build the plant6 test set of planted defects in instruction-tuning data.

Usage (from the repository root):

    python benchmarks/independent_plants/plant6/make.py OUT          # write the set into OUT
    python benchmarks/independent_plants/plant6/make.py OUT select   # write OUT/language_swap_todo.json

Only the standard library is used; the output is byte-identical on every run.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

SEED = 6262
HERE = Path(__file__).resolve().parent
DATA = Path("/work/shared/data/instructions")
ALPACA_SRC = DATA / "alpaca_helpfulness_t45.json"
DOLLY_SRC = DATA / "dolly_3k.json"
ANSWERS = HERE / "language_swap_answers.json"

DOLLY_RANGE = range(1500, 2996)
N_SAMPLE = {"alpaca.jsonl": 1500, "dolly.jsonl": 1200}
N_TRUNC = 60  # per file
N_LANG = 10  # per file and length class (short / sentence / long)
N_LEFTOVER = 10  # per file
N_COPY = 10  # per file
MAX_AFTER_ITEM = 4  # per file; at most 5 over both files is the brief
COPY_ID_BASE = {"alpaca.jsonl": ("t", 2022, 2999), "dolly.jsonl": ("d", 3000, 3999)}

LANGUAGES = [
    # (language, code, how many of the 60 rows)
    ("Chinese", "zh", 8),
    ("Japanese", "ja", 5),
    ("Korean", "ko", 4),
    ("Russian", "ru", 5),
    ("Spanish", "es", 5),
    ("French", "fr", 5),
    ("German", "de", 5),
    ("Portuguese", "pt", 3),
    ("Italian", "it", 3),
    ("Dutch", "nl", 3),
    ("Polish", "pl", 3),
    ("Turkish", "tr", 3),
    ("Arabic", "ar", 2),
    ("Hindi", "hi", 2),
    ("Vietnamese", "vi", 2),
    ("Indonesian", "id", 2),
]

# ----------------------------------------------------------------------------------------------------------
# helpers


def words(text: str) -> list[str]:
    return text.split()


LIST_LINE = re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.)]|[a-zA-Z][.)])\s+\S")
CODE_HINT = re.compile(
    r"```|^\s*(?:def |class |import |from \w+ import|#include|public |private |function |var |let |const |"
    r"for ?\(|while ?\(|if ?\(|return\b|print\(|SELECT |<\w+[ >]|\}\s*$|\w+ = \w+\()",
    re.M,
)


def shape_of(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    code_lines = sum(1 for ln in lines if CODE_HINT.search(ln) or ln.rstrip().endswith((";", "{", "}")))
    if "```" in text or (len(lines) >= 2 and code_lines >= max(2, len(lines) // 3)):
        return "code"
    if sum(1 for ln in lines if LIST_LINE.match(ln)) >= 2:
        return "list"
    if len(words(text)) < 30:
        return "short"
    return "prose"


SENTENCE_END = re.compile(r"[.!?。！？]['\")\]”’»]*$")
LIST_MARKER_END = re.compile(r"(?:^|\n)\s*\d{1,2}\.$")


def ends_sentence(kept: str) -> bool:
    """True when the kept text ends like a complete sentence (a bare list number such as '4.' does not)."""
    return bool(SENTENCE_END.search(kept)) and not LIST_MARKER_END.search(kept)


PLACEHOLDER_LIKE = re.compile(
    r"\[[A-Za-z][A-Za-z/' -]{0,40}\](?!\()"  # [Your Name], [company name]; not a markdown link
    r"|<(?!/?(?:p|br|b|i|a|ul|ol|li|div|span|html|head|body|title|table|tr|td|th|h\d|img|caption|"
    r"strong|em|script|style|meta|link|form|input|button|header|footer|nav|section)\b)[A-Za-z_][\w ]{0,30}>"
    r"|\{[^{}\n]{1,40}\}"  # {name}, {Year}
    r"|%[sd]\b|\$\{|\{\{"
)


def placeholder_like(row: dict) -> bool:
    return any(PLACEHOLDER_LIKE.search(row[k]) for k in ("instruction", "input", "output"))


# ----------------------------------------------------------------------------------------------------------
# truncation

SUFFIXES = (
    "ations", "ation", "tions", "tion", "ments", "ment", "ness", "ities", "ity", "ously", "ous", "ively",
    "ive", "ally", "able", "ible", "ings", "ing", "izes", "ize", "ers", "er", "est", "ed", "ly", "al",
)  # fmt: skip


def subword_splits(word: str) -> list[int]:
    """Offsets inside a long word where a BPE-like tokenizer plausibly splits it."""
    out = []
    low = word.lower()
    for suf in SUFFIXES:
        if low.endswith(suf) and len(word) - len(suf) >= 3:
            out.append(len(word) - len(suf))
    if not out:
        out = [k for k in range(3, len(word) - 2) if k % 3 == 0 or k == len(word) // 2]
    return sorted(set(out))


def line_ends(text: str) -> set[int]:
    return {m.start() for m in re.finditer(r"\n", text)} | {len(text)}


def valid_cut(text: str, pos: int, allow_item_end: bool = False) -> str | None:
    kept = text[:pos].rstrip()
    n = len(text)
    if not (0.25 * n <= len(kept) <= 0.9 * n):
        return None
    if len(words(kept)) < 3:
        return None
    if ends_sentence(kept):
        return None
    # a cut that lands at the end of a line would leave a complete line / list item: only line modes may
    nxt = text[len(kept) :]
    if not allow_item_end and (nxt == "" or nxt.lstrip(" \t").startswith("\n")):
        return None
    return kept


def cut_word(text: str, rng: random.Random) -> str | None:
    """Generation limit: stop at a subword-token boundary near a random target."""
    target = rng.uniform(0.25, 0.9) * len(text)
    inside = rng.random() < 0.2
    cands = []
    for m in re.finditer(r"\w+|[^\w\s]", text):
        if inside:
            if len(m.group()) >= 7 and m.group().isalpha():
                cands.extend(m.start() + k for k in subword_splits(m.group()))
        else:
            cands.append(m.end())
    cands.sort(key=lambda p: (abs(p - target), p))
    for p in cands:
        kept = valid_cut(text, p)
        if kept is not None:
            return kept
    return cut_word_whole(text, target) if inside else None


def cut_word_whole(text: str, target: float) -> str | None:
    cands = sorted((m.end() for m in re.finditer(r"\w+|[^\w\s]", text)), key=lambda p: (abs(p - target), p))
    for p in cands:
        kept = valid_cut(text, p)
        if kept is not None:
            return kept
    return None


def cut_char(text: str, rng: random.Random) -> str | None:
    """Character limit / broken export / lost clipboard tail: an arbitrary character offset."""
    for _ in range(60):
        pos = int(rng.uniform(0.25, 0.9) * len(text))
        kept = valid_cut(text, pos)
        if kept is not None:
            return kept
    return None


def cut_line(text: str, rng: random.Random, shape: str) -> str | None:
    """A scraper that stopped at a line break (never right after a complete list item or sentence)."""
    target = rng.uniform(0.25, 0.9) * len(text)
    cands = []
    for m in re.finditer(r"\n", text):
        last = text[: m.start()].rstrip().rsplit("\n", 1)[-1]
        if not last.strip() or LIST_LINE.match(last):
            continue
        # a line-per-entry list without markers ("Chase: Bank") would end on a complete entry: only cut where
        # the line visibly continues (ends in , : ; ( or a dash, or the next line goes on in lower case)
        following = text[m.end() :].lstrip()
        if not (last.rstrip().endswith((",", ":", ";", "(", "-", "–", "—")) or following[:1].islower()):
            continue
        cands.append(m.start())
    cands.sort(key=lambda p: (abs(p - target), p))
    for p in cands:
        kept = valid_cut(text, p, allow_item_end=True)
        if kept is not None:
            return kept
    return None


def cut_after_item(text: str, rng: random.Random) -> str | None:
    target = rng.uniform(0.3, 0.85) * len(text)
    cands = []
    for m in re.finditer(r"\n", text):
        last = text[: m.start()].rstrip().rsplit("\n", 1)[-1]
        if LIST_LINE.match(last):
            cands.append(m.start())
    cands.sort(key=lambda p: (abs(p - target), p))
    for p in cands:
        kept = text[:p].rstrip()
        n = len(text)
        if 0.25 * n <= len(kept) <= 0.9 * n and len(words(kept)) >= 3:
            return kept
    return None


def truncate(text: str, rng: random.Random, shape: str, allow_after_item: bool) -> tuple[str, str]:
    roll = rng.random()
    if allow_after_item and shape == "list" and rng.random() < 0.3:
        kept = cut_after_item(text, rng)
        if kept is not None:
            return kept, "after_item"
    if roll < 0.5:
        order = ["word", "char", "line"]
    elif roll < 0.75:
        order = ["char", "word", "line"]
    else:
        order = ["line", "char", "word"]
    for mode in order:
        if mode == "word":
            kept = cut_word(text, rng)
        elif mode == "char":
            kept = cut_char(text, rng)
        else:
            kept = cut_line(text, rng, shape)
        if kept is not None:
            return kept, mode
    raise RuntimeError(f"no valid cut for {text[:60]!r}")


# ----------------------------------------------------------------------------------------------------------
# language swap selection

LANG_SKIP = re.compile(
    r"translat|language|english|spanish|french|german|chinese|japanese|korean|russian|italian|latin|"
    r"arabic|hindi|portuguese|dutch|greek|grammar|grammatical|\bwords?\b|sentence|synonym|antonym|spell|"
    r"\bcode\b|coding|program|python|java|sql|html|css|function|script|algorithm|regex|letter|pronoun|"
    r"\bverbs?\b|\bnouns?\b|adjective|adverb|rhym|phrase|vocabular|acronym|abbreviat|punctuat|paraphrase|"
    r"rewrite|re-write|\bedit|poem|haiku|slogan|tweet|hashtag|title|headline|pun\b|joke|alliterat|"
    r"\bsay\b|pronounc|dialogue|\bsong|lyrics|email|tagline|caption|metaphor|simile|anagram|riddle|"
    r"format|json|csv|table|classify|categori|sentiment|extract|wording|equation|expression|calculat|"
    r"convert|value of|numbers?\b|numerical|\brat(?:e|ing)\b|score|math|solution|solve|compute|volume|"
    r"fraction|decimal|grade|\bx\b|\d\s*[-+*/×=]|query|power of|result of",
    re.I,
)


def lang_class(out: str) -> str | None:
    n = len(words(out))
    lines = [ln for ln in out.splitlines() if ln.strip()]
    if n <= 15 and len(lines) == 1:
        return "short"
    if 16 <= n <= 45 and len(lines) == 1:
        return "sentence"
    if n >= 40:
        return "long"
    return None


def lang_candidates(rows: list[dict]) -> dict[str, list[dict]]:
    by: dict[str, list[dict]] = {"short": [], "sentence": [], "long": []}
    for r in rows:
        text = r["instruction"]
        if LANG_SKIP.search(text) or not r["output"].strip() or shape_of(r["output"]) == "code":
            continue
        if placeholder_like(r) or re.search(r"[^\x00-\u024f\u2000-\u206f€£°×–—‘’“”…•\s]", r["output"]):
            continue
        cls = lang_class(r["output"])
        if cls:
            by[cls].append(r)
    return by


# ----------------------------------------------------------------------------------------------------------
# leftover placeholders

SUBJECT = re.compile(
    r"^(.*\b(?:about|for|of|on|regarding|describing|called|named|between)\s+)(.{3,60}?)([.?!]?)$"
)


def sub_subject(instr: str, ph: str) -> str | None:
    if "\n" in instr:
        return None
    m = SUBJECT.match(instr.strip())
    if not m or len(words(m.group(1))) < 3:
        return None
    return f"{m.group(1)}{ph}{m.group(3)}"


def lo_input(ph):
    def f(r):
        if not r["input"].strip():
            return None
        return {**r, "input": ph}

    return f


def lo_instruction(ph):
    def f(r):
        new = sub_subject(r["instruction"], ph)
        return None if new is None else {**r, "instruction": new}

    return f


def lo_template_block(r):
    if r["input"].strip() or "\n" in r["instruction"]:
        return None
    return {**r, "instruction": f"{r['instruction']}\n\n### Input:\n{{input}}"}


def lo_output_whole(ph):
    def f(r):
        return {**r, "output": ph}

    return f


def lo_output_entity(r):
    out = r["output"]
    m = re.search(r"\b\d{2,}(?:[.,]\d+)?\b", out)
    tag = "[NUMBER]"
    if not m:
        m = re.search(r"(?<=[a-z,] )[A-Z][a-z]+(?: [A-Z][a-z]+)+", out)
        tag = "[NAME]"
    if not m or len(words(out)) < 6:
        return None
    return {**r, "output": out[: m.start()] + tag + out[m.end() :]}


def lo_output_prefix(r):
    if len(words(r["output"])) < 8:
        return None
    return {**r, "output": f"Sure! Here is the {{task_type}} you asked for:\n\n{r['output']}"}


LEFTOVER_STYLES = {
    "alpaca.jsonl": [
        ("double_curly", "input", lo_input("{{input}}")),
        ("square_bracket", "input", lo_input("[INSERT TEXT HERE]")),
        ("angle", "input", lo_input("<text>")),
        ("printf", "instruction", lo_instruction("%s")),
        ("single_curly", "instruction", lo_instruction("{topic}")),
        ("square_bracket", "instruction", lo_instruction("[TOPIC]")),
        ("template_block", "instruction", lo_template_block),
        ("double_curly", "output", lo_output_whole("{{ response }}")),
        ("square_bracket", "output", lo_output_entity),
        ("single_curly", "output", lo_output_prefix),
    ],
    "dolly.jsonl": [
        ("single_curly", "input", lo_input("{context}")),
        ("double_curly", "input", lo_input("{{ context }}")),
        ("dollar", "input", lo_input("${CONTEXT}")),
        ("dollar", "instruction", lo_instruction("$SUBJECT")),
        ("double_curly", "instruction", lo_instruction("{{subject}}")),
        ("angle", "instruction", lo_instruction("<entity>")),
        ("printf", "instruction", lo_instruction("%s")),
        ("single_curly", "output", lo_output_whole("{response}")),
        ("square_bracket", "output", lo_output_entity),
        ("angle", "output", lo_output_whole("<insert answer here>")),
    ],
}

# ----------------------------------------------------------------------------------------------------------
# exact copies


def mangle_instruction(s: str, rng: random.Random) -> tuple[str, list[str]]:
    case_ops = [
        ("lowercase", str.lower),
        ("first_letter_lower", lambda t: t[:1].lower() + t[1:]),
        ("title_case", lambda t: re.sub(r"\b([a-z])", lambda m: m.group(1).upper(), t)),
        ("uppercase", str.upper),
    ]
    ws_ops = [
        ("double_space", lambda t: t.replace(" ", "  ", 1 + rng.randrange(2))),
        ("trailing_space", lambda t: t + " "),
        ("leading_space", lambda t: " " + t),
        ("trailing_newline", lambda t: t + "\n"),
        ("tab", lambda t: t.replace(" ", "\t", 1)),
    ]
    changes = []
    out = s
    pick = rng.random()
    if pick < 0.75:
        name, fn = case_ops[rng.choices(range(4), weights=[5, 3, 2, 1])[0]]
        new = fn(out)
        if new != out:
            out = new
            changes.append(f"instruction:{name}")
    if pick >= 0.45 or not changes:
        name, fn = ws_ops[rng.randrange(len(ws_ops))]
        out = fn(out)
        changes.append(f"instruction:{name}")
    return out, changes


def mangle_output(s: str, rng: random.Random) -> tuple[str, list[str]]:
    ops = [
        ("trailing_newline", lambda t: t + "\n"),
        ("trailing_space", lambda t: t + " "),
        ("crlf", lambda t: t.replace("\n", "\r\n") if "\n" in t else t + "\r\n"),
        ("double_space", lambda t: t.replace(" ", "  ", 1)),
        ("lowercase", str.lower),
    ]
    name, fn = ops[rng.randrange(len(ops))]
    new = fn(s)
    return (new, [f"output:{name}"]) if new != s else (s, [])


# ----------------------------------------------------------------------------------------------------------
# main


def load_base() -> dict[str, list[dict]]:
    alpaca = json.loads(ALPACA_SRC.read_text(encoding="utf-8"))
    dolly = json.loads(DOLLY_SRC.read_text(encoding="utf-8"))
    rng = random.Random(SEED)
    a_idx = sorted(rng.sample(range(len(alpaca)), N_SAMPLE["alpaca.jsonl"]))
    d_idx = sorted(rng.sample(list(DOLLY_RANGE), N_SAMPLE["dolly.jsonl"]))
    keys = ("instruction", "input", "output")
    return {
        "alpaca.jsonl": [{"id": f"t{i}", **{k: alpaca[i][k] for k in keys}} for i in a_idx],
        "dolly.jsonl": [{"id": f"d{i}", **{k: dolly[i][k] for k in keys}} for i in d_idx],
    }


def select_language_rows(base: dict[str, list[dict]]) -> list[dict]:
    rng = random.Random(SEED + 1)
    chosen = []
    for fname in ("alpaca.jsonl", "dolly.jsonl"):
        by = lang_candidates(base[fname])
        for cls in ("short", "sentence", "long"):
            for r in rng.sample(by[cls], N_LANG):
                chosen.append({"file": fname, "class": cls, **r})
    langs = [(name, code) for name, code, k in LANGUAGES for _ in range(k)]
    assert len(langs) == len(chosen) == 60
    rng.shuffle(langs)
    for r, (name, code) in zip(chosen, langs, strict=True):
        r["language"], r["language_code"] = name, code
    return chosen


def build(base: dict[str, list[dict]]) -> tuple[dict[str, list[dict]], list[dict]]:
    lang_rows = select_language_rows(base)
    answers = json.loads(ANSWERS.read_text(encoding="utf-8"))
    rng = random.Random(SEED + 2)
    rows_out: dict[str, list[dict]] = {}
    truth_out: list[dict] = []
    after_item_left = MAX_AFTER_ITEM
    for fname, rows in base.items():
        truth = {r["id"]: {"id": r["id"], "file": fname, "defect": "clean"} for r in rows}
        by_id = {r["id"]: dict(r) for r in rows}
        used: set[str] = set()

        # 2. language swap (selected first so that the hand-written answers stay attached to their rows)
        for lr in (x for x in lang_rows if x["file"] == fname):
            ans = answers[lr["id"]]
            assert ans["language_code"] == lr["language_code"], lr["id"]
            by_id[lr["id"]]["output"] = ans["output"]
            truth[lr["id"]].update(
                defect="language_swap",
                language=ans["language"],
                language_code=ans["language_code"],
                length=ans["length"],
            )
            used.add(lr["id"])

        # 1. truncation: random rows whose output has >= 8 words
        pool = [r["id"] for r in rows if r["id"] not in used and len(words(r["output"])) >= 8]
        for rid in rng.sample(pool, N_TRUNC):
            text = by_id[rid]["output"]
            shape = shape_of(text)
            kept, mode = truncate(text, rng, shape, after_item_left > 0)
            if mode == "after_item":
                after_item_left -= 1
            by_id[rid]["output"] = kept
            truth[rid].update(
                defect="truncation",
                shape=shape,
                cut_mode=mode,
                original_words=len(words(text)),
                kept_words=len(words(kept)),
            )
            used.add(rid)

        # 3. leftover placeholders, on rows without placeholder-like text of their own
        pool = [r["id"] for r in rows if r["id"] not in used and not placeholder_like(r)]
        rng.shuffle(pool)
        for style, location, fn in LEFTOVER_STYLES[fname]:
            for rid in pool:
                if rid in used:
                    continue
                new = fn(by_id[rid])
                if new is not None:
                    by_id[rid] = new
                    truth[rid].update(defect="leftover", style=style, location=location)
                    used.add(rid)
                    break
            else:
                raise RuntimeError(f"no row for leftover style {style}/{location}")

        # 4. exact copies of clean rows (originals unique in the base on instruction and output)
        inst_count: dict[str, int] = {}
        out_count: dict[str, int] = {}
        for r in rows:
            inst_count[r["instruction"].strip().lower()] = (
                inst_count.get(r["instruction"].strip().lower(), 0) + 1
            )
            out_count[r["output"].strip()] = out_count.get(r["output"].strip(), 0) + 1
        pool = [
            r["id"]
            for r in rows
            if r["id"] not in used
            and inst_count[r["instruction"].strip().lower()] == 1
            and out_count[r["output"].strip()] == 1
            and len(words(r["output"])) >= 1
        ]
        prefix, lo, hi = COPY_ID_BASE[fname]
        new_ids = [f"{prefix}{n}" for n in sorted(rng.sample(range(lo, hi + 1), N_COPY))]
        copies = []
        for orig, new_id in zip(rng.sample(pool, N_COPY), new_ids, strict=True):
            src = by_id[orig]
            instr, changes = mangle_instruction(src["instruction"], rng)
            out = src["output"]
            if rng.random() < 0.4:
                out, more = mangle_output(out, rng)
                changes += more
            copies.append({"id": new_id, "instruction": instr, "input": src["input"], "output": out})
            truth[new_id] = {
                "id": new_id,
                "file": fname,
                "defect": "exact_copy",
                "copy_of": orig,
                "changes": changes,
            }

        for rid, t in truth.items():
            if t["defect"] == "clean" and placeholder_like(by_id[rid]):
                t["natural_placeholder_like"] = True

        final = [by_id[r["id"]] for r in rows] + copies
        rng.shuffle(final)
        rows_out[fname] = final
        truth_out.extend(truth[r["id"]] for r in final)
    return rows_out, truth_out


def dump_jsonl(path: Path, items: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for it in items:
            fh.write(json.dumps(it, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != "select"):
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    base = load_base()
    if len(argv) == 3:
        todo = [
            {
                k: r[k]
                for k in (
                    "id",
                    "file",
                    "class",
                    "language",
                    "language_code",
                    "instruction",
                    "input",
                    "output",
                )
            }
            for r in select_language_rows(base)
        ]
        (out / "language_swap_todo.json").write_text(
            json.dumps(todo, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        return 0
    rows_out, truth = build(base)
    ids = [r["id"] for rows in rows_out.values() for r in rows]
    assert len(ids) == len(set(ids)) == len(truth)
    for fname, rows in rows_out.items():
        dump_jsonl(out / fname, rows)
    dump_jsonl(out / "truth.jsonl", truth)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
