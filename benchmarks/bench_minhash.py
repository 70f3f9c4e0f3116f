"""Near-duplicate detection throughput: ift-data's MinHash LSH vs datasketch and rensa, on the same texts in one run.

    python benchmarks/bench_minhash.py [--rows N] [--synthetic N] [--repeat 3] [--no-naive]

Texts: instruction + input + output of ../shared/data/instructions/alpaca_random_9k.json (skips when
absent), or with ``--synthetic N`` N synthetic rows (four random Alpaca sentences each, every 50th row
followed by a near copy). Every variant does the whole job from raw text: word 3-gram shingles,
128-permutation MinHash signatures, LSH at Jaccard 0.8, candidate pairs. datasketch "naive" calls
``MinHash.update`` per shingle (the common hand-rolled loop); "bulk" uses ``MinHash.bulk``; rensa (Rust,
when installed) gets Python word 3-grams, signed per text with ``RMinHash.update`` or all at once with
``RMinHash.from_token_sets``, then queries/inserts ``RMinHashLSH`` (16 bands) per text, or takes rensa's
bulk path (a digest matrix and ``insert_matrix_and_query_duplicate_flags``: flags only, no pairs); ift-data shingles the whole
batch at once (one polars regex pass, then numpy on the UTF-8 bytes) and computes signatures
permutation-major in numpy, then verifies candidates and builds clusters (``ift_data.audit.minhash``).
Each variant runs ``--repeat`` times and its best time is reported (the machine is shared); the load
average is printed before and after.

    python benchmarks/bench_minhash.py --scale 1000000

``--scale N`` measures only ift-data's MinHash step on N synthetic rows, in this process, and prints its
wall time and peak RSS (what holding the texts costs is printed beside it).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_random_9k.json"
sys.path.insert(0, str(ROOT / "src"))


def _shingles(text: str) -> list[bytes]:
    from ift_data.audit.text import normalize

    words = normalize(text).split()
    return [" ".join(words[i:i + 3]).encode("utf-8") for i in range(max(1, len(words) - 2))]


def _datasketch(texts: list[str], bulk: bool) -> int:
    """Candidate pairs (each counted from both sides) of datasketch's whole job."""
    from datasketch import MinHash, MinHashLSH

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
    return sum(len(lsh.query(m)) - 1 for m in hashes)


def _word_trigrams(text: str) -> list[str]:
    words = text.lower().split()
    return [" ".join(words[j:j + 3]) for j in range(max(1, len(words) - 2))]


def _rensa(texts: list[str], mode: str) -> int | None:
    """Candidates (flagged rows for ``mode="matrix"``) of rensa's whole job; None without rensa.
    ``update``: one ``RMinHash`` per text; ``batch``: ``RMinHash.from_token_sets``; ``matrix``: rensa's
    bulk path (``digest_matrix_from_token_sets`` and ``insert_matrix_and_query_duplicate_flags``, which
    gives duplicate flags only, not pairs)."""
    try:
        from rensa import RMinHash, RMinHashLSH  # type: ignore[import-untyped]
    except ImportError:
        return None
    lsh = RMinHashLSH(threshold=0.8, num_perm=128, num_bands=16)
    if mode == "matrix":
        matrix = RMinHash.digest_matrix_from_token_sets([_word_trigrams(t) for t in texts], 128, 1)
        return sum(lsh.insert_matrix_and_query_duplicate_flags(matrix))
    if mode == "batch":
        signed = RMinHash.from_token_sets([_word_trigrams(t) for t in texts], 128, 1)
    else:
        signed = []
        for text in texts:
            signature = RMinHash(num_perm=128, seed=1)
            signature.update(_word_trigrams(text))
            signed.append(signature)
    candidates = 0
    for i, signature in enumerate(signed):
        candidates += len(lsh.query(signature))
        lsh.insert(i, signature)
    return candidates


def _synthetic(n: int) -> list[str]:
    """``n`` rows of four random Alpaca sentences, every 50th row followed by a near copy."""
    import random

    rows = json.loads(DATA.read_text(encoding="utf-8"))
    sentences = [s for r in rows for s in f"{r['output']} {r['instruction']}".split(". ") if s]
    rng = random.Random(0)
    texts = [". ".join(rng.choice(sentences) for _ in range(4)) for _ in range(n)]
    for i in range(0, n - 1, 50):
        texts[i + 1] = texts[i] + " indeed"
    return texts


