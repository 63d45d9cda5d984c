"""Driving the `Streak` with real probes and the real smoke command.

Two small loops over the same machine, one per I/O style: `run_sync` for
the AWS follower and `ci verify` (a generator of reports, returning the
verdict), `run_async` for the local daemon (inside its event loop, feeding
each probe to the engine as it comes). Neither decides anything itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass

import httpx

from .plan import Coordinates, GatePlan
from .streak import ProbeAt, RunSmoke, Streak, Verdict

OUTPUT_TAIL = 2000


@dataclass(frozen=True)
class Report:
    """Something worth telling the user; `result` is set on the verdict."""

    message: str
    result: str | None = None
    output: str | None = None


@dataclass(frozen=True)
class Outcome:
    """One answer the gate took in (a probe, or the smoke command's verdict)."""

    at: float
    ok: bool
    detail: str
    final: bool


def run_sync(
    plan: GatePlan, where: Coordinates | None = None, clock: Callable[[], float] = time.monotonic
) -> Generator[Report, None, bool]:
    """Report what changes; return whether the gate passed."""
    last, output = "", None
    with httpx.Client(timeout=plan.probe.timeout if plan.probe else 5.0) as client:
        streak = Streak(plan.policy, clock())  # after the client exists: slow hosts
        while not streak.done:
            match streak.next:
                case ProbeAt(at=at):
                    time.sleep(max(0.0, at - clock()))
                    assert plan.probe is not None
                    ok, detail = plan.probe.ask(client)
                    if detail != last:
                        yield Report(f"{plan.probe.url}: {detail}")
                        last = detail
                    streak.probed(clock(), ok, detail)
                case RunSmoke(timeout=timeout):
                    yield Report(f"running validation command: {plan.command}")
                    assert where is not None, "a plan with a command needs its coordinates"
                    result = asyncio.run(plan.smoke(where, timeout))
                    output = result.output[-OUTPUT_TAIL:]
                    streak.smoked(result.ok, result.detail)
    report = verdict(streak, output)
    yield report
    return report.result == "passed"


def verdict(streak: Streak, output: str | None) -> Report:
    assert isinstance(streak.next, Verdict)
    return Report(streak.next.reason, "passed" if streak.next.passed else "failed", output)


async def run_async(
    plan: GatePlan,
    where: Coordinates,
    feed: Callable[[Outcome], Awaitable[None]],
    clock: Callable[[], float] = time.time,
) -> bool:
    """Feed every probe; the one that completes the streak is decided by the
    smoke command when there is one, and the verdict is fed as final."""
    output = ""
    # Making a client loads the CA bundle (70-550 ms measured here): that is done
    # off the loop, which on the local platform is the one serving production.
    timeout = plan.probe.timeout if plan.probe else 5.0
    client = await asyncio.to_thread(httpx.AsyncClient, timeout=timeout)
    async with client:
        streak = Streak(plan.policy, clock())
        while not streak.done:
            match streak.next:
                case ProbeAt(at=at):
                    await asyncio.sleep(max(0.0, at - clock()))
                    assert plan.probe is not None
                    ok, detail = await plan.probe.ask_async(client)
                    now = clock()
                    if isinstance(streak.probed(now, ok, detail), ProbeAt):
                        await feed(Outcome(now, ok, f"{plan.probe.url}: {detail}", final=False))
                case RunSmoke(timeout=timeout):
                    result = await plan.smoke(where, timeout)
                    output = result.output[-OUTPUT_TAIL:]
                    streak.smoked(result.ok, result.detail)
    last = verdict(streak, output)
    detail = f"{last.message}\n{output}".strip() if output else last.message
    await feed(Outcome(clock(), last.result == "passed", detail, final=True))
    return last.result == "passed"
