"""The files a project's daemon keeps in `.bluegreen/`, in one place.

`daemon.json` says where the running daemon is (pid, admin API port); it is
written once the daemon serves, and removed when it stops, so a leftover one
with a dead pid is a stale file from a crash. `token` is the admin API's
secret, readable by the owner only.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

STATE_DIR = ".bluegreen"


@dataclass(frozen=True)
class DaemonInfo:
    pid: int
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class StateDir:
    path: Path

    @classmethod
    def of(cls, project_dir: Path) -> StateDir:
        return cls(project_dir.resolve() / STATE_DIR)

    @property
    def info_file(self) -> Path:
        return self.path / "daemon.json"

    @property
    def token_file(self) -> Path:
        return self.path / "token"

    @property
    def log_file(self) -> Path:
        return self.path / "daemon.log"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    def new_token(self) -> str:
        """A fresh secret in a file only the owner can read (created 0600, never wider)."""
        self.path.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        self.token_file.unlink(missing_ok=True)
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(token)
        return token

    def token(self) -> str | None:
        try:
            return self.token_file.read_text().strip()
        except FileNotFoundError:
            return None

    def write_info(self, info: DaemonInfo) -> None:
        temporary = self.info_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"pid": info.pid, "port": info.port}))
        temporary.replace(self.info_file)

    def read_info(self) -> DaemonInfo | None:
        """The running daemon; a file whose pid is gone is stale and removed."""
        try:
            data = json.loads(self.info_file.read_text())
            info = DaemonInfo(int(data["pid"]), int(data["port"]))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None
        if not pid_alive(info.pid):
            self.info_file.unlink(missing_ok=True)
            return None
        return info


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
