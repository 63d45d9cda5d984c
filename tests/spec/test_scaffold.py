"""What `bluegreen init` guesses from an app that has no bluegreen files yet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bluegreen.spec import app_source
from bluegreen.spec.project import load_project
from bluegreen.spec.scaffold import DEFAULT_PORT, guess_project, ignore_state, scaffold


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


def test_the_taskdef_family_names_the_service(tmp_path: Path):
    app = tmp_path / "checkout"
    app.mkdir()
    taskdef = {
        "family": "shop-api",
        "containerDefinitions": [
            {"name": "web", "image": "shop:1", "portMappings": [{"containerPort": 80}]}
        ],
    }
    (app / "taskdef.json").write_text(json.dumps(taskdef))
    scaffold(app)
    assert load_project(app, env={}).config.service.name == "shop-api"


@pytest.mark.parametrize(
    ("file", "source", "path"),
    [
        ("app.py", '@app.route("/health")\ndef health(): ...\n', "/health"),
        ("main.py", '@app.get("/healthz")\nasync def hz(): ...\n', "/healthz"),
        ("urls.py", 'urlpatterns = [path("healthcheck/", views.ok)]\n', "/healthcheck"),
        ("server.js", "app.get('/health', (req, res) => res.send('ok'))\n", "/health"),
    ],
)
def test_health_path_follows_the_route_the_app_defines(
    tmp_path: Path, file: str, source: str, path: str
):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / file).write_text("# the app\n" + source)
    scaffold(tmp_path)
    assert load_project(tmp_path, env={}).config.health_check.path == path
    assert guess_project(tmp_path).health_where == f"src/{file}:2"


def test_health_prefers_health_and_ignores_dependencies(tmp_path: Path):
    (tmp_path / "node_modules" / "dep").mkdir(parents=True)
    (tmp_path / "node_modules" / "dep" / "index.js").write_text("router.get('/health', f)\n")
    (tmp_path / "app.py").write_text('@app.route("/healthcheck")\n@app.route("/health")\n')
    assert guess_project(tmp_path).health_path == "/health"
    (tmp_path / "app.py").write_text('@app.route("/")\n')
    assert guess_project(tmp_path).health_path == "/"


def test_the_source_scan_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "a.py").write_text("# nothing here\n")
    (tmp_path / "b.py").write_text('@app.route("/health")\n')
    assert guess_project(tmp_path).health_path == "/health"
    monkeypatch.setattr(app_source, "MAX_FILES", 1)
    assert guess_project(tmp_path).health_path == "/"
    monkeypatch.setattr(app_source, "MAX_FILES", 10)
    monkeypatch.setattr(app_source, "MAX_TOTAL_BYTES", 20)
    assert guess_project(tmp_path).health_path == "/"


def test_gitignore_gets_the_state_directory_once_and_keeps_its_lines(tmp_path: Path):
    assert ignore_state(tmp_path)
    assert (tmp_path / ".gitignore").read_text() == ".bluegreen/\n"
    assert not ignore_state(tmp_path)
    (tmp_path / ".gitignore").write_text("node_modules\n*.pyc")
    assert ignore_state(tmp_path)
    assert (tmp_path / ".gitignore").read_text() == "node_modules\n*.pyc\n.bluegreen/\n"
    (tmp_path / ".gitignore").write_text("/.bluegreen\n")
    assert not ignore_state(tmp_path)


@pytest.mark.parametrize(
    ("file", "source", "instead"),
    [
        ("app.py", 'app.run(host="0.0.0.0", port=80)\n', 'port=int(os.environ.get("PORT", 80))'),
        ("index.js", "app.listen(3000, () => {})\n", ".listen(process.env.PORT || 3000)"),
    ],
)
def test_a_fixed_port_in_the_code_is_a_warning_saying_what_to_write(
    tmp_path: Path, file: str, source: str, instead: str
):
    (tmp_path / file).write_text(source)
    (warning,) = guess_project(tmp_path).warnings
    assert warning.startswith(f"{file}:1: ") and warning.endswith(f"write {instead}")


def test_a_cmd_on_another_port_than_expose_is_a_warning(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.13\nEXPOSE 8000\nCMD ["gunicorn", "-b", "0.0.0.0:80", "app:app"]\n'
    )
    (warning,) = guess_project(tmp_path).warnings
    assert 'write [local] command = "gunicorn -b 127.0.0.1:$PORT app:app"' in warning


def test_a_cmd_binding_a_port_without_expose_takes_that_port(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.13\nCMD uvicorn main:app --port 8000\n")
    guess = guess_project(tmp_path)
    assert (guess.port, guess.command, guess.warnings) == (
        8000,
        "uvicorn main:app --port $PORT",
        (),
    )
