"""Which image a project builds and where it is pushed.

The repository is `[aws] ecr_repository`, else the service name, so the
image built on a laptop and the one ECS pulls share a name. Without
`--registry`, or with an ECR host as the registry, the push goes to ECR
with a login from GetAuthorizationToken; any other registry uses the
credentials Docker already has (`docker login`). The build targets the task
definition's CPU architecture, so an image built on an ARM laptop still
starts on X86_64 Fargate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import UsageError
from ..spec.config import BluegreenConfig
from .ecr import ecr_login
from .push import RegistryLogin
from .reference import ImageRef

# runtimePlatform.cpuArchitecture -> Docker's platform.
_PLATFORMS = {"X86_64": "linux/amd64", "ARM64": "linux/arm64"}
_ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


def local_image(config: BluegreenConfig, tag: str) -> ImageRef:
    return ImageRef(config.aws.ecr_repository or config.service.name.lower(), tag)


def build_platform(taskdef: Mapping[str, Any]) -> str | None:
    """The platform the task definition declares; None: the engine's own."""
    architecture = taskdef.get("runtimePlatform", {}).get("cpuArchitecture")
    return _PLATFORMS.get(str(architecture).upper()) if architecture else None


def push_destination(
    config: BluegreenConfig, registry: str | None
) -> tuple[str, RegistryLogin | None]:
    """The registry host to push to, and the login it needs (None: Docker's own)."""
    if registry:
        ecr = _ECR_HOST.match(registry.rstrip("/"))
        if ecr is None:
            return registry.rstrip("/"), None
        login = ecr_login(region=ecr.group(2), registry_id=ecr.group(1))
        return registry.rstrip("/"), login
    if not config.aws.ecr_repository:
        raise UsageError(
            "no --registry given and bluegreen.toml has no [aws] ecr_repository; "
            "pass --registry HOST[:PORT] or set aws.ecr_repository to push to ECR"
        )
    login = ecr_login(region=config.aws.region, registry_id=config.aws.account_id)
    return login.registry, login
