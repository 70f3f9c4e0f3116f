"""Corruption harness: plant known defects into a clean dataset, run the audit, print precision and
recall per signal.

Defects: exact duplicates (case/whitespace/punctuation variants), near duplicates (small word edits,
sentence reorders, paraphrase-like synonym swaps), label flips on a sentiment subset, language swaps
(response replaced by a Chinese/German/French/Spanish passage), truncations (response cut
mid-sentence) and template leftovers (``{text}``, ``{{``, ``|||``).

Clean data: the first rows of ``../shared/data/instructions/alpaca_random_9k.json`` (exact duplicates
removed) plus SST-2 dev sentences as a sentiment subset; a small generated set when the shared data is
absent. A baseline audit of the clean data tells which flags were already there before planting
("pre-existing": real issues of the source data, reported apart).

    python benchmarks/corruption_harness.py --rows 2000 --reviews 400 --out /tmp/harness
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IFT_SHARED_DATA", ROOT.parent / "shared" / "data"))
ALPACA = SHARED / "instructions" / "alpaca_random_9k.json"
SST2_DEV = SHARED / "raw" / "sst2" / "dev.tsv"
AG_NEWS = SHARED / "raw" / "ag_news"

# defect -> substrings of the flag columns expected to catch it
EXPECTED = {
    "exact_duplicate": ("exact_duplicate",),
    "near_duplicate_edit": ("near_duplicate", "semantic_duplicate"),
    "near_duplicate_reorder": ("near_duplicate", "semantic_duplicate"),
    "near_duplicate_synonym": ("near_duplicate", "semantic_duplicate"),
    "label_flip": ("label_noise",),
    "language_swap": ("language_mismatch",),
    "truncation": ("truncat",),
    "template_leftover": ("template_leftover",),
}
PAIR_DEFECTS = ("exact_duplicate", "near_duplicate_edit", "near_duplicate_reorder", "near_duplicate_synonym")
TARGETS = {  # defect group -> (min recall, min precision) from issue 4
    "near_duplicate": (0.95, 0.9), "language_swap": (0.95, 0.9), "label_flip": (0.8, 0.9),
}
TRANSLATION_WORDS = ("translat", "language", "english", "french", "spanish", "german", "chinese", "japanese")

SYNONYMS = {
    "important": "crucial", "big": "large", "small": "little", "quick": "fast", "fast": "rapid",
    "help": "assist", "use": "utilize", "show": "demonstrate", "make": "create", "get": "obtain",
    "good": "great", "bad": "poor", "many": "numerous", "often": "frequently", "start": "begin",
    "end": "finish", "buy": "purchase", "need": "require", "try": "attempt", "easy": "simple",
    "hard": "difficult", "main": "primary", "idea": "concept", "way": "method", "people": "individuals",
    "answer": "response", "choose": "select", "give": "provide", "keep": "maintain", "change": "alter",
    "problem": "issue", "result": "outcome", "also": "additionally", "very": "extremely",
    "different": "distinct", "whole": "entire", "enough": "sufficient", "important.": "crucial.",
    "include": "contain", "increase": "raise", "reduce": "decrease", "benefits": "advantages",
    "describe": "outline", "explain": "clarify", "improve": "enhance", "find": "discover",
    "create": "generate", "write": "compose", "list": "enumerate", "example": "instance",
    "however,": "nevertheless,", "because": "since", "about": "regarding", "various": "diverse",
    "understand": "comprehend", "significant": "substantial", "healthy": "wholesome", "happy": "glad",
}

# Real sentences written for this harness; every passage is at least 60 characters.
FOREIGN = {
    "zh": [
        "人工智能正在改变我们的生活方式。从手机上的语音助手到医院里的辅助诊断系统，它已经深入到社会的各个角落，同时也带来了隐私和就业方面的新问题。",
        "每天坚持锻炼三十分钟可以显著改善心肺功能。专家建议选择自己喜欢的运动，比如快走、游泳或骑自行车，这样更容易长期坚持下去，效果也会更好。",
        "北京是中国的首都，有着三千多年的建城历史。故宫、长城和天坛每年吸引着数以百万计的游客前来参观，感受古老文明留下的痕迹和独特魅力。",
        "学习一门新的语言需要耐心和方法。最好的办法是每天都接触这门语言，多听多说，不要害怕犯错，因为错误正是进步过程中不可缺少的一部分。",
        "气候变化导致极端天气越来越频繁。各国政府需要加强合作，减少温室气体排放，同时帮助受影响最严重的地区适应新的环境条件和经济压力。",
        "这道菜的做法很简单：先把鸡蛋打散，再把西红柿切成小块，锅里放油烧热后先炒鸡蛋，然后加入西红柿一起翻炒，最后放盐调味就可以出锅了。",
        "良好的睡眠对身体健康非常重要。成年人每晚应该睡七到九个小时，睡前尽量不要使用手机，保持卧室安静、黑暗和凉爽有助于提高睡眠质量。",
        "阅读能够开阔人的视野，丰富人的知识。无论是小说、历史还是科学读物，只要坚持每天阅读一段时间，久而久之就会发现自己的思维方式发生了变化。",
    ],
    "de": [
        "Künstliche Intelligenz verändert die Art und Weise, wie wir arbeiten und kommunizieren. Viele Unternehmen setzen sie bereits ein, um Abläufe zu automatisieren.",
        "Regelmäßige Bewegung stärkt das Herz und verbessert die Stimmung. Schon ein täglicher Spaziergang von dreißig Minuten kann einen großen Unterschied machen.",
        "Berlin ist die Hauptstadt Deutschlands und bekannt für ihre Geschichte, ihre Museen und ihr lebendiges Nachtleben. Jedes Jahr kommen Millionen von Besuchern.",
        "Um eine neue Sprache zu lernen, sollte man jeden Tag üben. Es hilft, Filme in der Originalsprache zu sehen und keine Angst vor Fehlern zu haben.",
        "Der Klimawandel führt zu häufigeren Hitzewellen und Überschwemmungen. Deshalb müssen die Staaten ihre Emissionen schnell und deutlich reduzieren.",
        "Für dieses Rezept braucht man Mehl, Eier, Milch und eine Prise Salz. Alles wird gut verrührt und dann in einer heißen Pfanne goldbraun gebacken.",
        "Guter Schlaf ist für die Gesundheit genauso wichtig wie eine ausgewogene Ernährung. Erwachsene sollten jede Nacht zwischen sieben und neun Stunden schlafen.",
        "Bücher eröffnen uns neue Welten und regen die Fantasie an. Wer regelmäßig liest, erweitert seinen Wortschatz und lernt, komplexe Gedanken besser zu verstehen.",
    ],
    "fr": [
        "L'intelligence artificielle transforme notre façon de travailler et de communiquer. De nombreuses entreprises l'utilisent déjà pour automatiser des tâches répétitives.",
        "Faire du sport régulièrement renforce le cœur et améliore l'humeur. Une simple marche de trente minutes par jour peut déjà faire une grande différence.",
        "Paris est la capitale de la France et l'une des villes les plus visitées au monde. On y trouve la tour Eiffel, le Louvre et de nombreux cafés animés.",
        "Pour apprendre une nouvelle langue, il faut pratiquer chaque jour. Regarder des films en version originale et parler avec des natifs aide beaucoup.",
        "Le changement climatique provoque des vagues de chaleur et des inondations de plus en plus fréquentes. Les pays doivent réduire rapidement leurs émissions.",
        "Pour préparer cette recette, mélangez la farine, les œufs et le lait, puis laissez reposer la pâte une heure avant de cuire les crêpes dans une poêle chaude.",
        "Un bon sommeil est aussi important pour la santé qu'une alimentation équilibrée. Les adultes devraient dormir entre sept et neuf heures par nuit.",
        "La lecture ouvre l'esprit et enrichit le vocabulaire. Ceux qui lisent tous les jours développent souvent une meilleure capacité de concentration.",
    ],
    "es": [
        "La inteligencia artificial está cambiando la forma en que trabajamos y nos comunicamos. Muchas empresas ya la utilizan para automatizar procesos repetitivos.",
        "Hacer ejercicio con regularidad fortalece el corazón y mejora el estado de ánimo. Caminar treinta minutos al día ya supone una gran diferencia para la salud.",
        "Madrid es la capital de España y es famosa por sus museos, sus parques y su vida nocturna. Cada año recibe a millones de visitantes de todo el mundo.",
        "Para aprender un nuevo idioma hay que practicar todos los días. Ver películas en versión original y conversar con hablantes nativos ayuda muchísimo.",
        "El cambio climático provoca olas de calor e inundaciones cada vez más frecuentes. Los gobiernos deben reducir sus emisiones de manera rápida y decidida.",
        "Para preparar esta receta, bate los huevos, corta las patatas en rodajas finas y fríelas en aceite de oliva antes de mezclarlo todo en la sartén.",
        "Dormir bien es tan importante para la salud como llevar una dieta equilibrada. Los adultos deberían dormir entre siete y nueve horas cada noche.",
        "La lectura abre la mente y enriquece el vocabulario. Quienes leen a diario suelen tener una mayor capacidad de concentración y de comprensión.",
    ],
}

SENTIMENT_INSTRUCTIONS = [
    "Classify the sentiment of the following movie review as positive or negative.",
    "Is the sentiment of this review positive or negative?",
    "Read the review below and answer with its sentiment: positive or negative.",
    "Decide whether the opinion expressed in this sentence is positive or negative.",
    "Label the following film review as either positive or negative.",
    "What is the sentiment of this movie review? Answer positive or negative.",
]

TOPIC_INSTRUCTIONS = [
    "Which topic does this news story belong to: World, Sports, Business or Sci/Tech?",
    "Classify the news article below into one of World, Sports, Business, Sci/Tech.",
    "Read the headline and summary, then name its section (World, Sports, Business or Sci/Tech).",
    "Assign this article to a news category: World, Sports, Business, or Sci/Tech.",
]

TEMPLATE_LEFTOVERS = ["{text}", "{{ question }}", "|||", "{{input}}", "{answer}", "{{ premise }} |||"]

# A tiny generator of clean English rows, used only when ../shared/data is absent.
_TOPICS = ["solar panels", "urban gardening", "sleep hygiene", "remote work", "electric cars", "coral reefs",
           "budget travel", "public libraries", "bread baking", "password security", "bird migration",
           "volcanoes", "chess openings", "water filtration", "team meetings", "recycling plastics",
           "ancient Rome", "jazz music", "mountain hiking", "composting", "time management", "honeybees",
           "cloud computing", "vaccines", "desert ecosystems", "public speaking", "coffee brewing",
           "wind turbines", "museum design", "language learning"]
_TASKS = ["Explain the main benefits of {t}.", "Write a short guide to getting started with {t}.",
          "Describe three common mistakes people make with {t}.", "Summarize the history of {t}.",
          "Give advice to a beginner interested in {t}.", "Compare two approaches to {t}."]
_WORDS = ["system", "people", "energy", "careful", "simple", "common", "research", "cost", "practice", "local", "daily", "quality", "risk", "design", "goal", "process", "result", "method", "plan", "health", "water", "light", "market", "change", "growth", "skill", "tool", "season", "record", "value", "support", "method", "choice", "detail", "effort", "habit", "balance", "network", "record", "safety"]


_AUDIENCES = ["a curious teenager", "a busy parent", "a retired teacher", "a small business owner",
              "a first-year student", "a city council member", "a nurse on night shifts", "a travelling musician"]


def generated_rows(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        topic = _TOPICS[i % len(_TOPICS)]
        task = _TASKS[(i // len(_TOPICS)) % len(_TASKS)]
        sentences = []
        for _ in range(rng.randint(3, 6)):
            words = rng.sample(_WORDS, rng.randint(8, 14))
            sentences.append(f"The {topic} " + " ".join(words) + ".")
        w1, w2 = rng.sample(_WORDS, 2)
        audience = _AUDIENCES[rng.randrange(len(_AUDIENCES))]
        rows.append({"instruction": f"{task.format(t=topic)} Write it for {audience} and mention {w1} and {w2}.",
                     "input": "", "output": " ".join(sentences)})
    return rows


_POS = ["wonderful", "moving", "delightful", "brilliant", "charming", "gripping", "hilarious", "beautiful",
        "touching", "superb", "clever", "uplifting"]
_NEG = ["dull", "tedious", "clumsy", "boring", "lifeless", "messy", "forgettable", "painful", "shallow",
        "annoying", "predictable", "dreadful"]
_NOUNS = ["plot", "acting", "script", "soundtrack", "pacing", "direction", "ending", "dialogue", "cast",
          "camera work", "humor", "story"]
_FRAMES = ["the {n1} is {a} and the {n2} feels {b} .", "what a {a} film : its {n1} is {b} from start to finish .",
           "i found the {n1} {a} , and honestly the {n2} was {b} too .",
           "a {a} movie with a {b} {n1} that stays with you .", "{a} {n1} , {b} {n2} , and a {c} {n3} overall .",
           "even the {n1} could not save it from being {a} ; the {n2} is simply {b} .",
           "my friends called the {n1} {a} and i agree the {n2} is {b} .",
           "from the first scene the {n1} is {a} , the {n2} {b} , the {n3} {c} ."]


def generated_reviews(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = "positive" if i % 2 == 0 else "negative"
        a, b, c = rng.sample(_POS if label == "positive" else _NEG, 3)
        n1, n2, n3 = rng.sample(_NOUNS, 3)
        out.append((rng.choice(_FRAMES).format(a=a, b=b, c=c, n1=n1, n2=n2, n3=n3), label))
    return out


# ---------------------------------------------------------------- clean data

def _norm_key(row: dict[str, str]) -> str:
    text = " ".join((row["instruction"], row["input"], row["output"])).lower()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def load_clean(n_rows: int, n_reviews: int, seed: int, reviews_from: str = "generated") -> tuple[list[dict[str, str]], str]:
    """General rows + a classification subset (category 'sentiment' or 'topic'), exact duplicates removed.

    ``reviews_from``: ``agnews`` (real AG News articles and their 4 topics, when the shared data is there),
    ``sst2`` (real SST-2 dev sentences) or ``generated`` (short template reviews with polar adjectives)."""
    if ALPACA.is_file():
        raw = json.loads(ALPACA.read_text(encoding="utf-8"))
        source = f"{ALPACA.name} (first rows, deduplicated)"
    else:
        raw = generated_rows(n_rows, seed)
        source = "generated rows (shared data absent)"
    rows, seen = [], set()
    for item in raw:
        row = {"instruction": str(item.get("instruction", "")), "input": str(item.get("input", "")),
               "output": str(item.get("output", "")), "category": "general"}
        key = _norm_key(row)
        if key not in seen and row["instruction"].strip() and row["output"].strip():
            seen.add(key)
            rows.append(row)
        if len(rows) == n_rows:
            break
    if reviews_from == "agnews" and (AG_NEWS / "train.csv").is_file():
        for i, (text, label) in enumerate(_ag_news(n_reviews, seed)):
            rows.append({"instruction": TOPIC_INSTRUCTIONS[i % len(TOPIC_INSTRUCTIONS)], "input": text,
                         "output": label, "category": "topic"})
        return rows, source + " + AG News topic subset"
    use_sst2 = reviews_from == "sst2" and SST2_DEV.is_file()
    reviews = _sst2_reviews(n_reviews, seed) if use_sst2 else generated_reviews(n_reviews, seed)
    for i, (text, label) in enumerate(reviews):
        rows.append({"instruction": SENTIMENT_INSTRUCTIONS[i % len(SENTIMENT_INSTRUCTIONS)], "input": text,
                     "output": label, "category": "sentiment"})
    return rows, source + (" + SST-2 dev sentiment subset" if use_sst2 else " + generated sentiment reviews")


def _ag_news(n: int, seed: int) -> list[tuple[str, str]]:
    names = [x.strip() for x in (AG_NEWS / "classes.txt").read_text(encoding="utf-8").splitlines() if x.strip()]
    with (AG_NEWS / "train.csv").open(encoding="utf-8") as fh:
        pairs = [(f"{title.strip()}\n{body.replace(chr(92), ' ').strip()}", names[int(label) - 1])
                 for label, title, body in csv.reader(fh)]
    random.Random(seed).shuffle(pairs)
    return pairs[:n]


def _sst2_reviews(n: int, seed: int) -> list[tuple[str, str]]:
    with SST2_DEV.open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        text_at = 1 - header.index("label")  # train.tsv: label, sentence; dev.tsv: label, content
        pairs = [(r[text_at].strip(), "positive" if r[1 - text_at] == "1" else "negative") for r in reader if len(r) == 2]
    pairs = [p for p in pairs if len(p[0].split()) >= 8]
    random.Random(seed).shuffle(pairs)
    pos = [p for p in pairs if p[1] == "positive"][: n // 2]
    neg = [p for p in pairs if p[1] == "negative"][: n - n // 2]
    out = pos + neg
    random.Random(seed + 1).shuffle(out)
    return out


# ---------------------------------------------------------------- defects

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def _words(text: str) -> int:
    return len(text.split())


def exact_variant(row: dict[str, str], i: int) -> dict[str, str]:
    """Same example after normalization: case, whitespace or trailing punctuation changed."""
    out = dict(row)
    style = i % 4
    if style == 1:
        out["instruction"] = "  " + row["instruction"].replace(" ", "  ") + " "
    elif style == 2:
        out["instruction"] = row["instruction"].lower()
        out["output"] = row["output"].upper()
    elif style == 3:
        out["instruction"] = row["instruction"].rstrip(".?!:") + "!"
    return out


def edit_variant(row: dict[str, str], rng: random.Random) -> dict[str, str] | None:
    """A few small word edits (delete, repeat, adjacent-letter typo) in the longer field."""
    out = dict(row)
    key = "output" if _words(row["output"]) >= _words(row["instruction"]) else "instruction"
    words = out[key].split(" ")
    for _ in range(max(1, _words(out[key]) // 30)):
        j = rng.choice([k for k, w in enumerate(words) if w.strip()])
        action = rng.randrange(3)
        if action == 0 and len(words) > 3:
            del words[j]
        elif action == 1:
            words.insert(j, words[j])
        elif len(words[j]) >= 4 and words[j].isalpha() and len(set(words[j])) > 1:
            w = words[j]
            k = next(k for k in range(rng.randrange(len(w) - 1), 2 * len(w)) if w[k % (len(w) - 1)] != w[k % (len(w) - 1) + 1])
            k %= len(w) - 1
            words[j] = w[:k] + w[k + 1] + w[k] + w[k + 2:]
        else:
            words.insert(j, "really")
    out[key] = " ".join(words)
    return out if _norm_key(out) != _norm_key(row) else None


def reorder_variant(row: dict[str, str], rng: random.Random) -> dict[str, str] | None:
    """The response's sentences in another order (needs three or more sentences)."""
    sentences = _SENTENCE.split(row["output"].strip())
    if len(sentences) < 3:
        return None
    order = list(range(len(sentences)))
    while order == sorted(order):
        rng.shuffle(order)
    return {**row, "output": " ".join(sentences[k] for k in order)}


