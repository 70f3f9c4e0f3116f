"""A recipe uses P3 directly: dataset entries that name a source (a ``save_to_disk`` folder, Parquet, JSONL,
the local hub cache, a SuperNI task file) and a pack, with no task spec. Mixed with a bundled family, the
build runs end to end, the records' own fields feed promptsource templates, ``ClassLabel`` names come from
the features, P3's "all templates" assignment works with caps and mixing, and the manifest attributes
every row to its source and template."""

from __future__ import annotations

import json
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ift_data.cli import main
from ift_data.resources import bundled
from ift_data.templates.pack import load_pack
from ift_data.templates.promptsource import dump_pack, import_promptsource
from ift_data.templates.superni import dump_yaml, superni_pack

datasets = pytest.importorskip("datasets")

TESTS = Path(__file__).resolve().parents[1]
PROMPTSOURCE = TESTS / "data" / "mixed_sources" / "super_glue" / "rte" / "templates.yaml"
SUPERNI = TESTS / "data" / "superni" / "task363_sst2_polarity_classification.json"
NAMES = ["entailment", "not_entailment"]
ROWS = [{"premise": f"The bridge over river {i} was finished in {1900 + i}.",
         "hypothesis": f"River {i} has a bridge." if i % 3 else f"River {i} has no bridge.",
         "idx": i, "label": 0 if i % 3 else 1} for i in range(10)]
FEATURES = {"premise": datasets.Value("string"), "hypothesis": datasets.Value("string"),
            "idx": datasets.Value("int32"), "label": datasets.ClassLabel(names=NAMES)}


NLI = {t.id: t for t in load_pack(bundled("templates") / "nli.yaml").templates}


