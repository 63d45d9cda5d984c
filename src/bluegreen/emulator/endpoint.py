"""The one HTTP endpoint: every request checked against botocore's model, then
answered by our behaviour or by moto.

moto is used as a library behind this WSGI app: it stores resources and
answers the CRUD it already has. What AWS *does* (a listener that is a real
port, a task set whose tasks run, a deployment that shifts traffic) is
ours, in two forms: an operation we answer ourselves (`Behaviour.own`), or
work done after moto stored a change (`Behaviour.after`, e.g. opening the
port of a listener moto just created). An operation that neither we nor
moto implement answers `UnknownOperationException` naming it; any failure
answers AWS's error shape, never a stack trace or an HTML page.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from .protocol import (
    AwsError,
    Call,
    check_input,
    check_output,
    error_response,
    identify,
    output_problems,
    query_response,
)

log = logging.getLogger(__name__)

Handler = Callable[[Call], Mapping[str, Any]]
"""Answers an operation instead of moto (JSON services): the output structure."""
After = Callable[[Call], None]
"""Runs once moto has answered an operation with success."""
Page = Callable[[], Mapping[str, Any]]
StartResponse = Callable[..., Any]
Key = tuple[str, str]


@dataclass
class Behaviour:
    """What one part of the emulator adds to moto, by (service, operation)."""

    own: dict[Key, Handler] = field(default_factory=dict)
    before: dict[Key, After] = field(default_factory=dict)
    """Checks run before moto stores anything: an AwsError refuses the call."""
    after: dict[Key, After] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    """`GET path` → JSON: what the emulator alone knows (where listeners listen)."""


class Endpoint:
    """A WSGI app: `identify` → `check_input` → our handler or moto (+ after-work)."""

    def __init__(self, moto_app: Callable[..., Iterable[bytes]], parts: Iterable[Behaviour]):
        self.moto_app = moto_app
        self.own: dict[Key, Handler] = {}
        self.before: dict[Key, list[After]] = {}
        self.after: dict[Key, list[After]] = {}
        self.pages: dict[str, Page] = {}
        for part in parts:
            self.own.update(part.own)
            self.pages.update(part.pages)
            for key, work in part.before.items():
                self.before.setdefault(key, []).append(work)
            for key, work in part.after.items():
                self.after.setdefault(key, []).append(work)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        page = self.pages.get(environ.get("PATH_INFO", ""))
        if page is not None and environ.get("REQUEST_METHOD") == "GET":
            payload = _json(page())
            start_response("200 OK", [("Content-Type", "application/json")])
            return [payload]
        body = _read_body(environ)
        headers = _headers(environ)
        protocol = "json" if "X-Amz-Target" in headers else "query"
        try:
            call = identify(headers, body)
            if call is None:
                return self.moto_app(environ, start_response)
            protocol = call.protocol
            status, out_headers, payload = self._answer(call, environ)
        except AwsError as error:
            status, out_headers, payload = error_response(protocol, error)
        except Exception as exc:
            log.exception("emulator failure")
            failure = AwsError("InternalFailure", f"emulator failure: {exc!r}", 500)
            status, out_headers, payload = error_response(protocol, failure)
        out_headers["Content-Length"] = str(len(payload))
        start_response(f"{status} {_REASONS.get(status, 'Error')}", list(out_headers.items()))
        return [payload]

    def _answer(self, call: Call, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        check_input(call)
        key = (call.service, call.operation)
        handler = self.own.get(key)
        if handler is not None:
            output = handler(call)
            check_output(call, output)
            if call.protocol == "query":
                return 200, {"Content-Type": "text/xml"}, query_response(call, output)
            return 200, {"Content-Type": "application/x-amz-json-1.1"}, _json(output)
        if not moto_implements(call.service, call.operation):
            raise AwsError(
                "UnknownOperationException",
                f"{call.service} {call.operation} is not implemented by the bluegreen emulator",
            )
        for check in self.before.get(key, ()):
            check(call)
        status, headers, payload = self._moto(environ)
        problems = output_problems(call, status, headers, payload)
        if problems:  # moto's shortfall, not the caller's: said, and answered anyway
            log.warning("moto's answer to %s breaks the model: %s", call.operation, problems)
        if status < 300:
            for work in self.after.get(key, ()):
                work(call)
        elif status >= 500 or "html" in headers.get("Content-Type", ""):
            raise AwsError("InternalFailure", f"moto answered {status} to {call.operation}", 500)
        return status, headers, payload

    def _moto(self, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            seen["status"], seen["headers"] = status, headers

        payload = b"".join(self.moto_app(environ, capture))
        headers = {k: v for k, v in seen["headers"] if k.lower() != "content-length"}
        return int(seen["status"].split()[0]), headers, payload


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back for moto, which reads it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    found = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    found["Content-Type"] = str(environ.get("CONTENT_TYPE", ""))
    # `title()` makes X-Amz-Target out of X_AMZ_TARGET, as botocore spells it.
    return found


def _json(output: Mapping[str, Any]) -> bytes:
    def encode(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.timestamp()
        raise TypeError(f"cannot encode {type(value).__name__}")

    return json.dumps(output, default=encode).encode()


@cache
def moto_implements(service: str, operation: str) -> bool:
    """Whether moto's responses class for `service` has the operation's method."""
    try:
        module = importlib.import_module(f"moto.{service}.responses")
    except ImportError:
        return False
    from moto.core.utils import camelcase_to_underscores

    method = camelcase_to_underscores(operation)
    classes = [v for v in vars(module).values() if isinstance(v, type) and hasattr(v, method)]
    return bool(classes)
