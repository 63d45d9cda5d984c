"""What `bluegreen init` guesses from an app that has no bluegreen files yet."""

from __future__ import annotations

import json
from pathlib import Path

from bluegreen.spec.project import load_project
from bluegreen.spec.scaffold import DEFAULT_PORT, guess_project, scaffold


def test_bare_directory_gets_defaults_named_after_it(tmp_path: Path):
    app = tmp_path / "My Shop_API"
    scaffold(app)
    project = load_project(app, env={})
    assert project.config.service.name == "my-shop-api"
    assert project.config.service.container_port == DEFAULT_PORT
    assert project.config.local.command is None


def test_existing_taskdef_decides_container_and_port_and_is_kept(tmp_path: Path):
    taskdef = {
        "family": "shop",
        "containerDefinitions": [
            {"name": "sidecar", "image": "envoy"},
            {"name": "api", "image": "shop:1", "portMappings": [{"containerPort": 3000}]},
        ],
    }
    (tmp_path / "taskdef.json").write_text(json.dumps(taskdef))
    (tmp_path / "Dockerfile").write_text("FROM node:22\nEXPOSE 9999\nCMD node server.js\n")
    outcomes = scaffold(tmp_path)
    assert [(o.path.name, o.written) for o in outcomes] == [
        ("taskdef.json", False),
        ("appspec.yaml", True),
        ("bluegreen.toml", True),
    ]
    service = load_project(tmp_path, env={}).config.service
    assert (service.container, service.container_port) == ("api", 3000)


def test_shell_form_cmd_with_the_port_becomes_the_local_command(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.13-slim\nEXPOSE 8000/tcp\nCMD uvicorn main:app --host 0.0.0.0 --port 8000\n"
    )
    guess = guess_project(tmp_path)
    assert guess.port == 8000
    assert guess.command == "uvicorn main:app --host 127.0.0.1 --port $PORT"


def test_cmd_without_the_port_is_left_to_the_runner(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text('FROM x\nEXPOSE 8080\nCMD ["./serve"]\n')
    assert guess_project(tmp_path).command is None