def _run(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recipe's folder: the RTE-like rows as save_to_disk / Parquet / JSONL, the imported promptsource
    pack, the SuperNI pack and task file."""
    folder = tmp_path_factory.mktemp("mixed")
    dataset = datasets.Dataset.from_dict({k: [r[k] for r in ROWS] for k in ROWS[0]},
                                          features=datasets.Features(FEATURES))
    dataset.save_to_disk(str(folder / "rte_train"))
    dataset.to_parquet(str(folder / "rte_train.parquet"))
    (folder / "rte_train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    (folder / "packs").mkdir()
    imported = import_promptsource(PROMPTSOURCE)
    assert imported.pack is not None and not imported.skipped
    (folder / "packs" / f"{imported.family}.yaml").write_text(dump_pack(imported.pack), encoding="utf-8")
    (folder / "packs" / "superni.yaml").write_text(dump_yaml(superni_pack("superni", ("def", "def-pos2"))),
                                                   encoding="utf-8")
    shutil.copy(SUPERNI, folder / SUPERNI.name)
    return folder


def _recipe(root: Path, name: str, datasets_: list[dict[str, Any]], **extra: Any) -> Path:
    recipe = {"name": name, "seed": 7, "templates": [str(bundled("templates"))], "datasets": datasets_,
              "expansion": {"assignment": "all", "options": "none"}, "output": {"formats": ["segments"]}, **extra}
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path


MIXED = [
    {"name": "rte", "source": {"format": "hf_disk", "splits": {"train": "rte_train"}},
     "pack": "packs/super_glue-rte.yaml", "hard_cap": 8},
    {"name": "rte_nli", "source": {"format": "hf_disk", "splits": {"train": "rte_train"}}, "pack": "nli"},
    {"source": {"format": "superni", "splits": {"train": SUPERNI.name}, "max_instances": 5},
     "pack": "packs/superni.yaml"},
    {"task": str(bundled("data_samples") / "movie_reviews" / "task.yaml")},
]


@pytest.fixture(scope="module")
def built(root: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    recipe = _recipe(root, "mixed", MIXED, mixing={"mode": "proportional", "weight_cap": 24})
    result = _run("build", recipe, "--out", root / "out")
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))
    records = [json.loads(line) for line in (root / "out" / "train.segments.jsonl").read_text().splitlines()]
    return manifest, records


def _text(record: dict[str, Any], role: str) -> str:
    return next(m["content"] for m in record["messages"] if m["role"] == role)


def test_every_row_is_attributed_to_its_source_and_template(built: tuple[dict[str, Any], list[dict[str, Any]]],
                                                            root: Path) -> None:
    manifest, records = built
    sni = SUPERNI.stem
    assert set(manifest["datasets"]) == {"rte", "rte_nli", sni, "movie_reviews"}
    data = {i["dataset"]: i for i in manifest["inputs"] if i["kind"] == "data"}
    assert (data["rte"]["path"], data["rte_nli"]["path"], data[sni]["path"]) == ("rte_train", "rte_train",
                                                                                  SUPERNI.name)
    packs = {i["path"] for i in manifest["inputs"] if i["kind"] == "template_pack"}
    assert {"packs/super_glue-rte.yaml", "packs/superni.yaml"} <= packs
    specs = [Path(i["path"]).resolve() for i in manifest["inputs"] if i["kind"] == "task_spec"]
    assert specs == [(bundled("data_samples") / "movie_reviews" / "task.yaml").resolve()]  # inline entries: none
    ids = {name: {t.id for t in load_pack(path).templates} for name, path in (
        ("rte", root / "packs" / "super_glue-rte.yaml"), ("rte_nli", bundled("templates") / "nli.yaml"),
        (sni, root / "packs" / "superni.yaml"), ("movie_reviews", bundled("templates") / "sentiment.yaml"))}
    for name, record in manifest["datasets"].items():
        assert sum(record["templates"].values()) == record["examples"] > 0
        assert set(record["templates"]) <= ids[name]
    assert manifest["datasets"]["rte"]["source"] == {"format": "hf_disk", "pack": "packs/super_glue-rte.yaml"}
    assert manifest["datasets"]["rte_nli"]["family"] == "nli"
    assert manifest["datasets"][sni]["source"]["tasks"][0]["categories"] == ["Sentiment Analysis"]
    assert manifest["datasets"][sni]["cluster"] == "sentiment_analysis"
    assert manifest["datasets"]["movie_reviews"]["source"] == {"format": "csv"}
    assert len(records) == manifest["mixing"]["total_written"]
    for record in records:
        source = record["source"]
        assert source["template"] in ids[source["dataset"]]
        row_file = source["row"].split("#", 1)[0].rsplit(":", 1)[0]
        assert (root / row_file).resolve() == (root / data[source["dataset"]]["path"]).resolve()


def test_caps_mixing_and_all_templates(built: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    manifest, _ = built
    rte = manifest["datasets"]["rte"]
    assert rte["hard_cap"] == 8 and rte["pool_examples"] == 8 * 4  # all 4 templates of each kept row
    assert manifest["datasets"]["rte_nli"]["pool_examples"] == 10 * 15
    assert manifest["mixing"]["weight_cap"] == 24
    # proportional with K = 24: each dataset's share is min(n, K) / sum(min(n, K))
    sni = manifest["datasets"][SUPERNI.stem]
    assert sni["pool_examples"] == 4 * 2  # 5 read (cap), one without output: 4 rows x 2 encodings
    assert manifest["rejects"]["by_stage"].get("limit") == 1
    assert sni["examples_requested"] == round(manifest["mixing"]["total_requested"] * 8 / (24 * 3 + 8))


def test_record_fields_and_class_labels(built: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, records = built
    seen = set()
    for record in records:
        source = record["source"]
        if source["dataset"] not in ("rte", "rte_nli"):
            continue
        row = ROWS[int(source["row"].rsplit(":", 1)[1]) - 1]
        prompt, target = _text(record, "user"), _text(record, "assistant")
        if source["template"] == "super_glue-rte-ps-does-it-follow":
            assert prompt == f'{row["premise"]}\nDoes it follow that "{row["hypothesis"]}"? Yes or no?'
            assert target == ["Yes", "No"][row["label"]]
        elif source["template"] == "super_glue-rte-ps-generate-entailed-sentence":
            assert (prompt, target) == (f"Write a sentence that follows from this text: {row['premise']}",
                                        row["hypothesis"])
        elif source["dataset"] == "rte_nli" and source["variant"] == "forward":  # verbalized ClassLabel name
            verbalizer = dict(NLI[source["template"]].verbalizer or ())
            assert target == verbalizer.get(NAMES[row["label"]], NAMES[row["label"]])
        seen.add(source["template"])
    assert "super_glue-rte-ps-does-it-follow" in seen and any(t.startswith("nli-") for t in seen)


def test_superni_rows_render_tk_instruct_text(built: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, records = built
    task = json.loads(SUPERNI.read_text(encoding="utf-8"))
    sni = [r for r in records if r["source"]["dataset"] == SUPERNI.stem]
    assert sni
    for record in sni:
        index = int(record["source"]["row"].rsplit("[", 1)[1].rstrip("]"))
        instance = task["Instances"][index]
        prompt = _text(record, "user")
        assert prompt.startswith("Definition: Given a one-sentence movie review")
        ended = instance["input"] + ("" if instance["input"][-1] in string.punctuation else ".")
        assert prompt.endswith(f"Now complete the following example -\nInput: {ended}\nOutput:")
        assert ("Positive Example 1 -" in prompt) == (record["source"]["template"] == "superni-def-pos2")
        assert _text(record, "assistant") in instance["output"]


def test_same_rows_from_parquet_jsonl_and_save_to_disk_render_alike(root: Path) -> None:
    outputs = {}
    for fmt, file in (("hf_disk", "rte_train"), ("parquet", "rte_train.parquet"), ("jsonl", "rte_train.jsonl")):
        entry = {"name": "rte", "source": {"format": fmt, "splits": {"train": file}},
                 "pack": "packs/super_glue-rte.yaml"}
        recipe = _recipe(root, f"one_{fmt}", [entry])
        result = _run("build", recipe, "--out", root / f"out_{fmt}")
        assert result.exit_code == 0, result.output
        lines = (root / f"out_{fmt}" / "train.segments.jsonl").read_text(encoding="utf-8").splitlines()
        outputs[fmt] = sorted((r["id"], json.dumps(r["messages"])) for r in map(json.loads, lines))
    assert outputs["hf_disk"] == outputs["parquet"] == outputs["jsonl"]
    assert len(outputs["jsonl"]) == 10 * 4  # every template of every row (P3's "all")
    assert outputs["jsonl"][0][1] != outputs["jsonl"][1][1]


def test_hub_cache_source(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hub name + config + split read from the local cache (made here as a hub download leaves it)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    staging, cache = tmp_path / "staging", tmp_path / "hf_cache"
    datasets.load_dataset("json", data_files={"train": str(root / "rte_train.jsonl")},
                          features=datasets.Features(FEATURES), cache_dir=str(staging))
    built_dir = next((staging / "json").glob("*/*/*/dataset_info.json")).parent
    target = cache / "acme___rte" / "default" / built_dir.parent.name / built_dir.name
    shutil.copytree(built_dir, target)
    (target / "json-train.arrow").rename(target / "rte-train.arrow")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    entry = {"source": {"format": "hf_hub", "dataset": "acme/rte", "splits": {"train": "train"}}, "pack": "nli"}
    result = _run("build", _recipe(root, "hub", [entry]), "--out", root / "out_hub")
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "out_hub" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["datasets"]) == {"acme_rte"}
    assert manifest["datasets"]["acme_rte"]["examples"] == 10 * 15
    assert manifest["inputs"][0]["path"] == "hf:acme/rte/default[train]"


@pytest.mark.parametrize(("entry", "words", "field"), [
    ({"source": {"format": "hf_disk", "splits": {"train": "rte_train"}}}, "needs `pack:`", "pack"),
    ({"pack": "nli"}, "needs `source:`", "source"),
    ({"task": "x.yaml", "source": {"format": "jsonl", "splits": {"train": "rte_train.jsonl"}}, "pack": "nli"},
     "not both", "task"),
    ({"source": {"format": "jsonl", "splits": {"train": "rte_train.jsonl"}}, "pack": "no_such_family"},
     "no bundled family of that name", "pack"),
    ({"source": {"format": "jsonl", "splits": {"train": "rte_train.jsonl"}}, "pack": "nli", "split": "test"},
     "no split 'test'", "split"),
    ({"source": {"format": "jsonl", "splits": {"train": "rte_train.jsonl"}, "max_instances": 3}, "pack": "nli"},
     "only applies to format: superni", "source.max_instances"),
])
def test_entry_mistakes_name_the_recipe_field(root: Path, entry: dict[str, Any], words: str, field: str) -> None:
    result = _run("build", _recipe(root, "bad", [entry]), "--out", root / "out_bad")
    assert result.exit_code != 0
    assert words in result.output and f"datasets[0].{field}" in result.output and "bad.yaml" in result.output


def test_pack_slot_missing_from_the_source_names_it(root: Path) -> None:
    rows = [{"premise": r["premise"], "label": r["label"]} for r in ROWS]
    (root / "no_hypothesis.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    entry = {"source": {"format": "jsonl", "splits": {"train": "no_hypothesis.jsonl"}},
             "pack": "packs/super_glue-rte.yaml"}
    result = _run("build", _recipe(root, "missing", [entry]), "--out", root / "out_missing")
    assert result.exit_code != 0
    assert "column 'hypothesis' is not in no_hypothesis.jsonl" in " ".join(result.output.split())
    assert "missing.yaml" in result.output


def test_rebuild_is_byte_identical(root: Path, built: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    recipe = root / "mixed.yaml"
    result = _run("build", recipe, "--out", root / "out_again")
    assert result.exit_code == 0, result.output
    for name in ("train.segments.jsonl", "manifest.json", "rejects.jsonl"):
        assert (root / "out_again" / name).read_bytes() == (root / "out" / name).read_bytes(), name


def test_held_out_clusters_of_entries_with_a_source(root: Path) -> None:
    """``cluster`` on an entry, and a SuperNI task's names (its category, domains, language), hold out."""
    entries = [
        {"name": "rte", "source": {"format": "hf_disk", "splits": {"train": "rte_train", "validation": "rte_train"}},
         "pack": "packs/super_glue-rte.yaml", "cluster": "nli_p3"},
        {"source": {"format": "superni", "splits": {"train": SUPERNI.name}}, "pack": "packs/superni.yaml"},
        {"task": str(bundled("data_samples") / "movie_reviews" / "task.yaml")},
    ]
    recipe = _recipe(root, "held", entries, held_out={"clusters": ["nli_p3", "language_english"]})
    result = _run("build", recipe, "--out", root / "out_held")
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "out_held" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["datasets"]) == {"movie_reviews"}
    held = manifest["held_out"]["datasets"]
    assert held["rte"]["cluster"] == "nli_p3" and held["rte"]["eval_examples"] > 0
    assert held[SUPERNI.stem]["related"] == ["movies", "reviews", "language_english"]
    evals = [json.loads(line) for line in (root / "out_held" / "eval.segments.jsonl").read_text().splitlines()]
    assert {r["source"]["dataset"] for r in evals} == {"rte"}
    assert all(r["source"]["template"].startswith("super_glue-rte-ps-") for r in evals)


