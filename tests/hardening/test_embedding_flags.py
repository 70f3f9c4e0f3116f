"""The embedding flags of audit and clean are one-line errors, checked before any work: ``--device cuda``
without CUDA, ``--cache-dir`` naming a file, ``--embedder`` naming a folder that holds no model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hardening_helpers import run_cli

from ift_data.embed import model
from ift_data.embed.encode import TextEncoder
from ift_data.errors import UserError

ROWS = "".join(json.dumps({"instruction": f"Name {n} colours.", "input": "", "output": f"{n} colours"}) + "\n"
               for n in range(12))


def _data(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text(ROWS, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["audit", "clean"])
@pytest.mark.parametrize("embedder", [[], ["--embedder", "static"]])
def test_device_cuda_without_a_gpu_driver_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     command: str, embedder: list[str]) -> None:
    monkeypatch.setattr(model, "gpu_driver_present", lambda: False)
    out = tmp_path / "out"
    line = run_cli(command, _data(tmp_path), "--out", out, "--device", "cuda", "--cache-dir", tmp_path / "cache",
                   *embedder).assert_user_error("--device cuda: no CUDA device is available", "no GPU driver")
    assert "--device auto or cpu" in line
    assert not out.exists() and not (tmp_path / "cache").exists()  # refused before anything was written


def test_device_cuda_with_a_torch_that_sees_no_gpu_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(model, "gpu_driver_present", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    run_cli("audit", _data(tmp_path), "--out", tmp_path / "out", "--device", "cuda", "--embedder", "static",
            "--cache-dir", tmp_path / "cache").assert_user_error("--device cuda: no CUDA device is available")


def test_device_cuda_is_not_checked_without_embeddings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "gpu_driver_present", lambda: False)
    run_cli("audit", _data(tmp_path), "--out", tmp_path / "out", "--device", "cuda", "--no-embeddings").assert_ok()


def test_checking_auto_and_cpu_devices_imports_no_torch() -> None:
    code = ("import sys; from ift_data.embed.model import check_device\n"
            "check_device('auto'); check_device('cpu'); check_device(None)\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize("command", ["audit", "clean"])
def test_cache_dir_naming_a_file_is_refused_up_front(tmp_path: Path, command: str) -> None:
    cache = tmp_path / "cache"
    cache.write_text("not a folder", encoding="utf-8")
    out = tmp_path / "out"
    run_cli(command, _data(tmp_path), "--out", out, "--device", "cpu", "--embedder", "static",
            "--cache-dir", cache).assert_user_error(f"{cache}: --cache-dir is a file, not a folder")
    assert not out.exists()
    run_cli(command, _data(tmp_path), "--out", out, "--device", "cpu", "--embedder", "static",
            "--cache-dir", cache / "inner").assert_user_error(f"{cache / 'inner'}: --cache-dir lies under {cache}")


@pytest.mark.parametrize("command", ["audit", "clean"])
def test_cache_dir_that_cannot_be_written_is_refused_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              command: str) -> None:
    """A read-only folder (PermissionError on the first shard) or one that cannot be made (under /proc):
    a one-line error before any work, not a traceback once the texts are embedded."""
    import tempfile

    from ift_data.embed import cache as cache_module

    out = tmp_path / "out"
    if Path("/proc/self").is_dir():
        run_cli(command, _data(tmp_path), "--out", out, "--device", "cpu", "--embedder", "static",
                "--cache-dir", "/proc/x").assert_user_error("/proc/x: --cache-dir cannot be written to")
    real = tempfile.mkstemp

    def read_only(*args, **kwargs):
        if str(kwargs.get("dir", "")).startswith(str(tmp_path / "ro")):
            raise PermissionError(13, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(cache_module.tempfile, "mkstemp", read_only)
    (tmp_path / "ro").mkdir()
    run_cli(command, _data(tmp_path), "--out", out, "--device", "cpu", "--embedder", "static", "--cache-dir",
            tmp_path / "ro").assert_user_error("--cache-dir cannot be written to (Permission denied)")
    assert not out.exists()
    run_cli(command, _data(tmp_path), "--out", out, "--no-embeddings", "--cache-dir", "/proc/x").assert_ok()


def test_encoder_refuses_a_cache_folder_that_is_a_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_bytes(b"")
    with pytest.raises(UserError, match="is a file, not a folder"):
        TextEncoder("static", device="cpu", cache_dir=cache, progress=False)


def test_embedder_folder_that_holds_no_model_is_a_clean_error(tmp_path: Path) -> None:
    folder = tmp_path / "not_a_model"
    folder.mkdir()
    (folder / "rows.jsonl").write_text(ROWS, encoding="utf-8")
    run_cli("audit", _data(tmp_path), "--out", tmp_path / "out", "--device", "cpu", "--embedder", folder,
            "--cache-dir", tmp_path / "cache").assert_user_error(f"{folder}: cannot load embedding model")


@pytest.mark.parametrize("command", ["audit", "clean"])
def test_ifd_model_must_be_a_local_model_folder(tmp_path: Path, command: str) -> None:
    """/nonexist got the Hugging Face hub's repo-id message."""
    out = tmp_path / "out"
    run_cli(command, _data(tmp_path), "--out", out, "--no-embeddings", "--ifd-model", tmp_path / "nonexist") \
        .assert_user_error("field '--ifd-model': no such folder", "local causal language model")
    (tmp_path / "folder").mkdir()
    run_cli(command, _data(tmp_path), "--out", out, "--no-embeddings", "--ifd-model", tmp_path / "folder") \
        .assert_user_error("holds no config.json")
    assert not out.exists()
