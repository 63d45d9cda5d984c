"""Every bad input in the table: exit 2 from the CLI, a message naming the
file and the field, and nothing printed on stdout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .bad_inputs import BAD_INPUTS, Bad
from .helpers import IMAGE, Result


def test_the_table_is_large_and_ids_are_distinct():
    assert len(BAD_INPUTS) >= 40
    assert len({bad.id for bad in BAD_INPUTS}) == len(BAD_INPUTS)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[bad.id for bad in BAD_INPUTS])
def test_bad_input_exits_2_naming_file_and_field(
    bad: Bad, app_dir: Path, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
):
    for name in ("NO_SUCH_VAR", "AWS_DEFAULT_REGION", "AWS_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert run_cli("validate", str(app_dir)).exit_code == 0
    bad.change(app_dir / bad.file)
    args = ["render", "--image", IMAGE] if bad.command == "render" else ["validate"]
    result = run_cli(*args, str(app_dir))
    assert result.exit_code == 2, result
    lines = [line.removeprefix("error: ") for line in result.stderr.splitlines()]
    prefix = f"{app_dir / bad.file}: "
    assert any(line.startswith(prefix) and bad.field in line for line in lines), lines
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
