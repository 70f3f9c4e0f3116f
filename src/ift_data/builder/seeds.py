"""Seeds derived from (global seed, dataset, row, purpose): the same inputs give the same choices
whatever the order, the engine or the number of workers."""

from __future__ import annotations

import hashlib
import random


def derive_seed(*parts: object) -> int:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def rng_for(*parts: object) -> random.Random:
    """A generator private to one decision."""
    return random.Random(derive_seed(*parts))