def _scale(n: int) -> None:
    """Our MinHash step alone on ``n`` synthetic rows, in this process: wall time and peak RSS."""
    import resource

    from ift_data.audit.minhash import near_duplicate_clusters

    texts = _synthetic(n)
    held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    clusters = near_duplicate_clusters(texts, threshold=0.8, num_perm=128, n_words=3)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows {n:,}: MinHash step {seconds:.1f} s ({n / seconds:,.0f} docs/s), peak RSS {peak:,.0f} MB "
          f"(texts held before the step: {held:,.0f} MB), candidate pairs {clusters.candidate_pairs:,}, "
          f"in clusters {int((clusters.representative >= 0).sum()):,}")


def _ours(texts: list[str]) -> int:
    """Candidate pairs of ift-data's whole job (which goes on to verify them and build clusters)."""
    from ift_data.audit.minhash import near_duplicate_clusters

    return near_duplicate_clusters(texts, threshold=0.8, num_perm=128, n_words=3).candidate_pairs


def _best(repeat: int, run: Callable[[], object]) -> tuple[float, float] | None:
    """Best wall and best CPU seconds of ``repeat`` calls of ``run`` (None when it returns None)."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        if run() is None:
            return None
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=0, help="use the first N Alpaca rows (default: all)")
    parser.add_argument("--synthetic", type=int, default=0, help="use N synthetic rows instead of Alpaca's")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each variant; the best is reported")
    parser.add_argument("--no-naive", action="store_true", help="skip datasketch's per-shingle loop (slow)")
    parser.add_argument("--scale", type=int, default=0, help="only: our MinHash step on N synthetic rows")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return
    if args.scale:
        _scale(args.scale)
        return
    if args.synthetic:
        texts = _synthetic(args.synthetic)
    else:
        rows = json.loads(DATA.read_text(encoding="utf-8"))
        texts = [f"{r['instruction']}\n{r['input']}\n{r['output']}" for r in rows][: args.rows or None]
    load_before = os.getloadavg()[0]
    _ours(texts[:200])  # import and warm up numpy/polars once, like the others' imports below
    _datasketch(texts[:50], bulk=True)
    for mode in ("update", "batch", "matrix"):
        _rensa(texts[:50], mode)
    results: list[tuple[str, tuple[float, float] | None]] = []
    if not args.no_naive:
        results.append(("datasketch naive update()", _best(args.repeat, lambda: _datasketch(texts, bulk=False))))
    results.append(("datasketch MinHash.bulk", _best(args.repeat, lambda: _datasketch(texts, bulk=True))))
    for name, mode in (("rensa RMinHash.update + LSH", "update"), ("rensa from_token_sets + LSH", "batch"),
                       ("rensa digest matrix + flags", "matrix")):
        results.append((name, _best(args.repeat, functools.partial(_rensa, texts, mode))))
    results.append(("ift-data minhash", _best(args.repeat, lambda: _ours(texts))))
    print(f"texts: {len(texts):,}, best of {args.repeat}, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    timed = {name: best for name, best in results if best is not None}
    if len(timed) < len(results):
        print("rensa: not installed (pip install rensa)")
    bulk = timed["datasketch MinHash.bulk"]
    print(f"{'':28s} {'wall':>6s}    {'docs/s':>9s}  {'vs bulk':>7s}   {'CPU':>6s}    {'docs/s':>9s}")
    for name, (wall, cpu) in timed.items():
        print(f"{name:28s} {wall:6.2f} s  {len(texts) / wall:9,.0f}  {bulk[0] / wall:6.1f}x   {cpu:6.2f} s  "
              f"{len(texts) / cpu:9,.0f}")
    ours = timed.pop("ift-data minhash")
    for clock, k in (("wall", 0), ("CPU", 1)):
        rival = min(timed, key=lambda name: timed[name][k])
        verdict = "ahead of" if ours[k] < timed[rival][k] else "behind"
        print(f"{clock}: ift-data is {verdict} the fastest other ({rival}): {timed[rival][k] / ours[k]:.2f}x its rate")

if __name__ == "__main__":
    main()
