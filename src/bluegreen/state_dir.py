"""The files a project's daemon keeps in `.bluegreen/`, in one place.

`daemon.json` says where the running daemon is (pid, admin API port); it is
written once the daemon serves, and removed when it stops, so a leftover one
with a dead pid is a stale file from a crash. `token` is the admin API's
secret.

Two lock files decide who may write the others. `daemon.lock` is held by the
daemon for its whole life, taken before it writes anything, so a second
daemon for the same project stops before it can overwrite the token or
remove the first one's `daemon.json`. `up.lock` is held by one `bluegreen
up` while it starts a daemon and waits for it, so `up`s started together
take turns instead of racing. Both are `flock`s: the kernel drops them when
their process ends, so a killed daemon leaves no lock that blocks.

A `.bluegreen` that is a file is the user's to move: every command that
reads it says so (exit 2) instead of "not running".

Everything here may hold a secret (a task's environment is in the store and
its logs), so directories are made 0700 and files 0600, whatever the umask.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, SpecError

STATE_DIR = ".bluegreen"
TASK_PIDS = "tasks"
"""The process driver's pid files, one per running task, under the state directory."""
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SHARED_BITS = 0o077


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

    @property
    def task_pids(self) -> Path:
        return self.path / TASK_PIDS

    @property
    def daemon_lock_file(self) -> Path:
        return self.path / "daemon.lock"

    @property
    def up_lock_file(self) -> Path:
        return self.path / "up.lock"

    @property
    def runtime_socket(self) -> Path:
        """The runtime's API (`bluegreen.runtime`): listeners, target groups, tasks."""
        return self.path / "runtime.sock"

    @property
    def runtime_info_file(self) -> Path:
        return self.path / "runtime.json"

    @property
    def runtime_sockets_socket(self) -> Path:
        """Where the runtime hands copies of its listening sockets to a controller."""
        return self.path / "runtime-sockets.sock"

    @property
    def runtime_lock_file(self) -> Path:
        return self.path / "runtime.lock"

    @property
    def runtime_log_file(self) -> Path:
        return self.path / "runtime.log"

    def runtime_pid(self) -> int | None:
        """The running runtime's pid; None when there is none (or its file is stale)."""
        try:
            pid = int(json.loads(self.runtime_info_file.read_text())["pid"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None
        return pid if pid_alive(pid) else None

    def prepare(self) -> None:
        """Create the directory 0700, and take group/other bits off whatever is already in it
        (a `.bluegreen/` made by an older version, or by hand, with the umask's 0755/0644)."""
        make_private_dir(self.path)
        tighten(self.path)
        for root, dirs, files in os.walk(self.path):
            for name in [*dirs, *files]:
                tighten(Path(root) / name)

    def new_token(self) -> str:
        """A fresh secret in a file only the owner can read (created 0600, never wider)."""
        make_private_dir(self.path)
        token = secrets.token_urlsafe(32)
        self.token_file.unlink(missing_ok=True)
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with os.fdopen(fd, "w") as file:
            file.write(token)
        return token

    def token(self) -> str | None:
        try:
            return self.token_file.read_text().strip()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            raise self.not_a_directory() from None

    def not_a_directory(self) -> SpecError:
        return SpecError(
            Problem(str(self.path), "", "is not a directory; bluegreen keeps its state there")
        )

    def write_info(self, info: DaemonInfo) -> None:
        temporary = self.info_file.with_suffix(".tmp")
        write_private(temporary, json.dumps({"pid": info.pid, "port": info.port}))
        temporary.replace(self.info_file)

    def read_info(self) -> DaemonInfo | None:
        """The running daemon; a file whose pid is gone is stale and removed."""
        try:
            data = json.loads(self.info_file.read_text())
            info = DaemonInfo(int(data["pid"]), int(data["port"]))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None
        except NotADirectoryError:
            raise self.not_a_directory() from None
        if not pid_alive(info.pid):
            self.info_file.unlink(missing_ok=True)
            return None
        return info


def try_lock(path: Path) -> int | None:
    """An exclusive `flock` on `path` (created 0600): the open descriptor that holds it until
    it is closed or the process ends, or None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def make_private_dir(path: Path) -> None:
    """Create `path` and each missing parent 0700 (`mkdir(parents=True)` gives parents 0755)."""
    if path.is_dir():
        return
    make_private_dir(path.parent)
    path.mkdir(mode=PRIVATE_DIR, exist_ok=True)


def open_private(path: str | os.PathLike[str], flags: int) -> int:
    """An `opener` for `open()`: a file it creates is 0600, whatever the umask."""
    return os.open(path, flags, PRIVATE_FILE)


def write_private(path: Path, text: str) -> None:
    """Replace `path`'s content; created 0600 when new."""
    with open(path, "w", opener=open_private) as file:
        file.write(text)


def tighten(path: Path) -> None:
    """Take group and other bits off a file or directory (a symlink has no mode of its own)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:  # a running daemon removed it meanwhile (a pid file, a .tmp)
        return
    if not stat.S_ISLNK(mode) and mode & SHARED_BITS:
        path.chmod(stat.S_IMODE(mode) & ~SHARED_BITS)


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
