"""Near-duplicate detection throughput: ift-data's MinHash LSH vs datasketch, on the same texts in one run.

    python benchmarks/bench_minhash.py [--rows N]

Texts: instruction + input + output of ../shared/data/instructions/alpaca_random_9k.json (skips when
absent). Every variant does the whole job: word 3-gram shingles, 128-permutation MinHash signatures,
LSH at Jaccard 0.8, candidate pairs. datasketch "naive" calls ``MinHash.update`` per shingle (the
common hand-rolled loop); "bulk" uses ``MinHash.bulk``; ift-data hashes shingles column-wise (polars +
numpy) and computes signatures permutation-major in numpy (``ift_data.audit.minhash``).
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


def _ours(texts: list[str]) -> tuple[float, int]:
    from ift_data.audit.minhash import near_duplicate_clusters

    start = time.perf_counter()
    clusters = near_duplicate_clusters(texts, threshold=0.8, num_perm=128, n_words=3)
    return time.perf_counter() - start, clusters.candidate_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=0, help="use the first N rows (default: all)")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    texts = [f"{r['instruction']}\n{r['input']}\n{r['output']}" for r in rows][: args.rows or None]
    _ours(texts[:200])  # import and warm up numpy/polars once, like the others' imports below
    _datasketch(texts[:50], bulk=True)
    naive, _ = _datasketch(texts, bulk=False)
    bulk, _ = _datasketch(texts, bulk=True)
    ours, _ = _ours(texts)
    print(f"texts: {len(texts):,}")
    for name, seconds in (("datasketch naive update()", naive), ("datasketch MinHash.bulk", bulk),
                          ("ift-data minhash", ours)):
        print(f"{name:28s} {seconds:6.2f} s  {len(texts) / seconds:9,.0f} docs/s  "
              f"({naive / seconds:5.1f}x naive, {bulk / seconds:4.1f}x bulk)")


if __name__ == "__main__":
    main()
