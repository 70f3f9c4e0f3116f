"""Regenerate the promptsource parity fixtures with promptsource's own renderer.

Run it with a Python that has promptsource 0.2.3 (NOT a dependency of ift-data; install it apart):

    pip download --no-deps --no-binary :all: --ignore-requires-python promptsource==0.2.3 -d /tmp/ps
    tar xzf /tmp/ps/promptsource-0.2.3.tar.gz -C /tmp/ps
    python3 -m venv /tmp/psvenv
    /tmp/psvenv/bin/pip install --no-deps --ignore-requires-python promptsource==0.2.3 \\
        jinja2==3.1.6 markupsafe pyyaml pandas numpy python-dateutil pytz tzdata six
    /tmp/psvenv/bin/python benchmarks/promptsource_parity.py /tmp/ps/promptsource-0.2.3/promptsource/templates

For every dataset/subset file, a record is built with the dataset's field names and the types its templates
use (inferred from how the templates read each field: ``a.b`` and ``a['b']`` make a dict, ``a[0]``, loops,
``|join`` and ``|length`` make a list, comparisons with numbers make an int, ``answer_choices[label]``
makes ``label`` an index into the choices; a few datasets are written by hand: ``HAND_RECORDS``). A second
record has other labels and a ``|||`` inside a top-level string, a third (some datasets) a value over 2,048
characters. Each (template, record) is rendered by ``Template.apply`` after ``random.seed(seed)`` (and once
more with ``truncate=True``); templates that do not render to one prompt and one target on those records
are left out. ift-data's test (tests/templates/test_promptsource_parity.py) renders the same templates on the
same records with ``random.Random(seed)`` and compares byte for byte; it needs only the fixture file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "tests/templates/fixtures/promptsource_parity/parity.json"
STR_METHODS = {"split", "lower", "upper", "strip", "replace", "startswith", "endswith", "capitalize", "title",
               "rstrip", "lstrip", "format", "find", "isdigit", "splitlines"}
LIST_METHODS = {"index", "count", "append"}
DICT_METHODS = {"keys", "items", "values", "get", "update"}
LIST_FILTERS = {"join", "first", "last", "list", "unique", "choice", "map", "select", "sort", "min", "max",
                "random", "selectattr", "reject", "most_frequent", "sum", "batch", "slice", "rejectattr"}
ITEM_FILTERS = {"first", "last", "choice", "random", "min", "max"}
STR_FILTERS = {"lower", "upper", "capitalize", "trim", "replace", "title", "truncate", "wordwrap", "striptags"}
WORDS = ("the river valley was quiet at dawn while farmers walked to the market carrying baskets of apples "
         "and pears for the morning trade in the old town square").split()


class Node:
    """What the templates do with one value."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.keys: dict[str, Node] = {}
        self.item: Node | None = None
        self.label_for = 0  # answer_choices[x]: x is an index

    def child(self, key: str) -> Node:
        self.kinds["dict"] += 1
        return self.keys.setdefault(key, Node())

    def element(self) -> Node:
        self.kinds["list"] += 1
        if self.item is None:
            self.item = Node()
        return self.item


