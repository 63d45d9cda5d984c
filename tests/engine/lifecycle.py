"""Drive a `Deployment` with a fake clock: settings that make every phase a wait,
the input that completes each phase, and the inputs that end it early."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bluegreen.engine.actions import Action, SetWeights
from bluegreen.engine.deployment import Deployment
from bluegreen.engine.deployment_settings import DeploymentSettings, ValidationSettings
from bluegreen.engine.events import Weights
from bluegreen.engine.inputs import (
    Alarm,
    ContinueRequested,
    HookFinished,
    Input,
    Started,
    StopRequested,
    TaskSetFailed,
    TaskSetReady,
    TaskSetRole,
    Tick,
    ValidationResult,
)
from bluegreen.engine.transitions import Phase
from bluegreen.vocabulary import HOOKABLE, ReadyAction

ACTIVE = [p for p in Phase if p is not Phase.CREATED and not p.ending]


def waiting_settings(**changes: Any) -> DeploymentSettings:
    """Every phase waits for something: all hooks, a ready wait, canary, termination wait."""
    base = DeploymentSettings(
        revision="web:2",
        blue_revision="web:1",
        desired_count=2,
        schedule=((0.0, 10), (30.0, 55), (60.0, 100)),
        config_name="three steps, 30s apart",
        hooks={event: 20.0 for event in HOOKABLE},
        install_timeout=60.0,
        validation=ValidationSettings(path="/health", consecutive_successes=2, deadline=40.0),
        ready_wait=50.0,
        ready_timeout_action=ReadyAction.STOP,
        termination_wait=70.0,
    )
    return replace(base, **changes)


class Driver:
    """A deployment plus a clock that moves one second per input unless told otherwise."""

    def __init__(self, settings: DeploymentSettings | None = None) -> None:
        self.deployment = Deployment("d-1", settings or waiting_settings())
        self.now = 0.0
        self.actions: list[Action] = []

    def feed(self, make: Callable[[float], Input]) -> list[Action]:
        """Send the input `make` builds for one second later."""
        return self.send(make(self.now + 1.0))

    def send(self, item: Input) -> list[Action]:
        self.now = max(self.now, item.at)
        actions = self.deployment.handle(item)
        self.actions += actions
        return actions

    def tick_to_deadline(self) -> list[Action]:
        deadline = self.deployment.deadline
        assert deadline is not None, f"nothing to wait for in {self.deployment.phase}"
        self.now = max(self.now, deadline) - 1.0
        return self.feed(Tick)

    def complete(self) -> None:
        """Feed what finishes the current phase the good way."""
        phase = self.deployment.phase
        while self.deployment.phase is phase:
            self.send(completing_input(self.deployment, self.now + 1.0))

    def reach(self, phase: Phase) -> Driver:
        for _ in range(30):
            if self.deployment.phase is phase:
                return self
            self.complete()
        raise AssertionError(f"never reached {phase}; stuck in {self.deployment.phase}")

    def production_weights(self) -> list[Weights]:
        return [
            a.weights
            for a in self.actions
            if isinstance(a, SetWeights) and a.listener == "production"
        ]


def completing_input(deployment: Deployment, at: float) -> Input:
    """The one input that moves `deployment` toward the end of its phase, the good way."""
    phase = deployment.phase
    event = phase.lifecycle_event
    if phase is Phase.CREATED:
        return Started(at)
    if phase.hookable and event is not None:
        return HookFinished(at, event, ok=True, detail="ok")
    if phase is Phase.INSTALL:
        return TaskSetReady(at)
    if phase is Phase.ALLOW_TEST_TRAFFIC:
        return ValidationResult(at, ok=True)
    if phase is Phase.ALLOW_TRAFFIC and deployment.deadline is not None:
        return Tick(max(at, deployment.deadline))
    if phase in (Phase.READY_WAIT, Phase.TERMINATION_WAIT):
        return ContinueRequested(at)
    raise AssertionError(f"nothing completes {phase}")


def failure_inputs(phase: Phase) -> dict[str, Callable[[Driver], object]]:
    """Every way a DEPLOYMENT_FAILURE can happen in `phase`, by name."""
    ways: dict[str, Callable[[Driver], object]] = {}
    event = phase.lifecycle_event
    if phase.hookable and event is not None:
        ways["hook failed"] = lambda d: d.feed(lambda at: HookFinished(at, event, False, "exit 1"))
        ways["hook timed out"] = Driver.tick_to_deadline
    if phase in (Phase.INSTALL, Phase.ALLOW_TEST_TRAFFIC):
        ways["deadline passed"] = Driver.tick_to_deadline
    if phase not in (Phase.BEFORE_INSTALL,):
        ways["green failed"] = lambda d: d.feed(
            lambda at: TaskSetFailed(at, TaskSetRole.GREEN, "exited 3 times")
        )
    return ways


def alarm(driver: Driver) -> object:
    return driver.feed(lambda at: Alarm(at, "error_rate", "5xx 12% > 5%"))


def stop(rollback: bool | None) -> Callable[[Driver], object]:
    return lambda driver: driver.feed(lambda at: StopRequested(at, rollback))
