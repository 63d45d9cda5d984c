"""boto3 clients for the AWS platforms, and the one place AWS errors get a meaning.

Credentials come only through boto3's normal chain (environment, profile,
SSO, instance role); nothing here reads, stores or prints them. Clients use
botocore's standard retry mode, so throttling and transient errors are
retried with backoff everywhere; `AWS_MAX_ATTEMPTS` and `AWS_ENDPOINT_URL`
keep their usual meaning (tests point them at a local moto server).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from ..errors import PlatformError, Problem, SpecError


def retry_config() -> Config:
    """A new Config per client: botocore writes AWS_MAX_ATTEMPTS into its retries dict."""
    return Config(retries={"mode": "standard"}, user_agent_extra="bluegreen")


CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
    }
)

NO_CREDENTIALS = (
    "no AWS credentials found. bluegreen uses boto3's standard chain: set AWS_PROFILE, "
    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run on a role (CI job, ECS task)"
)


def make_boto_session(region: str | None) -> boto3.session.Session:
    """A fresh boto3 session (its own credential cache), so tests can swap it."""
    return boto3.session.Session(region_name=region)


class AwsClients:
    """Lazily created clients, one per service, sharing one session."""

    def __init__(self, region: str | None) -> None:
        self._session: Any = make_boto_session(region)
        self._clients: dict[str, Any] = {}
        if self._session.region_name is None:
            raise SpecError(
                Problem(
                    "bluegreen.toml",
                    "aws.region",
                    "no AWS region: set it here or in AWS_REGION / AWS_DEFAULT_REGION",
                )
            )

    @property
    def region(self) -> str:
        return str(self._session.region_name)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service, config=retry_config())
        return self._clients[service]

    @property
    def codedeploy(self) -> Any:
        return self.client("codedeploy")

    @property
    def ecs(self) -> Any:
        return self.client("ecs")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


@contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Turn botocore's exceptions into PlatformError (exit 4) saying what failed.

    Messages carry the service's error code and message, never request
    headers or credentials.
    """
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise PlatformError(NO_CREDENTIALS) from exc
    except NoRegionError as exc:
        raise PlatformError("no AWS region: set aws.region in bluegreen.toml") from exc
    except ClientError as exc:
        code = error_code(exc)
        if code in CREDENTIAL_CODES:
            raise PlatformError(
                f"AWS refused the credentials while {doing}: {code}: {error_message(exc)}"
            ) from exc
        raise PlatformError(f"AWS refused {doing}: {code}: {error_message(exc)}") from exc
    except BotoCoreError as exc:
        raise PlatformError(f"could not reach AWS while {doing}: {exc}") from exc
