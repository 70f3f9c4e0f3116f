"""Which copy `ift-data clean` keeps: plant case- and spacing-mangled copies of real Alpaca rows at random
places (before or after their original), clean, and count the pairs whose original was kept.

Mangles (cycled): the instruction upper-cased; its words joined by doubled spaces and a trailing space;
two adjacent words swapped and the instruction upper-cased; two adjacent words swapped, lower-cased and
doubled spaces. The first two are exact duplicates after normalization, the swapped ones near duplicates.
``--kinds swap``: two adjacent words swapped and nothing else (no case or spacing to tell the copy by).

The stock policy (keep each cluster's first row, the code before the keep order) is measured in the same
run: the same audit with the keep-order step switched off.

    python benchmarks/bench_kept_copy.py --rows 9229 --copies 300
    python benchmarks/bench_kept_copy.py --rows 9229 --copies 300 --kinds swap
    python benchmarks/bench_kept_copy.py --rows 3000 --copies 300 --embeddings --cache-dir /tmp/kc_cache
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_random_9k.json"
KINDS = ("upper", "spaces", "swap_upper", "swap_lower_spaces", "swap")
DEFAULT_KINDS = KINDS[:4]  # "swap" (two adjacent words swapped, nothing else) with --kinds swap


def _swap(words: list[str], rng: random.Random) -> list[str]:
    j = rng.randrange(len(words) - 1)
    words = list(words)
    words[j], words[j + 1] = words[j + 1], words[j]
    return words


def mangle(row: dict[str, str], kind: str, rng: random.Random) -> dict[str, str]:
    """A copy of ``row`` whose instruction is case- or spacing-mangled (``kind`` one of ``KINDS``)."""
    words = row["instruction"].split()
    if kind == "upper":
        text = row["instruction"].upper()
    elif kind == "spaces":
        text = "  ".join(words) + " "
    elif kind == "swap_upper":
        text = " ".join(_swap(words, rng)).upper()
    elif kind == "swap_lower_spaces":
        text = "  ".join(_swap(words, rng)).lower()
    elif kind == "swap":
        text = " ".join(_swap(words, rng))
    else:
        raise ValueError(kind)
    return {**row, "instruction": text}


def eligible(row: dict[str, str]) -> bool:
    """Rows a mangle visibly changes: three or more words, some lower-case letters, a capital first letter."""
    text = row["instruction"]
    return len(text.split()) >= 3 and any(c.islower() for c in text) and text[:1].isupper()


def plant(rows: list[dict[str, str]], copies: int, seed: int, kinds: tuple[str, ...] = DEFAULT_KINDS) -> tuple[list[dict[str, str]], list[tuple[int, int, str]]]:
    """``rows`` with ``copies`` mangled copies inserted at random places; returns the new list and, per
    pair, (position of the original, position of the copy, mangle)."""
    rng = random.Random(seed)
    pool = [i for i, row in enumerate(rows) if eligible(row)]
    chosen = rng.sample(pool, min(copies, len(pool)))
    items: list[tuple[str, int, dict[str, str]]] = [("row", i, row) for i, row in enumerate(rows)]
    for n, i in enumerate(chosen):
        kind = kinds[n % len(kinds)]
        items.insert(rng.randrange(len(items) + 1), (kind, i, mangle(rows[i], kind, rng)))
    original_at = {i: pos for pos, (kind, i, _) in enumerate(items) if kind == "row"}
    pairs = [(original_at[i], pos, kind) for pos, (kind, i, _) in enumerate(items) if kind != "row"]
    return [row for _, _, row in items], pairs


@contextmanager
def stock_policy() -> Iterator[None]:
    """The audit without the keep-order step: every cluster keeps its first row."""
    import ift_data.audit.runner as runner

    saved = getattr(runner, "resolve_kept_copies")  # noqa: B009 - patched for the run, restored after
    setattr(runner, "resolve_kept_copies", lambda table, columns, flags, runs, rules: runs)  # noqa: B010
    try:
        yield
    finally:
        setattr(runner, "resolve_kept_copies", saved)  # noqa: B010


def outcome(out: Path, pairs: list[tuple[int, int, str]]) -> dict[str, Any]:
    """Per pair: original kept and copy removed ('original'), the reverse ('copy'), both kept ('missed') or
    both removed ('both_removed'); counts overall and per mangle."""
    removed = {r["row_id"]: r for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()
               if (r := json.loads(line))["row_id"] is not None}
    kinds: dict[str, Counter[str]] = {}
    named = 0
    for original, copy, kind in pairs:
        o, c = original in removed, copy in removed
        result = "original" if c and not o else "copy" if o and not c else "missed" if not (o or c) else "both_removed"
        if result == "original" and removed[copy].get("representative_id") == original:
            named += 1
        kinds.setdefault(kind, Counter())[result] += 1
    total: Counter[str] = sum(kinds.values(), Counter())
    found = total["original"] + total["copy"] + total["both_removed"]
    return {"pairs": len(pairs), **{k: total[k] for k in ("original", "copy", "missed", "both_removed")},
            "original_share_of_found": round(total["original"] / found, 4) if found else None,
            "original_share_of_all": round(total["original"] / len(pairs), 4) if pairs else None,
            "kept_row_named": named, "by_mangle": {k: dict(v) for k, v in sorted(kinds.items())}}


def run(rows: int, copies: int, seed: int, embeddings: bool, cache_dir: str | None, work: Path,
        kinds: tuple[str, ...] = DEFAULT_KINDS) -> dict[str, Any]:
    from ift_data.audit.cleaner import run_clean
    from ift_data.audit.options import AuditOptions

    data = json.loads(DATA.read_text(encoding="utf-8"))[:rows]
    planted, pairs = plant(data, copies, seed, kinds)
    path = work / "planted.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in planted), encoding="utf-8")
    options = AuditOptions(seed=seed, embeddings=embeddings, cache_dir=cache_dir, progress=False)
    results: dict[str, Any] = {"rows": len(data), "copies": len(pairs), "embeddings": embeddings}
    for name in ("stock", "keep_order"):
        started = time.perf_counter()
        if name == "stock":
            with stock_policy():
                clean = run_clean([path], work / name, options)
        else:
            clean = run_clean([path], work / name, options)
        results[name] = {**outcome(work / name, pairs), "removed": clean.rejected,
                         "seconds": round(time.perf_counter() - started, 2),
                         "resolve_seconds": clean.audit.timings.get("kept_copy") if clean.audit else None}
    empty_groups = _emptied_exact_groups(work / "keep_order")
    results["keep_order"]["exact_groups_emptied"] = empty_groups
    results["stock"]["exact_groups_emptied"] = _emptied_exact_groups(work / "stock")
    return results


DUPLICATE_FLAGS = {"flag_exact_duplicate", "flag_near_duplicate", "flag_semantic_duplicate"}


def _emptied_exact_groups(out: Path) -> int:
    """Exact groups (whole example, normalized) every member of which clean removed, one of them for being a
    duplicate only (a group whose every member is removed for a noise flag too, an empty answer say, is not
    counted: that is the noise flag's doing)."""
    import polars as pl

    signals = pl.read_parquet(out / "signals.parquet", columns=["row_id", "dedup_exact_cluster"])
    reasons = {r["row_id"]: set(r["reasons"]) for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()
               if (r := json.loads(line))["row_id"] is not None}
    groups = signals.drop_nulls("dedup_exact_cluster").group_by("dedup_exact_cluster").agg(pl.col("row_id"))
    return sum(all(r in reasons for r in members) and any(reasons[r] <= DUPLICATE_FLAGS for r in members)
               for members in groups["row_id"].to_list())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=9229, help="Alpaca rows to start from")
    parser.add_argument("--copies", type=int, default=300, help="mangled copies to plant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embeddings", action="store_true", help="run the semantic signals too (slow on CPU)")
    parser.add_argument("--cache-dir", default=None, help="embedding cache folder")
    parser.add_argument("--kinds", default=",".join(DEFAULT_KINDS),
                        help=f"comma-separated mangles, cycled (of {', '.join(KINDS)})")
    args = parser.parse_args()
    kinds = tuple(k.strip() for k in args.kinds.split(","))
    if not kinds or any(k not in KINDS for k in kinds):
        parser.error(f"--kinds: names among {', '.join(KINDS)}, got {args.kinds!r}")
    if not DATA.is_file():
        sys.exit(f"no data at {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args.rows, args.copies, args.seed, args.embeddings, args.cache_dir, Path(tmp), kinds)
    stock, mine = results["stock"], results["keep_order"]
    print(f"{results['rows']:,} Alpaca rows + {results['copies']} mangled copies, embeddings "
          f"{'on' if results['embeddings'] else 'off'}")
    print(f"{'policy':<12} {'original kept':>14} {'copy kept':>10} {'missed':>7} {'both removed':>13} "
          f"{'share of found':>15} {'exact groups emptied':>21} {'seconds':>8}")
    for name, r in (("stock", stock), ("keep order", mine)):
        print(f"{name:<12} {r['original']:>14} {r['copy']:>10} {r['missed']:>7} {r['both_removed']:>13} "
              f"{r['original_share_of_found']:>15} {r['exact_groups_emptied']:>21} {r['seconds']:>8}")
    if stock["original"]:
        print(f"originals kept, keep order / stock: {mine['original'] / stock['original']:.2f}x; "
              f"clean time ratio {mine['seconds'] / stock['seconds']:.2f}x")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