def infer(env: Any, bodies: list[str], roots: dict[str, Node]) -> None:
    from jinja2 import meta, nodes

    for body in bodies:
        tree = env.parse(body)
        free = meta.find_undeclared_variables(tree)

        def value(expr: Any, scope: dict[str, Node], free: set[str] = free) -> Node | None:  # noqa: C901
            if isinstance(expr, nodes.Name):
                if expr.name in scope:
                    return scope[expr.name]
                if expr.name in free and expr.name not in env.globals and expr.name != "answer_choices":
                    return roots.setdefault(expr.name, Node())
                return None
            if isinstance(expr, nodes.Getattr):
                owner = value(expr.node, scope)
                if owner is None:
                    return None
                if expr.attr in STR_METHODS:
                    owner.kinds["str"] += 1
                    return None
                if expr.attr in LIST_METHODS:
                    owner.kinds["list"] += 1
                    return None
                if expr.attr in DICT_METHODS:
                    owner.kinds["dict"] += 1
                    return None
                return owner.child(expr.attr)
            if isinstance(expr, nodes.Getitem):
                index = expr.arg
                if isinstance(expr.node, nodes.Name) and expr.node.name == "answer_choices":
                    label = value(index, scope)
                    if label is not None:
                        label.kinds["label"] += 1
                    return None
                owner = value(expr.node, scope)
                walk(index, scope)
                if owner is None:
                    return None
                if isinstance(index, nodes.Const) and isinstance(index.value, str):
                    return owner.child(index.value)
                if isinstance(index, nodes.Slice):
                    owner.kinds["seq"] += 1
                    return None
                inner = value(index, scope)
                if inner is not None:
                    inner.kinds["int"] += 1
                return owner.element()
            if isinstance(expr, nodes.Filter):
                owner = value(expr.node, scope) if expr.node is not None else None
                for arg in expr.args:
                    walk(arg, scope)
                if owner is None:
                    return None
                if expr.name in LIST_FILTERS:
                    item = owner.element()
                    if expr.name == "join":
                        item.kinds["str"] += 1
                    return item if expr.name in ITEM_FILTERS else None
                if expr.name in STR_FILTERS:
                    owner.kinds["str"] += 1
                if expr.name in ("length", "count"):
                    owner.kinds["seq"] += 1
                if expr.name in ("int", "abs", "round", "float"):
                    owner.kinds["int"] += 1
                return None
            if isinstance(expr, nodes.Call):
                if isinstance(expr.node, nodes.Name) and expr.node.name == "zip":
                    for arg in expr.args:
                        owner = value(arg, scope)
                        if owner is not None:
                            owner.element()
                    return None
                value(expr.node, scope)
                for arg in expr.args:
                    walk(arg, scope)
                return None
            if isinstance(expr, nodes.Compare):
                left = value(expr.expr, scope)
                for op in expr.ops:
                    right = value(op.expr, scope)
                    for side, other in ((left, op.expr), (right, expr.expr)):
                        if side is not None and isinstance(other, nodes.Const):
                            kind = type(other.value).__name__
                            if op.op in ("in", "notin"):
                                continue
                            side.kinds[{"bool": "bool", "int": "int", "float": "int", "str": "str"}
                                       .get(kind, "str")] += 1
                    if op.op in ("in", "notin") and right is not None:
                        right.kinds["seq"] += 1
                return None
            if isinstance(expr, nodes.BinExpr):
                left, right = value(expr.left, scope), value(expr.right, scope)
                if expr.operator in ("-", "*", "/", "//", "%") or any(
                        isinstance(x, nodes.Const) and isinstance(x.value, int) for x in (expr.left, expr.right)):
                    for side in (left, right):
                        if side is not None:
                            side.kinds["int"] += 1
                return None
            walk(expr, scope)
            return None

        def walk(node: Any, scope: dict[str, Node]) -> None:
            if isinstance(node, nodes.For):
                owner = value(node.iter, scope)
                inner = dict(scope)
                if owner is not None:
                    item = owner.element()
                    if isinstance(node.target, nodes.Name):
                        inner[node.target.name] = item
                elif isinstance(node.iter, nodes.Call) and isinstance(node.iter.node, nodes.Name) \
                        and node.iter.node.name == "zip" and isinstance(node.target, nodes.Tuple):
                    for target, arg in zip(node.target.items, node.iter.args, strict=False):
                        source = value(arg, scope)
                        if source is not None and isinstance(target, nodes.Name):
                            inner[target.name] = source.element()
                for child in [*node.body, *node.else_]:
                    walk(child, inner)
                if node.test is not None:
                    walk(node.test, inner)
                return
            if isinstance(node, nodes.Expr) and not isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem
                                                               | nodes.Filter | nodes.Call | nodes.Compare
                                                               | nodes.BinExpr):
                for child in node.iter_child_nodes():
                    walk(child, scope)
                return
            if isinstance(node, nodes.Expr):
                value(node, scope)
                return
            for child in node.iter_child_nodes():
                walk(child, scope)

        walk(tree, {})


def sentence(name: str, n: int, salt: int) -> str:
    rng = random.Random(f"{name}:{salt}")
    words = [rng.choice(WORDS) for _ in range(n)]
    return (" ".join(words)).capitalize()


