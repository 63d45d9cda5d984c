"""The probe streak and the smoke command's verdict, as a sans-IO machine.

`Streak` is told what happened (a probe's answer, the smoke command's exit)
and when, and answers what to do next: probe again at a given time, run the
smoke command with a given timeout, or stop with a verdict. It opens no
socket, starts no process and reads no clock, so the local daemon (async,
inside its loop), the AWS follower and `ci verify` (both sync) drive the
same rules, and the tests drive it with made-up times.

The rules: `consecutive` healthy answers in a row pass the streak; an
unhealthy one starts the count again. Everything, the streak and the smoke
command together, must end within `deadline` seconds of the start, so the
smoke command gets what remains of it. No probe is asked for that would come
after the deadline: the streak fails as soon as it cannot pass in time.
The smoke command runs once, after the streak; its verdict is final.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """What a validation asks for; `target` names what is probed, for messages."""

    consecutive: int
    """Healthy answers in a row needed; 0 when there is nothing to probe."""
    interval: float
    deadline: float
    smoke: bool
    target: str = "the test listener"


@dataclass(frozen=True)
class ProbeAt:
    """Probe the target no earlier than `at`."""

    at: float


@dataclass(frozen=True)
class RunSmoke:
    """Run the smoke command, giving it at most `timeout` seconds."""

    timeout: float


@dataclass(frozen=True)
class Verdict:
    """The end of the validation: whether green passed, and why."""

    passed: bool
    reason: str


Action = ProbeAt | RunSmoke | Verdict


class GateInputError(RuntimeError):
    """An input the machine did not ask for (a probe while the smoke command runs,
    anything after the verdict): a driver bug, never dropped silently."""


class Streak:
    """One validation: feed it `probed` and `smoked`; `next` says what to do."""

    def __init__(self, policy: Policy, now: float) -> None:
        self.policy = policy
        self.deadline = now + policy.deadline
        self.count = 0
        self.last = ""
        self.next: Action = ProbeAt(now) if policy.consecutive else self._after_streak(now)

    def probed(self, at: float, ok: bool, detail: str) -> Action:
        """One probe's answer: healthy or not, and what it was (for the reason)."""
        self._expect(ProbeAt)
        self.count = self.count + 1 if ok else 0
        self.last = detail
        if self.count >= self.policy.consecutive and at <= self.deadline:
            self.next = self._after_streak(at)
        elif at + self.policy.interval > self.deadline:
            self.next = Verdict(False, self._short())
        else:
            self.next = ProbeAt(at + self.policy.interval)
        return self.next

    def smoked(self, ok: bool, detail: str) -> Action:
        """The smoke command's end (`detail`: "exited 3", "timed out after 2s"):
        its verdict is the validation's."""
        self._expect(RunSmoke)
        self.next = Verdict(ok, f"validation command {detail}")
        return self.next

    @property
    def done(self) -> bool:
        return isinstance(self.next, Verdict)

    def _after_streak(self, at: float) -> Action:
        p = self.policy
        if not p.smoke:
            return Verdict(True, f"{self.count} good answers in a row from {p.target}")
        if at >= self.deadline:
            return Verdict(False, f"no time left for the validation command within {p.deadline:g}s")
        return RunSmoke(self.deadline - at)

    def _short(self) -> str:
        p = self.policy
        return (
            f"{p.target} did not answer well {p.consecutive} times in a row "
            f"within {p.deadline:g}s (last: {self.last})"
        )

    def _expect(self, kind: type) -> None:
        if not isinstance(self.next, kind):
            raise GateInputError(f"{kind.__name__} input while the gate's next step is {self.next}")
