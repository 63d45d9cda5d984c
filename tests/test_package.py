import subprocess
import sys

from bluegreen import __version__


def test_version_flag_prints_the_package_version():
    out = subprocess.run(
        [sys.executable, "-m", "bluegreen.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert __version__ in out.stdout


def test_unknown_command_is_a_usage_error():
    out = subprocess.run(
        [sys.executable, "-m", "bluegreen.cli", "no-such-command"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "No such command" in out.stderr
