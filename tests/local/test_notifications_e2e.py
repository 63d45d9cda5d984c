"""`[notifications]` through the real CLI and daemon: a receiver that answers
500 twice still gets every notice of a succeeded deployment, once and in
order, and the deployment succeeds; a webhook whose URL variable is unset
stops the deploy with exit 2 before anything changes."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from bluegreen.local.local_platform import LocalPlatform
from bluegreen.spec.project import load_project

from ..notify.receiver import receiving
from .harness import Project

WEBHOOK = """
[[notifications.webhooks]]
url_env = "BLUEGREEN_TEST_WEBHOOK"
"""


def test_a_failing_receiver_gets_every_notice_once_it_recovers(
    start_platform: Callable[..., Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = start_platform(canary="300ms")
    project.deploy_first()
    with receiving(failures=2) as receiver:
        monkeypatch.setenv("BLUEGREEN_TEST_WEBHOOK", receiver.url)
        config = project.dir / "bluegreen.toml"
        config.write_text(config.read_text() + WEBHOOK)
        project.cli("deploy", "--set", "APP_VERSION=v2")
        assert project.status()["status"] == "Succeeded"
        accepted = receiver.wait_for(3)
    assert [body["notice"] for body in accepted] == ["started", "shifted", "succeeded"]
    assert {body["deployment_id"] for body in accepted} == {project.status()["deployment_id"]}
    assert [status for status, _, _ in receiver.posts[:3]] == [500, 500, 200]


def test_an_unset_webhook_variable_refuses_the_deploy(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform()
    config = project.dir / "bluegreen.toml"
    config.write_text(config.read_text() + WEBHOOK)
    os.environ.pop("BLUEGREEN_TEST_WEBHOOK", None)
    result = project.cli("deploy", check=False)
    assert result.returncode == 2, result.stderr
    assert "notifications.webhooks[0].url_env" in result.stderr
    assert "BLUEGREEN_TEST_WEBHOOK is not set" in result.stderr
    assert LocalPlatform(load_project(project.dir)).history() == []
