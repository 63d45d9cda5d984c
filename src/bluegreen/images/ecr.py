"""ECR login through boto3's GetAuthorizationToken.

The token is decoded into a `RegistryLogin` that only the push request sees;
errors name the cause (credentials, region, permissions), never the token.
"""

from __future__ import annotations

import base64
from urllib.parse import urlparse

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import PlatformError
from .push import RegistryLogin


def ecr_login(region: str | None = None, registry_id: str | None = None) -> RegistryLogin:
    """Credentials for the account's ECR registry (the caller's, or `registry_id`'s)."""
    try:
        ecr = boto3.client("ecr", region_name=region)
        kwargs = {"registryIds": [registry_id]} if registry_id else {}
        data = ecr.get_authorization_token(**kwargs)["authorizationData"][0]
    except (BotoCoreError, ClientError) as exc:
        raise PlatformError(f"ECR refused a login (GetAuthorizationToken): {exc}") from None
    username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    registry = urlparse(data["proxyEndpoint"]).netloc or data["proxyEndpoint"]
    return RegistryLogin(registry=registry, username=username, password=password)
