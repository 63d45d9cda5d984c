"""bluegreen.toml: what neither the task definition nor the AppSpec holds.

Typed models validated once, at the edge; code inside never re-reads raw
dicts. Defaults follow ALB and CodeDeploy where they have one, except where
a local run needs seconds rather than minutes (noted per field).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..vocabulary import HOOKABLE, AutoRollback, ReadyAction
from .deployment_config import DEFAULT_CONFIG_NAME, DeploymentConfig, resolve_config
from .duration import Duration, format_duration
from .notifications import NotificationsSection


def _hookable(event: str) -> str:
    if event not in HOOKABLE:
        expected = ", ".join(HOOKABLE)
        raise ValueError(f"{event!r} is not a hookable lifecycle event; expected one of {expected}")
    return event


HookEvent = Annotated[str, AfterValidator(_hookable)]

Port = Annotated[int, Field(ge=1, le=65535)]


def _at_most_an_hour(seconds: float) -> float:
    if seconds > 3600:
        raise ValueError(f"{format_duration(seconds)} is longer than 1h, ALB's longest delay")
    return seconds


DrainTime = Annotated[Duration, AfterValidator(_at_most_an_hour)]


def _matching(pattern: str, expected: str) -> AfterValidator:
    """A string check whose message says what is expected, not the regex."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"expected {expected}")
        return value

    return AfterValidator(check)


