"""Simulated cuts of clean real answers: how many does the truncation test find, by the kind of cut?

Cuts are made the way exports and generation limits make them, in Alpaca 9k and Dolly 3k answers of at least
ten words (``../shared/data/instructions``), three seeds each:

- ``inside_word``: inside a random word after the third (a token or character limit in a word: "the firs");
- ``word_boundary``: right after a random word after the third (a token limit between words);
- ``first_comma``: before the answer's first comma (a broken export), answers with a comma only;
- ``after_item``: after a random complete item of a list of three or more marked lines, not the last (a lost
  tail), the item's own punctuation kept;
- ``short_inside_word`` / ``short_word_boundary``: the same two cuts in answers of three to nine words (the
  first word may be cut too: "Octob", "Electric cars"), which a held-out plant cuts as often as long ones.

It prints, per file and kind, the share found by ``truncation_reason`` (evidence in the text alone; the per-file
bare-end rule needs a whole file and is left out), and the flags on the same answers uncut. With
``--baseline-src`` the same run scores an older checkout's ``src`` too (a subprocess with ``PYTHONPATH``) and
prints the ratio. For ``word_boundary`` it also prints how many cuts end bare on a word with no other evidence,
against how many clean answers of the file do: the cuts no end evidence can tell from a finished answer.

    python benchmarks/bench_truncation_cuts.py --baseline-src /tmp/base13/src
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "instructions"
FILES = {"alpaca": "alpaca_random_9k.json", "dolly": "dolly_3k.json"}
KINDS = ("inside_word", "word_boundary", "first_comma", "after_item", "short_inside_word", "short_word_boundary")
SHORT_WORDS = (3, 9)  # the short kinds: answers of this many tokens
SEEDS = (0, 1, 2)
_WORD = re.compile(r"[A-Za-z]{2,}")
_TOKEN = re.compile(r"\S+")
_ITEM_LINE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+\S")


def _cut(text: str, kind: str, rng: random.Random) -> str | None:
    if kind == "first_comma":
        head = text[: text.find(",")] if "," in text else ""
        return head if head.strip() else None
    if kind == "after_item":
        lines = text.splitlines()
        items = [i for i, line in enumerate(lines) if _ITEM_LINE.match(line)]
        if len(items) < 3 or items[-1] != len(lines) - 1:
            return None
        return "\n".join(lines[: items[rng.randrange(len(items) - 1)] + 1]).rstrip()
    if kind.startswith("short_"):
        tokens = list(_TOKEN.finditer(text))
        if not SHORT_WORDS[0] <= len(tokens) <= SHORT_WORDS[1]:
            return None
        if kind == "short_word_boundary":
            return text[: tokens[rng.randrange(len(tokens) - 1)].end()]
        words = list(_WORD.finditer(text))
        if not words:
            return None
        word = rng.choice(words)
        return text[: word.start() + rng.randint(1, len(word.group(0)) - 1)]
    if kind == "inside_word":
        words = list(_WORD.finditer(text))
        if len(words) < 10:
            return None
        word = rng.choice(words[3:])
        return text[: word.start() + rng.randint(1, len(word.group(0)) - 1)]
    tokens = list(_TOKEN.finditer(text))
    if len(tokens) < 10:
        return None
    return text[: tokens[rng.randrange(3, len(tokens) - 1)].end()]


def score() -> dict:
    """The figures of the ``ift_data`` on ``sys.path``."""
    from ift_data.audit.truncation import bare_end, truncation_reason

    results: dict = {}
    for name, file in FILES.items():
        rows = json.loads((DATA / file).read_text(encoding="utf-8"))
        clean = [truncation_reason(r["output"], r["instruction"], input_text=r.get("input") or "") is not None
                 for r in rows]
        long_rows = [r for r in rows if len(_WORD.findall(r["output"])) >= 10]
        bare_clean = sum(bare_end(r["output"].strip(), r["instruction"]) for r in long_rows)
        results[name] = {"rows": len(rows), "clean_flagged": sum(clean), "long_rows": len(long_rows),
                         "long_clean_bare": bare_clean}
        for kind in KINDS:
            found = total = bare = 0
            for seed in SEEDS:
                rng = random.Random(seed)
                for r in rows:
                    cut = _cut(r["output"].strip(), kind, rng)
                    if cut is None:
                        continue
                    total += 1
                    if truncation_reason(cut, r["instruction"], input_text=r.get("input") or ""):
                        found += 1
                    elif kind == "word_boundary" and bare_end(cut, r["instruction"]):
                        bare += 1
            results[name][kind] = {"cuts": total, "found": found, "bare_only": bare}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", help="an older checkout's src folder, scored in the same run")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a subprocess's answer
    args = parser.parse_args()
    if args.json:
        print(json.dumps(score()))
        return
    if not DATA.is_dir():
        sys.exit(f"no data at {DATA}")
    current = score()
    baseline = None
    if args.baseline_src:
        env = {**os.environ, "PYTHONPATH": args.baseline_src}
        out = subprocess.run([sys.executable, __file__, "--json"], env=env, check=True, capture_output=True,
                             text=True).stdout
        baseline = json.loads(out)
    print(f"{'file':8} {'kind':20} {'cuts':>6} {'found now':>10} {'baseline':>9} {'ratio':>6}")
    for name, figures in current.items():
        for kind in KINDS:
            now = figures[kind]
            share = now["found"] / now["cuts"]
            line = f"{name:8} {kind:20} {now['cuts']:6d} {share:10.3f}"
            if baseline:
                before = baseline[name][kind]["found"] / baseline[name][kind]["cuts"]
                line += f" {before:9.3f} {share / before:6.3f}"
            print(line)
        boundary = figures["word_boundary"]
        print(f"{name:8} clean answers flagged: {figures['clean_flagged']} of {figures['rows']}"
              + (f" (baseline {baseline[name]['clean_flagged']})" if baseline else ""))
        print(f"{name:8} word-boundary cuts that end bare with no other evidence: {boundary['bare_only']} of "
              f"{boundary['cuts']} ({boundary['bare_only'] / boundary['cuts']:.3f}); clean answers of 10+ words "
              f"that end bare: {figures['long_clean_bare']} of {figures['long_rows']} "
              f"({figures['long_clean_bare'] / figures['long_rows']:.3f})")


if __name__ == "__main__":
    main()
