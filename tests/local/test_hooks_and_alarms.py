from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bluegreen.local.alarms import breached
from bluegreen.shell import hook_environment, run_shell
from bluegreen.spec.config import AlarmsConfig

from .fake_port import metrics as snapshot


def test_hook_sees_the_deployment_and_its_output_is_kept(tmp_path: Path) -> None:
    env = hook_environment("d-1", "AfterInstall", "web:2", "http://p", "http://t")
    command = (
        'echo "$BLUEGREEN_DEPLOYMENT_ID $BLUEGREEN_LIFECYCLE_EVENT $BLUEGREEN_REVISION"; exit 4'
    )
    result = asyncio.run(run_shell(command, cwd=tmp_path, env=env, timeout=5))
    assert not result.ok and result.exit_code == 4
    assert result.output.strip() == "d-1 AfterInstall web:2"


def test_hook_timeout_kills_its_whole_group(tmp_path: Path) -> None:
    started = time.monotonic()
    result = asyncio.run(run_shell("sleep 30 & sleep 30", cwd=tmp_path, env={}, timeout=0.2))
    assert not result.ok and "timed out" in result.detail
    assert time.monotonic() - started < 10


def test_alarms_need_enough_requests_and_a_crossed_threshold() -> None:
    config = AlarmsConfig(error_rate=0.1, p99=0.5, window=1.0, min_requests=10)
    assert breached(config, snapshot(5, 5), 1.0) is None
    assert breached(config, snapshot(100, 10), 1.0) is None
    alarm = breached(config, snapshot(100, 11), 1.0)
    assert alarm is not None and alarm.name == "error_rate"
    slow = breached(config, snapshot(100, 0, p99=0.9), 1.0)
    assert slow is not None and slow.name == "p99" and "900ms" in slow.detail
    assert breached(AlarmsConfig(), snapshot(100, 100), 1.0) is None
