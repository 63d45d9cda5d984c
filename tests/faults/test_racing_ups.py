"""Five `up`s at once: exactly one daemon, the others say "already running", and every
command works afterwards. The scenario is `tests/local/test_one_daemon.py`'s, run here
with five racers as part of the fault suite rather than copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..local import test_one_daemon

RACERS = 5


def test_five_ups_at_once_leave_one_daemon_every_command_reaches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(test_one_daemon, "UPS", RACERS)
    test_one_daemon.test_ups_started_together_leave_one_daemon_that_every_command_reaches(tmp_path)
