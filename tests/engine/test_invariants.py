"""Random input sequences against the lifecycle's invariants (hypothesis, stateful)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bluegreen.engine import inputs
from bluegreen.engine.actions import Action, Finished, ListenerRole, SetWeights
from bluegreen.engine.deployment import Deployment, replay
from bluegreen.engine.deployment_settings import DeploymentSettings, ValidationSettings
from bluegreen.engine.events import ALL_BLUE, Event, EventKind
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
from bluegreen.engine.rejections import IllegalInput, StaleInput
from bluegreen.engine.transitions import (
    ACCEPTED,
    LATE_IS_STALE,
    STALE,
    InputKind,
    Phase,
    kind_of,
)
from bluegreen.vocabulary import HOOKABLE, AutoRollback, LifecycleEvent, ReadyAction

from .lifecycle import completing_input

SCHEDULES = [
    ((0.0, 100),),
    ((0.0, 10), (5.0, 100)),
    ((0.0, 30), (2.0, 60), (4.0, 90), (6.0, 100)),
]


@st.composite
def deployment_settings(draw: st.DrawFn) -> DeploymentSettings:
    hooked = draw(st.sets(st.sampled_from(sorted(HOOKABLE))))
    return DeploymentSettings(
        revision="web:2",
        blue_revision=draw(st.sampled_from(["web:1", None])),
        schedule=draw(st.sampled_from(SCHEDULES)),
        hooks={event: draw(st.sampled_from([1.0, 4.0])) for event in hooked},
        install_timeout=draw(st.sampled_from([2.0, 8.0])),
        validation=ValidationSettings(consecutive_successes=draw(st.integers(1, 3)), deadline=6.0),
        ready_wait=draw(st.sampled_from([0.0, 3.0])),
        ready_timeout_action=draw(st.sampled_from(list(ReadyAction))),
        termination_wait=draw(st.sampled_from([0.0, 5.0])),
        auto_rollback=draw(st.frozensets(st.sampled_from(list(AutoRollback)))),
    )


def _bound(s: DeploymentSettings) -> float:
    """The longest a started deployment can take when only time passes."""
    waits = [s.install_timeout, s.validation.deadline, s.ready_wait, s.termination_wait]
    return sum(waits) + sum(s.hooks.values()) + s.steps[-1][0]


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.fed: list[Input] = []
        self.now = 0.0
        self.finished = 0
        self.green = 0

    @initialize(plan=deployment_settings())
    def create(self, plan: DeploymentSettings) -> None:
        self.deployment = Deployment("d-prop", plan)

    def _feed(self, item: Input) -> list[Action]:
        d = self.deployment
        self.fed.append(item)
        was_rolled_back, phase, kind = d.state.rolled_back, d.phase, kind_of(item)
        before = (d.state, len(d.events), len(d.inputs), d.deadline)
        try:
            actions = d.handle(item)
        except StaleInput:
            assert phase in STALE[kind] or kind in LATE_IS_STALE, f"{kind} stale in {phase}"
            assert (d.state, len(d.events), len(d.inputs), d.deadline) == before
            return []
        except IllegalInput:
            assert phase not in ACCEPTED[kind] or kind is InputKind.HOOK_FINISHED
            assert (d.state, len(d.events), len(d.inputs), d.deadline) == before
            return []
        assert phase in ACCEPTED[kind], f"{kind} taken in {phase}"
        for action in actions:
            if isinstance(action, SetWeights) and action.listener is ListenerRole.PRODUCTION:
                assert action.weights.blue + action.weights.green == 100
                rolling_back = self.deployment.state.rolled_back and not was_rolled_back
                assert action.weights.green >= self.green or rolling_back, "green went down"
                self.green = action.weights.green
        self.finished += sum(isinstance(a, Finished) for a in actions)
        return actions

    @rule(dt=st.sampled_from([0.0, 0.5, 1.0, 3.0]))
    def tick(self, dt: float) -> None:
        self.now += dt
        self._feed(Tick(self.now))

    @rule()
    def start(self) -> None:
        self._feed(Started(self.now))

    @rule(times=st.integers(1, 4))
    def make_progress(self, times: int) -> None:
        """Complete the current phase the good way, so random runs get deep."""
        for _ in range(times):
            if self.deployment.status.terminal:
                return
            item = completing_input(self.deployment, self.now)
            self.now = item.at
            self._feed(item)

    @rule(task_set=st.sampled_from(list(TaskSetRole)))
    def task_set_ready(self, task_set: TaskSetRole) -> None:
        self._feed(TaskSetReady(self.now, task_set))

    @rule(task_set=st.sampled_from(list(TaskSetRole)))
    def task_set_failed(self, task_set: TaskSetRole) -> None:
        self._feed(TaskSetFailed(self.now, task_set, "crashed"))

    @rule(event=st.sampled_from(sorted(HOOKABLE)), ok=st.booleans())
    def hook_finished(self, event: LifecycleEvent, ok: bool) -> None:
        self._feed(HookFinished(self.now, event, ok))

    @rule(ok=st.booleans())
    def probe(self, ok: bool) -> None:
        self._feed(ValidationResult(self.now, ok))

    @rule()
    def continue_requested(self) -> None:
        self._feed(ContinueRequested(self.now))

    @rule(rollback=st.sampled_from([None, True, False]))
    def stop_requested(self, rollback: bool | None) -> None:
        self._feed(StopRequested(self.now, rollback))

    @rule()
    def alarm(self) -> None:
        self._feed(Alarm(self.now, "error_rate", "too many 5xx"))

    @invariant()
    def weights_sum_to_100(self) -> None:
        d = self.deployment
        assert d.weights.blue + d.weights.green == 100
        assert d.test_weights.blue + d.test_weights.green == 100

    @invariant()
    def a_rollback_ends_on_blue_with_green_terminated(self) -> None:
        d = self.deployment
        if d.state.rolled_back:
            assert (d.weights, d.test_weights) == (ALL_BLUE, ALL_BLUE)
            assert d.state.green_terminated and d.status.terminal

    @invariant()
    def at_most_one_ending(self) -> None:
        endings = [
            e for e in self.deployment.events if e.kind is EventKind.STATUS and e.status.terminal
        ]
        assert len(endings) == self.finished == int(self.deployment.status.terminal)

    def teardown(self) -> None:
        """Only time passes now: the deployment must end within its configured deadlines."""
        d = self.deployment
        if d.phase is Phase.CREATED:
            self._feed(Started(self.now))
        began = self.now
        while not d.status.terminal:
            assert d.deadline is not None, f"stuck in {d.phase} with nothing to wait for"
            self.now = max(self.now, d.deadline)
            self._feed(Tick(self.now))
        assert self.finished == 1
        assert self.now - began <= _bound(d.settings) + 1e-9
        recorded = json.loads(json.dumps([inputs.to_dict(i) for i in self.fed]))
        again = replay(d.deployment_id, d.settings, [inputs.from_dict(i) for i in recorded])
        assert (again.state, again.events, again.inputs) == (d.state, d.events, d.inputs)
        stored = json.loads(json.dumps([e.to_dict() for e in d.events]))
        assert [Event.from_dict(e) for e in stored] == d.events


Lifecycle.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_lifecycle_invariants = Lifecycle.TestCase
