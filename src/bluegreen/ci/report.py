"""What a CI job keeps of a deployment: its `--output json` stream read back.

`bluegreen deploy --output json` prints one event per line and a final
`{"verdict": summary}`; any platform does, since the output is written
once. `Record` collects both so the job can write the reports GitLab
shows (JUnit for the validation checks, dotenv for the deployment id)
without knowing anything about the platform that ran the deployment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.events import Event
from ..platform import DeploymentSummary
from ..vocabulary import Status


@dataclass
class Record:
    events: list[Event] = field(default_factory=list)
    verdict: DeploymentSummary | None = None

    def add_line(self, line: str) -> Event | DeploymentSummary | None:
        """Take one line of the stream; what it was, or None for anything
        that is not ours (a warning a tool printed, a blank line)."""
        try:
            data = json.loads(line)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        try:
            if "verdict" in data:
                self.verdict = DeploymentSummary.from_dict(data["verdict"])
                return self.verdict
            event = Event.from_dict(data)
        except (KeyError, TypeError, ValueError):
            return None
        self.events.append(event)
        return event

    @property
    def deployment_id(self) -> str:
        if self.verdict is not None:
            return self.verdict.deployment_id
        return self.events[-1].deployment_id if self.events else ""

    @property
    def status(self) -> Status | None:
        if self.verdict is not None:
            return self.verdict.status
        return self.events[-1].status if self.events else None


def dotenv(record: Record) -> str:
    """GitLab dotenv report: passed to jobs that `needs` the deploy job."""
    lines = [f"DEPLOYMENT_ID={record.deployment_id}"]
    if record.status is not None:
        lines.append(f"DEPLOYMENT_STATUS={record.status.value}")
    if record.verdict is not None and record.verdict.revision:
        lines.append(f"DEPLOYMENT_REVISION={record.verdict.revision}")
    return "\n".join(lines) + "\n"


def write_text(path: Path | None, text: str, append: bool = False) -> None:
    """`append` for files others write to as well (GitHub's job summary)."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a" if append else "w", encoding="utf-8") as file:
            file.write(text)
