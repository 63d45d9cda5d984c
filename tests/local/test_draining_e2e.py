"""Draining through the real CLI, daemon, task processes and load balancer.

The app (tests/apps/streams_app.py, aiohttp's graceful shutdown) ends its
streams itself when it gets SIGTERM: a WebSocket close frame (1001), an event
stream's last event and its last chunk. That can only be seen when the load
balancer stops sending a task new requests, signals it while keeping its
connections, and cuts nothing the app is still closing.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bluegreen.state_dir import StateDir

from .harness import TASKDEF, Project, events, make_project

pytestmark = pytest.mark.slow

APP = Path(__file__).parents[1] / "apps" / "streams_app.py"
DEREGISTRATION_DELAY = 5.0
UPGRADE_GRACE = 10.0
STOP_TIMEOUT = 4
"""Chosen so that draining the two targets one after the other, each for the
upgrade grace, takes longer than the bound `down` is held to."""
STREAMS_EACH = 4
STREAM_TIMEOUT = 60.0  # a generous ceiling on any one wait, never an expected time
LAST_EVENT = b"event: shutdown\ndata: bye"


@dataclass
class Stream:
    """What one client saw: the app's process id, its messages, how it ended."""

    kind: str
    pid: int | None = None
    messages: list[bytes | str] = field(default_factory=list)
    ending: str = "still open"
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    def greeted(self, pid: int) -> None:
        self.pid = pid
        self.opened.set()


