"""Progress for long steps, readable in a terminal and in a log.

In a terminal: a rich bar with ``done/total``, the elapsed time and an ETA that is shown only once it
has settled (>= 10 % of the step done or >= 15 s into it) and then smoothed, so the first figure is
not a wild guess. Anywhere else (a pipe, a file, CI): plain lines with the counts at a steady interval,
e.g. ``embedding 1,200/5,655 (21%) · 0:42 elapsed · about 2:36 left``, and one closing line for a step
that printed any. Set ``IFT_DATA_PROGRESS_SECONDS`` to change the interval (default 10 s).

A step started while another is running (the embedding inside the audit) shares its console; in a log
only the innermost running step prints.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.errors import LiveError
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from ift_data import interrupts

INTERVAL_ENV = "IFT_DATA_PROGRESS_SECONDS"
DEFAULT_INTERVAL = 10.0
SETTLE_FRACTION = 0.10
SETTLE_SECONDS = 15.0
WINDOW_SECONDS = 30.0  # the rate is taken over the last this many seconds (the speed drifts in a step)
SMOOTHING_SECONDS = 8.0  # time constant of the ETA's exponential smoothing

Clock = Callable[[], float]


def clock_text(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour)."""
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class EtaEstimator:
    """Seconds left in a step: ``None`` until settled (>= ``settle_fraction`` of the work done or
    ``settle_seconds`` into the step, and two advances seen), then the rate over the last ``window``
    seconds (measured from the first advance, so loading a model does not count), smoothed over time:
    it neither jumps with one slow batch nor depends on how often it is asked."""

    def __init__(self, *, settle_fraction: float = SETTLE_FRACTION, settle_seconds: float = SETTLE_SECONDS,
                 window: float = WINDOW_SECONDS, smoothing: float = SMOOTHING_SECONDS) -> None:
        self.settle_fraction = settle_fraction
        self.settle_seconds = settle_seconds
        self.window = window
        self.smoothing = smoothing
        self._samples: deque[tuple[float, float]] = deque()  # (time, done) at each advance
        self._start: float | None = None
        self._eta: float | None = None
        self._eta_at = 0.0
        self._lock = threading.Lock()

    def update(self, done: float, total: float | None, now: float) -> float | None:
        """Record ``done`` of ``total`` (any unit of work) at time ``now``; the ETA in seconds, or None."""
        with self._lock:
            if self._start is None:
                self._start = now
            if done > (self._samples[-1][1] if self._samples else 0):
                self._samples.append((now, done))
            while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
                self._samples.popleft()
            if not total:
                return None
            if done >= total:
                return 0.0
            settled = done / total >= self.settle_fraction or now - self._start >= self.settle_seconds
            first_t, first_done = self._samples[0] if self._samples else (now, 0.0)
            if not settled or len(self._samples) < 2 or now <= first_t:
                return None
            rate = (done - first_done) / (now - first_t)
            if rate <= 0:
                return None
            raw = (total - done) / rate
            if self._eta is None:
                self._eta = raw
            else:
                dt = max(now - self._eta_at, 0.0)
                counted_down = max(self._eta - dt, 0.0)
                weight = 1.0 - math.exp(-dt / self.smoothing) if self.smoothing > 0 else 1.0
                self._eta = counted_down + weight * (raw - counted_down)
            self._eta_at = now
            return self._eta