def synonym_variant(row: dict[str, str], rng: random.Random) -> dict[str, str] | None:
    """Paraphrase-like: swap words for synonyms (about one word in twelve, at least two)."""
    out, swapped = dict(row), 0
    budget = max(2, (_words(row["instruction"]) + _words(row["output"])) // 12)
    for key in ("output", "instruction"):
        words = out[key].split(" ")
        spots = [j for j, w in enumerate(words) if w.lower() in SYNONYMS]
        rng.shuffle(spots)
        for j in spots[: budget - swapped]:
            replacement = SYNONYMS[words[j].lower()]
            words[j] = replacement.capitalize() if words[j][:1].isupper() else replacement
            swapped += 1
        out[key] = " ".join(words)
    return out if swapped >= 2 else None


def truncate(row: dict[str, str], rng: random.Random) -> dict[str, str] | None:
    """Cut the response mid-sentence at a word boundary (keeps at least 22 words)."""
    words = row["output"].split()
    if len(words) < 45 or "```" in row["output"] or row["output"].rstrip()[-1:] not in ".!?":
        return None
    for _ in range(10):
        cut = rng.randint(int(len(words) * 0.55), int(len(words) * 0.8))
        text = " ".join(words[:cut])
        if text[-1:].isalnum() and len(words[:cut]) >= 22:
            return {**row, "output": text}
    return None


def leftover(row: dict[str, str], rng: random.Random, i: int) -> dict[str, str]:
    key = "instruction" if i % 2 == 0 else "output"
    words = row[key].split(" ")
    words.insert(rng.randint(0, len(words)), TEMPLATE_LEFTOVERS[i % len(TEMPLATE_LEFTOVERS)])
    return {**row, key: " ".join(words)}


def language_swap(row: dict[str, str], i: int) -> dict[str, str]:
    langs = sorted(FOREIGN)
    lang = langs[i % len(langs)]
    pool = FOREIGN[lang]
    return {**row, "output": pool[(i // len(langs)) % len(pool)]}


# ---------------------------------------------------------------- planting

@dataclass
class Planted:
    kind: str
    rows: tuple[int, ...]  # positions in the corrupted file: (victim,) or (original, copy)


@dataclass
class Corrupted:
    rows: list[dict[str, str]]
    planted: list[Planted]
    base_position: list[int | None]  # corrupted position -> clean row index (None for planted copies)
    changed: set[int] = field(default_factory=set)  # positions whose text was altered in place


def default_counts(n_rows: int, n_reviews: int) -> dict[str, int]:
    return {"exact_duplicate": max(3, n_rows * 3 // 100), "near_duplicate_edit": max(3, n_rows * 2 // 100),
            "near_duplicate_reorder": max(3, n_rows * 2 // 100), "near_duplicate_synonym": max(3, n_rows * 2 // 100),
            "label_flip": max(2, n_reviews // 10), "language_swap": max(4, n_rows * 3 // 100),
            "truncation": max(3, n_rows * 2 // 100), "template_leftover": max(3, n_rows * 2 // 100)}


def _eligible_language(row: dict[str, str]) -> bool:
    prompt = (row["instruction"] + " " + row["input"]).strip()
    return len(prompt) >= 60 and not any(w in prompt.lower() for w in TRANSLATION_WORDS)


def plant(clean: list[dict[str, str]], counts: dict[str, int], seed: int) -> Corrupted:
    """Each defect kind draws from its own random stream, so which rows get one kind does not depend on
    the other kinds or on the other subset (e.g. the label flips are the same whether the general rows
    came from the shared data or from the generator)."""
    rows = [dict(r) for r in clean]
    general = [i for i, r in enumerate(rows) if r["category"] == "general"]
    sentiment = [i for i, r in enumerate(rows) if r["category"] in ("sentiment", "topic")]
    used: set[int] = set()
    planted: list[tuple[str, int, dict[str, str] | None]] = []  # (kind, victim, copy or None)
    changed: set[int] = set()

    def stream(kind: str) -> random.Random:
        return random.Random(f"{seed}/{kind}")

    def pick(pool: list[int], n: int, make, rng: random.Random) -> None:
        candidates = [i for i in pool if i not in used]
        rng.shuffle(candidates)
        got = 0
        for i in candidates:
            if got == n:
                break
            result = make(i)
            if result is None:
                continue
            kind, copy, new_victim = result
            used.add(i)
            if new_victim is not None:
                rows[i] = new_victim
                changed.add(i)
            planted.append((kind, i, copy))
            got += 1

    long_rows = [i for i in general if _words(" ".join(rows[i].values())) >= 30]
    pick(general, counts["exact_duplicate"], lambda i: ("exact_duplicate", exact_variant(rows[i], i), None),
         stream("exact_duplicate"))
    reorder = stream("near_duplicate_reorder")
    pick(long_rows, counts["near_duplicate_reorder"],
         lambda i: (lambda v: None if v is None else ("near_duplicate_reorder", v, None))(reorder_variant(rows[i], reorder)),
         reorder)
    syn = stream("near_duplicate_synonym")
    pick(long_rows, counts["near_duplicate_synonym"],
         lambda i: (lambda v: None if v is None else ("near_duplicate_synonym", v, None))(synonym_variant(rows[i], syn)),
         syn)
    edit = stream("near_duplicate_edit")
    pick(long_rows, counts["near_duplicate_edit"],
         lambda i: (lambda v: None if v is None else ("near_duplicate_edit", v, None))(edit_variant(rows[i], edit)),
         edit)
    cut = stream("truncation")
    pick(general, counts["truncation"],
         lambda i: (lambda v: None if v is None else ("truncation", None, v))(truncate(rows[i], cut)), cut)
    pick([i for i in general if _eligible_language(rows[i])], counts["language_swap"],
         lambda i: ("language_swap", None, language_swap(rows[i], len(planted))), stream("language_swap"))
    left = stream("template_leftover")
    pick(general, counts["template_leftover"],
         lambda i: ("template_leftover", None, leftover(rows[i], left, len(planted))), left)
    labels = sorted({rows[i]["output"] for i in sentiment})
    flip = {label: labels[(k + 1) % len(labels)] for k, label in enumerate(labels)}  # always another label
    pick(sentiment, counts["label_flip"],
         lambda i: ("label_flip", None, {**rows[i], "output": flip[rows[i]["output"]]}), stream("label_flip"))

    # Copies go to random places; every row is addressed by its final position.
    items: list[tuple[dict[str, str], int | None]] = [(r, i) for i, r in enumerate(rows)]
    copies = [(kind, victim, copy) for kind, victim, copy in planted if copy is not None]
    slots = sorted(stream("placement").sample(range(len(items) + len(copies)), len(copies)))
    final: list[tuple[dict[str, str], int | None, int | None]] = []  # row, clean index, copy-of index
    it, ic = iter(items), iter(copies)
    for pos in range(len(items) + len(copies)):
        if slots and pos == slots[0]:
            slots.pop(0)
            kind, victim, copy = next(ic)
            final.append((copy, None, victim))
        else:
            row, index = next(it)
            final.append((row, index, None))
    position_of = {index: pos for pos, (_, index, _) in enumerate(final) if index is not None}
    copy_position = {copy_of: pos for pos, (_, _, copy_of) in enumerate(final) if copy_of is not None}
    truth = []
    for kind, victim, copy in planted:
        if copy is not None:
            truth.append(Planted(kind, (position_of[victim], copy_position[victim])))
        else:
            truth.append(Planted(kind, (position_of[victim],)))
    return Corrupted([row for row, _, _ in final], truth, [index for _, index, _ in final],
                     {position_of[i] for i in changed})


# ---------------------------------------------------------------- audit + scoring

def write_jsonl(rows: list[dict[str, str]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def audit_flags(path: Path, out_dir: Path, embeddings: bool, seed: int) -> tuple[dict[str, set[int]], Any]:
    """Run the audit through the runner's API; returns flag -> flagged positions (row_id = position)."""
    import polars as pl

    from ift_data.audit.options import AuditOptions
    from ift_data.audit.runner import run_audit

    result = run_audit([path], out_dir, AuditOptions(seed=seed, embeddings=embeddings, progress=False))
    signals = result.signals
    # flags, plus boolean "suspect" columns (e.g. noise_truncation_suspect: reported, not removable)
    names = [c for c in signals.columns if c.startswith("flag_")
             or ("suspect" in c and signals[c].dtype == pl.Boolean)]
    flags = {c: set(signals.filter(signals[c].fill_null(False))["row_id"].to_list()) for c in names}
    return flags, result


@dataclass
class Score:
    flag: str
    defect: str
    planted: int
    detected: int
    flagged: int
    true_positive: int
    preexisting: int

    @property
    def recall(self) -> float:
        return self.detected / self.planted if self.planted else float("nan")

    @property
    def precision(self) -> float:
        new = self.flagged - self.preexisting
        return self.true_positive / new if new > 0 else float("nan")

    @property
    def precision_all(self) -> float:
        return self.true_positive / self.flagged if self.flagged else float("nan")


def _detected(p: Planted, flagged: set[int], before: set[int]) -> bool:
    if len(p.rows) == 1:
        return p.rows[0] in flagged
    original, copy = p.rows
    return copy in flagged or (original in flagged and original not in before)


def score(corrupted: Corrupted, flags: dict[str, set[int]], baseline: dict[str, set[int]] | None) -> list[Score]:
    out = []
    for flag in sorted(flags):
        defects = [d for d, words in EXPECTED.items() if any(w in flag for w in words)]
        if not defects:
            continue
        accept = set(defects)
        if any(d.startswith("near_duplicate") for d in defects):
            accept.add("exact_duplicate")  # a whole copy is a near duplicate too
        acceptable = {r for p in corrupted.planted if p.kind in accept for r in p.rows}
        before = {pos for pos, index in enumerate(corrupted.base_position)
                  if index is not None and pos not in corrupted.changed and baseline is not None
                  and index in baseline.get(flag, set())}
        flagged = flags[flag]
        tp = len(flagged & acceptable)
        pre = len((flagged & before) - acceptable)
        groups = [defects] if len(defects) > 1 else []
        for defect in defects:
            items = [p for p in corrupted.planted if p.kind == defect]
            det = sum(_detected(p, flagged, before) for p in items)
            out.append(Score(flag, defect, len(items), det, len(flagged), tp, pre))
        for group in groups:
            items = [p for p in corrupted.planted if p.kind in group]
            det = sum(_detected(p, flagged, before) for p in items)
            out.append(Score(flag, "+".join(sorted({g.rsplit('_', 1)[-1] for g in group})) + " (all near)",
                             len(items), det, len(flagged), tp, pre))
    return out


def union_recall(corrupted: Corrupted, flags: dict[str, set[int]], baseline: dict[str, set[int]] | None,
                 defect_prefix: str) -> tuple[int, int]:
    """Planted items of a defect group caught by any of their expected flags."""
    items = [p for p in corrupted.planted if p.kind.startswith(defect_prefix)]
    caught = 0
    for p in items:
        for flag in flags:
            if any(w in flag for w in EXPECTED[p.kind]):
                before = _baseline_positions(corrupted, baseline, flag)
                if _detected(p, flags[flag], before):
                    caught += 1
                    break
    return caught, len(items)


def _baseline_positions(corrupted: Corrupted, baseline: dict[str, set[int]] | None, flag: str) -> set[int]:
    if baseline is None:
        return set()
    return {pos for pos, index in enumerate(corrupted.base_position)
            if index is not None and pos not in corrupted.changed and index in baseline.get(flag, set())}


@dataclass
class HarnessResult:
    source: str
    rows: int
    counts: dict[str, int]
    scores: list[Score]
    near_union: tuple[int, int]
    near_union_precision: float
    seconds: dict[str, float]
    missing_flags: list[str]
    planted_per_kind: dict[str, int]

    def best(self, defect: str) -> Score | None:
        candidates = [s for s in self.scores if s.defect == defect]
        return max(candidates, key=lambda s: (s.recall, s.precision), default=None)


def _union_precision(corrupted: Corrupted, flags: dict[str, set[int]], baseline: dict[str, set[int]] | None) -> float:
    names = [f for f in flags if any(w in f for w in EXPECTED["near_duplicate_edit"])]
    flagged = set().union(*(flags[f] for f in names)) if names else set()
    acceptable = {r for p in corrupted.planted if p.kind in PAIR_DEFECTS for r in p.rows}
    before = set().union(*(_baseline_positions(corrupted, baseline, f) for f in names)) if names else set()
    new = flagged - (before - acceptable)
    return len(flagged & acceptable) / len(new) if new else float("nan")


def run_harness(n_rows: int = 2000, n_reviews: int = 400, seed: int = 0, out_dir: str | Path = "harness_out",
                counts: dict[str, int] | None = None, baseline: bool = True, embeddings: bool = True,
                reviews_from: str = "generated") -> HarnessResult:
    out = Path(out_dir)
    clean, source = load_clean(n_rows, n_reviews, seed, reviews_from)
    counts = counts or default_counts(n_rows, n_reviews)
    corrupted = plant(clean, counts, seed)
    seconds: dict[str, float] = {}
    base_flags = None
    if baseline:
        started = time.perf_counter()
        base_flags, _ = audit_flags(write_jsonl(clean, out / "clean.jsonl"), out / "audit_clean", embeddings, seed)
        seconds["baseline_audit"] = time.perf_counter() - started
    started = time.perf_counter()
    flags, _ = audit_flags(write_jsonl(corrupted.rows, out / "corrupted.jsonl"), out / "audit_corrupted",
                           embeddings, seed)
    seconds["corrupted_audit"] = time.perf_counter() - started
    (out / "planted.json").write_text(json.dumps([{"kind": p.kind, "rows": list(p.rows)} for p in corrupted.planted]),
                                      encoding="utf-8")
    present = {w for words in EXPECTED.values() for w in words if any(w in f for f in flags)}
    missing = sorted({w for words in EXPECTED.values() for w in words} - present)
    per_kind: dict[str, int] = {}
    for p in corrupted.planted:
        per_kind[p.kind] = per_kind.get(p.kind, 0) + 1
    return HarnessResult(source, len(corrupted.rows), counts, score(corrupted, flags, base_flags),
                         union_recall(corrupted, flags, base_flags, "near_duplicate"),
                         _union_precision(corrupted, flags, base_flags), seconds, missing, per_kind)


# ---------------------------------------------------------------- printing

def _pct(x: float) -> str:
    return "  n/a" if x != x else f"{x:5.3f}"


def format_table(result: HarnessResult) -> str:
    lines = [f"clean data: {result.source}; corrupted rows: {result.rows:,}; planted: "
             + ", ".join(f"{k} {v}" for k, v in result.planted_per_kind.items()),
             "",
             f"{'flag':28} {'defect':28} {'planted':>7} {'found':>6} {'recall':>6} {'flagged':>7} "
             f"{'TP':>5} {'pre':>4} {'prec':>6} {'prec_all':>8}"]
    for s in result.scores:
        lines.append(f"{s.flag:28} {s.defect:28} {s.planted:7d} {s.detected:6d} {_pct(s.recall):>6} {s.flagged:7d} "
                     f"{s.true_positive:5d} {s.preexisting:4d} {_pct(s.precision):>6} {_pct(s.precision_all):>8}")
    caught, total = result.near_union
    lines += ["", f"near duplicates, any near-duplicate flag: recall {_pct(caught / total if total else float('nan'))}"
              f" ({caught}/{total}), precision {_pct(result.near_union_precision)}"]
    if result.missing_flags:
        lines.append("flags not produced by this audit (signal missing or skipped): " + ", ".join(result.missing_flags))
    lines += ["", "targets (issue 4):"]
    for group, (min_recall, min_precision) in TARGETS.items():
        if group == "near_duplicate":
            recall = caught / total if total else float("nan")
            precision = result.near_union_precision
        else:
            best = result.best(group)
            recall = best.recall if best else float("nan")
            precision = best.precision if best else float("nan")
        ok = recall >= min_recall and precision >= min_precision
        lines.append(f"  {group:16} recall {_pct(recall)} (>= {min_recall})  precision {_pct(precision)} "
                     f"(>= {min_precision})  {'PASS' if ok else 'MISS'}")
    lines.append("prec = TP / (flagged - pre-existing), pre = rows of the clean data the same flag already "
                 "flagged before planting; prec_all counts those as false positives too.")
    lines.append("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="general rows taken from the clean data")
    parser.add_argument("--reviews", type=int, default=400, help="rows of the sentiment subset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="harness_out", help="folder for the datasets and audit outputs")
    parser.add_argument("--reviews-from", choices=("generated", "agnews", "sst2"), default="generated",
                        help="classification subset: generated polar reviews (labels an embedding model can "
                             "predict), or real AG News topics / SST-2 dev sentences, where all-MiniLM-L6-v2 "
                             "neighbours agree with the label only 60-80%% of the time and label_noise abstains "
                             "or misses (docs/benchmarks.md)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the audit of the clean data")
    parser.add_argument("--no-embeddings", action="store_true", help="cheap signals only")
    parser.add_argument("--json", help="also write the scores as JSON here")
    args = parser.parse_args(argv)
    result = run_harness(args.rows, args.reviews, args.seed, args.out, baseline=not args.no_baseline,
                         embeddings=not args.no_embeddings, reviews_from=args.reviews_from)
    print(format_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "source": result.source, "rows": result.rows, "planted": result.planted_per_kind,
            "near_union": {"caught": result.near_union[0], "planted": result.near_union[1],
                           "precision": result.near_union_precision},
            "scores": [{**s.__dict__, "recall": s.recall, "precision": s.precision, "precision_all": s.precision_all}
                       for s in result.scores], "seconds": result.seconds}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
