"""Hardening helpers (imported by the tests as ``hardening_helpers``): run the real CLI and check the one-line-error / row-accounting contract."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from ift_data.cli import main

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATES = PROJECT / "templates"
# Eight tiny sentiment rows as JSONL: the raw file most hostile-config cases build from.
ROWS = b"".join(json.dumps({"text": f"review {i}", "label": i % 2}).encode() + b"\n" for i in range(8))


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    def assert_user_error(self, *needles: str) -> str:
        """Exit 2, exactly one line on stderr starting with ``error:``, no traceback; returns the line."""
        assert self.exception is None or isinstance(self.exception, SystemExit), repr(self.exception)
        assert self.exit_code == 2, (self.exit_code, self.stderr, self.stdout)
        assert "Traceback" not in self.stderr + self.stdout
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, lines
        assert lines[0].startswith("error: "), lines[0]
        for needle in needles:
            assert needle in lines[0], (needle, lines[0])
        return lines[0]

    def assert_ok(self) -> None:
        assert self.exception is None or isinstance(self.exception, SystemExit), repr(self.exception)
        assert self.exit_code == 0, (self.exit_code, self.stderr[-3000:])


def run_cli(*args: str | Path) -> Outcome:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        import traceback

        stderr = result.stderr + "".join(traceback.format_exception(exc))
    else:
        stderr = result.stderr
    return Outcome(result.exit_code, result.stdout, stderr, exc if not isinstance(exc, SystemExit) else None)


def dump_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def sentiment_spec(fmt: str, filename: str, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": "ds", "family": "sentiment",
                            "source": {"format": fmt, "splits": {"train": filename}},
                            "fields": {"text": "text", "label": "label"},
                            "labels": {0: "negative", 1: "positive"}}
    for key, value in extra.items():
        if key == "source":
            spec["source"].update(value)
        else:
            spec[key] = value
    return spec


def recipe(task: Path, **sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "hardening", "seed": 3, "templates": str(TEMPLATES),
                            "datasets": [{"task": str(task)}],
                            "expansion": {"assignment": "round-robin", "options": "fixed"},
                            "output": {"formats": ["segments"]}}
    data.update(sections)
    return data


class BuildCase:
    """One raw file + task spec + recipe in a temp folder, built through the CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, raw: bytes, fmt: str = "jsonl", spec: dict[str, Any] | None = None,
              recipe_extra: dict[str, Any] | None = None) -> Path:
        filename = f"train.{fmt}"
        (self.root / "task").mkdir(parents=True, exist_ok=True)
        (self.root / "task" / filename).write_bytes(raw)
        task = dump_yaml(self.root / "task" / "task.yaml", spec or sentiment_spec(fmt, filename))
        return dump_yaml(self.root / "recipe.yaml", recipe(task, **(recipe_extra or {})))

    def build(self, *extra: str) -> Outcome:
        return run_cli("build", self.root / "recipe.yaml", "--out", self.root / "out", *extra)

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.root / "out" / "manifest.json").read_text(encoding="utf-8"))

    def rejects(self) -> list[dict[str, Any]]:
        text = (self.root / "out" / "rejects.jsonl").read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line]

    def assert_accounted(self, rows_in: int) -> dict[str, Any]:
        """Every input row is used, capped, not sampled or rejected (with a reject line), and the
        manifest counts ``rows_in`` rows: nothing silently dropped."""
        acc = self.manifest()["accounting"]
        assert acc["rows_in"] == rows_in, acc
        assert acc["rows_in"] == (acc["rows_used"] + acc["rows_hard_capped"] + acc["rows_not_sampled"]
                                  + acc["rows_rejected"]), acc
        read_rejects = [r for r in self.rejects() if r["stage"] not in ("cap", "mix")]
        assert len(read_rejects) == acc["rows_rejected"], (read_rejects, acc)
        for r in read_rejects:
            assert r["reason"] and r["file"] and r["line"] is not None, r
        return acc


# Four Alpaca rows for clean's contract tests: an exact duplicate pair, a refusal, a clean row.
CLEAN_ROWS = [
    {"instruction": "Name a primary color.", "input": "", "output": "Red is a primary color."},
    {"instruction": "Name a primary color.", "input": "", "output": "Red is a primary color."},
    {"instruction": "Explain gravity.", "input": "", "output": "As an AI language model, I cannot explain it."},
    {"instruction": "Is the sky blue on a clear day?", "input": "", "output": "Yes, it is."},
]
FAST = ("--no-embeddings",)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    """``rows`` as a JSONL file at ``path`` (its folder made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes): a folder's whole state, to compare."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
