"""Following an AWS deployment: poll, emit, gate at Ready, follow the rollback.

For AWS the CLI process is the controller: the service runs the lifecycle,
but nothing on AWS checks green through the test listener for us. So the
follower, on seeing Ready, runs the gate and either continues or stops
with rollback, then keeps following until the deployment (and a rollback
CodeDeploy started as a separate deployment) has ended. Polling adapts:
fast right after a change, slower while nothing moves. The gate runs only
once the platform confirms, from the deployment's own data, that green
holds the test traffic; when it does not, validating would check blue, so
the follower stops with rollback instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

from ..engine.events import Event, EventKind
from ..errors import DeploymentTimedOut
from ..gate import Coordinates, GatePlan, Report, run_sync
from ..spec.duration import parse_duration
from ..vocabulary import LifecycleEvent, Status, StepStatus
from .progress import Snapshot, changes, note, undoing_weights


class DeploymentControls(Protocol):
    """What a platform offers the follower: read a deployment, say who holds its
    test traffic and where it is, leave Ready, abort."""

    def snapshot(self, deployment_id: str) -> Snapshot: ...

    def test_traffic_holder(self, ready: Snapshot) -> str | None:
        """None when green holds all the test traffic; else who does, for the reason."""
        ...

    def coordinates(self, ready: Snapshot) -> Coordinates: ...

    def resume(self, snapshot: Snapshot) -> None: ...

    def abort(self, snapshot: Snapshot) -> None: ...


@dataclass(frozen=True)
class Polling:
    """Adaptive poll intervals and the overall deadline, in seconds."""

    first: float = 2.0
    longest: float = 15.0
    growth: float = 1.5
    timeout: float = 3 * 3600.0

    @classmethod
    def from_env(cls, timeout: float) -> Polling:
        """BLUEGREEN_AWS_POLL / BLUEGREEN_AWS_POLL_MAX / BLUEGREEN_AWS_TIMEOUT override."""
        polling = cls(timeout=timeout)
        env = {
            "first": "BLUEGREEN_AWS_POLL",
            "longest": "BLUEGREEN_AWS_POLL_MAX",
            "timeout": "BLUEGREEN_AWS_TIMEOUT",
        }
        for attribute, name in env.items():
            if os.environ.get(name):
                polling = replace(polling, **{attribute: parse_duration(os.environ[name])})
        return polling

    def next(self, current: float, changed: bool) -> float:
        return self.first if changed else min(self.longest, current * self.growth)


@dataclass
class InstallClock:
    """Install may wait an hour for a crash-looping green set; stop it sooner.

    Started when Install is first seen in progress; `expired` once it has
    been in progress longer than `[deployment] install_timeout`.
    """

    limit: float | None
    started: float | None = None
    fired: bool = False

    def expired(self, snapshot: Snapshot) -> bool:
        step = snapshot.steps.get(LifecycleEvent.INSTALL)
        installing = step is not None and step.status is StepStatus.IN_PROGRESS
        if self.limit is None or self.fired or not installing:
            return False
        if self.started is None:
            self.started = time.monotonic()
        self.fired = time.monotonic() - self.started > self.limit
        return self.fired


def follow(
    controller: DeploymentControls,
    deployment_id: str,
    *,
    follow: bool,
    gate: GatePlan | None,
    polling: Polling,
    install_timeout: float | None = None,
) -> Iterator[Event]:
    """The deployment's events; with `follow`, until it and its rollback have ended."""
    install = InstallClock(install_timeout)
    last = yield from _watch(controller, deployment_id, follow, gate, polling, install)
    if follow and last.status is not Status.SUCCEEDED and not last.rollback_id:
        time.sleep(polling.first)  # CodeDeploy may name the rollback a moment after failing
        settled = controller.snapshot(deployment_id)
        yield from changes(last, settled)
        last = settled
    if follow and last.rollback_id:
        yield from _follow_rollback(controller, last, polling)


