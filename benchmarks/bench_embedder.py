"""Static (Model2Vec) vs MiniLM embedder: near-duplicate recall at equal precision, neighbour agreement, speed.

    python benchmarks/bench_embedder.py --rows 2000 --plants 100 [--static PATH] [--cache-dir DIR]

Clean rows are the first ``--rows`` rows of ``../shared/data/instructions/alpaca_random_9k.json`` (exact
duplicates removed). ``--plants`` copies of four kinds are planted, each next to its original:

- ``edit``: small word edits (a deleted word, a repeated word, a letter swap) in the longer field;
- ``reorder``: the response's sentences in another order;
- ``synonym``: about one word in ten replaced by a synonym;
- ``paraphrase``: the instruction reworded ("Write a poem" -> "Could you please compose a poem?"),
  synonyms, and the response's sentences reordered with one dropped.

Each embedder embeds the same texts (instruction + input + response, as the audit does). A planted pair
counts as found when the copy and its original are mutual top-10 neighbours above a cosine threshold.
Thresholds are set per embedder so that both admit the same number of unplanted pairs above it (equal
precision): the threshold is each embedder's similarity of its N-th most similar unplanted neighbour pair,
N = ``--false-pairs`` (default 10). Also printed: recall at each embedder's own audit threshold, the mean
top-10 neighbour agreement of the static embedder with MiniLM on the clean rows, and texts/s of both,
measured in this run. MiniLM's vectors may come from the embedding cache (``--cache-dir``); its speed is
timed on ``--speed-n`` texts without the cache.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

from corruption_harness import SYNONYMS as HARNESS_SYNONYMS  # a sibling script: its folder is on sys.path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "instructions" / "alpaca_random_9k.json"
KINDS = ("edit", "reorder", "synonym", "paraphrase")

SYNONYMS = {**HARNESS_SYNONYMS, "can": "could", "help.": "assist.", "which": "that", "allows": "lets"}
REWORDINGS = (
    (re.compile(r"^(write|create|generate|compose|make)\b", re.I), "Could you please {verb} "),
    (re.compile(r"^(explain|describe)\b", re.I), "Can you {verb} "),
    (re.compile(r"^(give|provide|list|name)\b", re.I), "Please {verb} "),
    (re.compile(r"^(what|how|why|who|where|when)\b", re.I), "I'd like to know: {verb} "),
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def load_rows(path: Path, n: int) -> list[dict[str, str]]:
    seen, rows = set(), []
    for row in json.loads(path.read_text(encoding="utf-8")):
        key = " ".join(f"{row.get('instruction', '')} {row.get('input', '')} {row.get('output', '')}".lower().split())
        if key in seen:
            continue
        seen.add(key)
        rows.append({"instruction": row.get("instruction", ""), "input": row.get("input", ""),
                     "output": row.get("output", "")})
        if len(rows) == n:
            break
    return rows


def _synonyms(text: str, rng: random.Random, share: float) -> str:
    words = text.split(" ")
    spots = [j for j, w in enumerate(words) if w.lower() in SYNONYMS]
    rng.shuffle(spots)
    for j in spots[: max(1, int(len(words) * share))]:
        new = SYNONYMS[words[j].lower()]
        words[j] = new.capitalize() if words[j][:1].isupper() else new
    return " ".join(words)


def variant(row: dict[str, str], kind: str, rng: random.Random) -> dict[str, str] | None:
    """A planted copy of ``row`` of the given kind, or None when the row cannot carry it."""
    out = dict(row)
    if kind == "edit":
        key = max(("instruction", "output"), key=lambda k: len(row[k].split()))
        words = row[key].split(" ")
        for _ in range(max(1, len(words) // 30)):
            j = rng.randrange(len(words))
            action = rng.randrange(3)
            if action == 0 and len(words) > 3:
                del words[j]
            elif action == 1:
                words.insert(j, words[j])
            elif len(words[j]) >= 4:
                w = words[j]
                k = rng.randrange(len(w) - 1)
                words[j] = w[:k] + w[k + 1] + w[k] + w[k + 2:]
        out[key] = " ".join(words)
    elif kind == "reorder":
        sentences = _SENTENCE.split(row["output"].strip())
        if len(sentences) < 3:
            return None
        order = list(range(len(sentences)))
        while order == sorted(order):
            rng.shuffle(order)
        out["output"] = " ".join(sentences[k] for k in order)
    elif kind == "synonym":
        out["instruction"] = _synonyms(row["instruction"], rng, 0.1)
        out["output"] = _synonyms(row["output"], rng, 0.1)
    elif kind == "paraphrase":
        instruction = row["instruction"].strip()
        for pattern, replacement in REWORDINGS:
            match = pattern.match(instruction)
            if match:
                rest = instruction[match.end():].strip().rstrip(".?!")
                instruction = replacement.format(verb=match.group(1).lower()) + rest + "?"
                break
        else:
            return None
        out["instruction"] = _synonyms(instruction, rng, 0.1)
        sentences = _SENTENCE.split(_synonyms(row["output"].strip(), rng, 0.1))
        if len(sentences) >= 4:
            del sentences[rng.randrange(len(sentences))]
            rng.shuffle(sentences)
        out["output"] = " ".join(sentences)
    return out if out != row else None


def plant(rows: list[dict[str, str]], per_kind: int, seed: int) -> tuple[list[dict[str, str]], list[tuple[int, int, str]]]:
    """Clean rows followed by planted copies; pairs (original, copy, kind)."""
    rng = random.Random(seed)
    out, pairs, used = list(rows), [], set()
    for kind in KINDS:
        order = list(range(len(rows)))
        rng.shuffle(order)
        made = 0
        for i in order:
            if made == per_kind:
                break
            if i in used:
                continue
            copy = variant(rows[i], kind, rng)
            if copy is None:
                continue
            used.add(i)
            pairs.append((i, len(out), kind))
            out.append(copy)
            made += 1
    return out, pairs


def texts_of(rows: list[dict[str, str]]) -> list[str]:
    return ["\n\n".join(p for p in (r["instruction"], r["input"], r["output"]) if p) for r in rows]


def neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    idx = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(sims, idx, axis=1)


def pair_scores(vectors: np.ndarray, k: int) -> dict[tuple[int, int], float]:
    """Cosine of every pair that are top-k neighbours of each other (the audit's semantic candidates)."""
    idx, sims = neighbours(vectors, k)
    sets = [set(row.tolist()) for row in idx]
    out = {}
    for i, (row, srow) in enumerate(zip(idx, sims, strict=True)):
        for j, s in zip(row.tolist(), srow.tolist(), strict=True):
            if i < j and i in sets[j]:
                out[(i, j)] = s
    return out


def evaluate(name: str, vectors: np.ndarray, pairs: list[tuple[int, int, str]], false_pairs: int,
             own_threshold: float, k: int = 10) -> dict[str, object]:
    scores = pair_scores(vectors, k)
    planted = {(a, b) for a, b, _ in pairs}
    unplanted = sorted((s for p, s in scores.items() if p not in planted), reverse=True)
    threshold = unplanted[false_pairs - 1] if len(unplanted) >= false_pairs else -1.0
    result: dict[str, object] = {"embedder": name, "threshold_at_equal_precision": round(threshold, 4)}
    for label, cut in (("equal_precision", threshold), ("own_threshold", own_threshold)):
        found = {kind: 0 for kind in KINDS}
        total = {kind: 0 for kind in KINDS}
        for a, b, kind in pairs:
            total[kind] += 1
            found[kind] += scores.get((a, b), -1.0) > cut
        result[label] = {kind: f"{found[kind]}/{total[kind]}" for kind in KINDS}
        result[f"{label}_recall"] = round(sum(found.values()) / max(1, sum(total.values())), 4)
        result[f"{label}_false_pairs"] = sum(1 for s in unplanted if s > cut)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--plants", type=int, default=100, help="planted copies per kind")
    parser.add_argument("--false-pairs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--static", default="static", help="static embedder: 'static' (bundled) or a folder")
    parser.add_argument("--cache-dir", default=None, help="embedding cache for MiniLM's vectors")
    parser.add_argument("--speed-n", type=int, default=500, help="texts timed without the cache")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"skipped: {args.data} not found")
        return 0
    from ift_data.audit.rules import load_rules
    from ift_data.embed.encode import TextEncoder

    rows, pairs = plant(load_rows(args.data, args.rows), args.plants, args.seed)
    texts = texts_of(rows)
    print(f"{len(rows)} rows ({len(pairs)} planted copies: {', '.join(KINDS)})")
    thresholds = load_rules("default").values.get("dedup_semantic", {})
    results, vectors, speeds = [], {}, {}
    for name, spec in (("minilm", "minilm"), ("static", args.static)):
        encoder = TextEncoder(spec, device="cpu", cache_dir=args.cache_dir or False, progress=False)
        vectors[name] = encoder.embed(texts)
        timer = TextEncoder(spec, device="cpu", cache_dir=False, progress=False)
        timer.encode(texts[:8])
        started = time.perf_counter()
        timer.encode(texts[: args.speed_n])
        speeds[name] = min(args.speed_n, len(texts)) / (time.perf_counter() - started)
        own = float(thresholds.get(f"threshold_{name}", thresholds.get("threshold", 0.95)))
        results.append(evaluate(name, vectors[name], pairs, args.false_pairs, own))
    clean = len(rows) - len(pairs)
    idx_m, _ = neighbours(vectors["minilm"][:clean], 10)
    idx_s, _ = neighbours(vectors["static"][:clean], 10)
    agreement = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx_m.tolist(), idx_s.tolist(), strict=True)]))
    for r in results:
        r["texts_per_s"] = round(speeds[str(r["embedder"])], 1)
        print(json.dumps(r))
    print(f"top-10 neighbour agreement static vs minilm on {clean} clean rows: {agreement:.3f}")
    print(f"speed static / minilm: {speeds['static'] / speeds['minilm']:.1f}x")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "agreement": agreement}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
