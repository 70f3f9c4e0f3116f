"""Near-duplicate detection throughput: ift-data's MinHash LSH vs datasketch, on the same texts in one run.

    python benchmarks/bench_minhash.py [--rows N]

Texts: instruction + input + output of ../shared/data/instructions/alpaca_random_9k.json (skips when
absent). Every variant does the whole job: word 3-gram shingles, 128-permutation MinHash signatures,
LSH at Jaccard 0.8, candidate pairs. datasketch "naive" calls ``MinHash.update`` per shingle (the
common hand-rolled loop); "bulk" uses ``MinHash.bulk``; rensa (Rust, when installed) signs each text's
shingle list with ``RMinHash.update`` and queries/inserts ``RMinHashLSH`` (16 bands); ift-data hashes
shingles column-wise (polars + numpy) and computes signatures permutation-major in numpy, a batch of
rows at a time (``ift_data.audit.minhash``).

    python benchmarks/bench_minhash.py --scale 1000000

``--scale N`` measures only ift-data's MinHash step on N synthetic rows (four random Alpaca sentences
each, every 50th row followed by a near copy), in a child process, and prints its wall time and peak RSS
(the child's, minus what holding the texts costs is printed beside it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_random_9k.json"
sys.path.insert(0, str(ROOT / "src"))


def _shingles(text: str) -> list[bytes]:
    from ift_data.audit.text import normalize

    words = normalize(text).split()
    return [" ".join(words[i:i + 3]).encode("utf-8") for i in range(max(1, len(words) - 2))]


def _datasketch(texts: list[str], bulk: bool) -> tuple[float, int]:
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    shingles = [_shingles(t) for t in texts]
    if bulk:
        hashes = MinHash.bulk(shingles, num_perm=128, seed=1)
    else:
        hashes = []
        for doc in shingles:
            m = MinHash(num_perm=128, seed=1)
            for s in doc:
                m.update(s)
            hashes.append(m)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for i, m in enumerate(hashes):
        lsh.insert(i, m)
    pairs = sum(len(lsh.query(m)) - 1 for m in hashes)
    return time.perf_counter() - start, pairs


def _rensa(texts: list[str]) -> tuple[float, int] | None:
    try:
        from rensa import RMinHash, RMinHashLSH
    except ImportError:
        return None
    start = time.perf_counter()
    lsh = RMinHashLSH(threshold=0.8, num_perm=128, num_bands=16)
    candidates = 0
    for i, text in enumerate(texts):
        words = text.lower().split()
        signature = RMinHash(num_perm=128, seed=1)
        signature.update([" ".join(words[j:j + 3]) for j in range(max(1, len(words) - 2))])
        candidates += len(lsh.query(signature))
        lsh.insert(i, signature)
    return time.perf_counter() - start, candidates


def _scale(n: int) -> None:
    """Our MinHash step alone on ``n`` synthetic rows, in this process: wall time and peak RSS."""
    import random
    import resource

    from ift_data.audit.minhash import near_duplicate_clusters

    rows = json.loads(DATA.read_text(encoding="utf-8"))
    sentences = [s for r in rows for s in f"{r['output']} {r['instruction']}".split(". ") if s]
    rng = random.Random(0)
    texts = [". ".join(rng.choice(sentences) for _ in range(4)) for _ in range(n)]
    for i in range(0, n - 1, 50):
        texts[i + 1] = texts[i] + " indeed"
    held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    clusters = near_duplicate_clusters(texts, threshold=0.8, num_perm=128, n_words=3)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows {n:,}: MinHash step {seconds:.1f} s ({n / seconds:,.0f} docs/s), peak RSS {peak:,.0f} MB "
          f"(texts held before the step: {held:,.0f} MB), candidate pairs {clusters.candidate_pairs:,}, "
          f"in clusters {int((clusters.representative >= 0).sum()):,}")


def _ours(texts: list[str]) -> tuple[float, int]:
    from ift_data.audit.minhash import near_duplicate_clusters

    start = time.perf_counter()
    clusters = near_duplicate_clusters(texts, threshold=0.8, num_perm=128, n_words=3)
    return time.perf_counter() - start, clusters.candidate_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=0, help="use the first N rows (default: all)")
    parser.add_argument("--scale", type=int, default=0, help="only: our MinHash step on N synthetic rows")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return
    if args.scale:
        _scale(args.scale)
        return
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    texts = [f"{r['instruction']}\n{r['input']}\n{r['output']}" for r in rows][: args.rows or None]
    _ours(texts[:200])  # import and warm up numpy/polars once, like the others' imports below
    _datasketch(texts[:50], bulk=True)
    naive, _ = _datasketch(texts, bulk=False)
    bulk, _ = _datasketch(texts, bulk=True)
    rensa = _rensa(texts)
    ours, _ = _ours(texts)
    print(f"texts: {len(texts):,}")
    results = [("datasketch naive update()", naive), ("datasketch MinHash.bulk", bulk)]
    results += [("rensa RMinHash + LSH", rensa[0])] if rensa else []
    if rensa is None:
        print("rensa: not installed (pip install rensa)")
    for name, seconds in (*results, ("ift-data minhash", ours)):
        print(f"{name:28s} {seconds:6.2f} s  {len(texts) / seconds:9,.0f} docs/s  "
              f"({naive / seconds:5.1f}x naive, {bulk / seconds:4.1f}x bulk)")


if __name__ == "__main__":
    main()
