"""The dashboard's buttons, clicked in headless Chromium against a real daemon:
Continue leaves the ready wait, "Stop and roll back" puts production back on
blue, Roll back redeploys the last good revision, each as the CLI would; and
a state-changing call from another origin is refused whatever it carries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from .browser import open_tab
from .harness import Project
from .test_dashboard_browser import chromium, dashboard_address  # noqa: F401 (fixture)


def served(project: Project) -> str:
    return httpx.get(project.prod_url, timeout=5).text


def test_the_buttons_continue_stop_and_roll_back(
    chromium: str,  # noqa: F811
    start_platform: Callable[..., Project],
    tmp_path: Path,
) -> None:
    project = start_platform(ready_wait="60s", canary="200ms")
    project.deploy_first()
    address = dashboard_address(project)
    with open_tab(chromium, address, tmp_path / "profile") as tab:
        project.cli("deploy", "--no-wait", "--set", "APP_VERSION=v2")
        ready = project.wait_for(lambda s: s["status"] == "Ready")
        tab.wait_for("!document.getElementById('continue').disabled")
        assert "the ready wait runs out in" in tab.text("countdown")
        tab.click("continue")
        done = project.wait_for(lambda s: s["status"] == "Succeeded")
        assert done["deployment_id"] == ready["deployment_id"]
        assert "v2" in served(project)
        tab.wait_for("document.getElementById('answer').textContent.startsWith('continue: ')")

        project.cli("deploy", "--no-wait", "--set", "APP_VERSION=v3")
        project.wait_for(lambda s: s["status"] == "Ready")
        tab.wait_for("!document.getElementById('stop').disabled")
        tab.click("stop")
        stopped = project.wait_for(lambda s: s["status"] == "Stopped")
        assert "v2" in served(project)

        # Enabled again only once the stopped deployment has let go of its task set.
        tab.wait_for(
            "document.getElementById('title').textContent.endsWith(': Stopped')"
            " && !document.getElementById('rollback').disabled"
        )
        tab.click("rollback")
        # A rollback after the fact is a deployment of its own, through the same ready wait.
        project.wait_for(lambda s: s["rollback_of"] is not None and s["status"] == "Ready")
        tab.wait_for("!document.getElementById('continue').disabled")
        tab.click("continue")
        back = project.wait_for(
            lambda s: s["deployment_id"] != stopped["deployment_id"] and s["status"] == "Succeeded"
        )
        assert back["rollback_of"] is not None
        assert back["revision"] == "web:1"
        assert "v1" in served(project)


def test_a_call_from_another_origin_is_refused_even_with_the_token(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(ready_wait="60s")
    project.deploy_first()
    project.cli("deploy", "--no-wait", "--set", "APP_VERSION=v2")
    deployment = project.wait_for(lambda s: s["status"] == "Ready")
    address = dashboard_address(project)
    base, token = address.split("/#token=")
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/deployments/{deployment['deployment_id']}/continue"
    evil = httpx.post(url, headers={**auth, "Origin": "http://evil.example"})
    assert evil.status_code == 403, evil.text
    assert httpx.post(url, headers={"Origin": base}).status_code == 401  # no token
    assert project.status()["status"] == "Ready"  # neither changed anything
    assert httpx.post(url, headers={**auth, "Origin": base}).status_code == 200
    project.wait_for(lambda s: s["status"] == "Succeeded")
