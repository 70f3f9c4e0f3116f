"""Open a local HTML file in headless Chromium over the DevTools protocol (``--remote-debugging-pipe``,
stdlib only) and collect console messages, uncaught exceptions, log errors and network requests."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--mute-audio", "--remote-debugging-pipe")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageLoad:
    console: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    marker: str | None = None
    title: str | None = None

    @property
    def errors(self) -> list[str]:
        return ([f"console.{t}: {m}" for t, m in self.console if t in ("error", "assert", "warning")]
                + [f"exception: {e}" for e in self.exceptions] + [f"log: {e}" for e in self.log_errors])


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd, self.read_fd = write_fd, read_fd
        self.buffer = b""
        self.next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        return self.next_id

    def read(self, deadline: float) -> dict | None:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                return None
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)


def _record(load: PageLoad, message: dict) -> None:
    method, params = message.get("method"), message.get("params", {})
    if method == "Runtime.consoleAPICalled":
        text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
        load.console.append((params.get("type", ""), text))
    elif method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        load.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))
    elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
        load.log_errors.append(params["entry"].get("text", ""))
    elif method == "Network.requestWillBeSent":
        load.requests.append(params.get("request", {}).get("url", ""))


def open_page(path: Path, chromium: str, timeout: float = 60.0) -> PageLoad:
    """Load ``path``, wait for the load event plus a short settle, return what the page did."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    def _fds() -> None:  # runs in the child: DevTools pipe protocol reads fd 3, writes fd 4
        high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4 first
        high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.dup2(high_r, 3)  # dup2 clears close-on-exec on the new descriptor
        os.dup2(high_w, 4)

    load = PageLoad()
    with tempfile.TemporaryDirectory(prefix="ift-chromium-") as profile:
        proc = subprocess.Popen([chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=_fds, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        pipe = _Pipe(to_child_w, from_child_r)
        deadline = time.monotonic() + timeout
        try:
            load = _drive(pipe, path, deadline)
        finally:
            with contextlib.suppress(OSError):
                pipe.send("Browser.close")
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            os.close(to_child_w)
            os.close(from_child_r)
    return load


def _await(pipe: _Pipe, load: PageLoad, deadline: float, *, reply_to: int | None = None,
           event: str | None = None) -> dict:
    while True:
        message = pipe.read(deadline)
        if message is None:
            raise TimeoutError(f"chromium did not answer (waiting for {reply_to or event})")
        _record(load, message)
        if reply_to is not None and message.get("id") == reply_to:
            if "error" in message:
                raise RuntimeError(f"DevTools error: {message['error']}")
            return message.get("result", {})
        if event is not None and message.get("method") == event:
            return message.get("params", {})


def _drive(pipe: _Pipe, path: Path, deadline: float) -> PageLoad:
    load = PageLoad()
    target = _await(pipe, load, deadline, reply_to=pipe.send("Target.createTarget", {"url": "about:blank"}))
    attached = _await(pipe, load, deadline, reply_to=pipe.send(
        "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}))
    session = attached["sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        _await(pipe, load, deadline, reply_to=pipe.send(f"{domain}.enable", session=session))
    pipe.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
    _await(pipe, load, deadline, event="Page.loadEventFired")
    settle = min(deadline, time.monotonic() + 0.5)
    while True:  # drain late events for half a second
        message = pipe.read(settle)
        if message is None:
            break
        _record(load, message)
    expr = "[document.body.getAttribute('data-rendered'), document.title]"
    result = _await(pipe, load, deadline, reply_to=pipe.send(
        "Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=session))
    marker, title = result.get("result", {}).get("value", [None, None])
    load.marker, load.title = marker, title
    return load
