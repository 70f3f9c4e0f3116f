"""The bundled folders (``templates``, ``rules``, ``data_samples``), found through the package only.

They live at the repository's top level and are linked into ``ift_data/bundled/``; a wheel carries
copies of them. Nothing here looks in the working directory: a ``rules/`` folder there is used only
when the user names it.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

BUNDLED = ("templates", "rules", "data_samples")


def bundled(name: str) -> Path:
    """The installed package's copy of the bundled folder ``name`` (one of :data:`BUNDLED`)."""
    if name not in BUNDLED:
        raise ValueError(f"unknown bundled folder {name!r}; expected one of {', '.join(BUNDLED)}")
    resource = files("ift_data") / "bundled" / name
    if not isinstance(resource, Path):
        raise RuntimeError("ift-data's bundled files must be installed on disk, not imported from an archive")
    return resource
