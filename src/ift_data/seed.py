"""The one seed range of every command and recipe: numpy's generators take 0 <= seed < 2**32."""

from __future__ import annotations

from ift_data.errors import UserError

MAX_SEED = 2**32 - 1


def check_seed(seed: int, *, file: str | None = None, field: str = "--seed") -> int:
    """``seed`` when it is in 0..MAX_SEED, else a one-line ``UserError``."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UserError(f"seed must be a whole number from 0 to {MAX_SEED:,} (2**32 - 1), not {seed!r}",
                        file=file, field=field)
    return seed