def _watch(
    controller: DeploymentControls,
    deployment_id: str,
    follow: bool,
    gate: GatePlan | None,
    polling: Polling,
    install: InstallClock,
    read: Callable[[Snapshot], Snapshot] = lambda snapshot: snapshot,
) -> Generator[Event, None, Snapshot]:
    give_up = time.monotonic() + polling.timeout
    before: Snapshot | None = None
    gated = False
    pause = polling.first
    while True:
        now = read(controller.snapshot(deployment_id))
        events = changes(before, now)
        yield from events
        before = now
        if not follow or now.status.terminal:
            return now
        if now.status is Status.READY and not gated and _test_traffic_moved(now):
            gated = True
            yield from _decide(controller, now, gate)
        if install.expired(now):
            line = f"Install still in progress after {install.limit:g}s: stopping, rollback"
            yield note(deployment_id, now.status, EventKind.ROLLBACK, line)
            controller.abort(now)
        if time.monotonic() > give_up:
            raise DeploymentTimedOut(
                f"gave up waiting for {deployment_id} after {polling.timeout:g}s "
                f"(still {now.status.value}); it keeps running on AWS"
            )
        pause = polling.next(pause, bool(events))
        time.sleep(pause)


def _test_traffic_moved(ready: Snapshot) -> bool:
    """Ready comes after AllowTestTraffic; wait for the service to say it is over
    (which, Skipped, does not mean that green holds the test traffic)."""
    step = ready.steps.get(LifecycleEvent.ALLOW_TEST_TRAFFIC)
    return step is None or step.status not in (StepStatus.PENDING, StepStatus.IN_PROGRESS)


def _decide(
    controller: DeploymentControls, ready: Snapshot, gate: GatePlan | None
) -> Iterator[Event]:
    did = ready.deployment_id
    if gate is None:
        line = "waiting before rerouting: run `bluegreen continue` (no test listener configured)"
        yield note(did, Status.READY, EventKind.MESSAGE, line)
        return
    holder = controller.test_traffic_holder(ready)
    if holder is not None:
        line = f"green does not hold the test traffic ({holder}): not validating blue; rollback"
        yield note(did, Status.READY, EventKind.ROLLBACK, line)
        controller.abort(ready)
        return
    passed = yield from _validation_events(did, run_sync(gate, controller.coordinates(ready)))
    if passed:
        yield note(did, Status.READY, EventKind.MESSAGE, "validation passed: rerouting traffic")
        controller.resume(ready)
    else:
        yield note(did, Status.READY, EventKind.ROLLBACK, "validation failed: stopping, rollback")
        controller.abort(ready)


def _validation_events(
    deployment_id: str, run: Generator[Report, None, bool]
) -> Generator[Event, None, bool]:
    """The gate's reports as VALIDATION events; its verdict."""
    while True:
        try:
            report = next(run)
        except StopIteration as end:
            return bool(end.value)
        details = {"result": report.result} if report.result else {}
        if report.output is not None:
            details["output"] = report.output
        yield note(deployment_id, Status.READY, EventKind.VALIDATION, report.message, **details)


def _as_rollback(event: Event, stopped: Snapshot) -> Event:
    """A rollback deployment's event told under the stopped deployment (its
    weights already read from that side, see `undoing_weights`)."""
    return replace(
        event,
        deployment_id=stopped.deployment_id,
        kind=EventKind.ROLLBACK,
        status=stopped.status,
        message=f"rollback {stopped.rollback_id}: {event.message}",
    )


def _follow_rollback(
    controller: DeploymentControls, stopped: Snapshot, polling: Polling
) -> Iterator[Event]:
    """The rollback's progress, reported under the deployment it undoes.

    Its events keep the stopped deployment's status, so the last status in
    the stream stays Stopped/Failed (exit 1) even when the rollback succeeds.
    """
    assert stopped.rollback_id is not None

    def undoing(snapshot: Snapshot) -> Snapshot:
        return replace(snapshot, weights=undoing_weights(snapshot, stopped))

    no_limit = InstallClock(None)
    rollback = _watch(controller, stopped.rollback_id, True, None, polling, no_limit, undoing)
    while True:
        try:
            event = next(rollback)
        except StopIteration as end:
            done: Snapshot = end.value
            break
        yield _as_rollback(event, stopped)
    verdict = "production is back on blue" if done.status is Status.SUCCEEDED else "FAILED"
    line = f"rollback {stopped.rollback_id} {done.status.value}: {verdict}"
    yield note(stopped.deployment_id, stopped.status, EventKind.ROLLBACK, line)
