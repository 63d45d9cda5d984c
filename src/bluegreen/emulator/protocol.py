"""What an AWS request asks for, read the way AWS reads it, and AWS's error shapes.

A request names its service and operation in one of two ways: the JSON
protocol (ECS, ECR, CodeDeploy, CloudWatch Logs) in the `X-Amz-Target`
header (`CodeDeploy_20141006.CreateDeployment`), the query protocol (ELBv2,
IAM, CloudFormation, STS, CloudWatch) in the form body's `Action` and
`Version`, with the service's signing name in the SigV4 credential scope.
botocore's service models are the contract: the operation must exist in
the model, and its parameters must satisfy the model's input shape
(`botocore.validate`, the same check boto3 makes before sending), so a
script that a real endpoint would refuse is refused here too, with AWS's
error shape and never an HTML page.

Errors: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
(query: `<ErrorResponse><Error><Type>Sender</Type><Code>..`) and
https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization
(JSON: `{"__type": code, "message": ..}` with `X-Amzn-ErrorType`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.validate import ParamValidator

SERVICES = (
    *("codedeploy", "ecs", "ecr", "logs", "elbv2", "iam", "cloudformation", "sts", "cloudwatch"),
    "ec2",  # the VPC and subnets a load balancer is made in
)
"""The services the emulator answers (moto holds their storage)."""

CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
DEFAULT_REGION = "us-east-1"


class AwsError(Exception):
    """An error to answer in AWS's shape: its code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Call:
    """One request: which operation of which service, in which region, with what."""

    service: str
    operation: str
    protocol: str
    region: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> OperationModel:
        return service_model(self.service).operation_model(self.operation)


@cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


@cache
def _by_target_prefix() -> dict[str, str]:
    found = {}
    for name in SERVICES:
        prefix = service_model(name).metadata.get("targetPrefix")
        if prefix:
            found[prefix] = name
    return found


@cache
def _by_signing_version() -> dict[tuple[str, str], str]:
    return {
        (service_model(n).signing_name, service_model(n).api_version): n
        for n in SERVICES
        if {"query", "ec2"} & set(_protocols(n))
    }


def _protocols(name: str) -> list[str]:
    model = service_model(name)
    return list(model.metadata.get("protocols") or [model.protocol])


def identify(headers: Mapping[str, str], body: bytes) -> Call | None:
    """The call a request makes, or None when it is no AWS call of ours (moto's own
    `/moto-api`, a health probe). Raises AwsError for a call it cannot read."""
    scope = CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
    region = scope.group(1) if scope else DEFAULT_REGION
    target = headers.get("X-Amz-Target", "")
    if target:
        return _json_call(target, body, region)
    if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        if "Action" in form and scope:
            return _query_call(form, scope.group(2), region)
    return None


def _json_call(target: str, body: bytes, region: str) -> Call:
    prefix, _, operation = target.partition(".")
    service = _by_target_prefix().get(prefix)
    if service is None:
        raise AwsError("UnknownOperationException", f"unknown service target {prefix!r}")
    _check_operation(service, operation)
    try:
        params = json.loads(body or b"{}")
    except ValueError as exc:
        raise AwsError("SerializationException", f"the body is not JSON: {exc}") from None
    if not isinstance(params, dict):
        raise AwsError("SerializationException", "the body must be a JSON object")
    return Call(service, operation, "json", region, params)


def _query_call(form: dict[str, str], signing_name: str, region: str) -> Call:
    service = _by_signing_version().get((signing_name, form.get("Version", "")))
    if service is None:
        raise AwsError(
            "InvalidAction",
            f"no {signing_name} API of version {form.get('Version')!r} is emulated",
        )
    operation = form["Action"]
    _check_operation(service, operation)
    flat = {k: v for k, v in form.items() if k not in ("Action", "Version")}
    shape = service_model(service).operation_model(operation).input_shape
    params = unflatten(flat, shape) if shape is not None else {}
    return Call(service, operation, "query", region, params)


def _check_operation(service: str, operation: str) -> None:
    if operation not in service_model(service).operation_names:
        raise AwsError(
            "UnknownOperationException",
            f"{service} has no operation {operation!r} (botocore's {service} model)",
        )


def unflatten(flat: Mapping[str, str], shape: Shape, prefix: str = "") -> dict[str, Any]:
    """Query parameters (`DefaultActions.member.1.Type=forward`) as the nested
    structure the input shape describes, scalars converted to its types."""
    found: dict[str, Any] = {}
    for name, member in shape.members.items():  # type: ignore[attr-defined]
        key = prefix + member.serialization.get("name", name)
        value = _value(flat, member, key)
        if value is not None:
            found[name] = value
    return found


