"""``ray_runtime.fetched``: a Ray worker fetches the selection once for its tasks and forgets it once no task
has asked for it for ``IDLE_SECONDS`` (a cluster's workers outlive the build: the memory and the open files
it holds go with it)."""

from __future__ import annotations

import weakref

import pytest

from ift_data.io import ray_runtime

ray = pytest.importorskip("ray")


class _Ref:
    def __init__(self, name: str) -> None:
        self.name = name

    def hex(self) -> str:
        return self.name


class _Selection:
    pass


def test_fetched_once_then_forgotten_when_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    gets: list[str] = []
    made: list[_Selection] = []

    def get(ref: _Ref) -> _Selection:
        gets.append(ref.name)
        made.append(_Selection())
        return made[-1]

    monkeypatch.setattr(ray, "get", get)
    monkeypatch.setattr(ray_runtime, "_FETCHED", {})
    monkeypatch.setattr(ray_runtime, "_SWEEPER", [object()])  # no background thread in the test
    first = ray_runtime.fetched([_Ref("a")])
    assert ray_runtime.fetched([_Ref("a")]) is first and gets == ["a"]  # once per worker process
    alive = weakref.ref(first)
    del first
    made.clear()
    used = ray_runtime._LAST_USE[0]
    assert not ray_runtime.forget_idle(used + ray_runtime.IDLE_SECONDS - 1)  # still in use
    assert ray_runtime.forget_idle(used + ray_runtime.IDLE_SECONDS + 1)
    assert alive() is None and ray_runtime._FETCHED == {}  # gone, not merely unlisted
    ray_runtime.fetched([_Ref("a")])
    assert gets == ["a", "a"]  # fetched again after being forgotten
    ray_runtime.fetched([_Ref("b")])
    assert list(ray_runtime._FETCHED) == ["b"]  # another object replaces it
