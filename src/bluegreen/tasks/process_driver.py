"""The default task driver: each task is a shell command in its own process group.

A task is started with `start_new_session`, so it leads a process group
and every child it forks (gunicorn workers, a reloader) is stopped with it:
SIGTERM to the group, SIGKILL after `stop_timeout`. A pid file per task in
`.bluegreen/tasks/` lets a restarted daemon find and kill what a crashed
one left behind; the task's environment carries its id, so a recycled pid
is never mistaken for ours.

A task gets the environment of whoever started the daemon (their PATH,
their virtualenv) plus its task definition's: `python` or `gunicorn` in a
command are the user's, never the ones beside bluegreen's own interpreter,
which lack the user's packages.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from pathlib import Path

from ..errors import PlatformError
from ..state_dir import TASK_PIDS, make_private_dir, write_private
from .driver import TaskSpec
from .listening_ports import group_pids
from .task_logs import copy_stamped, note, note_end

TASK_ID_VARIABLE = "BLUEGREEN_TASK_ID"
GROUP_POLL = 0.02
COPY_GRACE = 1.0
"""How long a task's end waits for its last output to reach the log."""


class ProcessTask:
    def __init__(
        self,
        spec: TaskSpec,
        process: asyncio.subprocess.Process,
        pid_file: Path,
        copier: threading.Thread,
    ) -> None:
        self.task_id = spec.task_id
        self.host = "127.0.0.1"
        self.port = spec.host_port
        self.log_path = spec.log_path
        self.process = process
        self.pid_file = pid_file
        self.copier = copier
        self.stopping = False
        self._log_ended: asyncio.Future[None] | None = None

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    @property
    def handle(self) -> str:
        return str(self.process.pid)

    def pids(self) -> list[int]:
        return group_pids(self.process.pid)  # it leads its own process group

    async def wait(self) -> int:
        code = await self.process.wait()
        await self._reap(code)
        return code

    async def stop(self, timeout: float) -> int:
        """SIGTERM to the group; SIGKILL to what is left of it `timeout` seconds later.
        The whole group is waited for, not only its leader: `sh -c` leads it and
        dies at SIGTERM at once, while the app under it is still ending its streams."""
        self.stopping = self.stopping or self.alive  # one that had exited was not stopped
        pgid = self.process.pid
        _signal_group(pgid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_group_gone(pgid), timeout)
        _signal_group(pgid, signal.SIGKILL)
        code = await self.process.wait()
        await self._reap(code)
        return code

    async def _reap(self, code: int) -> None:
        """The leader is gone; children it left in the group go with it. The log
        then ends (its last lines copied first) with how the task ended."""
        _signal_group(self.process.pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        if self._log_ended is None:
            self._log_ended = asyncio.ensure_future(self._end_log(code))
        # Shielded: a task set stopping cancels the loop that waits here, and the
        # log must still get its last line.
        await asyncio.shield(self._log_ended)

    async def _end_log(self, code: int) -> None:
        # A process that left the group may hold the pipe: wait for the copy a moment only.
        await asyncio.to_thread(self.copier.join, COPY_GRACE)
        note_end(self.log_path, self.task_id, code, stopped=self.stopping)


class ProcessDriver:
    name = "process"

    def __init__(self, state_dir: Path) -> None:
        self.pid_dir = state_dir / TASK_PIDS

    async def start(self, spec: TaskSpec) -> ProcessTask:
        if not spec.command:
            raise PlatformError(
                f"no command for task {spec.task_id}: set local.command in bluegreen.toml "
                "or a CMD in the Dockerfile"
            )
        make_private_dir(self.pid_dir)
        make_private_dir(spec.log_path.parent)
        env = {**os.environ, **spec.env, TASK_ID_VARIABLE: spec.task_id}
        read_end, write_end = os.pipe()  # the output goes to its log through `copy_stamped`
        copier = copy_stamped(read_end, spec.log_path)
        try:
            process = await asyncio.create_subprocess_exec(
                "/bin/sh",
                "-c",
                spec.command,
                cwd=spec.workdir or spec.project_dir,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=write_end,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            with contextlib.suppress(OSError):
                note(spec.log_path, f"task {spec.task_id} could not start: {exc}")
            raise PlatformError(f"task {spec.task_id} could not start: {exc}") from exc
        finally:
            os.close(write_end)  # the copy ends at once if the task never started
        pid_file = self.pid_dir / f"{spec.task_id}.pid"
        write_private(pid_file, str(process.pid))
        return ProcessTask(spec, process, pid_file, copier)

    async def cleanup_orphans(self, project_key: str) -> int:
        """Kill the groups recorded in pid files; `project_key` is implied by the directory."""
        found = 0
        for pid_file in sorted(self.pid_dir.glob("*.pid")):
            task_id = pid_file.stem
            with contextlib.suppress(ValueError, OSError):
                if _is_our_group(int(pid_file.read_text()), task_id):
                    _signal_group(int(pid_file.read_text()), signal.SIGKILL)
                    found += 1
            pid_file.unlink(missing_ok=True)
        return found


def _is_our_group(pgid: int, task_id: str) -> bool:
    """A live leader must carry our task id; a group without its leader can't be recycled."""
    try:
        environ = Path(f"/proc/{pgid}/environ").read_bytes()
    except FileNotFoundError:
        return _group_exists(pgid)
    return f"{TASK_ID_VARIABLE}={task_id}".encode() in environ.split(b"\0")


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


async def _group_gone(pgid: int) -> None:
    """Until no process is left in the group. The kernel tells nobody when a group
    empties, so this asks it every GROUP_POLL seconds."""
    while _group_exists(pgid):
        await asyncio.sleep(GROUP_POLL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
