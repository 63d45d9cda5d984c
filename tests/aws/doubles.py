"""Progression doubles at the botocore layer, for what moto does not do.

moto stores CodeDeploy deployments but never moves them (they stay
Created) and lacks ContinueDeployment, StopDeployment, the deployment
target calls and ECS service deployments. These doubles hook botocore's
events on the session the platform uses:

- `before-send`: answer an operation with raw HTTP (JSON 1.1 bodies, as
  AWS sends them), so botocore's own parser, error handling and standard
  retry mode run exactly as against AWS; throttling is injected here too.
- `after-call`: overlay the scripted progress on moto's real GetDeployment
  answer (application, group, revision and times stay moto's).

Every request is checked against botocore's service model, and every
answer against the operation's output shape; problems are collected in
`problems` and each test's fixture asserts there are none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def _wire(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Script:
    """Frames a deployment walks through, one per poll (the first poll sees the
    first frame); it halts at `pause` until the platform continues or stops
    it, which picks the next frames."""

    frames: list[dict[str, Any]]
    pause: int | None = None
    index: int = 0
    polls: int = 0

    @property
    def frame(self) -> dict[str, Any]:
        return self.frames[self.index]

    def advance(self) -> None:
        self.polls += 1
        if self.polls == 1:
            return
        if self.index != self.pause and self.index < len(self.frames) - 1:
            self.index += 1

    def branch(self, frames: list[dict[str, Any]]) -> None:
        self.frames = self.frames[: self.index + 1] + frames
        self.pause = None

    @property
    def paused(self) -> bool:
        return self.index == self.pause


@dataclass
class BotocoreDouble:
    service: str
    handlers: dict[str, Handler] = field(default_factory=dict)
    throttle: dict[str, int] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def attach(self, session: boto3.session.Session) -> None:
        session.events.register(f"before-send.{self.service}", self._before_send)

    def _before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        params = json.loads(request.body or b"{}")
        self.calls.append((operation, params))
        self.check(operation, params, self.model(operation).input_shape, "request")
        if self.throttle.get(operation, 0) > 0:
            self.throttle[operation] -= 1
            return self._error(request.url, ApiError("ThrottlingException", "Rate exceeded"))
        handler = self.handlers.get(operation)
        if handler is None:
            return None
        try:
            answer = handler(params)
        except ApiError as exc:
            return self._error(request.url, exc)
        if answer is None:
            return None
        self.check(operation, answer, self.model(operation).output_shape, "response")
        body = json.dumps(_wire(answer)).encode()
        return AWSResponse(
            request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body)
        )

    def model(self, operation: str) -> OperationModel:
        return _service_model(self.service).operation_model(operation)

    def check(self, operation: str, value: Any, shape: Shape | None, what: str) -> None:
        if shape is None or not isinstance(value, dict):
            return
        report = ParamValidator().validate(value, shape)
        if report.has_errors():
            self.problems.append(f"{operation} {what}: {report.generate_report()}")

    def _error(self, url: str, error: ApiError) -> AWSResponse:
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": error.code}
        return AWSResponse(url, error.status, headers, _Raw(body))

    def called(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


@cache
def _service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)
