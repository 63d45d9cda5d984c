"""A project of the busybox test app on the local platform, for the Docker
end-to-end suites: its task definition takes `--image`, and its containers
are found by the project's label."""

from __future__ import annotations

import json
from pathlib import Path

import docker

from bluegreen.tasks.driver import LABEL_PROJECT

from ..local.harness import Project, make_project
from .project import APP

TASKDEF = {
    "family": "web",
    "containerDefinitions": [
        {"name": "web", "image": "<IMAGE_URI>", "essential": True, "stopTimeout": 2,
         "portMappings": [{"containerPort": 8000}]}
    ],
}  # fmt: skip


def docker_project(root: Path, driver: str = "docker") -> Project:
    """Host networking: the test engine has no bridge. Under the process driver the
    tasks of a revision without `--image` run the tests' local app."""
    extra = f'driver = "{driver}"\nnetwork = "host"'
    project = make_project(root, termination_wait="0s", extra=extra)
    (root / "taskdef.json").write_text(json.dumps(TASKDEF))
    (root / "Dockerfile").write_text((APP / "Dockerfile").read_text())
    (root / "www").mkdir()
    (root / "www" / "health").write_text("ok\n")
    return project


def our_containers(client: docker.DockerClient, project: Project) -> list[str]:
    """The revisions of the project's containers, running or not."""
    label = f"{LABEL_PROJECT}={project.dir.resolve()}"
    found = client.containers.list(all=True, filters={"label": label})
    return [c.labels["bluegreen.revision"] for c in found]
