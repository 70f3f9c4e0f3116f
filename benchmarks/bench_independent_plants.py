"""Audit and clean the ten independently written planted-defect sets and score them against their truth.

    python benchmarks/bench_independent_plants.py [--plants 1,2,3,4,5,6,7,8,9,10] [--no-embeddings] [--work DIR]
    python benchmarks/bench_independent_plants.py --no-embeddings --baseline-src /path/to/old/checkout/src

An older commit's checkout for ``--baseline-src`` (its bundled rules and templates are links to the top-level
folders, so take those too): ``git archive COMMIT src rules templates data_samples | tar -x -C /tmp/base``,
then ``--baseline-src /tmp/base/src``.

The sets were written by ten people who did not see the audit's code: each folder under
``benchmarks/independent_plants/`` holds a deterministic generator (``make.py OUT``), its hand-written
foreign-language answers and a README describing every planted defect. The base rows come from
``../shared/data/instructions/`` (the benchmark skips with a message and exit status 2 when they are absent):

* plant 1: 3,000 Alpaca + 1,000 Dolly rows in ``planted.jsonl``; language swaps, truncations, exact and near
  copies, template leftovers;
* plant 2: the 2,022 t45 rows + 1,500 Alpaca rows in ``planted.jsonl``; the same without near copies; clean
  rows with placeholder-like text already in the data are marked ``natural_placeholder_like``;
* plant 3: ``alpaca.jsonl`` + ``dolly.jsonl`` (audited together), as plant 2; figures for each file too;
* plant 4: ``alpaca.jsonl`` + ``dolly.jsonl`` from other rows (Alpaca 0..2999, Dolly 1500..2995), as plant 3;
* plant 5: ``alpaca.jsonl`` + ``dolly.jsonl`` (Alpaca 3000..5999, Dolly 0..1499), as plant 3, with more
  truncations (100: token limits, broken exports, lost tails; short answers, prose, lists, code);
* plant 6: ``alpaca.jsonl`` (from the t45 file) + ``dolly.jsonl`` (Dolly 1500..2995), as plant 5, 120
  truncations (also cut at a line break), 60 language swaps;
* plant 7: ``alpaca.jsonl`` (Alpaca 6000..9228) + ``dolly.jsonl`` (Dolly 0..1499), as plant 6: 100 truncations,
  60 language swaps, 30 leftovers of 13 template styles;
* plant 8: ``alpaca.jsonl`` (Alpaca 0..2999) + ``dolly.jsonl`` (Dolly 1500..2995), as plant 7: 100 truncations,
  60 language swaps in 20 languages, 30 leftovers of 13 styles;
* plant 9: ``alpaca.jsonl`` (from the t45 file) + ``dolly.jsonl`` (Dolly 0..1499), as plant 8: 100 truncations,
  60 language swaps in 26 languages, 30 leftovers of 16 styles.
* plant 10: ``alpaca.jsonl`` (Alpaca 3000..8999) + ``dolly.jsonl`` (Dolly 700..2299), as plant 9: 100 truncations,
  60 language swaps in 35 languages, 30 leftovers of 21 styles.

For each plant the set is generated into a folder (``--work DIR``, else a temporary one), then
``ift-data audit FILES --id id --out A`` and ``ift-data clean FILES --id id --signals A --out C`` run as
subprocesses. Scores, from ``A/signals.parquet`` and the kept files ``clean`` writes into ``C``:

* language_swap / truncation / leftover, from flag_language_mismatch / flag_truncated_response /
  flag_template_leftover: recall = planted rows flagged / planted rows; precision = planted rows flagged /
  (planted rows flagged + clean rows flagged); clean flagged = clean rows flagged / clean rows. Rows of the
  other defects count in neither. Clean rows marked ``natural_placeholder_like`` are left out of the leftover
  scores.
* exact_copy / near_copy (pairs copy, copy_of): joined = pairs whose two rows share a non-null id in any of
  dedup_exact_cluster / dedup_minhash_cluster / dedup_semantic_cluster; original kept = pairs where clean
  kept the original and removed the copy, among the pairs whose rows differ (a byte-identical copy, plant 9
  has four, has no original to tell apart: clean keeps whichever comes first; identical = those pairs).

``--baseline-src DIR`` runs the same audits and cleans a second time with ``PYTHONPATH=DIR`` (an older
checkout's ``src`` folder) and prints both, with the difference (current - baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions"
PLANTS_DIR = Path(__file__).resolve().parent / "independent_plants"


@dataclass(frozen=True)
class Plant:
    folder: str
    files: tuple[str, ...]  # what make.py writes next to truth.jsonl, audited together
    sources: tuple[str, ...]  # base data under DATA


PLANTS = {
    1: Plant("plant1", ("planted.jsonl",), ("alpaca_random_9k.json", "dolly_3k.json")),
    2: Plant("plant2", ("planted.jsonl",), ("alpaca_helpfulness_t45.json", "alpaca_random_9k.json")),
    3: Plant("plant3", ("alpaca.jsonl", "dolly.jsonl"), ("dolly_3k.json", "alpaca_random_9k.json")),
    4: Plant("plant4", ("alpaca.jsonl", "dolly.jsonl"), ("alpaca_random_9k.json", "dolly_3k.json")),
    5: Plant("plant5", ("alpaca.jsonl", "dolly.jsonl"), ("alpaca_random_9k.json", "dolly_3k.json")),
    6: Plant("plant6", ("alpaca.jsonl", "dolly.jsonl"), ("alpaca_helpfulness_t45.json", "dolly_3k.json")),
    7: Plant("plant7", ("alpaca.jsonl", "dolly.jsonl"), ("alpaca_random_9k.json", "dolly_3k.json")),
    8: Plant("plant8", ("alpaca.jsonl", "dolly.jsonl"), ("alpaca_random_9k.json", "dolly_3k.json")),
    9: Plant("plant9", ("alpaca.jsonl", "dolly.jsonl"), ("alpaca_helpfulness_t45.json", "dolly_3k.json")),
    10: Plant("plant10", ("alpaca.jsonl", "dolly.jsonl"), ("alpaca_random_9k.json", "dolly_3k.json")),
}
FLAGGED = (("language_swap", "flag_language_mismatch"), ("truncation", "flag_truncated_response"),
           ("leftover", "flag_template_leftover"))
COPIES = ("exact_copy", "near_copy")
CLUSTERS = ("dedup_exact_cluster", "dedup_minhash_cluster", "dedup_semantic_cluster")
AMBIGUOUS_LEFTOVER = "natural_placeholder_like"

Count = tuple[int, int] | None  # (numerator, denominator); None: the audit has no such column


def cli_command(env: dict[str, str]) -> list[str]:
    """``python -m ift_data`` when the ift_data that ``env`` imports runs as a module, else the ``ift-data``
    script next to the interpreter."""
    probe = subprocess.run([sys.executable, "-m", "ift_data", "--version"], env=env, capture_output=True, text=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "ift_data"]
    script = Path(sys.executable).with_name("ift-data")
    if not script.is_file():
        sys.exit(f"neither `{sys.executable} -m ift_data` nor {script} runs:\n{probe.stderr[-2000:]}")
    return [str(script)]


def ift_data_location(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", "import ift_data; print(ift_data.__file__)"], env=env,
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else f"(import failed: {done.stderr.strip()[-200:]})"


def call(command: list[str], env: dict[str, str]) -> float:
    """Run ``command``; exit with its output when it fails. Returns the wall seconds."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def generate(plant: Plant, out: Path) -> list[Path]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # make.py imports its answers: no __pycache__ there
    call([sys.executable, str(PLANTS_DIR / plant.folder / "make.py"), str(out)], env)
    return [out / name for name in plant.files]


