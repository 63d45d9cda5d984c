"""Files and values no parser should be trusted with: each is refused with
exit 2, a message naming the file (and field), no traceback, and at once."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import IMAGE, Result


def _refused(result: Result, file: Path, words: str) -> None:
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    assert any(str(file) in line and words in line for line in result.stderr.splitlines()), result


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("taskdef.json", '{"family": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("taskdef.json", '{"family": "x", "tags": ' + "[" * 40 + "]" * 40 + "}"),
        ("appspec.yaml", "version: 0.0\nResources: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        ("bluegreen.toml", "[service]\nname = " + "[" * 5_000 + "]" * 5_000 + "\n"),
    ],
    ids=["json-200k-deep", "json-42-deep", "yaml-10k-deep", "toml-10k-deep"],
)
def test_a_deeply_nested_file_is_refused(
    app_dir: Path, run_cli: Callable[..., Result], name: str, content: str
) -> None:
    (app_dir / name).write_text(content)
    _refused(run_cli("validate", str(app_dir)), app_dir / name, "levels deep")


def test_a_fifo_is_refused_without_blocking(app_dir: Path, run_cli: Callable[..., Result]) -> None:
    taskdef = app_dir / "taskdef.json"
    taskdef.unlink()
    os.mkfifo(taskdef)
    _refused(run_cli("validate", str(app_dir)), taskdef, "not a regular file")


def test_a_directory_is_refused(app_dir: Path, run_cli: Callable[..., Result]) -> None:
    config = app_dir / "bluegreen.toml"
    config.unlink()
    config.mkdir()
    _refused(run_cli("validate", str(app_dir)), config, "not a regular file")


def test_a_huge_file_is_refused(app_dir: Path, run_cli: Callable[..., Result]) -> None:
    appspec = app_dir / "appspec.yaml"
    appspec.write_text(appspec.read_text() + "#" * (2 * 1024 * 1024) + "\n")
    _refused(run_cli("validate", str(app_dir)), appspec, "too large")


def test_two_appspecs_are_refused_naming_both(
    app_dir: Path, run_cli: Callable[..., Result]
) -> None:
    shutil.copy(app_dir / "appspec.yaml", app_dir / "appspec.json")
    result = run_cli("validate", str(app_dir))
    _refused(result, app_dir / "appspec.json", str(app_dir / "appspec.yaml"))


@pytest.mark.parametrize(
    "image",
    [f"{IMAGE}\nfamily", "a" * 100_000, "registry.example/app:v1 --privileged", "-rm"],
    ids=["newline", "100k-chars", "space", "leading-dash"],
)
def test_an_image_ecs_would_refuse_is_refused(
    app_dir: Path, run_cli: Callable[..., Result], image: str
) -> None:
    result = run_cli("render", "--image", image, str(app_dir))
    _refused(result, app_dir / "taskdef.json", "containerDefinitions[0].image")
    assert "(from --image)" in result.stderr
    assert len(result.stderr) < 2000, "the message quotes a shortened image"


def test_an_image_with_a_digest_is_accepted(app_dir: Path, run_cli: Callable[..., Result]) -> None:
    digest = "sha256:" + "ab" * 32
    result = run_cli("render", "--image", f"{IMAGE.split(':')[0]}@{digest}", str(app_dir))
    assert result.exit_code == 0, result
