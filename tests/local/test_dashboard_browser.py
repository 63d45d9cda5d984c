"""The dashboard as a person sees it: headless Chromium against a real daemon.

Chromium opens the address `bluegreen up` prints on a terminal and hands back
the DOM once the page's own fetches are done (`--virtual-time-budget` holds
virtual time while a request is pending, so a fetch that never ends shows up
as a render that never ends). Only 127.0.0.1 is ever opened.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from .harness import CLI_TIMEOUT, Project

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=3000",  # the page refreshes each second: three rounds
)
RENDER_TIMEOUT = 30
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@pytest.fixture
def chromium() -> str:
    """Debian's chromium, looked for before any daemon starts: skipped where it is
    missing, a failure where CI requires it."""
    found = shutil.which("chromium")
    if found is None:
        reason = (
            "chromium not found on PATH; `apt-get install -y --no-install-recommends chromium` "
            "(.ci/run does, and sets BLUEGREEN_REQUIRE_HARNESSES=1, which makes this a failure)"
        )
        if os.environ.get("BLUEGREEN_REQUIRE_HARNESSES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    assert found is not None
    return found


class Page(HTMLParser):
    """The rendered page's text: per element with an id, and the table body rows."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.rows: list[list[str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        """Each tbody's rows, by the tbody's id."""
        self._open: list[tuple[str, str | None]] = []
        self.feed(dom)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        ident = dict(attrs).get("id")
        self._open.append((tag, ident))
        if ident:
            self.text[ident] = ""
        if tag == "tr":
            self.rows.append([])
            body = next((i for t, i in reversed(self._open) if t == "tbody" and i), None)
            if body:
                self.tables.setdefault(body, []).append(self.rows[-1])
        elif tag == "td":
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        for _, ident in self._open:
            if ident:
                self.text[ident] += data
        if any(tag == "td" for tag, _ in self._open):
            self.rows[-1][-1] += data

    @property
    def table(self) -> list[list[str]]:
        """The history."""
        return self.tables.get("history", [])


def render(chromium: str, url: str, profile: Path) -> Page:
    """The page at `url` after its scripts ran; Chromium and all it started are gone after."""
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url]
    browser = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        dom, errors = browser.communicate(timeout=RENDER_TIMEOUT)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(browser.pid, signal.SIGKILL)
        browser.wait()
    assert browser.returncode == 0, errors[-2000:]
    return Page(dom)


def dashboard_address(project: Project) -> str:
    """What `bluegreen up` prints on a terminal (and only there: the token stays out of logs)."""
    leader, terminal = pty.openpty()
    try:
        subprocess.run(
            [sys.executable, "-m", "bluegreen.cli", "up", str(project.dir)],
            stdout=terminal,
            check=True,
            timeout=CLI_TIMEOUT,
        )
    finally:
        os.close(terminal)
    printed = b""
    with contextlib.suppress(OSError):  # EIO once the terminal is read to its end
        while chunk := os.read(leader, 4096):
            printed += chunk
    os.close(leader)
    found = re.search(r"dashboard: (http://127\.0\.0\.1:\d+/#token=\S+)", printed.decode())
    assert found, printed
    return found.group(1)


def test_dashboard_shows_deployments_events_and_split(
    chromium: str, start_platform: Callable[..., Project], tmp_path: Path
) -> None:
    project = start_platform(canary="200ms")
    project.cli("deploy")
    first = project.status()["deployment_id"]
    project.cli("deploy", "--set", "APP_VERSION=v2")
    second = project.status()["deployment_id"]

    page = render(chromium, dashboard_address(project), tmp_path / "profile")

    assert page.text["problem"] == ""
    assert page.text["title"] == f"{second}: Succeeded"
    assert page.text["split"] == "production: blue 0% / green 100%"
    events = page.text["events"].splitlines()
    assert "[status] deploying web:2" in events[0]
    assert any("[traffic] production traffic: blue 80% green 20%" in e for e in events)
    assert "[status] deployed web:2" in events[-1]
    rows = [[row[0], row[1], row[2], row[5]] for row in page.table]
    assert rows == [
        [second, "Succeeded", "web:1 → web:2", "deployed web:2"],
        [first, "Succeeded", "– → web:1", "deployed web:1"],
    ]
    assert all(re.fullmatch(r"\d+ s|\d+ m \d+ s", row[4]) for row in page.table), page.table
    targets = page.tables["targets"]
    assert [(row[1], row[2], row[4]) for row in targets] == [("blue", "web:2", "healthy")] * 2


def test_dashboard_without_the_token_says_it_cannot_read_the_api(
    chromium: str, start_platform: Callable[..., Project], tmp_path: Path
) -> None:
    project = start_platform()
    project.cli("deploy")
    address = dashboard_address(project)

    page = render(chromium, address.split("#")[0], tmp_path / "profile")

    assert page.text["problem"].startswith("cannot read the admin API (401")
    assert "#token=" in page.text["problem"]
    assert page.text["title"] == ""  # not "no deployments yet": it cannot know
    assert page.table == []


def test_dashboard_follows_a_deployment_in_flight(
    chromium: str, start_platform: Callable[..., Project], tmp_path: Path
) -> None:
    project = start_platform(canary="30s")
    project.cli("deploy")
    project.cli("deploy", "--no-wait", "--set", "APP_VERSION=v2")
    flight = project.wait_for(lambda s: (s["weights"] or {}).get("green") == 20)

    page = render(chromium, dashboard_address(project), tmp_path / "profile")

    assert page.text["title"] == f"{flight['deployment_id']}: InProgress (AllowTraffic)"
    assert page.text["revisions"] == "blue web:1 → green web:2, canary 20% 30s"
    assert page.text["countdown"].startswith("the next traffic step in ")
    assert page.text["split"] == "production: blue 80% / green 20%; test: green 100%"
    roles = sorted({(row[1], row[2]) for row in page.tables["targets"]})
    assert roles == [("blue", "web:1"), ("green", "web:2")]
    last = page.text["events"].splitlines()[-1]
    assert "[traffic] production traffic: blue 80% green 20%" in last
    assert page.table[0][:2] == [flight["deployment_id"], "InProgress"]


def test_dashboard_lists_each_target_with_its_reason(
    chromium: str, start_platform: Callable[..., Project], tmp_path: Path
) -> None:
    project = start_platform()
    project.cli("deploy")
    project.cli("deploy", "--no-wait", "--set", "APP_MODE=health-404")

    def green_mismatched(summary: dict[str, Any]) -> bool:
        reasons = [
            t.get("reason") for t in summary["details"]["targets"] if t["task_set"] == "green"
        ]
        return "Target.ResponseCodeMismatch" in reasons

    project.wait_for(green_mismatched)

    page = render(chromium, dashboard_address(project), tmp_path / "profile")

    health = {(row[1], row[4], row[5]) for row in page.tables["targets"]}
    mismatch = (
        "Target.ResponseCodeMismatch: Health checks failed with these codes: [404]; "
        "GET /health answered 404"
    )
    assert ("green", "unhealthy", mismatch) in health, health
    assert {h for h in health if h[0] == "blue"} == {("blue", "healthy", "")}, health
    project.cli("stop")