async def follow_events(port: int, stream: Stream) -> None:
    """GET /events, reading the chunked body chunk by chunk until its last chunk."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /events HTTP/1.1\r\nHost: streams\r\nAccept: text/event-stream\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"chunked" in head.lower(), head
    body = b""
    try:
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
            *complete, body = body.split(b"\n\n")
            for message in complete:
                stream.messages.append(message)
                if message.startswith(b"event: hello"):
                    stream.greeted(int(message.rsplit(b" ", 1)[1]))
        await reader.readexactly(2)  # the CRLF that ends the body after its last chunk
        stream.ending = "last chunk" + (f", then {body!r} unfinished" if body else "")
    except asyncio.IncompleteReadError as exc:
        stream.ending = f"cut after {exc.partial!r}"
    finally:
        writer.close()


async def follow_socket(port: int, stream: Stream) -> None:
    async with connect(f"ws://127.0.0.1:{port}/ws", ping_interval=None) as socket:
        try:
            async for message in socket:
                stream.messages.append(message)
                if isinstance(message, str) and message.startswith("hello"):
                    stream.greeted(int(message.split()[1]))
        except ConnectionClosed:
            pass
        close = socket.protocol.close_rcvd  # None: the connection ended without one
        stream.ending = f"close frame {close.code}" if close else "no close frame"


@dataclass
class OpenStreams:
    streams: list[Stream]
    followers: list[asyncio.Task[None]]

    @property
    def pids(self) -> set[int]:
        return {s.pid for s in self.streams if s.pid is not None}

    async def ended(self) -> list[Stream]:
        async with asyncio.timeout(STREAM_TIMEOUT):
            await asyncio.gather(*self.followers)
        return self.streams


async def open_streams(port: int) -> OpenStreams:
    """4 event streams and 4 WebSockets, each greeted by the task that serves it."""
    kinds: list[tuple[str, Callable[[int, Stream], Awaitable[None]]]] = [
        ("events", follow_events),
        ("socket", follow_socket),
    ]
    streams, followers = [], []
    for kind, follow in kinds * STREAMS_EACH:
        stream = Stream(kind)
        streams.append(stream)
        followers.append(asyncio.create_task(follow(port, stream)))
    async with asyncio.timeout(STREAM_TIMEOUT):
        await asyncio.gather(*(s.opened.wait() for s in streams))
    return OpenStreams(streams, followers)


def assert_ended_cleanly(streams: list[Stream]) -> None:
    """Every stream closed by the app itself, after whole messages only."""
    for stream in streams:
        if stream.kind == "socket":
            assert stream.ending == "close frame 1001", stream
            assert all(str(m).startswith(("hello", "tick")) for m in stream.messages), stream
        else:
            assert stream.ending == "last chunk", stream
            assert stream.messages[-1] == LAST_EVENT, stream.messages[-3:]
        assert len(stream.messages) > 1, stream  # it was open, and ticking


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """Two tasks of the streams app, a first revision deployed; `down` afterwards."""
    project = make_project(
        tmp_path / "streams",
        command=f"{sys.executable} {APP}",
        extra=f'upgrade_grace = "{UPGRADE_GRACE:g}s"',
    )
    config = project.dir / "bluegreen.toml"
    delay = f'deregistration_delay = "{DEREGISTRATION_DELAY:g}s"'
    config.write_text(config.read_text().replace('deregistration_delay = "300ms"', delay))
    taskdef = copy.deepcopy(TASKDEF)
    taskdef["containerDefinitions"][0]["stopTimeout"] = STOP_TIMEOUT
    (project.dir / "taskdef.json").write_text(json.dumps(taskdef))
    project.cli("up")
    try:
        project.cli("deploy")
        yield project
    finally:
        project.cli("down", check=False)


def test_streams_open_across_a_deployment_end_cleanly_before_it_succeeds(
    project: Project,
) -> None:
    async def scenario() -> None:
        blue = await open_streams(project.prod_port)
        deploy = await asyncio.to_thread(
            project.cli, "deploy", "--set", "APP_VERSION=v2", "--output", "json"
        )
        still_running = [pid for pid in blue.pids if alive(pid)]
        assert_ended_cleanly(await blue.ended())
        assert blue.pids and not still_running, f"blue's tasks {still_running} outlived Succeeded"
        told = [e.get("message", "") for e in events(deploy.stdout)]
        assert told.index("blue task set terminated") < told.index("deployed web:2"), told

    asyncio.run(scenario())


def test_down_with_open_streams_ends_them_cleanly_within_grace_and_stop_timeout(
    project: Project,
) -> None:
    async def scenario() -> None:
        live = await open_streams(project.prod_port)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.to_thread(project.cli, "down")
        took = loop.time() - started
        assert_ended_cleanly(await live.ended())
        assert not [pid for pid in live.pids if alive(pid)]
        assert took <= UPGRADE_GRACE + STOP_TIMEOUT, f"down took {took:.1f}s"

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ('deregistration_delay = "2h"', "local.deregistration_delay: 2h is longer than 1h"),
        ('upgrade_grace = "soon"', "local.upgrade_grace: 'soon' is not a duration"),
        ('upgrade_grace = "100ms"', "upgrade_grace (0.1s) must not be shorter than"),
    ],
)
def test_a_bad_drain_setting_exits_2_naming_it(tmp_path: Path, settings: str, named: str) -> None:
    project = make_project(tmp_path / "bad", extra=settings)
    config = project.dir / "bluegreen.toml"
    if settings.startswith("deregistration_delay"):  # replaces the harness's own
        config.write_text(config.read_text().replace('deregistration_delay = "300ms"\n', ""))
    result = project.cli("validate", check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert named in result.stdout + result.stderr


def test_the_daemon_tells_down_how_long_its_drain_may_take(project: Project) -> None:
    """`down` waits that long beyond its own limit, so long drain settings are not
    reported as a daemon that failed to stop."""
    state = StateDir.of(project.dir)
    info = state.read_info()
    assert info is not None
    answer = httpx.post(
        f"{info.url}/api/shutdown", headers={"Authorization": f"Bearer {state.token()}"}
    )
    expected = max(UPGRADE_GRACE, DEREGISTRATION_DELAY + STOP_TIMEOUT)  # one live set
    assert answer.json()["drain_seconds"] == expected
    project.cli("down")  # waits for the daemon asked to stop, or finds it gone