def make_value(name: str, node: Node, salt: int, labels: dict[str, int]) -> Any:
    kinds = node.kinds
    if node.keys and (kinds["dict"] >= kinds["list"] or node.item is None):
        return {key: make_value(key, child, salt, labels) for key, child in sorted(node.keys.items())}
    if kinds["list"] or node.item is not None:
        item = node.item or Node()
        return [make_value(name, item, salt + i, labels) for i in range(3)]
    if kinds["label"]:
        return labels.get(name, salt % 2)
    if kinds["bool"] and kinds["bool"] >= kinds["int"]:
        return salt % 2 == 0
    if kinds["int"]:
        return 1 + salt % 2
    low = name.lower()
    if "question" in low:
        return sentence(name, 7, salt) + "?"
    if any(k in low for k in ("title", "topic", "name", "answer", "target", "label", "entity", "word")):
        return sentence(name, 2, salt)
    if "date" in low or "time" in low:
        return f"2021-0{1 + salt % 9}-1{salt % 10}"
    if low.endswith("id") or low.endswith("_id") or low == "idx":
        return f"id-{salt}"
    return sentence(name, 14, salt) + "."


# Records written by hand (real field names and types) for the datasets the issue names.
HAND_RECORDS: dict[str, list[dict[str, Any]]] = {
    "wiki_qa": [
        {"question_id": "Q1", "question": "how are glacier caves formed?", "document_title": "Glacier cave",
         "answer": "A partly submerged glacier cave on Perito Moreno Glacier.", "label": 0},
        {"question_id": "Q1", "question": "how are glacier caves formed?", "document_title": "Glacier cave",
         "answer": "A glacier cave is a cave formed within the ice of a glacier.", "label": 1},
    ],
    "math_qa": [
        {"Problem": "the banker ' s gain of a certain sum due 3 years hence at 10 % per annum is rs . 36 . "
                    "what is the present worth ?",
         "Rationale": "\"explanation : t = 3 years r = 10 % td = ( bg × 100 ) / tr = ( 36 × 100 ) / ( 3 × 10 ) = "
                      "12 × 10 = rs . 120 answer : option a\"",
         "options": "a ) rs . 400 , b ) rs . 300 , c ) rs . 500 , d ) rs . 350 , e ) none of these",
         "correct": "a", "annotated_formula": "divide(multiply(const_100, divide(multiply(36, const_100), "
                                              "multiply(3, 10))), multiply(3, 10))",
         "linear_formula": "multiply(n2,const_100)|multiply(n0,n1)|divide(#0,#1)|multiply(#2,const_100)|"
                           "divide(#3,#1)|", "category": "gain"},
    ],
    "piqa": [
        {"goal": "How do I ready a guinea pig cage for it's new occupants?",
         "sol1": "Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, "
                 "you will also need to supply it with a water bottle and a food dish.",
         "sol2": "Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans ||| "
                 "material, you will also need to supply it with a water bottle and a food dish.",
         "label": 0},
    ],
    "super_glue/rte": [
        {"premise": "No Weapons of Mass Destruction Found in Iraq Yet.",
         "hypothesis": "Weapons of Mass Destruction Found in Iraq.", "idx": 0, "label": 1},
        {"premise": "A place of sorrow, after Pope John Paul II died, became a place of celebration.",
         "hypothesis": "Pope Benedict XVI is the new leader of the Roman Catholic Church.", "idx": 1, "label": 0},
    ],
    "aqua_rat/raw": [
        {"question": "Two friends plan to walk along a 43-km trail, starting at opposite ends of the trail at the "
                     "same time. If Friend P's rate is 15% faster than Friend Q's, how many kilometers will Friend "
                     "P have walked when they pass each other?",
         "options": ["A)21", "B)21.5", "C)22", "D)22.5", "E)23"],
         "rationale": "If Q complete x kilometers, then P completes 1.15x kilometers.\nx + 1.15x = 43\n"
                      "2.15x=43\nx = 43/2.15 = 20\nThen P will have have walked 1.15*20=23 km.\nThe answer is E.",
         "correct": "E"},
    ],
    "race/high": [
        {"example_id": "high132.txt", "article": "Last week I talked with some of my students about what they "
         "wanted to do after they graduated, and what kind of job prospects they thought they had.",
         "answer": "C", "question": "What did the author talk about with the students?",
         "options": ["Their hobbies.", "Their families.", "Their future jobs.", "Their exams."]},
    ],
}


