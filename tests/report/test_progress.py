"""Progress: plain count lines at a steady interval when not a terminal, a settled and smoothed ETA."""

from __future__ import annotations

import io
import threading
import time

import pytest
from rich.console import Console

from ift_data.report.progress import EtaEstimator, Step, clock_text, step_progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_eta_waits_until_ten_percent_or_fifteen_seconds() -> None:
    eta = EtaEstimator()
    assert eta.update(0, 1000, 0.0) is None
    assert eta.update(20, 1000, 2.0) is None
    assert eta.update(50, 1000, 5.0) is None  # 5 %, 5 s: not settled
    assert eta.update(100, 1000, 10.0) == pytest.approx(90.0)  # 10 %: settled, the rate holds
    slow = EtaEstimator()
    slow.update(0, 1000, 0.0)
    slow.update(10, 1000, 5.0)
    assert slow.update(20, 1000, 14.9) is None
    assert slow.update(30, 1000, 15.0) is not None  # 15 s in at 3 %


def test_eta_of_a_steady_rate_counts_down_and_stays_exact() -> None:
    eta = EtaEstimator()
    eta.update(0, 1000, 0.0)
    for n in range(10, 100, 10):  # 10 units a second
        eta.update(n, 1000, n / 10)
    values = [eta.update(n, 1000, n / 10) for n in range(100, 1000, 100)]
    assert values == pytest.approx([(1000 - n) / 10 for n in range(100, 1000, 100)])


def test_eta_is_smoothed_when_the_rate_jumps() -> None:
    eta = EtaEstimator(window=5.0, smoothing=8.0)
    eta.update(0, 10_000, 0.0)
    for n in range(1, 21):  # 100 units a second for 20 s
        before = eta.update(100 * n, 10_000, float(n))
    assert before == pytest.approx(80.0)
    after = eta.update(2000 + 1000, 10_000, 21.0)  # one second ten times as fast
    assert after is not None and after > 40.0  # moved toward the new estimate, not jumped to it
    assert after < before - 1.0


def test_eta_ignores_the_time_before_the_first_advance() -> None:
    eta = EtaEstimator()
    eta.update(0, 1000, 0.0)  # the step starts; 30 s of model loading
    eta.update(100, 1000, 30.0)
    assert eta.update(200, 1000, 31.0) == pytest.approx(8.0)  # 100 a second since the first advance


def test_planned_work_drives_the_eta() -> None:
    clock = FakeClock()
    step = Step("embedding", 200, clock=clock)
    step.plan(200, 100 * 30 + 100 * 10)  # long texts first: the first 100 cost 3x the last 100
    for _ in range(10):
        clock.now += 3.0
        step.advance(10, work=300)
    done, total = step.work()
    assert (step.completed, done, total) == (100, 3000, 4000)
    line = step.line()
    assert line.startswith("embedding 100/200 (50%) · 0:30 elapsed · about ")
    assert "about 0:10 left" in line  # 1,000 of work left at 100 a second (30 s by the count)


def test_line_format() -> None:
    clock = FakeClock()
    step = Step("embedding", 5655, clock=clock)
    step.advance(1200)
    clock.now += 42
    assert step.line().startswith("embedding 1,200/5,655 (21%) · 0:42 elapsed")
    assert step.line(done=True) == "embedding 1,200/5,655 (21%) · done in 0:42"
    assert clock_text(3725) == "1:02:05"


def _pipe() -> Console:
    return Console(file=io.StringIO(), force_terminal=False, width=100)


def test_plain_lines_at_a_steady_interval_when_not_a_terminal() -> None:
    console = _pipe()
    with step_progress(console, "embedding", 100, interval=0.02) as step:
        for _ in range(10):
            step.advance(10)
            time.sleep(0.02)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert len(lines) >= 3
    assert all(line.startswith("embedding ") and "/100 (" in line for line in lines)
    assert "\x1b" not in console.file.getvalue()  # type: ignore[attr-defined]
    assert lines[-1].startswith("embedding 100/100 (100%) · done in ")


def test_a_short_step_prints_nothing_and_disabled_prints_nothing() -> None:
    console = _pipe()
    with step_progress(console, "rendering", 5, interval=60) as step:
        step.advance(5)
    with step_progress(console, "audit", 5, enabled=False, interval=0.001) as step:
        time.sleep(0.02)
        step.advance(5)
    assert console.file.getvalue() == ""  # type: ignore[attr-defined]


def test_only_the_innermost_step_prints_and_shares_the_console() -> None:
    console = _pipe()
    with step_progress(console, "audit", 3, interval=0.02, eta=False) as outer:
        outer.describe("dedup_semantic")
        with step_progress(None, "embedding", 50, interval=0.02) as inner:  # no console: the outer one's
            for _ in range(5):
                inner.advance(10)
                time.sleep(0.02)
        inner_lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
        time.sleep(0.2)
        outer.advance(3)
    assert inner_lines and all(line.startswith("embedding ") for line in inner_lines)
    later = console.file.getvalue().splitlines()[len(inner_lines):]  # type: ignore[attr-defined]
    assert any(line.startswith("audit ") and "dedup_semantic" in line for line in later)
    assert all("left" not in line for line in later if line.startswith("audit "))  # eta=False


def test_terminal_mode_runs_a_bar_and_nests() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with step_progress(console, "audit", 2) as outer:
        with step_progress(None, "embedding", 10) as inner:
            inner.advance(10)
        outer.advance(2)
    assert threading.active_count() >= 1
    assert "embedding" in console.file.getvalue() or "audit" in console.file.getvalue()  # type: ignore[attr-defined]
