"""A tiny web app for the local platform's tests, steered by its environment.

PORT: where to listen. APP_VERSION: what `/` answers. APP_MODE: `ok`,
`crash` (exit at once), `errors` (every request but /health answers 500),
`health-404` (/health answers 404), `health-slow` (/health answers after
5 s), `no-listen` (runs, but never listens).
APP_UNHEALTHY_FILE: while that file exists, /health answers 503, so a test
can turn a running task unhealthy at a moment of its choosing. Every answer
carries `X-App: local_app`, which tells the app's own 5xx from the load
balancer's.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HEALTH_MODES = ("health-404", "health-slow")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        mode = os.environ.get("APP_MODE")
        if self.path.startswith("/health") and mode in HEALTH_MODES:
            time.sleep(5 if mode == "health-slow" else 0)
            self.answer(404 if mode == "health-404" else 200, "ok")
        elif self.path.startswith("/health"):
            unhealthy = os.environ.get("APP_UNHEALTHY_FILE")
            self.answer(503 if unhealthy and Path(unhealthy).exists() else 200, "ok")
        elif os.environ.get("APP_MODE") == "errors":
            self.answer(500, "broken")
        else:
            self.answer(200, os.environ.get("APP_VERSION", "v0"))

    def answer(self, status: int, text: str) -> None:
        body = f"{text}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-App", "local_app")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


def main() -> None:
    if os.environ.get("APP_MODE") == "crash":
        print("crashing on purpose", flush=True)
        sys.exit(3)
    if os.environ.get("APP_MODE") == "no-listen":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            time.sleep(60)
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving {os.environ.get('APP_VERSION', 'v0')} on {os.environ['PORT']}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