def records_for(key: str, roots: dict[str, Node], choice_counts: list[int]) -> list[dict[str, Any]]:
    if key in HAND_RECORDS:
        return HAND_RECORDS[key]
    top = max(choice_counts or [2])
    first = {name: make_value(name, node, 0, {}) for name, node in sorted(roots.items())}
    second = {name: make_value(name, node, 1, {name: min(1, top - 1) for name in roots}) for name, node
              in sorted(roots.items())}
    for name in sorted(second):
        if isinstance(second[name], str) and len(second[name]) > 20:
            second[name] = second[name].replace(" ", " ||| ", 1)
            break
    records = [first, second]
    if sum(map(ord, key)) % 4 == 0:
        long_record = dict(first)
        for name in sorted(long_record):
            if isinstance(long_record[name], str) and len(long_record[name]) > 20:
                long_record[name] = " ".join([long_record[name]] * 40)
                break
        records.append(long_record)
    return records


def render(template: Any, record: dict[str, Any], seed: int, truncate: bool) -> list[str] | dict[str, str]:
    random.seed(seed)
    try:
        return [str(p) for p in template.apply(dict(record), truncate=truncate)]
    except Exception as exc:  # noqa: BLE001
        return {"error": type(exc).__name__}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("templates", type=Path, help="promptsource's templates folder")
    parser.add_argument("--per-dataset", type=int, default=2, help="templates kept per dataset file")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--all", type=Path, default=None,
                        help="also write every template x record outcome (errors and empty parts included) here, "
                             "for benchmarks/promptsource_parity_check.py")
    args = parser.parse_args()
    import jinja2
    import yaml
    from promptsource.templates import env  # type: ignore[import-not-found]

    files = sorted(Path(d) / "templates.yaml" for d, _, f in os.walk(args.templates) if "templates.yaml" in f)
    datasets, seed, kept_templates = [], 1000, 0
    every: list[dict[str, Any]] = []
    for file in files:
        data = yaml.load(file.read_text(), Loader=yaml.Loader)  # promptsource's own loader (trusted sdist)
        key = "/".join(str(data[k]) for k in ("dataset", "subset") if data.get(k))
        roots: dict[str, Node] = {}
        counts = []
        for template in data["templates"].values():
            infer(env, [template.jinja, template.answer_choices or ""], roots)
            if template.answer_choices:
                counts.append(template.answer_choices.count("|||") + 1)
        records = records_for(key, roots, counts)
        if args.all is not None:
            for tkey, template in data["templates"].items():
                for record in records[:2]:
                    outcome = render(template, record, 5000 + len(every), truncate=False)
                    every.append({"file": key, "template": tkey, "name": template.name, "jinja": template.jinja,
                                  "answer_choices": template.answer_choices, "record": record,
                                  "seed": 5000 + len(every), "outcome": outcome})
        cases: list[dict[str, Any]] = []
        used: dict[str, dict[str, Any]] = {}
        for tkey, template in sorted(data["templates"].items(), key=lambda kv: kv[1].name):
            if len(used) >= args.per_dataset:
                break
            results: list[dict[str, Any]] = []
            for index, record in enumerate(records):
                seed += 1
                parts = render(template, record, seed, truncate=False)
                if not isinstance(parts, list) or len(parts) != 2 or not parts[0] or not parts[1]:
                    results = []
                    break
                truncated = render(template, record, seed, truncate=True)
                results.append({"template": tkey, "record": index, "seed": seed, "parts": parts,
                                "truncated": None if truncated == parts else truncated})
            if results:
                used[tkey] = {"name": template.name, "jinja": template.jinja,
                              "answer_choices": template.answer_choices}
                cases.extend(results)
        if used:
            kept_templates += len(used)
            datasets.append({"dataset": data["dataset"], "subset": data.get("subset"), "records": records,
                             "templates": used, "cases": cases})
    doc = {"promptsource": "0.2.3", "jinja2": jinja2.__version__, "generator": "benchmarks/promptsource_parity.py",
           "datasets": datasets}
    if args.all is not None:
        args.all.write_text(json.dumps(every, ensure_ascii=False), encoding="utf-8")
        print(f"{len(every)} template x record outcomes -> {args.all}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    total = sum(len(d["cases"]) for d in datasets)
    print(f"{kept_templates} templates across {len(datasets)} dataset files ({len(files)} read), {total} cases; "
          f"{args.out.stat().st_size / 1e6:.2f} MB -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
