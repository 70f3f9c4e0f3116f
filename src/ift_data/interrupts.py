"""Ctrl-C, SIGTERM and SIGHUP that a run cannot lose.

The command line installs ``raise_interrupted`` for the three signals: it notes the signal, then raises
``Interrupted`` (a ``KeyboardInterrupt``) in the main thread, so every ``finally`` runs (temp files
and work folders go, worker pools stop). An exception raised at an unlucky moment can still be lost: in
a library's import that catches every exception, in a ``__del__`` or a callback whose errors C code
discards. ``check()`` raises a noted signal again; progress updates and every atomic write call it, so
a lost interrupt costs a moment, never a run that goes on to finish as if nothing happened.

SIGINT is left alone when it is ignored on entry (``nohup``, a background job of a script): that is
the caller's choice, as in any Python program.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_received: list[int] = []
_written: list[str] = []  # outputs put in place for good (a stop signal after this undoes nothing)


class Interrupted(KeyboardInterrupt):
    """A stop signal raised in the main thread like Ctrl-C's ``KeyboardInterrupt``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def raise_interrupted(signum: int, _frame: Any) -> None:
    """Signal handler: note ``signum`` (for ``check``), then raise ``Interrupted``."""
    _received.append(signum)
    raise Interrupted(signum)


def install() -> None:
    """Route SIGTERM, SIGHUP and (unless ignored) SIGINT to ``raise_interrupted``; forget earlier ones."""
    _received.clear()
    _written.clear()
    for signum in STOP_SIGNALS:
        if signum == signal.SIGINT and signal.getsignal(signum) == signal.SIG_IGN:
            continue
        signal.signal(signum, raise_interrupted)


@contextmanager
def installed() -> Iterator[None]:
    """``install`` for the block; afterwards the earlier handlers are back and nothing noted is kept (a
    later run in the same process, a test's, starts clean)."""
    earlier = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    install()
    try:
        yield
    finally:
        _received.clear()
        _written.clear()
        for signum, handler in earlier.items():
            if handler is not None:
                signal.signal(signum, handler)


def check() -> None:
    """Raise ``Interrupted`` again if a stop signal came in (in the main thread; a no-op elsewhere)."""
    if _received and threading.current_thread() is threading.main_thread():
        raise Interrupted(_received[0])


def note_written(what: str) -> None:
    """Say that ``what`` (an output folder) is now in place, complete: a stop signal after this point ends
    the run but leaves it there, and the CLI says so instead of "no partial file"."""
    _written.append(what)


def written() -> list[str]:
    """What ``note_written`` recorded since ``install``."""
    return list(_written)


def received() -> int | None:
    """The first stop signal noted since ``install``, or None."""
    return _received[0] if _received else None


def forget_unhandled_mark() -> None:
    """Let a handled interrupt exit with its own status.

    CPython marks a ``KeyboardInterrupt`` that escaped code run by ``exec()`` of a string as unhandled
    (scipy and other libraries exec strings while they import) and, after a normal ``sys.exit``, kills
    the process with SIGINT instead: exit -2, not our 130. Each ``exec()`` of a string clears that mark.
    """
    exec("None")  # noqa: S102 - a constant; only its side effect on the interpreter's mark matters
