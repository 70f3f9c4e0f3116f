"""Fixtures of the hardening suite; helpers live in ``hardening_helpers``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hardening_helpers import BuildCase


@pytest.fixture
def case(tmp_path: Path) -> BuildCase:
    return BuildCase(tmp_path)
