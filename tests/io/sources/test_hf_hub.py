"""Hub sources read from the local Hugging Face cache only: a cached dataset builds (its ClassLabel names
included); one that is not cached is a one-line error saying how to use local files. No network, ever."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ift_data.cli import main
from ift_data.errors import UserError
from ift_data.io.sources import ReadOptions, open_source
from ift_data.schema import RawRow

datasets = pytest.importorskip("datasets")
PROJECT = Path(__file__).resolve().parents[3]
ROWS = [{"text": f"review number {i} of the film", "label": i % 2} for i in range(6)]


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A datasets cache holding ``acme/reviews`` as a hub download leaves it (made from a local file)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    staging, cache = tmp_path / "staging", tmp_path / "hf_cache"
    (tmp_path / "reviews.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    features = datasets.Features({"text": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["negative", "positive"])})
    datasets.load_dataset("json", data_files={"train": str(tmp_path / "reviews.jsonl")}, features=features,
                          cache_dir=str(staging))
    built = next((staging / "json").glob("*/*/*/dataset_info.json")).parent
    target = cache / "acme___reviews" / "default" / built.parent.name / built.name
    shutil.copytree(built, target)
    (target / "json-train.arrow").rename(target / "reviews-train.arrow")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    return cache


def test_cached_hub_dataset_is_read_with_types_and_class_labels(hub_cache: Path) -> None:
    source = open_source(Path("train"), ReadOptions(format="hf_hub", dataset="acme/reviews", split="train"))
    rows = [item for item in source.items() if isinstance(item, RawRow)]
    assert [r.fields for r in rows] == ROWS and rows[0].line == 1
    assert source.class_labels == {"label": ("negative", "positive")}
    assert source.name == "hf:acme/reviews/default[train]"


def test_hub_source_builds_through_the_cli(hub_cache: Path, tmp_path: Path) -> None:
    spec = {"name": "hub_reviews", "family": "sentiment",
            "source": {"format": "hf_hub", "dataset": "acme/reviews", "splits": {"train": "train"}},
            "fields": {"text": "text", "label": "label"}}  # no labels: the ClassLabel names are used
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    recipe = {"name": "hub", "seed": 1, "templates": str(PROJECT / "templates"),
              "datasets": [{"task": str(tmp_path / "task.yaml")}], "output": {"formats": ["segments"]}}
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "recipe.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["accounting"]["rows_in"] == len(ROWS)
    text = "".join(p.read_text() for p in (tmp_path / "out").glob("train*.jsonl"))
    assert "positive" in text and "negative" in text


def test_missing_hub_dataset_is_one_line_saying_how_to_use_local_files(hub_cache: Path) -> None:
    with pytest.raises(UserError) as info:
        open_source(Path("train"), ReadOptions(format="hf_hub", dataset="acme/not-downloaded", split="train"))
    message = info.value.format()
    assert "\n" not in message and info.value.field == "source.dataset"
    assert "acme/not-downloaded" in message and "local cache" in message and "network is never used" in message
    assert "save_to_disk" in message and "format: parquet" in message


def test_missing_hub_dataset_through_the_cli_is_exit_2_and_one_line(hub_cache: Path, tmp_path: Path) -> None:
    spec = {"name": "gone", "family": "sentiment",
            "source": {"format": "hf_hub", "dataset": "acme/not-downloaded", "splits": {"train": "train"}},
            "fields": {"text": "text", "label": "label"}}
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    recipe = {"name": "hub", "templates": str(PROJECT / "templates"), "datasets": [{"task": str(tmp_path / "task.yaml")}]}
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "recipe.yaml"), "--out", str(tmp_path / "out")])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert "hf:acme/not-downloaded/default[train]" in lines[0] and "field 'source.dataset'" in lines[0]


def test_offline_is_forced_even_when_the_environment_allows_the_network(hub_cache: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    with pytest.raises(UserError, match="network is never used"):
        open_source(Path("train"), ReadOptions(format="hf_hub", dataset="acme/elsewhere", split="train"))
    assert huggingface_hub.constants.HF_HUB_OFFLINE is True and datasets.config.HF_HUB_OFFLINE is True