def _value(flat: Mapping[str, str], shape: Shape, key: str) -> Any:
    if shape.type_name == "structure":
        if not any(k.startswith(key + ".") for k in flat):
            return None
        return unflatten(flat, shape, key + ".")
    if shape.type_name == "list":
        return _list(flat, shape, key)
    if shape.type_name == "map":
        return _map(flat, shape, key)
    if key not in flat:
        return None
    return _scalar(flat[key], shape)


def _list(flat: Mapping[str, str], shape: Shape, key: str) -> list[Any] | None:
    member = shape.member  # type: ignore[attr-defined]
    for base in (f"{key}.member.", f"{key}."):
        items, index = [], 1
        while (item := _value(flat, member, f"{base}{index}")) is not None:
            items.append(item)
            index += 1
        if items:
            return items
    return [] if flat.get(key) == "" else None


def _map(flat: Mapping[str, str], shape: Shape, key: str) -> dict[str, Any] | None:
    found, index = {}, 1
    while f"{key}.entry.{index}.key" in flat:
        value = _value(flat, shape.value, f"{key}.entry.{index}.value")  # type: ignore[attr-defined]
        found[flat[f"{key}.entry.{index}.key"]] = value
        index += 1
    return found or None


def _scalar(text: str, shape: Shape) -> Any:
    """A query string's text as the shape's type; left as text when it is not one,
    so that the validator names the wrong type."""
    try:
        if shape.type_name in ("integer", "long"):
            return int(text)
        if shape.type_name in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if shape.type_name == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def check_input(call: Call) -> None:
    """AwsError (ValidationException, or ValidationError for query services) naming
    every way the parameters break the operation's input shape."""
    shape = call.model.input_shape
    if shape is None:
        return
    report = ParamValidator().validate(call.params, shape)
    if report.has_errors():
        code = "ValidationException" if call.protocol == "json" else "ValidationError"
        raise AwsError(code, report.generate_report())


def check_output(call: Call, output: Mapping[str, Any]) -> None:
    """Our own answers hold to the operation's output shape too; a miss is our bug."""
    shape = call.model.output_shape
    if shape is None:
        return
    report = ParamValidator().validate(dict(output), shape)
    if report.has_errors():
        raise AwsError(
            "InternalFailure", f"emulator answer breaks the model: {report.generate_report()}", 500
        )


def output_problems(call: Call, status: int, headers: Mapping[str, str], body: bytes) -> str:
    """How moto's successful answer breaks the operation's output shape ("" when it
    holds), read with botocore's own parser as a client would read it."""
    shape = call.model.output_shape
    if shape is None or status >= 300:
        return ""
    protocol = "ec2" if call.service == "ec2" else call.protocol
    response = {"body": body, "headers": dict(headers), "status_code": status}
    try:
        parsed = create_parser(protocol).parse(response, shape)
    except Exception as exc:  # what a client could not parse, it would fail on
        return f"unparseable: {exc!r}"
    parsed.pop("ResponseMetadata", None)
    report = ParamValidator().validate(parsed, shape)
    return report.generate_report() if report.has_errors() else ""


def error_response(protocol: str, error: AwsError) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of an error in the protocol's shape."""
    request_id = str(uuid.uuid4())
    if protocol == "query":
        kind = "Sender" if error.status < 500 else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return (
            error.status,
            {"Content-Type": "text/xml", "x-amzn-RequestId": request_id},
            (body.encode()),
        )
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amzn-ErrorType": error.code,
        "x-amzn-RequestId": request_id,
    }
    payload = {"__type": error.code, "message": error.message}
    return error.status, headers, json.dumps(payload).encode()


def query_response(call: Call, output: Mapping[str, Any]) -> bytes:
    """An answer of a query-protocol operation as its XML document
    (`<XResponse><XResult>..</XResult><ResponseMetadata>..`)."""
    model = service_model(call.service)
    namespace = model.metadata.get("xmlNamespace", "")
    shape = call.model.output_shape
    inner = _xml(output, shape) if shape is not None else ""
    name = call.operation
    return (
        f'<{name}Response xmlns="{namespace}"><{name}Result>{inner}</{name}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        f"</{name}Response>"
    ).encode()


def _xml(value: Any, shape: Shape) -> str:
    if shape.type_name == "structure":
        members = shape.members  # type: ignore[attr-defined]
        return "".join(
            f"<{n}>{_xml(value[n], members[n])}</{n}>" for n in members if value.get(n) is not None
        )
    if shape.type_name == "list":
        member = shape.member  # type: ignore[attr-defined]
        return "".join(f"<member>{_xml(item, member)}</member>" for item in value)
    if shape.type_name == "boolean":
        return "true" if value else "false"
    return escape(str(value))
