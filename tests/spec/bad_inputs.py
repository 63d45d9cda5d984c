"""The table of bad inputs: each a change to one file of the example app,
the command that must refuse it, and the field its message must name."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TEXT_FILES = {"toml": "bluegreen.toml", "json": "taskdef.json", "yaml": "appspec.yaml"}
LB = "Resources[0].TargetService.Properties.LoadBalancerInfo"
PROPS = "Resources[0].TargetService.Properties"


@dataclass(frozen=True)
class Bad:
    id: str
    file: str
    change: Callable[[Path], None]
    field: str
    command: str = "validate"


def line(old: str, new: str) -> Callable[[Path], None]:
    """Replace the line of bluegreen.toml that starts with `old`."""

    def change(path: Path) -> None:
        text = path.read_text()
        pattern = re.compile(rf"^{re.escape(old)}.*$", re.MULTILINE)
        assert pattern.search(text), old
        path.write_text(pattern.sub(lambda _: new, text, count=1))

    return change


def append(extra: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(path.read_text() + "\n" + extra + "\n")


def text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content)


def _edit(load: Callable[[str], Any], dump: Callable[[Any], str]) -> Callable[..., Any]:
    def edit(fn: Callable[[Any], None]) -> Callable[[Path], None]:
        def change(path: Path) -> None:
            data = load(path.read_text())
            fn(data)
            path.write_text(dump(data))

        return change

    return edit


json_edit = _edit(json.loads, json.dumps)
yaml_edit = _edit(yaml.safe_load, yaml.safe_dump)


def container(data: Any) -> Any:
    return data["containerDefinitions"][0]


def props(data: Any) -> Any:
    return data["Resources"][0]["TargetService"]["Properties"]


def sets(target: Callable[[Any], Any], key: str, value: Any) -> Callable[[Any], None]:
    return lambda data: target(data).__setitem__(key, value)


def drops(target: Callable[[Any], Any], key: str) -> Callable[[Any], None]:
    return lambda data: target(data).pop(key)


def top(data: Any) -> Any:
    return data


def lb(data: Any) -> Any:
    return props(data)["LoadBalancerInfo"]


T, J, Y = "bluegreen.toml", "taskdef.json", "appspec.yaml"
CANARY = "config = { type = "

BAD_INPUTS = [
    # bluegreen.toml
    Bad("service-name-chars", T, line('name = "flask-app"', 'name = "bad name!"'), "service.name"),
    Bad("count-zero", T, line("desired_count", "desired_count = 0"), "service.desired_count"),
    Bad("count-text", T, line("desired_count", 'desired_count = "two"'), "service.desired_count"),
    Bad("container-missing", T, line('container = "web"', ""), "service.container"),
    Bad(
        "port-too-big",
        T,
        line("container_port", "container_port = 70000"),
        "service.container_port",
    ),
    Bad("port-float", T, line("container_port", "container_port = 80.5"), "service.container_port"),
    Bad("interval-word", T, line('interval = "1s"', 'interval = "soon"'), "health_check.interval"),
    Bad("timeout-over-interval", T, line('timeout = "500ms"', 'timeout = "5s"'), "health_check"),
    Bad(
        "threshold-one",
        T,
        line("healthy_threshold", "healthy_threshold = 1"),
        "health_check.healthy_threshold",
    ),
    Bad("matcher-word", T, line("matcher", 'matcher = "ok"'), "health_check.matcher"),
    Bad("matcher-range", T, line("matcher", 'matcher = "600"'), "health_check.matcher"),
    Bad("path-relative", T, line('path = "/health"', 'path = "health"'), "health_check.path"),
    Bad(
        "config-unknown", T, line(CANARY, 'config = "CodeDeployDefault.Nope"'), "deployment.config"
    ),
    Bad("config-type", T, line(CANARY, 'config = { type = "sideways" }'), "deployment.config.type"),
    Bad(
        "config-percent",
        T,
        line(CANARY, 'config = { type = "canary", percent = 150 }'),
        "deployment.config.percent",
    ),
    Bad(
        "config-zero-interval",
        T,
        line(CANARY, 'config = { type = "linear", percent = 10, interval = "0s" }'),
        "deployment.config",
    ),
    Bad(
        "wait-negative",
        T,
        line("termination_wait", 'termination_wait = "-5s"'),
        "deployment.termination_wait",
    ),
    Bad(
        "rollback-event",
        T,
        line("auto_rollback", 'auto_rollback = ["NOPE"]'),
        "deployment.auto_rollback",
    ),
    Bad(
        "error-rate",
        T,
        line("alarms", "alarms = { error_rate = 2 }"),
        "deployment.alarms.error_rate",
    ),
    Bad("hook-event", T, append('[hooks]\nAfterEverything = "true"'), "hooks.AfterEverything"),
    Bad("unknown-field", T, line("[service]", '[service]\ncolour = "blue"'), "service.colour"),
    Bad("unknown-section", T, append("[extra]\na = 1"), "extra"),
    Bad("same-ports", T, line("test_port", "test_port = 8080"), "local"),
    Bad("driver", T, line("driver", 'driver = "kubernetes"'), "local.driver"),
    Bad("region", T, line("region", 'region = "Virginia"'), "aws.region"),
    Bad(
        "ecr-name", T, line("ecr_repository", 'ecr_repository = "Flask App"'), "aws.ecr_repository"
    ),
    Bad("account-id", T, line("account_id", 'account_id = "12"'), "aws.account_id"),
    Bad("listener-url", T, append('test_listener_url = "my-alb"'), "aws.test_listener_url"),
    Bad("toml-syntax", T, line("[service]", "[service"), "line 4"),
    Bad("toml-duplicate", T, line('name = "flask-app"', 'name = "a"\nname = "b"'), "line"),
    # taskdef.json
    Bad("family-missing", J, json_edit(drops(top, "family")), "family"),
    Bad("family-number", J, json_edit(sets(top, "family", 5)), "family"),
    Bad(
        "port-string",
        J,
        json_edit(lambda d: container(d)["portMappings"][0].__setitem__("containerPort", "8000")),
        "containerDefinitions[0].portMappings[0].containerPort",
    ),
    Bad(
        "lb-container-renamed", J, json_edit(sets(container, "name", "api")), "containerDefinitions"
    ),
    Bad(
        "lb-port-unmapped",
        J,
        json_edit(lambda d: container(d)["portMappings"][0].__setitem__("containerPort", 9000)),
        "containerDefinitions[0].portMappings",
    ),
    Bad(
        "not-essential",
        J,
        json_edit(sets(container, "essential", False)),
        "containerDefinitions[0].essential",
    ),
    Bad(
        "container-unknown-key",
        J,
        json_edit(sets(container, "colour", "blue")),
        "containerDefinitions[0].colour",
    ),
    Bad("fargate-bridge", J, json_edit(sets(top, "networkMode", "bridge")), "networkMode"),
    Bad("fargate-no-cpu", J, json_edit(drops(top, "cpu")), "cpu"),
    Bad("cpu-number", J, json_edit(sets(top, "cpu", 256)), "cpu"),
    Bad(
        "containers-object",
        J,
        json_edit(sets(top, "containerDefinitions", {})),
        "containerDefinitions",
    ),
    Bad(
        "containers-missing",
        J,
        json_edit(drops(top, "containerDefinitions")),
        "containerDefinitions",
    ),
    Bad(
        "env-value-number",
        J,
        json_edit(lambda d: container(d)["environment"][0].__setitem__("value", 5)),
        "containerDefinitions[0].environment[0].value",
    ),
    Bad("taskdef-list", J, text("[]"), "top"),
    Bad("network-mode-typo", J, json_edit(sets(top, "networkMode", "awsvcp")), "networkMode"),
    Bad(
        "protocol-enum",
        J,
        json_edit(lambda d: container(d)["portMappings"][0].__setitem__("protocol", "sctp")),
        "containerDefinitions[0].portMappings[0].protocol",
    ),
    Bad(
        "compatibility-enum",
        J,
        json_edit(sets(top, "requiresCompatibilities", ["LAMBDA"])),
        "requiresCompatibilities[0]",
    ),
    Bad("json-syntax", J, text('{"family": }'), "line 1, column 12"),
    Bad(
        "image-placeholder-typo",
        J,
        json_edit(sets(container, "image", "<IMAGE_URL>")),
        "containerDefinitions[0].image",
        "render",
    ),
    Bad(
        "env-var-unset",
        J,
        json_edit(lambda d: container(d)["environment"][0].__setitem__("value", "${NO_SUCH_VAR}")),
        "containerDefinitions[0].environment[0].value",
        "render",
    ),
    # appspec.yaml
    Bad("version", Y, yaml_edit(sets(top, "version", 1)), "version"),
    Bad("resources-missing", Y, yaml_edit(drops(top, "Resources")), "Resources"),
    Bad("resources-empty", Y, yaml_edit(sets(top, "Resources", [])), "Resources"),
    Bad(
        "type",
        Y,
        yaml_edit(
            lambda d: d["Resources"][0]["TargetService"].__setitem__("Type", "AWS::EC2::Instance")
        ),
        "Resources[0].TargetService.Type",
    ),
    Bad("port-quoted", Y, yaml_edit(sets(lb, "ContainerPort", "8000")), f"{LB}.ContainerPort"),
    Bad("name-mismatch", Y, yaml_edit(sets(lb, "ContainerName", "api")), f"{LB}.ContainerName"),
    Bad("port-mismatch", Y, yaml_edit(sets(lb, "ContainerPort", 9000)), f"{LB}.ContainerPort"),
    Bad("lb-missing", Y, yaml_edit(drops(props, "LoadBalancerInfo")), f"{PROPS}.LoadBalancerInfo"),
    Bad("taskdef-missing", Y, yaml_edit(drops(props, "TaskDefinition")), f"{PROPS}.TaskDefinition"),
    Bad(
        "network-partial",
        Y,
        yaml_edit(
            sets(
                props,
                "NetworkConfiguration",
                {"AwsvpcConfiguration": {"Subnets": ["subnet-1"], "AssignPublicIp": "DISABLED"}},
            )
        ),
        f"{PROPS}.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups",
    ),
    Bad(
        "public-ip",
        Y,
        yaml_edit(
            sets(
                props,
                "NetworkConfiguration",
                {
                    "AwsvpcConfiguration": {
                        "Subnets": ["s"],
                        "SecurityGroups": ["g"],
                        "AssignPublicIp": "MAYBE",
                    }
                },
            )
        ),
        f"{PROPS}.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp",
    ),
    Bad(
        "two-bases",
        Y,
        yaml_edit(
            sets(
                props,
                "CapacityProviderStrategy",
                [
                    {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
                    {"CapacityProvider": "FARGATE_SPOT", "Base": 1, "Weight": 1},
                ],
            )
        ),
        f"{PROPS}.CapacityProviderStrategy",
    ),
    Bad(
        "no-weight",
        Y,
        yaml_edit(
            sets(props, "CapacityProviderStrategy", [{"CapacityProvider": "FARGATE", "Weight": 0}])
        ),
        f"{PROPS}.CapacityProviderStrategy",
    ),
    Bad("hook-unknown", Y, yaml_edit(sets(top, "Hooks", [{"Whenever": "fn"}])), "Hooks[0]"),
    Bad(
        "hook-two-keys",
        Y,
        yaml_edit(sets(top, "Hooks", [{"BeforeInstall": "a", "AfterInstall": "b"}])),
        "Hooks[0]",
    ),
    Bad("unknown-property", Y, yaml_edit(sets(props, "Colour", "blue")), f"{PROPS}.Colour"),
    Bad("yaml-syntax", Y, text("version: 0.0\nResources: [\n"), "line 3"),
    Bad("appspec-scalar", Y, text("just text\n"), "top"),
]
