from __future__ import annotations

import json

import pytest

from ift_data.audit.base import AuditContext
from ift_data.audit.rules import load_rules
from ift_data.audit.use_case_model import WEIGHTS_PATH, LinearModel, load_model


@pytest.fixture
def ctx() -> AuditContext:
    return AuditContext(rules=load_rules("default").values, seed=0)


@pytest.fixture(scope="module")
def model_on(tmp_path_factory: pytest.TempPathFactory) -> LinearModel:
    """The shipped weights with use_model true (written to a file and loaded as a user would): the model path
    (test_use_case.py, test_use_case_model.py)."""
    data = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    data["use_model"] = True
    path = tmp_path_factory.mktemp("weights") / "weights.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    model = load_model(path)
    assert model.use_model and not load_model().use_model
    return model
