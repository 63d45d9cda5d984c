"""Which TCP ports a task's processes listen on, read from Linux's /proc.

An app that ignores `PORT` (the ECS tutorial's Flask app binds port 80)
fails its health checks with "connection refused" and nothing else; the
user waits for a timeout that names no cause. The kernel knows better: the
task's processes hold listening sockets, and /proc says where. A task's
processes are its process group (a process task leads its own) or, for a
container sharing the host's network, its main process and descendants. A process's
open files are `/proc/<pid>/fd/*`, a socket among them reads
`socket:[<inode>]`, and `/proc/<pid>/net/tcp` and `tcp6` list the sockets
of its network namespace by inode, with their state and local address.

What cannot be read (another user's processes, a system without /proc)
gives no sockets: we say nothing rather than guess.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
LISTEN = "0A"  # TCP_LISTEN in the `st` column of /proc/net/tcp


@dataclass(frozen=True, order=True)
class Listening:
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def listening(pids: list[int], proc: Path = PROC) -> list[Listening]:
    """Where the processes `pids` listen, sorted; [] when nothing can be read."""
    inodes = {inode for pid in pids for inode in socket_inodes(pid, proc)}
    if not inodes:
        return []
    found: set[Listening] = set()
    for table in ("tcp", "tcp6"):
        found.update(
            address
            for inode, address in listening_sockets(proc / str(pids[0]) / "net" / table)
            if inode in inodes
        )
    return sorted(found)


def group_pids(pgid: int, proc: Path = PROC) -> list[int]:
    """The live processes whose process group is `pgid` (the leader first, if alive)."""
    pids = [pid for pid, _, group in _processes(proc) if group == pgid]
    return sorted(pids, key=lambda pid: pid != pgid)


def tree_pids(root: int, proc: Path = PROC) -> list[int]:
    """`root` and its live descendants (a container's processes, from its main pid)."""
    parents = {pid: parent for pid, parent, _ in _processes(proc)}
    tree = {root} if root in parents else set()
    while grown := {pid for pid, parent in parents.items() if parent in tree} - tree:
        tree |= grown
    return sorted(tree, key=lambda pid: pid != root)


def _processes(proc: Path) -> Iterator[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every process that is still there."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        # The command name, in parentheses, may hold spaces and ')'.
        _state, parent, group = text[text.rindex(")") + 2 :].split()[:3]
        yield int(entry.name), int(parent), int(group)


def socket_inodes(pid: int, proc: Path = PROC) -> set[int]:
    """The inodes of the sockets the process holds open; none when not ours to read."""
    inodes = set()
    with contextlib.suppress(OSError):
        fd_dir = proc / str(pid) / "fd"
        for name in os.listdir(fd_dir):
            with contextlib.suppress(OSError):
                link = os.readlink(fd_dir / name)
                if link.startswith("socket:["):
                    inodes.add(int(link[len("socket:[") : -1]))
    return inodes


def listening_sockets(table: Path) -> list[tuple[int, Listening]]:
    """(inode, address) of each listening socket in a /proc/net/tcp{,6} table."""
    try:
        lines = table.read_text().splitlines()[1:]
    except OSError:
        return []
    sockets = []
    for line in lines:
        fields = line.split()
        if len(fields) > 9 and fields[3] == LISTEN:
            sockets.append((int(fields[9]), parse_address(fields[1])))
    return sockets


def parse_address(local: str) -> Listening:
    """`0100007F:1F90` (tcp) or 32 hex digits (tcp6) and a port: the kernel prints
    the address as 32-bit words in host byte order, so on a little-endian
    machine each word is reversed."""
    hex_host, hex_port = local.split(":")
    raw = bytes.fromhex(hex_host)
    if sys.byteorder == "little":
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    host = ipaddress.ip_address(raw)
    if isinstance(host, ipaddress.IPv6Address) and host.ipv4_mapped:
        host = host.ipv4_mapped
    return Listening(str(host), int(hex_port, 16))


def misbound(pids: list[int], port: int, proc: Path = PROC) -> str | None:
    """What to tell the user when the processes `pids` listen, but not on `port`."""
    found = listening(pids, proc)
    if not found or any(socket.port == port for socket in found):
        return None
    where = ", ".join(str(socket) for socket in found)
    return (
        f"listens on {where}, not on $PORT={port}; "
        "set `[local] command` to pass the port, or read PORT"
    )
