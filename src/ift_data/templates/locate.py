"""Where the bundled template packs and sample data live."""

from __future__ import annotations

from pathlib import Path

_PROJECT = Path(__file__).resolve().parents[3]


def bundled_dir(name: str) -> Path:
    """``templates``, ``data_samples`` or ``rules``: the project's folder (editable install or checkout),
    else the one in the current directory."""
    for candidate in (_PROJECT / name, Path.cwd() / name):
        if candidate.is_dir():
            return candidate
    return _PROJECT / name
