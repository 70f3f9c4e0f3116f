"""Fail when a test file under tests/ is not collected by pytest (e.g. a folder pytest skips by default).

Run from the repository root: ``python .ci/check_collected.py``. Markers are ignored (``-o addopts=``),
so files whose tests are all slow or GPU-only still count as collected.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    files = {p.as_posix() for p in Path("tests").rglob("test_*.py")}
    listing = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts=",
                              "-p", "no:cacheprovider", "tests"], capture_output=True, text=True, check=False)
    if listing.returncode not in (0, 5):
        print(listing.stdout[-4000:], listing.stderr[-4000:], sep="\n")
        return 1
    collected = {line.split("::", 1)[0] for line in listing.stdout.splitlines() if "::" in line}
    missing = sorted(files - collected)
    if missing:
        print("test files pytest does not collect:", *missing, sep="\n  ")
        return 1
    print(f"all {len(files)} test files under tests/ are collected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
