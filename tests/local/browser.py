"""Headless Chromium driven over the DevTools protocol, for tests that click.

`--dump-dom` shows a page but cannot press its buttons; this starts
Chromium with a debugging port on 127.0.0.1, attaches to the page and
evaluates expressions in it (a click is `element.click()`, as a person's
click runs the same handler). Only 127.0.0.1 is ever opened.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

FLAGS = (
    *("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"),
    *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "--window-size=1100,1600",
)


class Tab:
    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    def evaluate(self, expression: str) -> Any:
        """The expression's value in the page (awaited if it is a promise)."""
        ident = next(self._ids)
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        self._socket.send(json.dumps({"id": ident, "method": "Runtime.evaluate", "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=30))
            if message.get("id") == ident:
                result = message["result"]
                if "exceptionDetails" in result:
                    raise AssertionError(f"{expression}: {result['exceptionDetails']}")
                return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Poll until the expression is truthy in the page; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"never true in the page: {expression}")

    def screenshot(self, path: Path) -> None:
        """A PNG of the page as it is now."""
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": "Page.captureScreenshot"}))
        while True:
            message = json.loads(self._socket.recv(timeout=30))
            if message.get("id") == ident:
                path.write_bytes(base64.b64decode(message["result"]["data"]))
                return

    def text(self, ident: str) -> str:
        return str(self.evaluate(f"document.getElementById({json.dumps(ident)}).textContent"))

    def click(self, ident: str) -> None:
        self.evaluate(f"document.getElementById({json.dumps(ident)}).click()")


@contextlib.contextmanager
def open_tab(chromium: str, url: str, profile: Path) -> Iterator[Tab]:
    command = [chromium, *FLAGS, f"--user-data-dir={profile}", url]
    browser = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield Tab(_attach(browser))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(browser.pid, signal.SIGKILL)
        browser.wait()


def _attach(browser: subprocess.Popen[str]) -> ClientConnection:
    assert browser.stderr is not None
    for line in browser.stderr:
        found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        if found:
            break
    else:
        raise AssertionError(f"chromium exited {browser.wait()} before listening")
    # Keep reading what it writes, so a full pipe never stalls it.
    threading.Thread(target=browser.stderr.read, daemon=True).start()
    port = found.group(1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pages = [
            t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page"
        ]
        if pages:
            return connect(pages[0]["webSocketDebuggerUrl"], max_size=None)
        time.sleep(0.1)
    raise AssertionError("chromium opened no page")
