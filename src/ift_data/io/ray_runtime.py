"""What every ``--engine ray`` shares (the audit's and the build's): importing Ray with usage stats off,
refusing an unreachable ``--ray-address`` at once, starting a local Ray (or joining a cluster) and stopping
what we started."""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import math
import os
import pickle
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from ift_data.errors import UserError
from ift_data.io.workers import portable

if TYPE_CHECKING:
    import pyarrow as pa


def import_ray() -> Any:
    """``ray`` with usage stats off, or a ``UserError`` saying how to install it."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # nothing leaves the machine
    try:
        import ray
        import ray.data  # noqa: F401  (the [data] extra)
    except ImportError as exc:
        raise UserError("--engine ray needs Ray Data: pip install 'ift-data[ray]' "
                        f"(import failed: {exc})", field="--engine") from exc
    return ray


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """A ``host:port`` or ``ray://host:port`` address that takes no TCP connection is a ``UserError`` now
    (Ray itself waits minutes for an unreachable cluster); ``auto`` and other forms are left to Ray."""
    match = re.fullmatch(r"(?:ray://)?(\[[^\]]+\]|[^:/\s]+):(\d+)", address.strip())
    if not match:
        return
    host, port = match.group(1).strip("[]"), int(match.group(2))
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise UserError(f"no Ray cluster answers at {address} ({exc.strerror or exc})", field="--ray-address") from exc


def start_ray(ray: Any, address: str | None) -> bool:
    """Join the cluster at ``address``, or start a local Ray (one CPU per core this process may use, no
    dashboard, quiet logs); nothing when Ray is already initialized in this process. True when this call
    started it (the caller then calls ``ray.shutdown()`` at the end, on errors and Ctrl-C too). The SIGTERM
    handler in place before (the CLI's: stop, clean up, exit 143) is put back after ``ray.init``."""
    if ray.is_initialized():
        return False
    settings: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
    main = threading.current_thread() is threading.main_thread()
    sigterm = signal.getsignal(signal.SIGTERM) if main else None
    try:
        if address:
            check_reachable(address)
            ray.init(address=address, **settings)
        else:
            ray.init(address="local", num_cpus=len(os.sched_getaffinity(0)), **settings)
    except BaseException as exc:
        ray.shutdown()  # a half-started local Ray (Ctrl-C while it starts) goes too
        if isinstance(exc, ConnectionError | RuntimeError | ValueError):
            raise UserError(f"cannot start or reach Ray: {exc}".splitlines()[0], field="--ray-address",
                            file=address or None) from exc
        raise
    finally:
        if sigterm is not None:  # ray.init makes SIGTERM a bare sys.exit: ours stops the run and cleans up
            signal.signal(signal.SIGTERM, sigterm)
    return True


def exit_after_python_cleanup(code: int) -> None:
    """End the process with ``code`` after Python's exit handlers (temporary files removed, Ray's own
    ``shutdown`` hook), skipping the C exit handlers: Ray's ``CoreWorkerProcess::HandleAtExit`` races its
    metrics thread and crashes the process (exit 139 instead of 130) when a build was stopped while Ray Data
    started."""
    import sys

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


IDLE_SECONDS = 120.0  # a Ray worker forgets the fetched object when no task has asked for it this long
SWEEP_SECONDS = 10.0  # how often a worker looks
_FETCHED: dict[str, Any] = {}  # in a Ray worker process: the object last fetched by ``fetched``, by its ref
_LAST_USE = [0.0]
_LOCK = threading.Lock()
_SWEEPER: list[threading.Thread] = []


def fetched(work: list[Any]) -> Any:
    """In a Ray task: the object of ``work``'s one ``ObjectRef`` (passed nested in a list, so Ray hands the
    reference on unresolved), fetched once per worker process and kept for its next tasks; fetching another
    object forgets the last one. A worker outlives the build (a cluster's workers stay up): once no task
    has asked for the object for ``IDLE_SECONDS`` it is forgotten, with the memory and the file descriptors
    (rows, kept renders) it holds."""
    import ray

    (ref,) = work
    key = ref.hex()
    with _LOCK:
        _LAST_USE[0] = time.monotonic()
        if key in _FETCHED:
            return _FETCHED[key]
    value = ray.get(ref)
    with _LOCK:
        _FETCHED.clear()
        _FETCHED[key] = value
        _LAST_USE[0] = time.monotonic()
        if not _SWEEPER:
            _SWEEPER.append(threading.Thread(target=_sweep, name="ift-data-forget", daemon=True))
            _SWEEPER[0].start()
    return value


def _sweep() -> None:
    while True:
        time.sleep(SWEEP_SECONDS)
        forget_idle()


def forget_idle(now: float | None = None) -> bool:
    """Forget the fetched object when it has been idle ``IDLE_SECONDS``; whether it was forgotten."""
    with _LOCK:
        if not _FETCHED or (now or time.monotonic()) - _LAST_USE[0] < IDLE_SECONDS:
            return False
        _FETCHED.clear()
    gc.collect()  # the object's finalizers close its files now (cycles would keep them until a later collection)
    return True


@contextlib.contextmanager
def data_settings(ray: Any, settings: dict[str, Any]) -> Iterator[None]:
    """Ray Data's ``DataContext`` with ``settings`` and blocks kept in order (``preserve_order``), Ray Data's
    log quiet; the caller's own settings are put back afterwards."""
    context = ray.data.DataContext.get_current()
    saved = {name: getattr(context, name) for name in settings}
    saved_order = context.execution_options.preserve_order
    for name, value in settings.items():
        setattr(context, name, value)
    context.execution_options.preserve_order = True
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(context, name, value)
        context.execution_options.preserve_order = saved_order


def cluster_cpus(ray: Any) -> int:
    """The CPUs of the Ray cluster (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def replies(batch: pa.Table, make: Callable[[dict[str, Any]], Any]) -> pa.Table:
    """``make`` run on each row of ``batch``, each result pickled as a reply. An error is returned in its
    reply, not raised, so the driver raises it as it was raised here (a ``UserError`` keeps its file, line
    and field) rather than Ray's wrapper."""
    import pyarrow as pa

    results = []
    for row in batch.to_pylist():
        try:
            reply: tuple[str, Any] = ("ok", make(row))
        except Exception as exc:
            reply = ("error", portable(exc))
        results.append(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    return pa.table({"result": pa.array(results, type=pa.large_binary())})


def ordered_stage(function: Callable[..., pa.Table], work: Any, items: list[dict[str, Any]],
                  per_task: Callable[[int], int], address: str | None) -> Generator[Any, None, None]:
    """``function`` run by a Ray Data ``map_batches`` stage over ``items`` (``per_task(cpus)`` of them a task,
    ``work`` put in the object store once), its replies yielded in order; an error reply is raised here."""
    ray = import_ray()
    owns = start_ray(ray, address)  # the build started it already (``parallel.engine_session``): False
    made: Any = None
    try:
        with data_settings(ray, {"enable_progress_bars": False, "enable_auto_log_stats": False}):
            cpus = cluster_cpus(ray)
            size = per_task(cpus)
            ref = ray.put(work)
            tasks = ray.data.from_items(items, override_num_blocks=math.ceil(len(items) / size))
            made = tasks.map_batches(function, fn_kwargs={"work": [ref]}, batch_size=size, batch_format="pyarrow",
                                     num_cpus=1)
            for row in made.iter_rows():
                status, value = pickle.loads(row["result"])  # our tasks' own replies, not user data
                if status == "error":
                    raise value
                yield value
    finally:
        stop_dataset(made)
        if owns:
            ray.shutdown()


def stop_dataset(dataset: Any) -> None:
    """Stop the streaming executor of ``dataset`` now (an error or Ctrl-C mid-stream), not whenever the
    dataset is collected: its tasks stop and its threads end before Ray is shut down."""
    executor = getattr(dataset, "_current_executor", None)
    if executor is not None:
        with contextlib.suppress(Exception):
            executor.shutdown(force=True)
