"""The mixing plan: flatten nested collections into one rate and one example count per dataset."""

from __future__ import annotations

from collections.abc import Mapping

from ift_data.builder.mixing import allocate, rates_for
from ift_data.builder.recipe import Collection, DatasetEntry


def _size(member: DatasetEntry | Collection, sizes: Mapping[str, int]) -> int:
    if isinstance(member, DatasetEntry):
        return sizes.get(member.name, 0)
    return sum(_size(m, sizes) for m in member.members)


def leaf_rates(collection: Collection, sizes: Mapping[str, int]) -> dict[str, float]:
    """Each dataset's share of the whole mixture (product of its shares down the collection tree)."""
    member_sizes = {m.name: _size(m, sizes) for m in collection.members}
    member_weights = {m.name: m.weight for m in collection.members}
    rates = rates_for(collection.mixing.mode, member_sizes, member_weights,
                      weight_cap=collection.mixing.weight_cap, temperature=collection.mixing.temperature)
    out: dict[str, float] = {}
    for member in collection.members:
        if isinstance(member, DatasetEntry):
            out[member.name] = rates[member.name]
        else:
            for name, rate in leaf_rates(member, sizes).items():
                out[name] = rates[member.name] * rate
    return out


def default_total(collection: Collection, sizes: Mapping[str, int]) -> int:
    """Without a total target: every dataset's pool once, each limited by the weight cap K when set."""
    cap = collection.mixing.weight_cap
    return sum(min(_size(m, sizes), cap) if cap is not None else _size(m, sizes) for m in collection.members)


def plan_counts(collection: Collection, sizes: Mapping[str, int]) -> tuple[dict[str, float], dict[str, int], int]:
    """(requested rates, example counts, total) for the datasets present in ``sizes``."""
    rates = leaf_rates(collection, sizes)
    total = collection.mixing.total if collection.mixing.total is not None else default_total(collection, sizes)
    return rates, allocate(rates, total), total
