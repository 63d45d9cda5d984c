"""The project the emulator's tasks run: the test app (`tests/apps/local_app.py`)
as `[local] command`, answering its `APP_VERSION` (the taskdef's `<VERSION>`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..appspec import APPSPEC
from ..aws.conftest import CONFIG as AWS_CONFIG
from ..aws.conftest import TASKDEF as AWS_TASKDEF

APP = Path(__file__).resolve().parents[1] / "apps" / "local_app.py"

CONFIG = """\
{service}[health_check]
path = "/health"
interval = "100ms"
timeout = "50ms"
healthy_threshold = 2

[deployment]
config = {config}
termination_wait = "1s"
install_timeout = "{install_timeout}"

[validation]
consecutive_successes = 3
interval = "20ms"
deadline = "20s"

[local]
command = "{python} {app}"

{aws}"""


def _taskdef() -> str:
    """tests/aws's taskdef.json, its container answering `<VERSION>` and quick to stop."""
    document = json.loads(AWS_TASKDEF)
    container = document["containerDefinitions"][0]
    container["stopTimeout"] = 5
    container["environment"] = [
        {"name": "APP_VERSION", "value": "<VERSION>"},
        # A deploy run with APP_UNHEALTHY_FILE set to an existing file makes a green
        # whose /health answers 503.
        {"name": "APP_UNHEALTHY_FILE", "value": "${APP_UNHEALTHY_FILE:-/nonexistent}"},
    ]
    return json.dumps(document, indent=2)


TASKDEF = _taskdef()
SERVICE_SECTION = AWS_CONFIG[: AWS_CONFIG.index("[health_check]")]
AWS_SECTION = AWS_CONFIG[AWS_CONFIG.index("[aws]") :]


def write_project(
    root: Path,
    test_url: str | None = None,
    config: str = '"CodeDeployDefault.ECSAllAtOnce"',
    install_timeout: str = "60s",
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    listener = f'test_listener_url = "{test_url}"' if test_url else ""
    aws = AWS_SECTION.format(listener=listener)
    text = CONFIG.format(
        service=SERVICE_SECTION,
        config=config,
        install_timeout=install_timeout,
        python=sys.executable,
        app=APP,
        aws=aws,
    )
    (root / "bluegreen.toml").write_text(text)
    (root / "taskdef.json").write_text(TASKDEF)
    (root / "appspec.yaml").write_text(APPSPEC)
    return root


def blue_container(version: str) -> dict[str, object]:
    """The container definition of a revision registered by hand (not by bluegreen)."""
    container: dict[str, object] = json.loads(TASKDEF)["containerDefinitions"][0]
    container["image"] = f"web:{version}"
    container["environment"] = [{"name": "APP_VERSION", "value": version}]
    return container
