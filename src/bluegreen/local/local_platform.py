"""`LocalPlatform`: the `Platform` the CLI uses for `--platform local`.

It renders what to deploy on the caller's side (so a mistake in the files
exits 2 before the daemon hears of it) and talks to the project's daemon
over its admin API: JSON requests, Server-Sent Events for the event stream.
The daemon's answers come back as the same `bluegreen.errors` exceptions;
a daemon that is not running is a `PlatformError` saying to run `up`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
from httpx_sse import connect_sse

from ..engine.events import Event
from ..errors import PlatformError, UsageError
from ..platform import DeploymentSummary, DeployRequest
from ..spec.config import BluegreenConfig, LocalDriver
from ..spec.deployment_config import resolve_config
from ..spec.project import Project
from ..spec.taskdef import render_taskdef
from ..state_dir import StateDir

TIMEOUT = httpx.Timeout(30.0, read=None)


class LocalPlatform:
    name = "local"

    def __init__(self, project: Project) -> None:
        self.project = project
        self.state = StateDir.of(project.dir)

    # -- the Platform protocol ----------------------------------------------------

    def deploy(self, request: DeployRequest) -> str:
        if request.image:
            self._refuse_image(request.image)
        taskdef = render_taskdef(
            self.project, image=request.image, set_values=request.set_values, local_defaults=True
        )
        body = {"taskdef": taskdef, "config": self._config(request.config_name)}
        answer = self._call("POST", "/api/deployments", body)
        return str(answer["deployment_id"])

    def events(self, deployment_id: str, *, follow: bool) -> Iterator[Event]:
        path = f"/api/deployments/{deployment_id}/events"
        params = {"follow": "1" if follow else "0"}
        try:
            with (
                self._client() as client,
                connect_sse(client, "GET", path, params=params) as source,
            ):
                _raise_for(source.response)
                for sse in source.iter_sse():
                    if sse.event == "end":
                        return
                    yield Event.from_dict(sse.json())
        except httpx.TransportError as exc:
            raise PlatformError(
                f"the local daemon stopped answering ({exc}); try `bluegreen up`"
            ) from exc

    def status(self, deployment_id: str | None = None) -> DeploymentSummary:
        return DeploymentSummary.from_dict(
            self._call("GET", f"/api/deployments/{deployment_id or 'latest'}")
        )

    def history(self, limit: int = 20) -> list[DeploymentSummary]:
        rows = self._call("GET", f"/api/deployments?limit={limit}")
        return [DeploymentSummary.from_dict(row) for row in rows]

    def continue_deployment(self, deployment_id: str | None = None) -> None:
        self._call("POST", f"/api/deployments/{deployment_id or 'latest'}/continue", {})

    def stop(self, deployment_id: str | None = None, *, rollback: bool = True) -> None:
        path = f"/api/deployments/{deployment_id or 'latest'}/stop"
        self._call("POST", path, {"rollback": rollback})

    def rollback(self, to_revision: str | None = None) -> str:
        body = {"to": to_revision, "config": self._config(None)}
        return str(self._call("POST", "/api/rollback", body)["deployment_id"])

    def _refuse_image(self, image: str) -> None:
        """The process driver would run the working tree and report success: refuse."""
        driver = self.project.config.local.driver
        if driver is LocalDriver.DOCKER:
            return
        which = (
            "the process driver"
            if driver is LocalDriver.PROCESS
            else 'local.driver = "auto" may pick the process driver, which'
        )
        raise UsageError(
            f"--image: {which} runs the app's files, not an image; "
            f'set [local] driver = "docker" to run {image}'
        )

    # -- talking to the daemon -------------------------------------------------------

    def _config(self, config_name: str | None) -> dict[str, Any]:
        config: BluegreenConfig = self.project.config
        where = "deployment.config"
        try:
            if config_name:
                where = "--config"
                chosen = resolve_config(config_name)
                deployment = config.deployment.model_copy(update={"config": chosen})
                config = config.model_copy(update={"deployment": deployment})
            config.deployment.config.schedule()
        except ValueError as exc:
            raise UsageError(f"{where}: {exc}") from exc
        return config.model_dump(mode="json")

    def _client(self) -> httpx.Client:
        info = self.state.read_info()
        token = self.state.token()
        if info is None or token is None:
            raise PlatformError(
                f"the local platform is not running for {self.project.dir}; "
                f"start it with `bluegreen up {self.project.dir}`"
            )
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=info.url, headers=headers, timeout=TIMEOUT)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            with self._client() as client:
                response = client.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise PlatformError(
                f"the local daemon did not answer ({exc}); try `bluegreen up`"
            ) from exc
        _raise_for(response)
        return response.json()


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        message = str(json.loads(response.read())["error"])
    except (ValueError, KeyError, TypeError):
        message = response.text
    if response.status_code == 400:
        raise UsageError(message)
    raise PlatformError(f"the local daemon refused: {message}")
