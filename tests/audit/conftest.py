from __future__ import annotations

import pytest

from ift_data.audit.base import AuditContext
from ift_data.audit.rules import load_rules


@pytest.fixture
def ctx() -> AuditContext:
    return AuditContext(rules=load_rules("default").values, seed=0)
