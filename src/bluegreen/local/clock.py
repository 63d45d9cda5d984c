"""The controller's clock: the time it stamps inputs with, and sleeping until a time.

The engine reads no clock; its driver does, through this one object, so that
the controller's unit tests can drive timers with a fake clock instead of
waiting for real seconds to pass.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep_until(self, at: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep_until(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
