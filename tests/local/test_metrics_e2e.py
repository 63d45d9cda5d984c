"""/metrics through the real daemon: a fixed address from `[local] admin_port`,
Prometheus's exposition content type, target groups labelled by role and
revision that follow a deployment, listener weights and the deployment's
status as gauges, and every metric docs/grafana's dashboard asks for."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bluegreen.state_dir import StateDir

from .harness import Project, free_port

DASHBOARD = Path(__file__).parents[2] / "docs" / "grafana" / "bluegreen-dashboard.json"


def scrape(
    project: Project, port: int
) -> tuple[httpx.Response, dict[tuple[str, frozenset[tuple[str, str]]], float]]:
    token = (project.dir / ".bluegreen" / "token").read_text().strip()
    answer = httpx.get(
        f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }
    return answer, samples


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> list[float]:
    """Values of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return [v for (n, have), v in samples.items() if n == name and wanted <= have]


@pytest.fixture
def admin_port(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.delenv("BLUEGREEN_LOCAL_ADMIN_PORT", raising=False)
    return free_port()


def test_metrics_at_a_fixed_address_follow_the_deployment(
    start_platform: Callable[..., Project], admin_port: int
) -> None:
    project = start_platform(ready_wait="60s", extra=f"admin_port = {admin_port}")
    assert StateDir.of(project.dir).read_info().port == admin_port  # type: ignore[union-attr]
    project.deploy_first()
    project.cli("deploy", "--no-wait", "--set", "APP_VERSION=v2")
    project.wait_for(lambda s: s["status"] == "Ready")
    answer, samples = scrape(project, admin_port)
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    weight = "bluegreen_lb_listener_weight"
    assert value(samples, weight, listener="production", role="blue", revision="web:1") == [100]
    assert value(samples, weight, listener="test", role="green", revision="web:2") == [100]
    assert value(samples, "bluegreen_deployment_status", status="Ready") == [1]
    assert value(samples, "bluegreen_deployment_in_progress") == [1]
    assert value(samples, "bluegreen_lb_target_state", role="green", state="healthy") == [1, 1]

    project.cli("continue")
    project.wait_for(lambda s: s["status"] == "Succeeded")
    _, samples = scrape(project, admin_port)
    assert value(samples, weight, listener="production", role="blue", revision="web:2") == [100]
    assert value(samples, "bluegreen_deployment_status", status="Succeeded") == [1]
    assert value(samples, "bluegreen_deployment_in_progress") == [0]
    status = project.cli("status").stdout
    assert f"metrics: http://127.0.0.1:{admin_port}/metrics" in status


def test_the_grafana_dashboard_asks_only_for_what_is_exported(
    start_platform: Callable[..., Project], admin_port: int
) -> None:
    project = start_platform(extra=f"admin_port = {admin_port}")
    project.deploy_first()
    httpx.get(project.prod_url)
    _, samples = scrape(project, admin_port)
    exported = {name for name, _ in samples} | {
        re.sub(r"_(bucket|count|sum)$", "", name) for name, _ in samples
    }
    labels = {label for _, have in samples for label, _ in have} | {"le"}
    panels = json.loads(DASHBOARD.read_text())["panels"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    asked = {name for expr in exprs for name in re.findall(r"\bbluegreen_[a-z0-9_]+", expr)}
    assert asked and asked <= exported, sorted(asked - exported)
    grouped = {
        label.strip()
        for expr in exprs
        for group in re.findall(r"by \(([^)]*)\)", expr)
        for label in group.split(",")
    }
    assert grouped <= labels, sorted(grouped - labels)


def test_an_admin_port_in_use_is_named_at_once(tmp_path: Path, admin_port: int) -> None:
    from .harness import make_project

    project = make_project(tmp_path / "busy", extra=f"admin_port = {admin_port}")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", admin_port))
        busy.listen()
        result = project.cli("up", check=False)
    assert result.returncode == 4, result.stderr
    assert f"local.admin_port {admin_port}" in result.stderr
    assert StateDir.of(project.dir).read_info() is None
