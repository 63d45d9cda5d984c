"""docs/engine.md's generated parts, rendered from the engine's own tables.

The lifecycle diagram (mermaid) comes from `TRANSITIONS`, the input table
from `ACCEPTED` and `STALE`, the deadline table from `DEADLINES` and the
rollback table from `ROLLBACK_RULES`, so the documentation can't drift from
the code.
Text in, text out: tests/engine/test_docs.py checks the page and rewrites
it on request.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..vocabulary import ReadyAction
from .transitions import (
    ACCEPTED,
    DEADLINES,
    ENDINGS,
    LATE_IS_STALE,
    ROLLBACK_RULES,
    RUNNING,
    STALE,
    TRANSITIONS,
    Deadline,
    InputKind,
    Phase,
    Trigger,
    deadline_rule,
)

_RUNNING = list(RUNNING)


def _node(phase: Phase) -> str:
    return phase.name.lower()


def _shared_edges() -> dict[Trigger, Phase]:
    """Edges every running phase has: drawn once, from the box around them."""
    first, *rest = (TRANSITIONS[p] for p in _RUNNING)
    return {t: to for t, to in first.items() if all(moves.get(t) is to for moves in rest)}


def _edges() -> tuple[list[str], list[str]]:
    """Edges between running phases (drawn inside the box), and all the others."""
    shared = _shared_edges()
    inside: list[str] = []
    outside = [f"running --> {_node(to)}: {t.value}" for t, to in shared.items()]
    for phase, moves in TRANSITIONS.items():
        for trigger, target in moves.items():
            running = phase in _RUNNING
            if running and trigger in shared:
                continue
            edge = f"{_node(phase)} --> {_node(target)}: {trigger.value}"
            (inside if running and not target.ending else outside).append(edge)
    return inside, outside


def mermaid() -> str:
    """The lifecycle as a mermaid state diagram."""
    inside, outside = _edges()
    others = [p for p in TRANSITIONS if p not in _RUNNING]
    lines = ["stateDiagram-v2", "    [*] --> created"]
    lines += [f'    state "{p.value}" as {_node(p)}' for p in others]
    lines.append('    state "running: InProgress or Ready" as running {')
    lines += [f'        state "{p.value}" as {_node(p)}' for p in _RUNNING]
    lines += [f"        {edge}" for edge in inside]
    lines.append("    }")
    lines += [f"    {edge}" for edge in outside]
    lines += [f"    {_node(p)} --> [*]" for p in ENDINGS]
    return "\n".join(lines)


def rollback_table() -> str:
    """Each early ending: the status it gives and the auto-rollback event that governs it."""
    lines = [
        "| trigger | ends | error code | rolls back when enabled |",
        "|---|---|---|---|",
    ]
    for trigger, rule in ROLLBACK_RULES.items():
        ends = {TRANSITIONS[p].get(trigger) for p in TRANSITIONS} - {None}
        status = ", ".join(sorted(ENDINGS[p].value for p in ends if p is not None))
        lines.append(f"| {trigger.value} | {status} | {rule.code} | {rule.governed_by.value} |")
    return "\n".join(lines)


def _phases(phases: frozenset[Phase]) -> str:
    """Phases in lifecycle order, with the whole running box or all endings named once."""
    names = []
    rest = set(phases)
    for group, label in ((set(_RUNNING), "every running phase"), (set(ENDINGS), "the endings")):
        if group <= rest:
            rest -= group
            names.append(label)
    names[:0] = [p.value for p in Phase if p in rest]
    return ", ".join(names) or "—"


def inputs_table() -> str:
    """Which phases take each input, which see it as stale, and where it is illegal."""
    lines = ["| input | taken in | stale in | illegal in |", "|---|---|---|---|"]
    for kind in InputKind:
        taken, stale = ACCEPTED[kind], STALE[kind]
        illegal = frozenset(Phase) - taken - stale
        late = " (stale when stamped after the deadline)" if kind in LATE_IS_STALE else ""
        row = [kind.value, _phases(taken) + late, _phases(stale), _phases(illegal)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _readable(reason: str) -> str:
    """A reason template as prose: `{s.install_timeout:g}s` reads `install_timeout`."""
    return re.sub(r"\{(?:s\.)?([\w.]+)(?::g)?\}s?", r"`\1`", reason)


def deadlines_table() -> str:
    """What each waiting phase's deadline passing means."""
    rows: list[tuple[str, Deadline]] = []
    for phase in _RUNNING:
        if phase is Phase.READY_WAIT:
            rows += [(f"{phase.value} ({a.value})", deadline_rule(phase, a)) for a in ReadyAction]
        else:
            rows.append((phase.value, DEADLINES[phase]))
    lines = ["| phase | when its deadline passes | reason recorded |", "|---|---|---|"]
    lines += [f"| {name} | {d.trigger.value} | {_readable(d.reason)} |" for name, d in rows]
    return "\n".join(lines)


SECTIONS: dict[str, Callable[[], str]] = {
    "lifecycle": lambda: f"```mermaid\n{mermaid()}\n```",
    "inputs": inputs_table,
    "deadlines": deadlines_table,
    "rollback": rollback_table,
}


def update(page: str) -> str:
    """`page` with every generated section rendered afresh.

    A section sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`."""
    for name, render in SECTIONS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        found = pattern.search(page)
        if found is None:
            raise ValueError(f"no generated:{name} section in the page")
        page = page[: found.end(1)] + render() + "\n" + page[found.start(2) :]
    return page
