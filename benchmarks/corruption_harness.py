"""Corruption harness: plant defects of the kinds real data has into clean data, run the audit, print
precision and recall per signal.

Defects, each on its own row (issue 11: plant what real data has, not what the gates accept):
- exact duplicates: copies with case changes (upper/lower/title case) and spacing changes;
- near duplicates: small word edits, sentence reorders, synonym swaps;
- language swaps: the response replaced by Chinese (also Chinese with ASCII ``( ) |`` and English terms
  mixed in), German, French, Spanish or Russian text, on prompts of every length (a third under 40
  characters); only prompts that ask for a translation or another language are left alone;
- truncations: a response of any length (short answers, lists, prose) cut at a random word boundary;
- label flips: real SST-2 sentences and AG News articles as instruction rows (several instruction
  phrasings per task), 10 % of them given another label of their task;
- template leftovers (``{text}``, ``{{ question }}``, ``|||`` ...).

Clean data: the first rows of ``../shared/data/instructions/alpaca_random_9k.json`` (exact duplicates
removed) plus the classification rows; a small generated set when the shared data is absent. A baseline
audit of the clean data tells which flags were already there before planting ("pre-existing": real issues
of the source data, reported apart). Planted duplicate pairs must raise no ``conflict`` flag.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# what a defect maker returns: (kind, copy or None, changed victim or None, note)
Made = tuple[str, dict[str, str] | None, dict[str, str] | None, str]

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IFT_SHARED_DATA", ROOT.parent / "shared" / "data"))
ALPACA = SHARED / "instructions" / "alpaca_random_9k.json"
SST2_TRAIN = SHARED / "raw" / "sst2" / "train.tsv"
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
# defect group -> (flag the target is judged on, min recall or None, min precision), issue 11
TARGETS = {
    "exact_duplicate": ("flag_exact_duplicate", 1.0, 0.95),
    "near_duplicate": ("(either near-duplicate flag)", 0.95, 0.9),
    "language_swap": ("flag_language_mismatch", 0.9, 0.95),
    "truncation": ("flag_truncated_response", 0.9, 0.95),
    "template_leftover": ("flag_template_leftover", 1.0, 0.95),
    "label_flip": ("flag_label_noise", None, 0.8),
}
# A prompt that asks for a translation or for text in another language: a foreign answer is right there.
_LANGUAGES = ("english|french|spanish|german|chinese|mandarin|japanese|korean|russian|italian|portuguese|arabic|"
              "hindi|dutch|latin|greek|swedish|turkish|polish")
TRANSLATION_REQUEST = re.compile(rf"(?i)translat|\b(in|into|to|from)\s+({_LANGUAGES})\b|\b({_LANGUAGES})\s+"
                                 r"(word|phrase|sentence|text|version|equivalent|translation)")

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

# Real sentences written for this harness (a swap uses a whole passage, or on every third swap its first
# sentence only: short foreign answers occur too).
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

FOREIGN["zh_mixed"] = [  # Chinese as real data writes it: ASCII brackets and bars, English terms and names
    "机器学习(Machine Learning)是人工智能的一个分支，它让计算机从数据中学习规律 | 常见的算法包括线性回归、决策树和神经网络(Neural Network)。",
    "使用Python处理数据时，推荐先安装pandas和numpy(两个最常用的库)，然后用read_csv()读取文件，再做清洗和分析。",
    "iPhone 15 的主要更新包括: USB-C接口、A17 Pro芯片(3nm工艺) | 以及更好的摄像头，价格和上一代基本持平。",
    "如果你想提高英语水平(English level)，可以每天看BBC News或者听podcast，坚持一段时间后听力会明显进步。",
    "HTTP和HTTPS的区别在于后者使用了SSL/TLS加密(encryption)，可以防止数据在传输过程中被窃取或者篡改。",
    "健康饮食的关键是平衡(balance)：多吃蔬菜水果 | 少吃加工食品和含糖饮料，同时保证足够的蛋白质摄入。",
    "Git是一个分布式版本控制系统(version control)，常用命令有git clone、git commit和git push，适合团队协作开发。",
    "全球变暖(global warming)主要由二氧化碳(CO2)等温室气体排放引起 | 各国需要共同努力减少化石燃料的使用。",
]
FOREIGN["ru"] = [
    "Искусственный интеллект меняет то, как мы работаем и общаемся. Многие компании уже используют его для автоматизации рутинных задач.",
    "Регулярные физические упражнения укрепляют сердце и улучшают настроение. Даже ежедневная прогулка в течение получаса приносит большую пользу.",
    "Москва является столицей России и крупнейшим городом страны. Каждый год сюда приезжают миллионы туристов, чтобы увидеть Красную площадь.",
    "Чтобы выучить новый язык, нужно заниматься каждый день. Полезно смотреть фильмы в оригинале и не бояться делать ошибки.",
    "Изменение климата приводит к более частым волнам жары и наводнениям. Государствам необходимо быстро сокращать выбросы парниковых газов.",
    "Для этого рецепта понадобятся мука, яйца, молоко и щепотка соли. Всё тщательно перемешайте и жарьте блины на горячей сковороде.",
    "Хороший сон так же важен для здоровья, как и сбалансированное питание. Взрослым следует спать от семи до девяти часов каждую ночь.",
    "Чтение расширяет кругозор и обогащает словарный запас. Люди, которые читают каждый день, лучше концентрируются и понимают сложные идеи.",
]

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


def load_clean(n_rows: int, n_reviews: int, seed: int, reviews_from: str = "real") -> tuple[list[dict[str, str]], str]:
    """General rows + classification rows (category ``sentiment`` or ``topic``), exact duplicates removed.

    ``reviews_from``: ``real`` (half SST-2 sentences, half AG News articles, when the shared data is there),
    ``sst2`` or ``agnews`` alone, or ``generated`` (short template reviews with polar adjectives)."""
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
    real = SST2_TRAIN.is_file() and (AG_NEWS / "train.csv").is_file()
    parts: list[tuple[str, list[str], list[tuple[str, str]]]] = []
    if reviews_from == "real" and real:
        parts = [("sentiment", SENTIMENT_INSTRUCTIONS, _sst2_reviews(n_reviews - n_reviews // 2, seed)),
                 ("topic", TOPIC_INSTRUCTIONS, _ag_news(n_reviews // 2, seed))]
        label = " + SST-2 sentiment rows + AG News topic rows"
    elif reviews_from == "agnews" and (AG_NEWS / "train.csv").is_file():
        parts, label = [("topic", TOPIC_INSTRUCTIONS, _ag_news(n_reviews, seed))], " + AG News topic rows"
    elif reviews_from == "sst2" and SST2_TRAIN.is_file():
        parts, label = [("sentiment", SENTIMENT_INSTRUCTIONS, _sst2_reviews(n_reviews, seed))], " + SST-2 sentiment rows"
    else:
        parts = [("sentiment", SENTIMENT_INSTRUCTIONS, generated_reviews(n_reviews, seed))]
        label = " + generated sentiment reviews"
    for category, phrasings, pairs in parts:
        for i, (text, answer) in enumerate(pairs):
            rows.append({"instruction": phrasings[i % len(phrasings)], "input": text, "output": answer,
                         "category": category})
    return rows, source + label


def _ag_news(n: int, seed: int) -> list[tuple[str, str]]:
    names = [x.strip() for x in (AG_NEWS / "classes.txt").read_text(encoding="utf-8").splitlines() if x.strip()]
    with (AG_NEWS / "train.csv").open(encoding="utf-8") as fh:
        pairs = [(title.strip() + "\n" + re.sub(r"\s*\\", " ", body).strip(), names[int(label) - 1])
                 for label, title, body in csv.reader(fh)]
    random.Random(seed).shuffle(pairs)
    return pairs[:n]


def _sst2_reviews(n: int, seed: int) -> list[tuple[str, str]]:
    """Balanced SST-2 training sentences of at least 8 words (the dev file has only 872)."""
    with SST2_TRAIN.open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        label_at = header.index("label")
        pairs = [(r[1 - label_at].strip(), "positive" if r[label_at] == "1" else "negative") for r in reader
                 if len(r) == 2]
    pairs = sorted({p for p in pairs if len(p[0].split()) >= 8})
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
    """Same example after normalization: case and spacing changes as copies in real data have them
    (an upper-cased or lower-cased instruction, a title-cased one, doubled spaces, stray newlines, changed
    final punctuation), alone or together."""
    out = dict(row)
    style = i % 6
    if style == 0:
        out["instruction"] = row["instruction"].upper()
    elif style == 1:
        out["instruction"] = "  " + row["instruction"].replace(" ", "  ") + " \n"
    elif style == 2:
        out["instruction"] = row["instruction"].lower()
        out["output"] = row["output"].upper()
    elif style == 3:
        out["instruction"] = row["instruction"].rstrip(".?!:") + "!"
    elif style == 4:
        out["instruction"] = row["instruction"].title()
        out["output"] = row["output"].replace(" ", "  ").replace("\n", "\n\n")
    else:
        out["instruction"] = "\t" + row["instruction"].lower() + "   "
        out["output"] = " " + row["output"].replace(". ", ".  ") + "\n"
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
    if truncation_kind(row["output"]) == "list" or re.search(r"(?m)^\s*\d{1,3}[.)]\s", row["output"]):
        return None  # a numbered list's markers would come apart from their items
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


_TERMINAL_END = re.compile(r"[.!?。！？…][\"'”’)\]*]*$")


def truncation_kind(text: str) -> str:
    """Stratum of a response for the truncation scores: ``list``, ``short`` (under 20 words) or ``prose``."""
    items = [ln for ln in text.splitlines() if re.match(r"\s*(\d{1,3}[.)]|[-*•])\s+\S", ln)]
    if len(items) >= 3:
        return "list"
    return "short" if _words(text) < 20 else "prose"


def truncate(row: dict[str, str], rng: random.Random) -> dict[str, str] | None:
    """Cut the response at a random word boundary, as a length limit does: short answers, lists and prose
    alike. The response must be complete before (end with sentence punctuation, or be a list of 3+ items)
    and not code; the cut keeps at least two words and never lands just after sentence punctuation (a cut
    there leaves a complete text no reader could call cut)."""
    text = row["output"].strip()
    if "```" in text or _words(text) < 3:
        return None
    if not (_TERMINAL_END.search(text) or truncation_kind(text) == "list"):
        return None
    spans = [m.end() for m in re.finditer(r"\S+", text)]
    for _ in range(20):
        keep = rng.randint(2, len(spans) - 1)
        cut = text[: spans[keep - 1]]
        if not _TERMINAL_END.search(cut):
            return {**row, "output": cut}
    return None


def leftover(row: dict[str, str], rng: random.Random, i: int) -> dict[str, str]:
    key = "instruction" if i % 2 == 0 else "output"
    words = row[key].split(" ")
    words.insert(rng.randint(0, len(words)), TEMPLATE_LEFTOVERS[i % len(TEMPLATE_LEFTOVERS)])
    return {**row, key: " ".join(words)}


LANGUAGE_KINDS = ("zh", "zh_mixed", "de", "fr", "es", "ru")


def language_swap(row: dict[str, str], i: int) -> tuple[dict[str, str], str]:
    """The response replaced by a passage in another language; every third swap uses its first sentence
    only. Returns the row and the passage's kind."""
    lang = LANGUAGE_KINDS[i % len(LANGUAGE_KINDS)]
    pool = FOREIGN[lang]
    text = pool[(i // len(LANGUAGE_KINDS)) % len(pool)]
    if i % 3 == 2:
        first = re.split(r"(?<=[.!?。！？])\s*", text)[0]
        text = first if len(first) >= 12 else text
    return {**row, "output": text}, lang


# ---------------------------------------------------------------- planting

@dataclass
class Planted:
    kind: str
    rows: tuple[int, ...]  # positions in the corrupted file: (victim,) or (original, copy)
    note: str = ""  # stratum: language and prompt length, truncation kind, task of a label flip ...


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


PROMPT_BUCKETS = ((0, 40, "prompt<40"), (40, 80, "prompt 40-79"), (80, 10**9, "prompt>=80"))


def _prompt_chars(row: dict[str, str]) -> int:
    return len((row["instruction"] + " " + row["input"]).strip())


def _eligible_language(row: dict[str, str]) -> bool:
    """Any prompt length; only a prompt that asks for a translation or another language is left alone."""
    return not TRANSLATION_REQUEST.search(row["instruction"] + " " + row["input"])


def plant(clean: list[dict[str, str]], counts: dict[str, int], seed: int) -> Corrupted:
    """Each defect kind draws from its own random stream, so which rows get one kind does not depend on
    the other kinds or on the other subset (e.g. the label flips are the same whether the general rows
    came from the shared data or from the generator)."""
    rows = [dict(r) for r in clean]
    general = [i for i, r in enumerate(rows) if r["category"] == "general"]
    labelled = [i for i, r in enumerate(rows) if r["category"] in ("sentiment", "topic")]
    used: set[int] = set()
    planted: list[tuple[str, int, dict[str, str] | None, str]] = []  # (kind, victim, copy or None, note)
    changed: set[int] = set()

    def stream(kind: str) -> random.Random:
        return random.Random(f"{seed}/{kind}")

    def pick(pool: list[int], n: int, make: Callable[[int], Made | None], rng: random.Random) -> None:
        candidates = [i for i in pool if i not in used]
        rng.shuffle(candidates)
        got = 0
        for i in candidates:
            if got == n:
                break
            result = make(i)
            if result is None:
                continue
            kind, copy, new_victim, note = result
            used.add(i)
            if new_victim is not None:
                rows[i] = new_victim
                changed.add(i)
            planted.append((kind, i, copy, note))
            got += 1

    def variant(kind: str, make_copy: Callable[[dict[str, str], random.Random], dict[str, str] | None],
                rng: random.Random) -> Callable[[int], Made | None]:
        def make(i: int) -> Made | None:
            copy = make_copy(rows[i], rng)
            return None if copy is None else (kind, copy, None, "")
        return make

    long_rows = [i for i in general if _words(" ".join(rows[i].values())) >= 30]
    pick(general, counts["exact_duplicate"],
         lambda i: ("exact_duplicate", exact_variant(rows[i], i), None, f"style {i % 6}"), stream("exact_duplicate"))
    for kind, make_copy in (("near_duplicate_reorder", reorder_variant), ("near_duplicate_synonym", synonym_variant),
                            ("near_duplicate_edit", edit_variant)):
        rng = stream(kind)
        pick(long_rows, counts[kind], variant(kind, make_copy, rng), rng)
    cut = stream("truncation")

    def make_cut(i: int) -> Made | None:
        new = truncate(rows[i], cut)
        return None if new is None else ("truncation", None, new, truncation_kind(rows[i]["output"]))

    pick(general, counts["truncation"], make_cut, cut)
    # Language swaps on prompts of every length: a third each under 40, 40-79 and 80+ characters.
    lang_rng = stream("language_swap")
    n_lang = counts["language_swap"]
    for b, (low, high, bucket) in enumerate(PROMPT_BUCKETS):
        pool = [i for i in general if _eligible_language(rows[i]) and low <= _prompt_chars(rows[i]) < high]

        def make_swap(i: int, bucket: str = bucket) -> Made | None:
            new, lang = language_swap(rows[i], len(planted))
            return "language_swap", None, new, f"{lang}, {bucket}"

        pick(pool, n_lang // 3 + (1 if b < n_lang % 3 else 0), make_swap, lang_rng)
    left = stream("template_leftover")
    pick(general, counts["template_leftover"],
         lambda i: ("template_leftover", None, leftover(rows[i], left, len(planted)), ""), left)
    # Label flips: another label of the row's own task (sentiment or topic).
    labels_of: dict[str, list[str]] = {}
    for i in labelled:
        labels_of.setdefault(rows[i]["category"], [])
        if rows[i]["output"] not in labels_of[rows[i]["category"]]:
            labels_of[rows[i]["category"]].append(rows[i]["output"])
    flip_rng = stream("label_flip")

    def make_flip(i: int) -> Made | None:
        others = sorted(x for x in labels_of[rows[i]["category"]] if x != rows[i]["output"])
        if not others:
            return None
        return "label_flip", None, {**rows[i], "output": flip_rng.choice(others)}, rows[i]["category"]

    pick(labelled, counts["label_flip"], make_flip, flip_rng)

    # Copies go to random places; every row is addressed by its final position.
    items: list[tuple[dict[str, str], int | None]] = [(r, i) for i, r in enumerate(rows)]
    copies = [(kind, victim, copy) for kind, victim, copy, _ in planted if copy is not None]
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
    for kind, victim, copy_row, note in planted:
        if copy_row is not None:
            truth.append(Planted(kind, (position_of[victim], copy_position[victim]), note))
        else:
            truth.append(Planted(kind, (position_of[victim],), note))
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


def strata(corrupted: Corrupted, flags: dict[str, set[int]], baseline: dict[str, set[int]] | None, defect: str,
           flag: str, key: Callable[[str], str] = lambda note: note) -> list[tuple[str, int, int]]:
    """Recall of one flag on one defect per stratum (``key`` maps a planted item's note to its stratum)."""
    before = _baseline_positions(corrupted, baseline, flag)
    found: dict[str, list[int]] = {}
    for p in corrupted.planted:
        if p.kind == defect:
            hit = _detected(p, flags.get(flag, set()), before)
            found.setdefault(key(p.note), [0, 0])
            found[key(p.note)][0] += int(hit)
            found[key(p.note)][1] += 1
    return [(name, hit, total) for name, (hit, total) in sorted(found.items())]


def conflicts_on_pairs(corrupted: Corrupted, flags: dict[str, set[int]],
                       baseline: dict[str, set[int]] | None) -> tuple[int, int]:
    """Rows of planted duplicate pairs that the conflict signal flags (and did not flag before), of all such rows."""
    rows = {r for p in corrupted.planted if p.kind in PAIR_DEFECTS for r in p.rows}
    before = _baseline_positions(corrupted, baseline, "flag_conflict")
    return len((flags.get("flag_conflict", set()) & rows) - before), len(rows)


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
    strata: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    conflicts_on_pairs: tuple[int, int] = (0, 0)

    def score_of(self, defect: str, flag: str) -> Score | None:
        return next((s for s in self.scores if s.defect == defect and s.flag == flag), None)

    def best(self, defect: str) -> Score | None:
        candidates = [s for s in self.scores if s.defect == defect]
        return max(candidates, key=lambda s: (s.recall, s.precision), default=None)

    def target(self, group: str) -> tuple[float, float]:
        """(recall, precision) of a defect group on the flag its target is judged on."""
        if group == "near_duplicate":
            caught, total = self.near_union
            return (caught / total if total else float("nan")), self.near_union_precision
        score = self.score_of(group, TARGETS[group][0])
        return (score.recall, score.precision) if score else (float("nan"), float("nan"))

    def meets(self, group: str) -> bool:
        _, min_recall, min_precision = TARGETS[group]
        recall, precision = self.target(group)
        recall_ok = min_recall is None or recall >= min_recall
        # precision is judged only where the flag fires ("precision >= 0.8 wherever the signal flags")
        precision_ok = precision != precision or precision >= min_precision
        return recall_ok and precision_ok


def _union_precision(corrupted: Corrupted, flags: dict[str, set[int]], baseline: dict[str, set[int]] | None) -> float:
    names = [f for f in flags if any(w in f for w in EXPECTED["near_duplicate_edit"])]
    flagged = set().union(*(flags[f] for f in names)) if names else set()
    acceptable = {r for p in corrupted.planted if p.kind in PAIR_DEFECTS for r in p.rows}
    before = set().union(*(_baseline_positions(corrupted, baseline, f) for f in names)) if names else set()
    new = flagged - (before - acceptable)
    return len(flagged & acceptable) / len(new) if new else float("nan")


def run_harness(n_rows: int = 2000, n_reviews: int = 400, seed: int = 0, out_dir: str | Path = "harness_out",
                counts: dict[str, int] | None = None, baseline: bool = True, embeddings: bool = True,
                reviews_from: str = "real") -> HarnessResult:
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
    (out / "planted.json").write_text(json.dumps([{"kind": p.kind, "rows": list(p.rows), "note": p.note}
                                                  for p in corrupted.planted]), encoding="utf-8")
    present = {w for words in EXPECTED.values() for w in words if any(w in f for f in flags)}
    missing = sorted({w for words in EXPECTED.values() for w in words} - present)
    per_kind: dict[str, int] = {}
    for p in corrupted.planted:
        per_kind[p.kind] = per_kind.get(p.kind, 0) + 1
    by_strata = {
        "language_swap by language": strata(corrupted, flags, base_flags, "language_swap", "flag_language_mismatch",
                                            lambda note: note.split(",")[0]),
        "language_swap by prompt length": strata(corrupted, flags, base_flags, "language_swap",
                                                 "flag_language_mismatch", lambda note: note.split(", ")[-1]),
        "truncation by response kind": strata(corrupted, flags, base_flags, "truncation", "flag_truncated_response"),
        "label_flip by task": strata(corrupted, flags, base_flags, "label_flip", "flag_label_noise"),
        "exact_duplicate by copy style": strata(corrupted, flags, base_flags, "exact_duplicate",
                                                "flag_exact_duplicate"),
    }
    return HarnessResult(source, len(corrupted.rows), counts, score(corrupted, flags, base_flags),
                         union_recall(corrupted, flags, base_flags, "near_duplicate"),
                         _union_precision(corrupted, flags, base_flags), seconds, missing, per_kind, by_strata,
                         conflicts_on_pairs(corrupted, flags, base_flags))


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
    flagged, pair_rows = result.conflicts_on_pairs
    lines.append(f"conflict flags on the {pair_rows} rows of planted duplicate pairs: {flagged} (target 0)")
    if result.missing_flags:
        lines.append("flags not produced by this audit (signal missing or skipped): " + ", ".join(result.missing_flags))
    lines += ["", "recall by stratum (found/planted):"]
    for name, rows in result.strata.items():
        if rows:
            lines.append(f"  {name}: " + ", ".join(f"{k} {hit}/{n}" for k, hit, n in rows))
    lines += ["", "targets (issue 11):"]
    for group, (flag, min_recall, min_precision) in TARGETS.items():
        recall, precision = result.target(group)
        want = (f"(>= {min_recall})" if min_recall is not None else "(no target)")
        lines.append(f"  {group:18} {flag:30} recall {_pct(recall)} {want:12} precision {_pct(precision)} "
                     f"(>= {min_precision})  {'PASS' if result.meets(group) else 'MISS'}")
    flagged_ok = "PASS" if result.conflicts_on_pairs[0] == 0 else "MISS"
    lines.append(f"  {'duplicate pairs':18} {'flag_conflict':30} {result.conflicts_on_pairs[0]} conflict flags (= 0)  "
                 f"{flagged_ok}")
    lines.append("prec = TP / (flagged - pre-existing), pre = rows of the clean data the same flag already "
                 "flagged before planting; prec_all counts those as false positives too. A label-noise precision "
                 "of n/a means the signal flagged nothing (it abstained: see its summary).")
    lines.append("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="general rows taken from the clean data")
    parser.add_argument("--reviews", type=int, default=400, help="classification rows (half SST-2, half AG News)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="harness_out", help="folder for the datasets and audit outputs")
    parser.add_argument("--reviews-from", choices=("real", "generated", "agnews", "sst2"), default="real",
                        help="classification rows: real SST-2 sentences and AG News articles (default), one of "
                             "the two, or generated polar reviews (labels an embedding model predicts easily)")
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
            "conflicts_on_duplicate_pairs": result.conflicts_on_pairs[0], "strata": result.strata,
            "targets": {g: {"recall": result.target(g)[0], "precision": result.target(g)[1], "met": result.meets(g)}
                        for g in TARGETS},
            "scores": [{**s.__dict__, "recall": s.recall, "precision": s.precision, "precision_all": s.precision_all}
                       for s in result.scores], "seconds": result.seconds}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