def test_entry_pack_clashing_with_a_loaded_family_is_an_error(root: Path) -> None:
    clash = yaml.safe_load((root / "packs" / "superni.yaml").read_text(encoding="utf-8"))
    clash["family"] = "sentiment"  # also a bundled family, from another file
    for template in clash["templates"]:
        template["id"] = template["id"].replace("superni-", "clash-")
    (root / "packs" / "clash.yaml").write_text(yaml.safe_dump(clash, sort_keys=False), encoding="utf-8")
    entry = {"source": {"format": "superni", "splits": {"train": SUPERNI.name}}, "pack": "packs/clash.yaml"}
    result = _run("build", _recipe(root, "clash", [entry]), "--out", root / "out_clash")
    assert result.exit_code != 0
    assert "family 'sentiment' of dataset" in result.output and "also defined in" in result.output


def test_superni_folder_source(root: Path) -> None:
    """A folder of task files is one dataset: rows name their own task file; the cluster is the pack's family."""
    folder = root / "sni_tasks"
    folder.mkdir(exist_ok=True)
    for file in sorted((TESTS / "data" / "superni").glob("*.json")):
        shutil.copy(file, folder / file.name)
    entry = {"source": {"format": "superni", "splits": {"train": "sni_tasks"}, "max_instances": 2},
             "pack": "packs/superni.yaml"}
    result = _run("build", _recipe(root, "folder", [entry], expansion={"assignment": "round-robin"}),
                  "--out", root / "out_folder")
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "out_folder" / "manifest.json").read_text(encoding="utf-8"))
    record = manifest["datasets"]["sni_tasks"]
    assert record["cluster"] == "superni" and record["examples"] == 4
    assert [t["task"] for t in record["source"]["tasks"]] == sorted(f.stem for f in folder.glob("*.json"))
    rows = [json.loads(line)["source"]["row"] for line in (root / "out_folder" / "train.segments.jsonl").open()]
    assert {r.split("#")[0] for r in rows} == {f"sni_tasks/{f.name}" for f in folder.glob("*.json")}
