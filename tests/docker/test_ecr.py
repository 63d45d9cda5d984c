"""ECR login through GetAuthorizationToken, against moto in server mode on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from bluegreen.errors import PlatformError
from bluegreen.images.ecr import ecr_login

# Dead loopback proxy and no retries: a call that misses moto fails here (test-harnesses.md §0).
AWS_SAFETY = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_MAX_ATTEMPTS": "1",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in AWS_SAFETY.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        (tmp_path / name).touch()
        monkeypatch.setenv(name, str(tmp_path / name))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


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