class SettledEtaColumn(ProgressColumn):
    """``about m:ss left`` once the step's ETA has settled; blank before, and for a step whose units
    differ too much in cost to predict (its ``eta`` field is False)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self._estimators: dict[int, EtaEstimator] = {}

    def render(self, task: Task) -> Text:
        if not task.fields.get("eta", True) or task.finished:
            return Text("")
        estimator = self._estimators.setdefault(int(task.id), EtaEstimator())
        eta = estimator.update(task.fields.get("work_done", task.completed),
                               task.fields.get("work_total", task.total), self.clock())
        return Text("" if eta is None else f"about {clock_text(eta)} left", style="progress.remaining")


class Step:
    """One running step of ``total`` units. ``advance(n)`` (or calling the step) after work is done;
    ``describe(text)`` names what runs now. When units differ in cost (long texts first), ``plan(items,
    work)`` says what the next ``items`` units cost in all and ``advance(n, work=...)`` what was done,
    so the ETA follows the work, not the count."""

    def __init__(self, label: str, total: int, *, eta: bool = True, clock: Clock = time.monotonic) -> None:
        self.label = label
        self.total = total
        self.completed = 0
        self.description = ""
        self.show_eta = eta
        self.clock = clock
        self.started = clock()
        self.eta = EtaEstimator()
        self.eta.update(0, total, self.started)
        self._planned_items = 0
        self._planned_work = 0.0
        self._work_done = 0.0

    def __call__(self, n: int) -> None:
        self.advance(n)

    def advance(self, n: int = 1, work: float | None = None) -> None:
        interrupts.check()  # a stop signal that a library swallowed ends the run here
        self.completed += n
        self._work_done += work if work is not None else n * self._unit_work()
        if self.show_eta:
            self.eta.update(*self.work(), self.clock())  # a sample at each advance, not only when shown

    def plan(self, items: int, work: float) -> None:
        self._planned_items += items
        self._planned_work += work

    def describe(self, text: str) -> None:
        self.description = text

    def _unit_work(self) -> float:
        return self._planned_work / self._planned_items if self._planned_items else 1.0

    def work(self) -> tuple[float, float]:
        """(work done, total work expected); units not yet planned cost the planned average."""
        if not self._planned_items:
            return float(self.completed), float(self.total)
        unplanned = max(self.total - self._planned_items, 0)
        return self._work_done, self._planned_work + unplanned * self._unit_work()

    def line(self, now: float | None = None, *, done: bool = False) -> str:
        """The plain progress line, e.g. ``embedding 1,200/5,655 (21%) · 0:42 elapsed · about 2:36 left``."""
        now = self.clock() if now is None else now
        share = self.completed / self.total if self.total else 1.0
        parts = [f"{self.label} {self.completed:,}/{self.total:,} ({share:.0%})"
                 + (f" {self.description}" if self.description and not done else "")]
        elapsed = clock_text(now - self.started)
        if done:
            parts.append(f"done in {elapsed}")
            return " · ".join(parts)
        parts.append(f"{elapsed} elapsed")
        eta = self.eta.update(*self.work(), now) if self.show_eta else None
        if eta is not None:
            parts.append(f"about {clock_text(eta)} left")
        return " · ".join(parts)


class _RichStep(Step):
    def __init__(self, label: str, total: int, progress: Progress, *, eta: bool = True) -> None:
        super().__init__(label, total, eta=eta)
        self._progress = progress
        self._task = progress.add_task("", total=total, eta=eta)

    def advance(self, n: int = 1, work: float | None = None) -> None:
        super().advance(n, work)
        done, total = self.work()
        self._progress.update(self._task, advance=n, work_done=done, work_total=total)

    def describe(self, text: str) -> None:
        super().describe(text)
        self._progress.update(self._task, description=f" {escape(text)}" if text else "")


_ACTIVE: list[tuple[Step, Console]] = []  # running steps, outermost first
_ACTIVE_LOCK = threading.Lock()


def _interval() -> float:
    try:
        value = float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL))
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value > 0 else DEFAULT_INTERVAL


def _shared_console(console: Console | None) -> Console:
    with _ACTIVE_LOCK:
        if _ACTIVE:
            return _ACTIVE[0][1]
    return console or Console(stderr=True, emoji=False)


@contextmanager
def _registered(step: Step, console: Console) -> Iterator[None]:
    with _ACTIVE_LOCK:
        _ACTIVE.append((step, console))
    try:
        yield
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.remove((step, console))


def _innermost(step: Step) -> bool:
    with _ACTIVE_LOCK:
        return bool(_ACTIVE) and _ACTIVE[-1][0] is step


@contextmanager
def step_progress(console: Console | None, label: str, total: int, *, enabled: bool = True, eta: bool = True,
                  interval: float | None = None) -> Iterator[Step]:
    """Show a step of ``total`` units named ``label`` on ``console`` (default: stderr, or the console of
    the step already running): a rich bar in a terminal, plain lines every ``interval`` seconds
    elsewhere. ``eta=False``: no ETA (units of very different cost). ``enabled=False`` shows nothing."""
    if not enabled:
        yield Step(label, total, eta=eta)
        return
    console = _shared_console(console)
    if console.is_terminal and not console.is_dumb_terminal:
        with _live(console, label, total, eta) as step:
            yield step
        return
    with _plain(console, label, total, eta, interval or _interval()) as step:
        yield step


@contextmanager
def _live(console: Console, label: str, total: int, eta: bool) -> Iterator[Step]:
    columns: list[Any] = [TextColumn(f"[bold]{escape(label)}[/]{{task.description}}"), BarColumn(),
                          TextColumn("{task.completed:,.0f}/{task.total:,.0f}"), TimeElapsedColumn(),
                          SettledEtaColumn()]
    progress = Progress(*columns, console=console, transient=True)
    try:
        progress.start()
    except LiveError:  # rich < 14 cannot nest live displays: the inner step runs without one
        with _registered(quiet := Step(label, total, eta=eta), console):
            yield quiet
        return
    step = _RichStep(label, total, progress, eta=eta)
    try:
        with _registered(step, console):
            yield step
    finally:
        progress.stop()


@contextmanager
def _plain(console: Console, label: str, total: int, eta: bool, interval: float) -> Iterator[Step]:
    step = Step(label, total, eta=eta)
    stop = threading.Event()
    printed = threading.Event()

    def tick() -> None:
        while not stop.wait(interval):
            if _innermost(step):
                console.print(step.line(), markup=False, highlight=False, soft_wrap=True)
                printed.set()

    ticker = threading.Thread(target=tick, name=f"progress-{label}", daemon=True)
    with _registered(step, console):
        ticker.start()
        try:
            yield step
        finally:
            stop.set()
            ticker.join()
    if printed.is_set():
        console.print(step.line(done=True), markup=False, highlight=False, soft_wrap=True)
