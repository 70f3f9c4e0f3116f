"""The LSH band/row split equals datasketch's ``MinHashLSH`` choice, without importing scipy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ift_data.audit.minhash import lsh_params

THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]
WEIGHTS = [(0.5, 0.5), (0.3, 0.7), (0.7, 0.3), (0.1, 0.9)]


@pytest.mark.parametrize("num_perm", [16, 64, 100, 128, 256])
def test_same_split_as_datasketch(num_perm: int) -> None:
    datasketch_lsh = pytest.importorskip("datasketch.lsh")
    lsh_params.cache_clear()
    for threshold in THRESHOLDS:
        for fp_weight, fn_weight in WEIGHTS:
            expected = tuple(int(x) for x in datasketch_lsh._optimal_param(threshold, num_perm, fp_weight, fn_weight))
            assert lsh_params(threshold, num_perm, fp_weight, fn_weight) == expected, (threshold, fp_weight)


def test_no_scipy_import() -> None:
    code = ("import sys; from ift_data.audit.minhash import lsh_params; lsh_params(0.8, 128, 0.1, 0.9); "
            "print('scipy' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
