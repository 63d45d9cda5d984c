"""Checking a request against the AWS service models botocore ships.

botocore's own ParamValidator checks names, types, required fields and
minimums; it leaves enums to the service, which would only refuse them at
deploy time. We check those too, so `validate` catches `"networkMode":
"awsvcp"` before anything reaches AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape
from botocore.validate import ParamValidator

from ..errors import Problem
from .problems import field_path, from_botocore


@cache
def input_shape(service: str, operation: str) -> Shape:
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    assert shape is not None, f"botocore's {service} model has {operation} input"
    return shape


def check_params(file: str, params: dict[str, Any], service: str, operation: str) -> list[Problem]:
    """Every problem botocore finds, then (on a well-typed request) bad enum values."""
    shape = input_shape(service, operation)
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        return from_botocore(file, report)
    return [Problem(file, field_path(loc), message) for loc, message in _bad_enums(params, shape)]


Location = tuple[str | int, ...]


def _bad_enums(value: Any, shape: Shape, loc: Location = ()) -> Iterator[tuple[Location, str]]:
    if isinstance(shape, StructureShape):
        for name, child in value.items():
            yield from _bad_enums(child, shape.members[name], (*loc, name))
    elif isinstance(shape, ListShape):
        for index, item in enumerate(value):
            yield from _bad_enums(item, shape.member, (*loc, index))
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            yield from _bad_enums(item, shape.value, (*loc, key))
    elif isinstance(shape, StringShape) and shape.enum and value not in shape.enum:
        yield loc, f"{value!r} is not one of {', '.join(shape.enum)}"
