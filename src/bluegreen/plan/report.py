"""The plan: every change a deploy would make, the schedule, and what it would refuse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..platform import LiveState
from ..spec.engine_settings import deployment_settings
from ..spec.project import Project
from .change import Change
from .file_changes import file_changes
from .settings_changes import settings_changes
from .taskdef_changes import taskdef_changes
from .timeline import Moment, timeline


@dataclass(frozen=True)
class Plan:
    platform: str
    live_revision: str | None
    taskdef: list[Change]
    settings: list[Change]
    files: list[Change]
    schedule: list[Moment]
    refusals: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        """Whether a deploy would change anything (a first deploy always does)."""
        return self.live_revision is None or bool(self.taskdef or self.settings or self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "live_revision": self.live_revision,
            "changes": self.changes,
            "task_definition": [c.to_dict() for c in self.taskdef],
            "settings": [c.to_dict() for c in self.settings],
            "files": [c.to_dict() for c in self.files],
            "schedule": [m.to_dict() for m in self.schedule],
            "refusals": self.refusals,
        }


def build_plan(project: Project, platform: str, live: LiveState) -> Plan:
    new = deployment_settings(project.config, "(new)", live.revision)
    return Plan(
        platform=platform,
        live_revision=live.revision,
        taskdef=taskdef_changes(live.taskdef, live.proposed) if live.revision else [],
        settings=settings_changes(live.settings, new),
        files=file_changes(live.files, project.dir),
        schedule=timeline(new),
        refusals=list(live.refusals),
    )
