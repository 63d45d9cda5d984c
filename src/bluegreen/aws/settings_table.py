"""bootstrap's `[aws]` settings written into bluegreen.toml itself (`--write`).

A second `[aws]` table appended to the file would be invalid TOML, and a
separate file is one nothing reads, so the table is replaced in place: the
keys the stack gives win, keys it doesn't give (an `account_id`, a
`test_listener_url` of your own) are kept, every other table and comment in
the file stays as written. The result must read as a bluegreen.toml before
it is written, and it is written whole or not at all.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path

import tomlkit
from pydantic import ValidationError

from ..errors import Problem, SpecError
from ..spec.config import BluegreenConfig


def with_aws_table(text: str, settings: Mapping[str, str]) -> str:
    """`text` (a bluegreen.toml) with its [aws] table holding `settings` too.

    tomlkit edits the document rather than re-rendering it, so a changed
    value keeps its comment and the lines around it stay as they were."""
    document = tomlkit.parse(text)
    if "aws" not in document:
        document.add(tomlkit.nl())
        document["aws"] = tomlkit.table()
    table = document["aws"]
    for key, value in settings.items():
        table[key] = value
    return tomlkit.dumps(document)


def render_table(values: Mapping[str, str]) -> str:
    """The `[aws]` table alone, as bootstrap prints it without `--write`."""
    return tomlkit.dumps({"aws": dict(values)})


def write_settings(config_path: Path, settings: Mapping[str, str]) -> None:
    """Replace the [aws] table in place; SpecError (exit 2) if the file won't take it."""
    try:
        updated = with_aws_table(config_path.read_text(encoding="utf-8"), settings)
        BluegreenConfig.model_validate(tomllib.loads(updated))
    except (tomllib.TOMLDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
        raise SpecError(Problem(str(config_path), "", f"not valid TOML ({exc})")) from None
    except ValidationError as exc:
        raise SpecError(
            Problem(str(config_path), "aws", f"would not be valid with the stack's settings: {exc}")
        ) from None
    handle, temporary = tempfile.mkstemp(dir=config_path.parent, prefix=".bluegreen.toml.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(updated)
        os.chmod(temporary, config_path.stat().st_mode & 0o7777)
        os.replace(temporary, config_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
