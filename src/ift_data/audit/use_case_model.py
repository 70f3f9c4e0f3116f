"""The use-case tagger's linear model: features of a row and a multinomial logistic regression over them.

Features (``feature_matrix``), in this order:

- the instruction's embedding by the bundled static model (``models/minilm-static-256``, Model2Vec:
  token vectors mean-pooled, L2-normalized; 256 numbers);
- the shape of the row (``SHAPE_FEATURES``): whether an input is given and how long, the instruction's
  length and question mark, the response's length, list lines, items, sentences and commas;
- the keyword rules' own answer (``use_case.rule_tag``), one-hot over ``USE_CASES``.

The weights are package data (``models/use-case-logreg/weights.json``: plain JSON, never pickle), fitted
by ``scripts/train_use_case_model.py`` on the project's own labelled rows (``train.jsonl`` beside them,
its SHA-256 recorded in the file; no Dolly or Alpaca row). Standardization of the shape features is folded
into the weights, so a prediction is ``softmax(features @ coef.T + intercept)`` over the model's
``classes``. Loading is offline and once per process (``load_model``); the file names the static model's
fingerprint, and a different static model is refused rather than silently mis-scored.

``use_model`` (required, true or false): whether the tagger consults the model at all. The training script
sets it false when the keyword rules alone are at least as accurate on the training rows as the best
cross-validated tagger with a model; the fitted model is still stored, so retraining on more rows may turn
it on. With ``use_model`` false ``use_case.tag_rows`` returns the rules' tags and computes no embedding.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ift_data.errors import UserError

WEIGHTS_PATH = Path(__file__).resolve().parents[1] / "models" / "use-case-logreg" / "weights.json"
# The labelled rows the weights are fitted on: written for this project (none taken from Dolly, Alpaca or
# any other dataset), one JSON object a line: category, instruction, input, response, turns (optional).
TRAIN_PATH = WEIGHTS_PATH.with_name("train.jsonl")
FORMAT = 1
# How far the keyword rules decide a row with an input (use_case._rules_decide): the model decides, the rules
# decide when the wording placed the row, or the rules decide every such row.
INPUT_RULES: tuple[str, ...] = ("model", "wording", "all")

SHAPE_FEATURES: tuple[str, ...] = (
    "has_input", "log_instruction_words", "log_response_words", "log_input_words", "response_list_lines",
    "log_response_items", "log_response_sentences", "instruction_question_mark", "response_multiline",
    "log_response_commas", "response_input_ratio", "response_under_6_words", "response_under_21_words")

_LIST_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)]|[a-z][.)])\s+\S", re.MULTILINE)
_ITEM_SPLIT = re.compile(r"[,;\n]")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


def shape_features(instruction: str, input_text: str, response: str) -> list[float]:
    """The row's shape, one number per ``SHAPE_FEATURES`` name (not standardized)."""
    has_input = bool(input_text.strip())
    instruction_words = len(instruction.split())
    response_words = len(response.split())
    input_words = len(input_text.split())
    items = sum(1 for part in _ITEM_SPLIT.split(response) if part.strip())
    sentences = len(_SENTENCE_END.findall(response.strip() + " "))
    ratio = min(response_words / max(input_words, 1), 4.0) if has_input else 0.0
    return [float(has_input), math.log1p(instruction_words), math.log1p(response_words), math.log1p(input_words),
            min(len(_LIST_LINE.findall(response)), 10) / 10, math.log1p(items), math.log1p(sentences),
            float(instruction.rstrip().endswith("?")), float("\n" in response.strip()),
            math.log1p(response.count(",")), ratio, float(response_words <= 5), float(response_words <= 20)]


@dataclass(frozen=True)
class TrainingRow:
    """One labelled row of the training file."""

    category: str
    instruction: str
    input: str
    response: str
    turns: int


def load_training_rows(path: Path, categories: Sequence[str]) -> list[TrainingRow]:
    """The labelled rows of ``path`` (JSON lines); a clear error naming the file, line and field otherwise."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the use-case training rows: {exc}", file=str(path)) from exc
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise UserError(f"not a JSON object: {exc}", file=str(path), line=number) from exc
        if not isinstance(data, dict):
            raise UserError("not a JSON object", file=str(path), line=number)
        for name in ("category", "instruction", "input", "response"):
            if not isinstance(data.get(name), str):
                raise UserError(f"{name} must be a string", file=str(path), line=number, field=name)
        if data["category"] not in categories:
            raise UserError(f"unknown category {data['category']!r} (one of {', '.join(categories)})",
                            file=str(path), line=number, field="category")
        if not data["instruction"].strip():
            raise UserError("empty instruction", file=str(path), line=number, field="instruction")
        turns = data.get("turns", 1)
        if not isinstance(turns, int) or isinstance(turns, bool) or turns < 1:
            raise UserError("turns must be a whole number >= 1", file=str(path), line=number, field="turns")
        rows.append(TrainingRow(data["category"], data["instruction"], data["input"], data["response"], turns))
    return rows


def one_hot(tags: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """Rows of 0/1, one column per name."""
    position = {name: i for i, name in enumerate(names)}
    out = np.zeros((len(tags), len(names)), np.float32)
    out[np.arange(len(tags)), [position[t] for t in tags]] = 1.0
    return out


@functools.lru_cache(maxsize=1)
def _static_model() -> Any:
    """The bundled static model, loaded once per process (``load_static_model`` keeps huggingface_hub's
    model-card warning off the terminal)."""
    from ift_data.embed.model import load_static_model, static_model_path

    return load_static_model(static_model_path())


def static_fingerprint() -> str:
    """The bundled static model's fingerprint (``embed.model.model_fingerprint``)."""
    from ift_data.embed.model import model_fingerprint, static_model_path

    return model_fingerprint(str(static_model_path()))


