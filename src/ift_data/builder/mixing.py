"""Mixing rates as pure functions (seqio's formulas) and exact integer allocation of a total."""

from __future__ import annotations

import math
from collections.abc import Mapping


def proportional_rates(sizes: Mapping[str, int], weight_cap: int | None = None) -> dict[str, float]:
    """Examples-proportional mixing: rate_m = min(n_m, K) / sum_j min(n_j, K)."""
    capped = {name: min(n, weight_cap) if weight_cap is not None else n for name, n in sizes.items()}
    return _normalize(capped)


def temperature_rates(sizes: Mapping[str, int], temperature: float,
                      weight_cap: int | None = None) -> dict[str, float]:
    """Temperature mixing: rate_m proportional to (proportional rate_m) ** (1 / T), renormalized."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    base = proportional_rates(sizes, weight_cap)
    return _normalize({name: rate ** (1.0 / temperature) if rate > 0 else 0.0 for name, rate in base.items()})


def equal_rates(sizes: Mapping[str, int]) -> dict[str, float]:
    """Every non-empty dataset gets the same share."""
    return _normalize({name: 1.0 if n > 0 else 0.0 for name, n in sizes.items()})


def fixed_rates(weights: Mapping[str, float], sizes: Mapping[str, int]) -> dict[str, float]:
    """Shares given by the user's weights (empty datasets get none)."""
    return _normalize({name: weights[name] if sizes[name] > 0 else 0.0 for name in sizes})


def rates_for(mode: str, sizes: Mapping[str, int], weights: Mapping[str, float], *,
              weight_cap: int | None, temperature: float) -> dict[str, float]:
    """Dispatch on the recipe's mixing mode."""
    if mode == "proportional":
        return proportional_rates(sizes, weight_cap)
    if mode == "temperature":
        return temperature_rates(sizes, temperature, weight_cap)
    if mode == "equal":
        return equal_rates(sizes)
    if mode == "fixed":
        return fixed_rates(weights, sizes)
    raise ValueError(f"unknown mixing mode {mode!r}")


def allocate(rates: Mapping[str, float], total: int) -> dict[str, int]:
    """Split ``total`` into integer counts proportional to ``rates`` (largest remainder; ties by name),
    so every realized share is within 1/total of the requested one."""
    if total < 0:
        raise ValueError("total must be non-negative")
    exact = {name: rate * total for name, rate in rates.items()}
    counts = {name: math.floor(value) for name, value in exact.items()}
    left = total - sum(counts.values())
    order = sorted(exact, key=lambda name: (-(exact[name] - counts[name]), name))
    for name in order[:left]:
        counts[name] += 1
    return counts


def _normalize(values: Mapping[str, float]) -> dict[str, float]:
    total = sum(values.values())
    if total <= 0:
        return {name: 0.0 for name in values}
    return {name: value / total for name, value in values.items()}
