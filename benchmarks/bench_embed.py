"""Embedding and kNN throughput: stock ``SentenceTransformer.encode`` vs our fast path, faiss flat vs ours.

    python benchmarks/bench_embed.py --n 1000 [--device auto] [--knn-n 20000]

Texts are instruction + input + output of the first N rows of
``../shared/data/instructions/alpaca_random_9k.json`` (skipped with a message when absent). Both
embedding paths use the same loaded model, in the same run, without the cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "instructions" / "alpaca_random_9k.json"


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--knn-n", type=int, default=20000, help="synthetic 384-d rows for the kNN timing")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found")
        return 0
    from ift_data.embed.encode import TextEncoder
    from ift_data.embed.knn import build_knn

    rows = json.loads(args.data.read_text(encoding="utf-8"))[: args.n]
    texts = ["\n\n".join(p for p in (r.get("instruction", ""), r.get("input", ""), r.get("output", "")) if p)
             for r in rows]
    encoder = TextEncoder(device=args.device, batch_size=args.batch_size, cache_dir=False, progress=False)
    model, load_s = timed(lambda: encoder.model)
    tokens = [len(t) for t in model.tokenizer(texts[:2000], truncation=True, max_length=model.max_seq_length)["input_ids"]]
    print(f"device {encoder.device}, batch {encoder.batch_size}, {len(texts)} texts, "
          f"mean {np.mean(tokens):.0f} tokens/text, model load {load_s:.1f} s")
    encoder.encode_fast(texts[:16])  # warm-up
    if encoder.device.startswith("cuda"):
        import torch

        sync = torch.cuda.synchronize
    else:
        def sync() -> None:
            return None
    stock, stock_s = timed(lambda: (model.encode(texts, batch_size=encoder.batch_size, normalize_embeddings=True,
                                                 convert_to_numpy=True, show_progress_bar=False), sync())[0])
    fast, fast_s = timed(lambda: (encoder.encode_fast(texts), sync())[0])
    cos = (np.asarray(stock, np.float32) * fast).sum(axis=1)
    print(f"stock SentenceTransformer.encode: {len(texts) / stock_s:8.1f} texts/s ({stock_s:.1f} s)")
    print(f"ift-data fast path:               {len(texts) / fast_s:8.1f} texts/s ({fast_s:.1f} s)")
    print(f"speed-up {stock_s / fast_s:.2f}x; min cosine(stock, fast) {cos.min():.6f}")

    import faiss

    for label, x in (("real", fast), ("synthetic", _unit(args.knn_n, fast.shape[1]))):
        index = faiss.IndexFlatIP(x.shape[1])
        _, flat_s = timed(lambda x=x, index=index: (index.add(x), index.search(x, args.k + 1)))
        graph, ours_s = timed(build_knn, x, args.k, device=args.device)
        print(f"kNN {label} {len(x)} x {x.shape[1]}, k={args.k}: faiss flat {flat_s:.2f} s, "
              f"ours ({graph.info['method']}) {ours_s:.2f} s, ratio {flat_s / ours_s:.2f}x")
    return 0


def _unit(n: int, dim: int) -> np.ndarray:
    x = np.random.default_rng(0).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


if __name__ == "__main__":
    sys.exit(main())