def embed_instructions(instructions: Sequence[str]) -> np.ndarray:
    """L2-normalized static embeddings (float32), each distinct text encoded once; "" gives zeros."""
    distinct = list(dict.fromkeys(instructions))
    model = _static_model()
    vectors = np.asarray(model.encode(distinct, use_multiprocessing=False, normalize=False), dtype=np.float32) \
        if distinct else np.zeros((0, model.dim), np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    position = {text: i for i, text in enumerate(distinct)}
    return vectors[np.fromiter((position[t] for t in instructions), np.int64, count=len(instructions))]


def feature_matrix(instructions: Sequence[str], inputs: Sequence[str], responses: Sequence[str],
                   rule_tags: Sequence[str], rule_names: Sequence[str]) -> np.ndarray:
    """The model's input, one row per example: embedding, shape features, rule one-hot (float64)."""
    shapes = np.array([shape_features(i, x, r) for i, x, r in zip(instructions, inputs, responses, strict=True)],
                      dtype=np.float64).reshape(len(instructions), len(SHAPE_FEATURES))
    return np.hstack([embed_instructions(instructions).astype(np.float64), shapes,
                      one_hot(rule_tags, rule_names).astype(np.float64)])


@dataclass(frozen=True)
class LinearModel:
    """A multinomial logistic regression: ``classes``, ``coef`` (classes x features), ``intercept``; and
    whether the tagger consults it (``use_model``)."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    rule_names: tuple[str, ...]
    other_threshold: float
    input_rule: str
    meta: dict[str, Any]
    use_model: bool  # False: the tagger returns the keyword rules' tags and never asks this model

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Softmax of the linear scores, one row per example."""
        scores = features @ self.coef.T + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)


def load_model(path: Path = WEIGHTS_PATH) -> LinearModel:
    """The shipped weights (cached per process for the default path); a clear error when the file is
    missing, malformed or made for another static embedding model."""
    return _load_default() if path == WEIGHTS_PATH else _load(path)


@functools.lru_cache(maxsize=1)
def _load_default() -> LinearModel:
    return _load(WEIGHTS_PATH)


def _load(path: Path) -> LinearModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError("the use-case model's weights are missing from this installation; reinstall ift-data "
                        "or rebuild them with scripts/train_use_case_model.py", file=str(path)) from exc
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the use-case model's weights: {exc}", file=str(path)) from exc
    try:
        if data["format"] != FORMAT:
            raise UserError(f"use-case weights format {data['format']!r}, this version reads {FORMAT}",
                            file=str(path), field="format")
        classes = tuple(data["classes"])
        rule_names = tuple(data["rule_names"])
        coef = np.asarray(data["coef"], dtype=np.float64)
        intercept = np.asarray(data["intercept"], dtype=np.float64)
        features = int(data["embedding_dim"]) + len(SHAPE_FEATURES) + len(rule_names)
        use_model = data["use_model"]
        if not isinstance(use_model, bool):
            raise UserError(f"use_model {use_model!r} is not true or false", file=str(path), field="use_model")
        model = LinearModel(classes, coef, intercept, rule_names, float(data["other_threshold"]),
                            str(data["input_rule"]),
                            {k: data[k] for k in ("embedder", "embedder_fingerprint", "training")},
                            use_model)
    except KeyError as exc:
        raise UserError(f"malformed use-case weights: {exc.args[0]} is missing", file=str(path),
                        field=str(exc.args[0])) from exc
    except (TypeError, ValueError) as exc:
        raise UserError(f"malformed use-case weights: {exc!r}", file=str(path)) from exc
    if list(data["shape_features"]) != list(SHAPE_FEATURES):
        raise UserError("use-case weights were made for other shape features", file=str(path),
                        field="shape_features")
    if model.input_rule not in INPUT_RULES:
        raise UserError(f"input_rule {model.input_rule!r} is not one of {', '.join(INPUT_RULES)}", file=str(path),
                        field="input_rule")
    if coef.shape != (len(classes), features) or intercept.shape != (len(classes),):
        raise UserError(f"use-case weights have shape {coef.shape}, expected {(len(classes), features)}",
                        file=str(path), field="coef")
    if data["embedder_fingerprint"] != static_fingerprint():
        raise UserError("use-case weights were fitted on another static embedding model than the bundled one; "
                        "rebuild them with scripts/train_use_case_model.py", file=str(path),
                        field="embedder_fingerprint")
    return model
