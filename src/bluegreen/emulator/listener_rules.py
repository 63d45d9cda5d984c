"""Listener rules made real: what moto stores for a listener's rules, routed on its port.

CreateRule, ModifyRule, DeleteRule and SetRulePriorities change what moto
holds; after each, `rules_of` reads the listener's rules back in priority
order (lowest first), each a `path-pattern` and/or `host-header` condition
(none: every request) and a weighted forward action, and the listener
routes by them as ALB does
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html);
the default action serves what no rule matches. A rule this emulator can't
route (another condition type, a regular-expression match, an action other
than forward) is left out of the routing and the log says which and why,
so what it would have matched goes to the rules after it and the default.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..lb.listener_rules import Rule
from . import moto_state

log = logging.getLogger(__name__)

CONFIG_KEYS = {"path-pattern": "PathPatternConfig", "host-header": "HostHeaderConfig"}


class Unroutable(Exception):
    """A stored rule whose condition or action the emulator does not route."""


def rules_of(listener: Any) -> list[Rule]:
    """The listener's routable rules by priority; the others logged and left out."""
    stored = sorted(moto_state.listener_rules(listener), key=lambda r: int(r.priority))
    found = []
    for rule in stored:
        try:
            found.append(_rule(rule))
        except Unroutable as why:
            log.warning("listener rule %s is stored but not routed: %s", rule.arn, why)
    return found


def _rule(rule: Any) -> Rule:
    weights = moto_state.forward_weights(rule.actions)
    if weights is None:
        raise Unroutable("only forward actions are emulated")
    values: dict[str, tuple[str, ...]] = {"path-pattern": (), "host-header": ()}
    for condition in rule.conditions or []:
        field = condition.get("Field")
        if field not in CONFIG_KEYS:
            raise Unroutable(f"condition {field!r}: only path-pattern and host-header are routed")
        values[field] = _values(condition, CONFIG_KEYS[field])
    return Rule(weights, paths=values["path-pattern"], hosts=values["host-header"])


def _values(condition: Mapping[str, Any], key: str) -> tuple[str, ...]:
    config = condition.get(key) or {}
    if config.get("RegexValues"):
        raise Unroutable(f"{condition['Field']}: regular-expression values are not routed")
    return tuple(config.get("Values") or condition.get("Values") or ())
