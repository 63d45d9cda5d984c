"""Listener rules: which weighted forward serves a request, by its path and host.

An ALB listener evaluates its rules in priority order, lowest first, and
the first whose conditions all match serves the request; when none
matches, the default action does
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html).
Of the condition types
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html)
two are read here: `path-pattern`, case-sensitive and matched against the
path alone (not the query string), and `host-header`, case-insensitive and
matched against the host name (its port left out). Both take `*` (zero or
more characters) and `?` (exactly one); a condition with several values
matches when one of them does. A rule without conditions matches every
request.

The listener routes by rules only when it has some (`Listener.rules`), so
a listener without rules reads nothing of the request: the hot path stays
as it was. Each rule keeps its own smooth weighted rotation, so its shares
are as exact as the default action's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .routing import SmoothWeightedRoundRobin

if TYPE_CHECKING:
    from .target_group import TargetGroup

_REQUEST_LINE = re.compile(rb"[^ ]+ ([^ ]+) ")
_HOST = re.compile(rb"\r\nhost:[ \t]*([^\r]*)", re.IGNORECASE)


def wildcard(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """ALB's wildcards as a regular expression matching the whole value."""
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts) + r"\Z", re.IGNORECASE if ignore_case else 0)


@dataclass(frozen=True)
class Rule:
    """One rule: its conditions (every one must match) and its forward's weights."""

    weights: Mapping[str, int]
    paths: tuple[str, ...] = ()
    """path-pattern values: one of them must match (none: any path)."""
    hosts: tuple[str, ...] = ()
    """host-header values: one of them must match (none: any host)."""


@dataclass
class _Compiled:
    paths: list[re.Pattern[str]]
    hosts: list[re.Pattern[str]]
    choose: Callable[[], TargetGroup | None]

    def matches(self, path: str, host: str) -> bool:
        if self.paths and not any(p.match(path) for p in self.paths):
            return False
        return not self.hosts or any(h.match(host) for h in self.hosts)


class RuleTable:
    """Rules in priority order, each with its own rotation over its target groups."""

    def __init__(self, rules: Sequence[Rule], groups: Mapping[str, TargetGroup]) -> None:
        self.rules = list(rules)
        self._compiled: list[_Compiled] = []
        for rule in rules:
            unknown = [name for name in rule.weights if name not in groups]
            if unknown:
                raise ValueError(f"listener rule: no target group named {unknown[0]!r}")
            rotation = SmoothWeightedRoundRobin({groups[n]: w for n, w in rule.weights.items()})
            self._compiled.append(
                _Compiled(
                    [wildcard(p) for p in rule.paths],
                    [wildcard(h, ignore_case=True) for h in rule.hosts],
                    rotation.next,
                )
            )

    def match(self, head: bytes) -> Callable[[], TargetGroup | None] | None:
        """The chooser of the first rule matching the request head; None when none does."""
        path, host = request_path_and_host(head)
        for rule in self._compiled:
            if rule.matches(path, host):
                return rule.choose
        return None


def request_path_and_host(head: bytes) -> tuple[str, str]:
    """The path (no query) of a request head llhttp accepted, and its Host's name."""
    line = _REQUEST_LINE.match(head)
    target = line.group(1).decode("latin-1") if line else "/"
    host_header = _HOST.search(head)
    host = host_header.group(1).decode("latin-1").strip() if host_header else ""
    if "://" in target:  # absolute-form: the host is the URL's (RFC 9112 3.2.2)
        _, _, rest = target.partition("://")
        host, slash, path = rest.partition("/")
        target = slash + path or "/"
    return target.partition("?")[0], _host_name(host)


def _host_name(host: str) -> str:
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if ":" in host else host