def audit_and_clean(cli: list[str], files: list[Path], out: Path, embeddings: bool,
                    env: dict[str, str]) -> tuple[Path, Path, dict[str, float]]:
    audit, clean = out / "audit", out / "clean"
    extra = [] if embeddings else ["--no-embeddings"]
    names = [str(f) for f in files]
    seconds = {"audit": call([*cli, "audit", *names, "--id", "id", "--out", str(audit), *extra], env)}
    seconds["clean"] = call([*cli, "clean", *names, "--id", "id", "--signals", str(audit), "--out", str(clean),
                             *extra], env)
    return audit, clean, seconds


def _ids(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["id"] for line in f if line.strip()]


def _texts(files: list[Path]) -> dict[str, tuple[str, ...]]:
    """Each row's id -> its fields other than the id, as written."""
    texts = {}
    for path in files:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    texts[row["id"]] = tuple(str(v) for k, v in sorted(row.items()) if k != "id")
    return texts


def score(files: list[Path], truth_path: Path, audit: Path, clean: Path) -> dict[str, dict[str, Count]]:
    """Per scope ("all", then each file when there are several): metric name -> (numerator, denominator)."""
    signals = pl.read_parquet(audit / "signals.parquet")
    truth = pl.read_ndjson(truth_path, infer_schema_length=None)
    frame = signals.join(truth, on="id", how="left")
    if frame.height != truth.height or frame["defect"].null_count():
        sys.exit(f"{audit}: {frame.height} audited rows for {truth.height} truth rows")
    kept: set[str] = set()
    for f in files:
        kept.update(_ids(clean / f.name))
    scopes: dict[str, set[str] | None] = {"all": None}
    if len(files) > 1:
        scopes.update({f.stem: set(_ids(f)) for f in files})
    clusters = [c for c in CLUSTERS if c in frame.columns]
    cluster_of = {row["id"]: row for row in frame.select("id", *clusters).iter_rows(named=True)}
    texts = _texts(files)
    results: dict[str, dict[str, Count]] = {}
    for scope, ids in scopes.items():
        part = frame if ids is None else frame.filter(pl.col("id").is_in(list(ids)))
        metrics: dict[str, Count] = {}
        for defect, flag in FLAGGED:
            rows = part
            if defect == "leftover" and AMBIGUOUS_LEFTOVER in rows.columns:
                rows = rows.filter(pl.col(AMBIGUOUS_LEFTOVER).is_null() | (pl.col("defect") == defect))
            planted = rows.filter(pl.col("defect") == defect)
            if planted.height == 0:
                continue
            if flag not in rows.columns:
                metrics.update({f"{defect} {m}": None for m in ("recall", "precision", "clean flagged")})
                continue
            clean_rows = rows.filter(pl.col("defect") == "clean")
            tp = planted.filter(pl.col(flag)).height
            fp = clean_rows.filter(pl.col(flag)).height
            metrics[f"{defect} recall"] = (tp, planted.height)
            metrics[f"{defect} precision"] = (tp, tp + fp)
            metrics[f"{defect} clean flagged"] = (fp, clean_rows.height)
        for kind in COPIES:
            pairs = part.filter(pl.col("defect") == kind).select("id", "copy_of").rows()
            if not pairs:
                continue
            joined = sum(any(cluster_of[a][c] is not None and cluster_of[a][c] == cluster_of[b][c] for c in clusters)
                         for a, b in pairs)
            metrics[f"{kind} joined"] = (joined, len(pairs))
            # a byte-identical copy has no original to tell apart: which one clean keeps is the rows' order
            differ = [(a, b) for a, b in pairs if texts[a] != texts[b]]
            metrics[f"{kind} original kept"] = (sum(b in kept and a not in kept for a, b in differ), len(differ))
            if len(differ) < len(pairs):
                metrics[f"{kind} identical"] = (len(pairs) - len(differ), len(pairs))
        results[scope] = metrics
    return results


