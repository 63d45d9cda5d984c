"""Reading a process group's listening sockets from the real /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from bluegreen.tasks.listening_ports import (
    Listening,
    group_pids,
    listening,
    misbound,
    parse_address,
    tree_pids,
)

# A child of the shell in the group listens, as a gunicorn worker or a reloader would.
LISTENER = """
import socket, sys, time
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)
s.bind((sys.argv[1], 0)); s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(60)
"""


@contextmanager
def group_listening_on(host: str) -> Iterator[tuple[int, int]]:
    """A process group whose grandchild listens on `host`; (pgid, port)."""
    command = f'{sys.executable} -c "$0" {host}; true'
    process = subprocess.Popen(
        ["/bin/sh", "-c", command, LISTENER], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert process.stdout is not None
        yield process.pid, int(process.stdout.readline())
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_the_listening_sockets_of_a_whole_process_group_are_found() -> None:
    with group_listening_on("0.0.0.0") as (pgid, port):
        pids = group_pids(pgid)
        assert pids[0] == pgid and len(pids) >= 2  # the shell, then the listener
        assert set(tree_pids(pgid)) == set(pids)  # here the group is the leader's tree
        assert listening(pids) == [Listening("0.0.0.0", port)]
        why = misbound(pids, port + 1)
        assert why == (
            f"listens on 0.0.0.0:{port}, not on $PORT={port + 1}; "
            "set `[local] command` to pass the port, or read PORT"
        )
        assert misbound(pids, port) is None


def test_ipv6_sockets_are_read_from_tcp6() -> None:
    if not socket.has_ipv6:
        return
    with group_listening_on("::1") as (pgid, port):
        assert [str(s) for s in listening(group_pids(pgid))] == [f"[::1]:{port}"]


def test_a_group_that_listens_nowhere_or_does_not_exist_says_nothing() -> None:
    process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        pids = group_pids(process.pid)
        assert pids == [process.pid]
        assert listening(pids) == [] and misbound(pids, 80) is None
    finally:
        process.kill()
        process.wait()
    assert group_pids(process.pid) == tree_pids(process.pid) == []
    assert listening([]) == [] and misbound([], 80) is None


def test_addresses_are_decoded_as_the_kernel_prints_them() -> None:
    if sys.byteorder != "little":
        return
    assert parse_address("0100007F:1F90") == Listening("127.0.0.1", 8080)
    assert parse_address("00000000:0050") == Listening("0.0.0.0", 80)
    assert parse_address("00000000000000000000000001000000:0050") == Listening("::1", 80)
    assert parse_address("0000000000000000FFFF00000100007F:0050") == Listening("127.0.0.1", 80)
