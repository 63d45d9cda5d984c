"""Task logs on disk: stamped lines, read back merged in time order across tasks."""

from __future__ import annotations

import io
import os
from pathlib import Path

from bluegreen.state_dir import StateDir
from bluegreen.tasks.task_logs import (
    StampedLog,
    copy_stamped,
    note,
    read_lines,
    stamp,
    tail,
)


def write_log(path: Path, *lines: tuple[float | None, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = b"".join(
        (stamp(moment) + b" " if moment is not None else b"") + line.encode() + b"\n"
        for moment, line in lines
    )
    path.write_bytes(text)


def test_a_stamped_log_stamps_whole_lines_only() -> None:
    file = io.BytesIO()
    log = StampedLog(file)
    log.write(b"one\ntw")
    log.write(b"o\nthree")
    assert file.getvalue().count(b"Z ") == 2
    log.close()
    lines = file.getvalue().decode().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["one", "two", "three"]
    assert all(line.endswith("Z") for line in (line.split(" ", 1)[0] for line in lines))


def test_the_copy_of_a_pipe_ends_with_the_pipe_and_keeps_every_byte(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    copier = copy_stamped(read_end, tmp_path / "t.log")
    assert (tmp_path / "t.log").exists()
    os.write(write_end, b"first\nsecond without newline")
    os.close(write_end)
    copier.join(10)
    assert not copier.is_alive()
    note(tmp_path / "t.log", "task t exited 1")
    lines = list(read_lines_of(tmp_path, "t"))
    assert lines == ["first", "second without newline", "[bluegreen] task t exited 1"]


def read_lines_of(root: Path, stem: str) -> list[str]:
    folder = root / ".bluegreen" / "logs" / "web-1"
    folder.mkdir(parents=True, exist_ok=True)
    (root / f"{stem}.log").rename(folder / f"{stem}.log")
    return [line.text for line in read_lines(StateDir.of(root), "web:1", follow=False)]


def test_lines_of_all_tasks_come_in_time_order_not_task_by_task(tmp_path: Path) -> None:
    folder = tmp_path / ".bluegreen" / "logs" / "web-2"
    write_log(folder / "web-2-aaaa.log", (10.0, "a1"), (13.0, "a2"), (None, "a2 cont"))
    write_log(folder / "web-2-bbbb.log", (11.0, "b1"), (12.0, "b2"), (14.0, "b3"))
    lines = list(read_lines(StateDir.of(tmp_path), None, follow=False))
    assert [(line.text, line.task) for line in lines] == [
        ("a1", "web-2-aaaa"),
        ("b1", "web-2-bbbb"),
        ("b2", "web-2-bbbb"),
        ("a2", "web-2-aaaa"),
        ("a2 cont", "web-2-aaaa"),  # an unstamped line keeps the time of the one before
        ("b3", "web-2-bbbb"),
    ]
    assert [line.time for line in lines] == [10.0, 11.0, 12.0, 13.0, 13.0, 14.0]


def test_a_tail_is_the_tasks_own_words(tmp_path: Path) -> None:
    log = tmp_path / "t.log"
    write_log(log, (1.0, "starting"), (2.0, "crashing on purpose"))
    note(log, "task t exited 3")
    assert tail(log) == "starting | crashing on purpose"
    assert tail(tmp_path / "missing.log") == ""
