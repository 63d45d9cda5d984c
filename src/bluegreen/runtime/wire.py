"""The runtime API's framing and the values that cross it.

One JSON document per line over a Unix socket, in the spirit of HAProxy's
runtime socket: a request is `{"id", "op", "args"}`, its answer
`{"id", "result"}` or `{"id", "error", "kind"}`, and an event (sent to a
connection that asked to `watch`) carries no id. Answers may come in any
order: a `terminate` drains for seconds while `set_weights` must not wait
behind it.

The socket is `.bluegreen/runtime.sock`, made 0600 in the 0700 state
directory: whoever may open it owns the project's traffic, so the file's
mode is the runtime's only credential. A project directory can be deeper
than the 108 bytes a socket address holds, so the socket is reached
through `/proc/self/fd/N/`, a short name for its directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..lb.metrics import MetricsSnapshot
from ..lb.target_health import Reason, ReasonCode

LINE_LIMIT = 64 * 1024 * 1024
"""The longest line either side reads (the /metrics text travels in one)."""
KINDS = ("spec", "usage", "platform", "internal")


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"not a runtime message: {line[:80]!r}")
    return message


@contextlib.contextmanager
def short_address(path: Path) -> Iterator[str]:
    """A name for `path` short enough for a socket address, valid while in the block."""
    directory = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{directory}/{path.name}"
    finally:
        os.close(directory)


def snapshot_to_json(snapshot: MetricsSnapshot) -> dict[str, Any]:
    return dataclasses.asdict(snapshot)


def snapshot_from_json(data: dict[str, Any]) -> MetricsSnapshot:
    return MetricsSnapshot(**data)


def empty_snapshot(window: float) -> MetricsSnapshot:
    return MetricsSnapshot(window, 0, 0, 0, 0.0, None, None, None, 0, 0, 0)


def reason_from_json(data: dict[str, str] | None) -> Reason | None:
    if not data:
        return None
    return Reason(ReasonCode(data["reason"]), data["description"], data["detail"])
