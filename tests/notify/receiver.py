"""A webhook receiver on 127.0.0.1 that fails on purpose: it answers the
first `failures` posts with `status`, then 200, and keeps every post."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, failures: int = 0, status: int = 500) -> None:
        self.failures = failures
        self.status = status
        self.posts: list[tuple[int, str, dict[str, Any]]] = []
        """Every post: the status answered, its X-Bluegreen-Delivery, its body."""
        self.lock = threading.Lock()
        self.url = ""

    def answer(self, key: str, body: dict[str, Any]) -> int:
        with self.lock:
            status = self.status if self.failures > 0 else 200
            self.failures -= 1
            self.posts.append((status, key, body))
            return status

    @property
    def accepted(self) -> list[dict[str, Any]]:
        with self.lock:
            return [body for status, _, body in self.posts if status == 200]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.accepted)} of {count} accepted: {self.posts}")
            time.sleep(0.02)
        return self.accepted


@contextmanager
def receiving(failures: int = 0, status: int = 500) -> Iterator[Receiver]:
    receiver = Receiver(failures, status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status = receiver.answer(self.headers.get("X-Bluegreen-Delivery", ""), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook/secret-path"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
