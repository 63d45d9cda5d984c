"""`bluegreen ci gitlab` and `bluegreen ci verify` through the real CLI."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from bluegreen.cli.main import main

from .harness import REPO


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    shutil.copytree(REPO / "examples" / "flask-app", tmp_path / "services" / "web")
    return tmp_path


def test_gitlab_writes_at_the_repository_root_with_the_project_dir(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLUEGREEN_LOCAL_PROD_PORT", "9999")  # not baked into the file
    code, out, _ = run(
        ["ci", "gitlab", str(repo / "services" / "web"), "--platform", "local"], capsys
    )
    assert code == 0, out
    pipeline = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    assert pipeline["variables"]["BLUEGREEN_DIR"]["value"] == "services/web"
    assert pipeline["variables"]["BLUEGREEN_LOCAL_PROD_PORT"]["value"] == "8080"
    assert "--platform local" in pipeline["deploy"]["script"][-1]


def test_gitlab_refuses_a_bad_project_naming_file_and_field(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = repo / "services" / "web" / "bluegreen.toml"
    config.write_text(config.read_text().replace('name = "flask-app"', "name = 7"))
    code, _, err = run(["ci", "gitlab", str(repo / "services" / "web")], capsys)
    assert code == 2
    assert "bluegreen.toml" in err and "service.name" in err and "Traceback" not in err
    assert not (repo / ".gitlab-ci.yml").exists(), "nothing written"


def test_gitlab_refuses_an_output_beside_the_project_and_unknown_platforms(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = repo / "services" / "web"
    elsewhere = repo / "other" / ".gitlab-ci.yml"
    code, _, err = run(["ci", "gitlab", str(project), "--output", str(elsewhere)], capsys)
    assert code == 2 and "--output" in err
    assert not elsewhere.exists()
    code, _, err = run(["ci", "gitlab", str(project), "--platform", "gcp"], capsys)
    assert code == 2 and "gcp" in err


class App(BaseHTTPRequestHandler):
    body = b"hello from version v1\n"
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def production() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), App)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


FAST = ["--interval", "0.02", "--deadline", "0.5"]


def test_verify_passes_on_the_expected_version(
    production: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["ci", "verify", production, "--expect", "version v1", *FAST], capsys)
    assert code == 0
    assert "verified: 3 good answers in a row" in out


def test_verify_fails_on_another_version_or_an_error(
    production: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["ci", "verify", production, "--expect", "version v2", *FAST], capsys)
    assert code == 1
    assert "'version v2' not in the body" in out and "did not answer well" in err
    monkeypatch.setattr(App, "status", 503)
    code, out, _ = run(["ci", "verify", production, *FAST], capsys)
    assert code == 1 and "HTTP 503" in out


def test_verify_without_a_url_says_which_variable_to_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["ci", "verify", "/"], capsys)
    assert code == 2 and "BLUEGREEN_PROD_URL" in err


def test_github_writes_the_workflow_under_the_repository_root(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = repo / "services" / "web"
    code, out, _ = run(["ci", "github", str(project), "--platform", "aws-ecs"], capsys)
    assert code == 0, out
    path = repo / ".github" / "workflows" / "bluegreen.yml"
    assert out.startswith(f"wrote {path} (--platform aws-ecs, BLUEGREEN_DIR=services/web)")
    workflow = yaml.safe_load(path.read_text())
    assert workflow["env"]["BLUEGREEN_DIR"] == "${{ vars.BLUEGREEN_DIR || 'services/web' }}"
    code, out, _ = run(["ci", "github", str(project), "--branch", "trunk", "--output", "-"], capsys)
    assert code == 0
    printed = yaml.safe_load(out)
    assert printed["on"]["push"] == {"branches": ["trunk"]}
    assert "--platform aws-codedeploy" in out, "the default platform, as for gitlab"
    assert printed["env"]["BLUEGREEN_DIR"] == workflow["env"]["BLUEGREEN_DIR"], (
        "jobs run at the repository root, wherever the file goes"
    )