Name = Annotated[
    str,
    _matching(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}", "letters, digits, - and _ (an ECS service name)"),
]
UrlPath = Annotated[str, _matching(r"/\S*", 'a path starting with "/"')]
Region = Annotated[str, _matching(r"[a-z]{2}(-[a-z]+)+-\d+", "an AWS region such as us-east-1")]
AccountId = Annotated[str, _matching(r"\d{12}", "a 12-digit AWS account id")]
HttpUrl = Annotated[str, _matching(r"https?://\S+", "a URL starting with http:// or https://")]
EcrRepository = Annotated[
    str,
    _matching(
        r"([a-z0-9]+([._-][a-z0-9]+)*/)*[a-z0-9]+([._-][a-z0-9]+)*",
        "an ECR repository name: lowercase letters, digits, . _ - and /",
    ),
]
RoleArn = Annotated[
    str, _matching(r"arn:aws[a-z-]*:iam::\d{12}:role/\S+", "an IAM role ARN (arn:aws:iam::...)")
]
LogGroup = Annotated[
    str, _matching(r"[\w./#-]{1,512}", "a log group name: letters, digits and _ - / . #")
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceConfig(_Section):
    name: Name
    desired_count: Annotated[int, Field(ge=1, le=100)] = 1
    container: Annotated[str, Field(min_length=1)]
    container_port: Port


class HealthCheckConfig(_Section):
    """ALB target group health check. ALB's own defaults, which are slow
    (30 s interval, 5 healthy checks); `bluegreen init` writes faster ones."""

    path: UrlPath = "/"
    interval: Duration = 30.0
    timeout: Duration = 5.0
    healthy_threshold: Annotated[int, Field(ge=2, le=10)] = 5
    unhealthy_threshold: Annotated[int, Field(ge=2, le=10)] = 2
    matcher: str = "200"

    @field_validator("matcher")
    @classmethod
    def _matcher(cls, value: str) -> str:
        parse_matcher(value)
        return value

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> HealthCheckConfig:
        if self.interval <= 0:
            raise ValueError("interval must be above 0")
        if not 0 < self.timeout < self.interval:
            raise ValueError("timeout must be above 0 and below interval (as ALB requires)")
        return self

    def matches(self, status: int) -> bool:
        return any(lo <= status <= hi for lo, hi in parse_matcher(self.matcher))


def parse_matcher(value: str) -> list[tuple[int, int]]:
    """ALB matcher syntax: "200", "200,202", "200-399"; codes 200-499 (ALB's HTTP range)."""
    ranges = []
    for part in value.split(","):
        lo_text, _, hi_text = part.strip().partition("-")
        if not lo_text.isdigit() or (hi_text and not hi_text.isdigit()):
            raise ValueError(f'{value!r} is not a matcher; expected codes like "200" or "200-399"')
        lo, hi = int(lo_text), int(hi_text or lo_text)
        if not 200 <= lo <= hi <= 499:
            raise ValueError(f"{value!r}: codes must be within 200-499, low before high")
        ranges.append((lo, hi))
    return ranges


class AlarmsConfig(_Section):
    """Green's 5xx ratio and p99 latency over a sliding window; either may be off."""

    error_rate: Annotated[float, Field(gt=0, le=1)] | None = None
    p99: Duration | None = None
    window: Duration = 30.0
    min_requests: Annotated[int, Field(ge=1)] = 20


class DeploymentSection(_Section):
    config: DeploymentConfig = Field(default_factory=lambda: resolve_config(DEFAULT_CONFIG_NAME))
    ready_wait: Duration = 0.0
    ready_timeout_action: ReadyAction = ReadyAction.STOP
    termination_wait: Duration = 300.0
    install_timeout: Duration = 300.0
    hook_timeout: Duration = 300.0
    auto_rollback: tuple[str, ...] = tuple(str(e) for e in AutoRollback)
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig)

    @field_validator("config", mode="before")
    @classmethod
    def _config(cls, value: Any) -> DeploymentConfig:
        return resolve_config(value)

    @field_validator("auto_rollback")
    @classmethod
    def _auto_rollback(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        expected = [str(e) for e in AutoRollback]
        unknown = [v for v in value if v not in expected]
        if unknown:
            raise ValueError(f"unknown event {unknown[0]!r}; expected {expected}")
        return value


class ValidationSection(_Section):
    """The gate on the test listener, before production traffic moves:
    N consecutive healthy answers of `path` within `deadline`, then `command`."""

    path: UrlPath | None = None
    consecutive_successes: Annotated[int, Field(ge=1, le=1000)] = 3
    interval: Duration = 1.0
    deadline: Duration = 120.0
    command: str | None = None


class HookCommand(_Section):
    command: Annotated[str, Field(min_length=1)]
    timeout: Duration | None = None


class LocalDriver(StrEnum):
    PROCESS = "process"
    DOCKER = "docker"
    AUTO = "auto"


class LocalNetwork(StrEnum):
    PUBLISH = "publish"
    HOST = "host"


class LocalConfig(_Section):
    command: str | None = None
    prod_port: Port = 8080
    test_port: Port = 8081
    admin_port: Annotated[int, Field(ge=0, le=65535)] = 8082
    """The admin API and /metrics, fixed so Prometheus has an address; 0: any free port."""
    driver: LocalDriver = LocalDriver.PROCESS
    network: LocalNetwork = LocalNetwork.PUBLISH
    deregistration_delay: DrainTime = 5.0
    """How long a deregistered target's requests may take to finish before they
    are cut (ALB's `deregistration_delay.timeout_seconds`, 300 s there). A local
    task gets SIGTERM as soon as it is deregistered and can end what it serves
    itself, so seconds are enough and keep a deploy quick."""
    upgrade_grace: DrainTime | None = None
    """How long upgraded (WebSocket) connections may outlive that delay's start;
    None: twice `deregistration_delay`. Never shorter than the delay."""
    keep_snapshots: Annotated[int, Field(ge=1)] = 10
    """Process driver: the newest revisions whose snapshot of the app's files is kept."""
    max_connections: Annotated[int, Field(ge=1)] | None = None
    """Client connections per listener; past it a client is answered 503. Unset:
    as many as the daemon's open-file limit leaves room for (checked when it starts)."""

    @model_validator(mode="after")
    def _distinct_ports(self) -> LocalConfig:
        ports = [self.prod_port, self.test_port, self.admin_port]
        if len(set(ports)) < len(ports):
            raise ValueError("prod_port, test_port and admin_port must differ")
        return self

    @model_validator(mode="after")
    def _grace_covers_delay(self) -> LocalConfig:
        if self.upgrade_grace is not None and self.upgrade_grace < self.deregistration_delay:
            raise ValueError(
                f"upgrade_grace ({self.upgrade_grace:g}s) must not be shorter than "
                f"deregistration_delay ({self.deregistration_delay:g}s)"
            )
        return self

    @property
    def upgrade_grace_seconds(self) -> float:
        """`upgrade_grace`, or its default: twice the deregistration delay."""
        if self.upgrade_grace is None:
            return 2 * self.deregistration_delay
        return self.upgrade_grace


class AwsConfig(_Section):
    """Where the AWS platforms deploy; every field optional until they need it."""

    region: Region | None = None
    account_id: AccountId | None = None
    cluster: str | None = None
    service: str | None = None
    codedeploy_application: str | None = None
    codedeploy_group: str | None = None
    test_listener_url: HttpUrl | None = None
    ecr_repository: EcrRepository | None = None
    execution_role_arn: RoleArn | None = None
    log_group: LogGroup | None = None


class BluegreenConfig(_Section):
    service: ServiceConfig
    health_check: HealthCheckConfig = Field(default_factory=HealthCheckConfig)
    deployment: DeploymentSection = Field(default_factory=DeploymentSection)
    validation: ValidationSection = Field(default_factory=ValidationSection)
    hooks: dict[HookEvent, HookCommand] = Field(default_factory=dict)
    local: LocalConfig = Field(default_factory=LocalConfig)
    aws: AwsConfig = Field(default_factory=AwsConfig)
    notifications: NotificationsSection = Field(default_factory=NotificationsSection)

    @field_validator("hooks", mode="before")
    @classmethod
    def _hooks(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: {"command": v} if isinstance(v, str) else v for k, v in value.items()}

    def hook_timeout(self, event: str) -> float:
        hook = self.hooks.get(event)
        if hook and hook.timeout is not None:
            return hook.timeout
        return self.deployment.hook_timeout

    @property
    def validation_path(self) -> str:
        return self.validation.path or self.health_check.path
