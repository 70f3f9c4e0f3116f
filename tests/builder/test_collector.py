"""The build's garbage-collector settings are raised for the build only and restored after it."""

from __future__ import annotations

import gc

import pytest

from ift_data.builder.collector import YOUNG, fewer_collections


def test_thresholds_raised_inside_and_restored_after():
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] >= YOUNG
        assert gc.get_freeze_count() > 0  # what was alive at the start is no longer scanned
        assert gc.isenabled()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_restored_when_the_build_fails():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("build failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_cycles_are_still_collected():
    class Node:
        pass

    with fewer_collections():
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        del a, b
        assert gc.collect() >= 2
