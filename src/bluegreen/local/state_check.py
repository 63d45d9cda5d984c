"""What `up` checks before it starts a daemon: that `.bluegreen/state.db` is usable.

A daemon that found a corrupt store would fail only in its log, and `up`
would report "the daemon did not start" with that log's tail; checked here
(read-only, changing nothing), the user gets one line naming the file and
`--reset-state`, which moves the file aside and lets the daemon start afresh.
A running daemon has its store open and checked already: it is not reopened.
A `.bluegreen` that is not a directory, or that nothing can be created in
(read-only, immutable), is said in one line too, before anything starts.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Problem, SpecError
from ..state_dir import StateDir
from .store import STATE_DB, Store
from .store_faults import reset_state


def prepare_state(project_dir: Path) -> StateDir:
    """The project's `.bluegreen`, made (0700) and checked writable: its lock files are
    the first thing `up` and the daemon create in it."""
    state = StateDir.of(project_dir)
    try:
        state.prepare()
        os.close(os.open(state.up_lock_file, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as exc:
        if state.path.exists() and not state.path.is_dir():
            raise state.not_a_directory() from None
        why = f"cannot be written ({exc.strerror}); bluegreen keeps its state there"
        raise SpecError(Problem(str(state.path), "", why)) from None
    return state


def check_state(state: StateDir, reset: bool) -> Path | None:
    """Raise `CorruptState` for an unusable state.db; with `reset`, move it aside first
    and return where it went (None: there was none). Only while no daemon runs
    (`up` calls it in its turn): a running one has its store open and checked."""
    path = state.path / STATE_DB
    if reset:
        return reset_state(path)
    if path.exists():
        Store(path, read_only=True).close()
    return None
