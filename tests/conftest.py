"""Shared helpers: write small task specs, raw files and recipes into a temporary folder."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[1]
TEMPLATES = PROJECT / "templates"
SAMPLES = PROJECT / "data_samples"


@pytest.fixture(autouse=True, scope="session")
def _embedding_cache_in_tmp(tmp_path_factory) -> Any:
    """Tests never read or fill the user's embedding cache (~/.cache/ift-data)."""
    import os

    before = os.environ.get("IFT_DATA_CACHE")
    os.environ["IFT_DATA_CACHE"] = str(tmp_path_factory.mktemp("ift-data-cache"))
    yield
    if before is None:
        os.environ.pop("IFT_DATA_CACHE", None)
    else:
        os.environ["IFT_DATA_CACHE"] = before


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def sentiment_records(n: int, prefix: str = "row") -> list[dict[str, Any]]:
    """``n`` distinct sentiment rows with alternating labels."""
    return [{"text": f"{prefix} {i}: the film was {'great' if i % 2 else 'dull'} in part {i}.", "label": i % 2}
            for i in range(n)]


class TaskFactory:
    """Writes ``<root>/<name>/task.yaml`` plus its raw split files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def jsonl(self, name: str, records: Sequence[dict[str, Any]], *, family: str = "sentiment",
              cluster: str | None = None, related: Sequence[str] = (), fields: dict[str, str] | None = None,
              labels: Any = None, extra_splits: dict[str, Sequence[dict[str, Any]]] | None = None,
              **spec: Any) -> Path:
        folder = self.root / name
        write_jsonl(folder / "train.jsonl", records)
        splits = {"train": "train.jsonl"}
        for split, rows in (extra_splits or {}).items():
            write_jsonl(folder / f"{split}.jsonl", rows)
            splits[split] = f"{split}.jsonl"
        data: dict[str, Any] = {"name": name, "family": family, "cluster": cluster or family}
        if related:
            data["related"] = list(related)
        data["source"] = {"format": "jsonl", "splits": splits}
        data["fields"] = fields or {"text": "text", "label": "label"}
        if labels is None and family == "sentiment":
            labels = {0: "negative", 1: "positive"}
        if labels is not None:
            data["labels"] = labels
        data.update(spec)
        return write_yaml(folder / "task.yaml", data)

    def raw(self, name: str, filename: str, content: str | bytes, spec: dict[str, Any]) -> Path:
        """A task spec (``spec`` as given, ``name`` filled in) next to one raw file."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / filename
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return write_yaml(folder / "task.yaml", {"name": name, **spec})


@pytest.fixture
def tasks(tmp_path: Path) -> TaskFactory:
    return TaskFactory(tmp_path / "tasks")


def recipe_dict(datasets: list[dict[str, Any]], **sections: Any) -> dict[str, Any]:
    """A recipe using the bundled templates, round-robin, no few-shot unless asked."""
    data: dict[str, Any] = {"name": "test", "seed": 7, "templates": str(TEMPLATES), "datasets": datasets,
                            "mixing": {"mode": "proportional"},
                            "expansion": {"assignment": "round-robin", "options": "fixed"},
                            "output": {"formats": ["segments"]}}
    data.update(sections)
    return data


@pytest.fixture
def make_recipe(tmp_path: Path) -> Callable[..., Path]:
    def make(datasets: list[dict[str, Any]], name: str = "recipe.yaml", **sections: Any) -> Path:
        return write_yaml(tmp_path / name, recipe_dict(datasets, **sections))
    return make


@pytest.fixture
def small_project(tasks: TaskFactory, make_recipe: Callable[..., Path]) -> Path:
    """A recipe over two small sentiment datasets and a topic dataset."""
    a = tasks.jsonl("reviews_a", sentiment_records(60, "a"))
    b = tasks.jsonl("reviews_b", sentiment_records(25, "b"))
    topics = [{"text": f"story {i} about {['politics', 'football', 'markets'][i % 3]}", "label": i % 3}
              for i in range(30)]
    c = tasks.jsonl("news", topics, family="topic", labels=["World", "Sports", "Business"])
    return make_recipe([{"task": str(a)}, {"task": str(b)}, {"task": str(c)}])


_THIS = sys.modules[__name__]


@pytest.fixture(scope="session")
def helpers():
    """This module (``write_yaml``, ``write_jsonl``, ``sentiment_records``, ``recipe_dict``, paths): test
    files reach the helpers through it, never by importing ``conftest`` (other folders have one too)."""
    return _THIS
