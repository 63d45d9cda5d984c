"""Durations as users write them: "5s", "250ms", "2m", "1h", "1m30s" or a number of seconds.

Local runs need seconds and below; AWS rounds to what its APIs accept
(minutes for CodeDeploy), which the AWS platform checks where it matters.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(value: object) -> float:
    """Seconds from a duration; raises ValueError with what is expected."""
    if isinstance(value, bool):
        raise ValueError(_EXPECTED)
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration can't be negative")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(_EXPECTED)
    text = value.strip().replace(" ", "")
    if not text or _PART.sub("", text):
        raise ValueError(f"{value!r} is not a duration; {_EXPECTED}")
    return sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))


def format_duration(seconds: float) -> str:
    """The shortest text `parse_duration` reads back as the same value, to the millisecond."""
    if seconds < 1 and seconds != 0:
        return _number(seconds * 1000) + "ms"
    if seconds % 3600 == 0 and seconds:
        return f"{int(seconds // 3600)}h"
    if seconds % 60 == 0 and seconds:
        return f"{int(seconds // 60)}m"
    return _number(seconds) + "s"


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


_EXPECTED = 'expected a duration such as "250ms", "5s", "2m", "1h" or a number of seconds'

Duration = Annotated[float, BeforeValidator(parse_duration)]
