from __future__ import annotations

from pathlib import Path

import pytest

from bluegreen.errors import SpecError
from bluegreen.tasks.dockerfile import read_dockerfile


def test_exec_form_cmd_still_expands_port_and_env_is_the_last_stage(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM python AS build\nENV BUILD_ONLY=1\n"
        'FROM python\nENV A=1 \\\n    B="two words"\n'
        'CMD ["gunicorn", "-b", "127.0.0.1:$PORT", "app:app"]\n'
    )
    defaults = read_dockerfile(tmp_path)
    assert defaults.command == 'gunicorn -b "127.0.0.1:$PORT" app:app'
    assert defaults.env == {"A": "1", "B": "two words"}


def test_shell_form_and_no_dockerfile(tmp_path: Path) -> None:
    assert read_dockerfile(tmp_path).command is None
    (tmp_path / "Dockerfile").write_text("FROM python\nCMD python app.py --port $PORT\n")
    assert read_dockerfile(tmp_path).command == "python app.py --port $PORT"


def test_a_broken_exec_form_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM python\nCMD ["python", \n')
    with pytest.raises(SpecError, match="Dockerfile: CMD"):
        read_dockerfile(tmp_path)