def share(count: Count) -> float | None:
    if count is None or count[1] == 0:
        return None
    return count[0] / count[1]


def cell(count: Count, percent: bool) -> str:
    value = share(count)
    if count is None:
        return "n/a"
    text = "-" if value is None else f"{value:.2%}" if percent else f"{value:.3f}"
    return f"{text:>7} {f'{count[0]}/{count[1]}':>10}"


def diff(current: Count, baseline: Count, percent: bool) -> str:
    a, b = share(current), share(baseline)
    if a is None or b is None:
        return "-"
    return f"{(a - b) * 100:+.2f}pp" if percent else f"{a - b:+.3f}"


def print_table(number: int, runs: dict[str, dict[str, dict[str, Count]]]) -> None:
    labels = list(runs)
    header = f"{'plant':<6}{'scope':<8}{'defect':<15}{'metric':<15}" + "".join(f"{label:>20}" for label in labels)
    if len(labels) == 2:
        header += f"{'diff':>10}"
    print(header)
    print("-" * len(header))
    first = runs[labels[0]]
    for scope, metrics in first.items():
        last_defect = None
        for name in metrics:
            defect, metric = name.split(" ", 1)
            percent = metric == "clean flagged"
            line = f"{number:<6}{scope:<8}{defect if defect != last_defect else '':<15}{metric:<15}"
            counts = [runs[label].get(scope, {}).get(name) for label in labels]
            line += "".join(f"{cell(c, percent):>20}" for c in counts)
            if len(labels) == 2:
                line += f"{diff(counts[0], counts[1], percent):>10}"
            print(line)
            last_defect = defect
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plants", default="1,2,3,4,5,6,7,8,9,10", help="comma-separated plant numbers (1 to 10)")
    parser.add_argument("--no-embeddings", action="store_true",
                        help="pass --no-embeddings to audit and clean (no semantic duplicates)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the generated sets, audits and cleans (kept); default: a temporary one")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="an older checkout's src folder: run everything with PYTHONPATH=DIR too and compare")
    args = parser.parse_args(argv)
    try:
        numbers = sorted({int(n) for n in args.plants.split(",") if n.strip()})
    except ValueError:
        parser.error(f"--plants: numbers among {sorted(PLANTS)}, got {args.plants!r}")
    if not numbers or any(n not in PLANTS for n in numbers):
        parser.error(f"--plants: numbers among {sorted(PLANTS)}, got {args.plants!r}")
    missing = [DATA / s for n in numbers for s in PLANTS[n].sources if not (DATA / s).is_file()]
    if missing:
        print(f"skipped: base data not found: {', '.join(str(m) for m in sorted(set(missing)))}")
        return 2
    if args.baseline_src is not None and not (args.baseline_src / "ift_data").is_dir():
        parser.error(f"--baseline-src: no ift_data package in {args.baseline_src}")

    envs = {"current": dict(os.environ)}
    if args.baseline_src is not None:
        base = dict(os.environ)
        base["PYTHONPATH"] = os.pathsep.join(p for p in (str(args.baseline_src.resolve()),
                                                         os.environ.get("PYTHONPATH")) if p)
        envs["baseline"] = base
    clis = {label: cli_command(env) for label, env in envs.items()}
    embeddings = not args.no_embeddings
    print(f"embeddings {'on' if embeddings else 'off'}")
    for label, env in envs.items():
        print(f"{label}: ift_data from {ift_data_location(env)}; runs `{' '.join(clis[label])}`")
    print()

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        timings = []
        for number in numbers:
            plant = PLANTS[number]
            folder = work / plant.folder
            files = generate(plant, folder / "data")
            runs = {}
            for label, env in envs.items():
                audit, clean, seconds = audit_and_clean(clis[label], files, folder / label, embeddings, env)
                runs[label] = score(files, folder / "data" / "truth.jsonl", audit, clean)
                timings.append(f"plant {number} {label}: audit {seconds['audit']:.1f} s, clean {seconds['clean']:.1f} s")
            rows = sum(len(_ids(f)) for f in files)
            print(f"plant {number}: {' + '.join(plant.files)}, {rows:,} rows (benchmarks/independent_plants/"
                  f"{plant.folder}/README.md)")
            print_table(number, runs)
        print("\n".join(timings))
        if args.work:
            print(f"sets, audits and cleans kept in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
