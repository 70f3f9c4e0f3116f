"""The command line the atheris fuzz targets share: ``--seconds N`` bounds the run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def fuzz(one_input: Callable[[bytes], None], description: str) -> None:
    import atheris

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz")
    args, rest = parser.parse_known_args()
    atheris.Setup([sys.argv[0], f"-max_total_time={args.seconds}", "-rss_limit_mb=4096", *rest], one_input)
    atheris.Fuzz()
