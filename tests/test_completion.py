"""`bluegreen completion`: the printed script, loaded into a real bash,
completes real prefixes by calling the installed `bluegreen` back, as it
does when a user presses Tab."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def offered(*words: str) -> list[str]:
    """What bash's completion function puts in COMPREPLY for `words`, the
    last being the word under the cursor (COMP_WORDS / COMP_CWORD)."""
    if shutil.which("bash") is None:
        pytest.skip("bash not found on PATH")
    quoted = " ".join(f"'{w}'" for w in words)
    script = (
        'eval "$(bluegreen completion bash)"\n'
        "complete -p bluegreen\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
        "_bluegreen_completion bluegreen\n"
        'printf "offered:%s\\n" "${COMPREPLY[@]}"\n'
    )
    bash = ["bash", "--noprofile", "--norc", "-e", "-c", script]
    done = subprocess.run(bash, env=env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "complete -o nosort -F _bluegreen_completion bluegreen" in done.stdout
    return [
        line.removeprefix("offered:") for line in done.stdout.splitlines() if "offered:" in line
    ]


def test_bash_completes_the_commands_of_a_prefix() -> None:
    assert offered("bluegreen", "st") == ["status", "stop"]
    assert offered("bluegreen", "ci", "g") == ["github", "gitlab"]
    assert "completion" in offered("bluegreen", "")


def test_bash_completes_an_options_choices() -> None:
    assert offered("bluegreen", "deploy", "--platform", "aws-") == ["aws-codedeploy", "aws-ecs"]
    assert offered("bluegreen", "completion", "") == ["bash", "zsh", "fish"]


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _bluegreen_completion bluegreen"),
        ("zsh", "compdef _bluegreen_completion bluegreen"),
        ("fish", "complete --no-files --command bluegreen"),
    ],
)
def test_each_shells_script_calls_bluegreen_back(shell: str, marker: str) -> None:
    done = bluegreen("completion", shell)
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
    assert f"_BLUEGREEN_COMPLETE={shell}_complete" in done.stdout


def test_an_unknown_shell_is_bad_input() -> None:
    done = bluegreen("completion", "powershell")
    assert done.returncode == 2
    assert "'powershell' is not one of 'bash', 'zsh', 'fish'" in done.stderr


def bluegreen(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "bluegreen"), *args]
    return subprocess.run(command, env=env(), capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("shell", "cword"), [("zsh", "2"), ("fish", "g")])
def test_zsh_and_fish_get_the_same_commands_from_the_call_back(shell: str, cword: str) -> None:
    """What their scripts run on Tab (neither shell need be installed):
    bluegreen with the line so far and, for zsh, the index of the word
    under the cursor, for fish that word itself (`commandline -t`)."""
    env_vars = {"_BLUEGREEN_COMPLETE": f"{shell}_complete"}
    env_vars |= {"COMP_WORDS": "bluegreen ci g", "COMP_CWORD": cword}
    done = subprocess.run(
        [str(BIN / "bluegreen")],
        env={**env(), **env_vars},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "github" in done.stdout and "gitlab" in done.stdout
    assert "deploy" not in done.stdout, "only what the prefix allows"
