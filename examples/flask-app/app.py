"""The example app bluegreen deploys: `/` shows which version answered,
`/health` is what the load balancer's health check asks."""

from __future__ import annotations

import os
import socket

from flask import Flask, jsonify

app = Flask(__name__)
VERSION = os.environ.get("APP_VERSION", "dev")


@app.get("/")
def index() -> str:
    return f"hello from version {VERSION} on {socket.gethostname()}\n"


@app.get("/health")
def health() -> tuple[object, int]:
    return jsonify(status="ok", version=VERSION), 200


if __name__ == "__main__":
    # Development only; the Dockerfile and bluegreen.toml run gunicorn.
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
