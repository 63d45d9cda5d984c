"""`LocalPlatform`: the `Platform` the CLI uses for `--platform local`.

It renders what to deploy on the caller's side (so a mistake in the files
exits 2 before the daemon hears of it) and talks to the project's daemon
over its admin API: JSON requests, Server-Sent Events for the event stream.
The daemon's answers come back as the same `bluegreen.errors` exceptions;
a daemon that is not running is a `PlatformError` saying to run `up`, except
for `status` and `history`: those read `state.db` read-only (never migrating
or writing it) and say that the daemon is down and the data is as of its
last write. Each deployment and rollback carries who or what started it
(`started_by`), which the store records and `history` shows.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx
from httpx_sse import connect_sse

from ..engine.events import Event
from ..errors import PlatformError, UsageError
from ..platform import DeploymentSummary, DeployRequest, LiveState
from ..spec.config import BluegreenConfig
from ..spec.deployment_config import resolve_config
from ..spec.notifications import resolved
from ..spec.project import Project
from ..spec.taskdef import render_taskdef
from ..state_dir import StateDir
from .applied_settings import refuse_restart_edits, restart_refusal
from .launcher import start_daemon
from .live_state import read_live
from .store import STATE_DB, DeploymentRow, Store

TIMEOUT = httpx.Timeout(30.0, read=None)


class DaemonDown(PlatformError):
    """No daemon answers for the project (never started, stopped, or crashed)."""


def started_by(environ: Mapping[str, str] | None = None) -> str:
    """Who or what is deploying: the CI commit and pipeline when a CI runner's
    variables say so (GitLab, GitHub Actions), else user@host."""
    env = os.environ if environ is None else environ
    commit = env.get("CI_COMMIT_SHA") or env.get("GITHUB_SHA")
    pipeline = env.get("CI_PIPELINE_ID") or env.get("GITHUB_RUN_ID")
    parts = [f"commit {commit}" if commit else "", f"pipeline {pipeline}" if pipeline else ""]
    if commit or pipeline:
        return " ".join(part for part in parts if part)
    return f"{getpass.getuser()}@{socket.gethostname()}"


class LocalPlatform:
    name = "local"

    def __init__(self, project: Project) -> None:
        self.project = project
        self.state = StateDir.of(project.dir)

    # -- the Platform protocol ----------------------------------------------------

    def deploy(self, request: DeployRequest) -> str:
        taskdef = self._proposed(request)
        body = {
            "taskdef": taskdef,
            "config": self._config(request.config_name),
            "started_by": started_by(),
            "image": request.image,  # its revision runs under the Docker driver, or is refused
        }
        answer = self._call("POST", "/api/deployments", body)
        return str(answer["deployment_id"])

    def live(self, request: DeployRequest) -> LiveState:
        live = read_live(self.project.dir, self._proposed(request))
        refusal = restart_refusal(self._running_config(), self.project.config)
        return dataclasses.replace(live, refusals=(*live.refusals, *filter(None, [refusal])))

    def _proposed(self, request: DeployRequest) -> dict[str, Any]:
        return render_taskdef(
            self.project, image=request.image, set_values=request.set_values, local_defaults=True
        )

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
        try:
            answer = self._call("GET", f"/api/deployments/{deployment_id or 'latest'}")
        except DaemonDown as down:
            found = self._read_stored(down, lambda store: [store.deployment(deployment_id)])
            if not found and deployment_id:
                raise UsageError(f"no deployment {deployment_id!r}") from None
            if not found:
                raise down from None
            return found[0]
        summary = DeploymentSummary.from_dict(answer)
        info = self.state.read_info()
        if info is None:
            return summary
        details = {**summary.details, "metrics_url": f"{info.url}/metrics"}
        return dataclasses.replace(summary, details=details)

    def now(self, deployment_id: str) -> Mapping[str, Any] | None:
        """The daemon's /api/live while `deployment_id` is the one in flight."""
        view = self._call("GET", "/api/live")
        flight = view.get("deployment") or {}
        return view if flight.get("deployment_id") == deployment_id else None

    def history(self, limit: int = 20) -> list[DeploymentSummary]:
        try:
            rows = self._call("GET", f"/api/deployments?limit={limit}")
        except DaemonDown as down:
            stored = self._read_stored(down, lambda store: store.deployments(limit))
            if not stored:
                raise down from None
            return stored
        return [DeploymentSummary.from_dict(row) for row in rows]

    def continue_deployment(self, deployment_id: str | None = None) -> None:
        self._call("POST", f"/api/deployments/{deployment_id or 'latest'}/continue", {})

    def stop(self, deployment_id: str | None = None, *, rollback: bool = True) -> None:
        path = f"/api/deployments/{deployment_id or 'latest'}/stop"
        self._call("POST", path, {"rollback": rollback})

    def rollback(self, to_revision: str | None = None) -> str:
        body = {"to": to_revision, "config": self._config(None), "started_by": started_by()}
        return str(self._call("POST", "/api/rollback", body)["deployment_id"])

    def refuse_restart_edits(self) -> None:
        """Exit 2 when the files edit what the running daemon applied at `up`."""
        refuse_restart_edits(self._running_config(), self.project.config)

    def _running_config(self) -> BluegreenConfig:
        """The files the daemon started with; the project's own when it is down (`plan`
        reads state.db without it, and the next `up` applies the files as they are)."""
        if self.state.read_info() is None:
            return self.project.config
        return BluegreenConfig.model_validate(self._call("GET", "/api/platform")["config"])

    # -- reading state.db while the daemon is down -----------------------------------

    def _read_stored(
        self, down: DaemonDown, read: Callable[[Store], Sequence[DeploymentRow | None]]
    ) -> list[DeploymentSummary]:
        """`read` on state.db opened read-only, as the daemon would answer, each summary
        marked as read from its last write. Without a state.db the daemon's absence
        stands; so it does, for the caller, when no deployment is stored (nothing
        could say that the daemon is down)."""
        path = self.state.path / STATE_DB
        try:
            store = Store(path, read_only=True)
        except FileNotFoundError:
            raise down from None
        try:
            rows = read(store)
        finally:
            store.close()
        written = max(f.stat().st_mtime for f in self.state.path.glob(f"{STATE_DB}*"))
        return [row.summary(daemon="down", as_of=written) for row in rows if row is not None]

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
        # Webhook URLs from the deploying user's environment, as placeholders are.
        notifications = resolved(config.notifications, str(self.project.config_path))
        return config.model_copy(update={"notifications": notifications}).model_dump(mode="json")

    def _client(self) -> httpx.Client:
        info = self.state.read_info()
        if info is None and self.state.runtime_pid() is not None:
            # The controller died and the runtime serves on: a new controller adopts it.
            info, _ = start_daemon(self.project.dir)
        token = self.state.token()
        if info is None or token is None:
            raise DaemonDown(
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
            raise DaemonDown(
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
