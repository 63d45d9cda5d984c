"""One difference between what runs and what a deploy would run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Environment names whose values are not shown, only that they changed.
SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|AUTH|COOKIE", re.IGNORECASE)
MASK = "(hidden)"


@dataclass(frozen=True)
class Change:
    """`field` goes from `before` to `after`; None on one side: added or removed."""

    field: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "changed"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "kind": self.kind, "before": self.before, "after": self.after}


def compare(prefix: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Changes between two flat mappings, in the order of their keys."""
    keys = list(dict.fromkeys([*before, *after]))
    return [
        Change(f"{prefix}{key}", before.get(key), after.get(key))
        for key in keys
        if before.get(key) != after.get(key)
    ]


def masked(name: str, value: Any) -> Any:
    """An environment value as `plan` may print it."""
    return MASK if value is not None and SECRET_NAME.search(name) else value
