"""The task definition fields a user changes, compared between two revisions.

A registered task definition comes back with fields AWS fills in (ARNs,
revision numbers, status, defaults such as `essential` and a `hostPort`
equal to the container port); comparing whole documents would show those
as changes on every run. Both sides are reduced to the fields below, in
one spelling, first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .change import Change, compare, masked

TASK_FIELDS = ("family", "cpu", "memory", "executionRoleArn", "taskRoleArn", "runtimePlatform")
CONTAINER_FIELDS = (
    *("image", "command", "entryPoint", "workingDirectory", "cpu", "memory"),
    *("memoryReservation", "healthCheck", "stopTimeout", "user"),
)

# What ECS answers for a container field the definition left out.
FILLED_IN = {"cpu": 0}


def taskdef_changes(live: Mapping[str, Any] | None, proposed: Mapping[str, Any]) -> list[Change]:
    before, after = _task(live or {}), _task(proposed)
    changes = compare("", before, after)
    names = list(dict.fromkeys([*_containers(live or {}), *_containers(proposed)]))
    for name in names:
        old = _containers(live or {}).get(name)
        new = _containers(proposed).get(name)
        if old is None or new is None:
            shown = (None if side is None else "defined" for side in (old, new))
            changes.append(Change(f"container {name}", *shown))
            continue
        changes += _container_changes(name, old, new)
    return changes


def _task(taskdef: Mapping[str, Any]) -> dict[str, Any]:
    fields = {key: taskdef.get(key) for key in TASK_FIELDS if taskdef.get(key) is not None}
    for key in ("cpu", "memory"):  # AWS answers strings; a taskdef.json may hold numbers
        if key in fields:
            fields[key] = str(fields[key])
    return fields


def _containers(taskdef: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(c.get("name")): c for c in taskdef.get("containerDefinitions") or []}


def _container_changes(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    prefix = f"{name}."
    changes = compare(prefix, _fields(old), _fields(new))
    changes += compare(prefix + "ports.", _ports(old), _ports(new))
    old_env, new_env = _pairs(old, "environment", "value"), _pairs(new, "environment", "value")
    changes += [
        Change(c.field, masked(c.field, c.before), masked(c.field, c.after))
        for c in compare(prefix + "environment.", old_env, new_env)
    ]
    old_secrets, new_secrets = (
        _pairs(old, "secrets", "valueFrom"),
        _pairs(new, "secrets", "valueFrom"),
    )
    changes += compare(prefix + "secrets.", old_secrets, new_secrets)
    return changes


def _fields(container: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: container[key]
        for key in CONTAINER_FIELDS
        if container.get(key) is not None and container[key] != FILLED_IN.get(key)
    }


def _ports(container: Mapping[str, Any]) -> dict[str, Any]:
    return {
        f"{m.get('containerPort')}/{m.get('protocol') or 'tcp'}": "exposed"
        for m in container.get("portMappings") or []
    }


def _pairs(container: Mapping[str, Any], key: str, value: str) -> dict[str, Any]:
    return {str(item.get("name")): item.get(value) for item in container.get(key) or []}
