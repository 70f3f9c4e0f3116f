"""A wheel installed outside the checkout runs ``build``, ``templates list`` and ``audit`` from an empty folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
# What the wheel is built from: the package source (with its bundled/ links) and the folders they point at.
SOURCES = ("pyproject.toml", "README.md", "src", "templates", "rules", "data_samples")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The wheel, built from a copy of the checkout (no stale ``build/``), installed with ``--target``."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        origin = PROJECT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(origin, source / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", COLUMNS="200")
    wheels, target = root / "wheels", root / "site"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
          str(source)], root, env)
    (wheel,) = wheels.glob("ift_data-*.whl")
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], root, env)
    env["PYTHONPATH"] = str(target)  # ahead of site-packages, where the editable install's path entry sits
    return target, env


def test_installed_copy_is_the_one_imported(installed: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    target, env = installed
    out = _run([sys.executable, "-c", "import ift_data; print(ift_data.__file__)"], tmp_path, env).stdout
    assert Path(out.strip()).is_relative_to(target)
    for name in ("templates", "rules", "data_samples"):
        folder = target / "ift_data" / "bundled" / name
        assert folder.is_dir() and not folder.is_symlink(), f"{name} is not a real folder in the wheel"
    assert (target / "ift_data" / "bundled" / "data_samples" / "default_recipe.yaml").is_file()
    assert (target / "ift_data" / "models" / "minilm-static-256" / "model.safetensors").is_file()


def test_build_templates_and_audit_from_an_empty_folder(installed: tuple[Path, dict[str, str]],
                                                        tmp_path: Path) -> None:
    target, env = installed
    cli = str(target / "bin" / "ift-data")
    work = tmp_path / "empty"
    work.mkdir()

    _run([cli, "build", "--out", "out"], work, env)
    assert (work / "out" / "manifest.json").is_file()
    assert any(p.stat().st_size > 0 for p in (work / "out").glob("train.*.jsonl"))

    listing = _run([cli, "templates", "list"], work, env).stdout
    assert all(family in listing for family in ("sentiment", "nli", "extractive_qa"))

    rows = [{"instruction": f"Name a colour that starts with letter {c}.", "output": f"{c}-coloured"}
            for c in "abcdefgh"]
    (work / "small.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    # the bundled static embedder (package data) builds the kNN graph from the installed wheel
    _run([cli, "audit", "small.jsonl", "--out", "audit", "--embedder", "static", "--cache-dir", str(tmp_path / "cache")],
         work, env)
    summary = json.loads((work / "audit" / "summary.json").read_text(encoding="utf-8"))
    graph = summary["signals"]["dedup_semantic"]["summary"]["graph"]
    assert (graph["embedder"], graph["model"]) == ("static", "minilm-static-256")
    assert Path(summary["rules"]["path"]).is_relative_to(target)
    assert sorted(p.name for p in work.iterdir()) == ["audit", "out", "small.jsonl"]
