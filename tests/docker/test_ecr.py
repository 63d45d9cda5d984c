"""ECR login through GetAuthorizationToken, against moto in server mode on 127.0.0.1."""

from __future__ import annotations

import pytest

from bluegreen.errors import PlatformError
from bluegreen.images.ecr import ecr_login


def test_login_decodes_the_token_into_registry_and_credentials(aws: str) -> None:
    login = ecr_login(region="us-east-1")
    assert login.registry == "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert login.username == "AWS"
    assert login.password == "123456789012-auth-token"
    assert login.password not in repr(login)


def test_login_for_another_registry_id_names_that_account(aws: str) -> None:
    login = ecr_login(region="eu-west-1", registry_id="210987654321")
    assert login.registry.startswith("210987654321.dkr.ecr.eu-west-1.")


def test_an_unreachable_ecr_is_a_platform_error(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(PlatformError, match="ECR refused a login"):
        ecr_login(region="us-east-1")
