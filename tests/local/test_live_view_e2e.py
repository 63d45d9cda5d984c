"""The live view against a real daemon: beside the events it shows what is
true now (`LocalPlatform.now`): blue and green revisions, a countdown to the
end of the wait, both task sets' targets, traffic per role, and the commands
that apply during the ready wait and the termination wait."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable

from rich.console import Console

from bluegreen.cli.output import LiveView, where
from bluegreen.local.local_platform import LocalPlatform
from bluegreen.spec.project import load_project

from .harness import LoadGenerator, Project


def frame(platform: LocalPlatform, deployment_id: str) -> str:
    """The live view's last frame once it has asked the platform what is true now."""
    console = Console(file=io.StringIO(), force_terminal=True, width=140, record=True)
    view = LiveView(console, now=lambda: platform.now(deployment_id), where=where(platform))
    with view:
        for event in platform.events(deployment_id, follow=False):
            view.show(event)
        deadline = time.monotonic() + 10
        while view._now is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.2)  # one more poll: the countdown redrawn
    text = console.export_text()
    return text[text.rfind("deployment d-") :]


def test_the_live_view_shows_revisions_countdown_targets_traffic_and_what_to_type(
    start_platform: Callable[..., Project],
) -> None:
    project = start_platform(ready_wait="60s", canary="200ms", termination_wait="60s")
    project.deploy_first()
    project.cli("continue", check=False)  # the first deployment's termination wait
    project.wait_for(lambda s: s["status"] == "Succeeded")
    platform = LocalPlatform(load_project(project.dir))
    with LoadGenerator(project.prod_url):
        project.cli("deploy", "--no-wait", "--set", "APP_VERSION=v2")
        ready = project.wait_for(lambda s: s["status"] == "Ready")
        shown = frame(platform, ready["deployment_id"])
        assert "blue web:1  →  green web:2" in shown, shown
        assert "the ready wait runs out in " in shown, shown
        assert f"waiting: `bluegreen continue {project.dir}` shifts production to green" in shown
        assert shown.count("healthy") >= 4, "both task sets' targets"
        assert re.search(r"green web:2  \d+\.\d req/s, \d+\.\d% 5xx, p99 (\d+ ms|–)", shown), shown
        assert re.search(r"blue  web:1  [1-9]\d*\.\d req/s", shown), "blue serves production"

        project.cli("continue")
        project.wait_for(lambda s: (s["weights"] or {}).get("green") == 100)
        time.sleep(0.5)
        shown = frame(platform, ready["deployment_id"])
    assert "blue is terminated in " in shown, shown
    assert f"termination wait: `bluegreen continue {project.dir}` ends it now" in shown
    assert re.search(r"green web:2  [1-9]\d*\.\d req/s", shown), "green serves production"
