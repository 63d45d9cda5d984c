"""Apps nobody here wrote, each in a virtualenv of its own (not bluegreen's),
as a user with that virtualenv activated runs them: a FastAPI app under
uvicorn and a Django project (made by `django-admin startproject`) under
gunicorn deploy blue/green and roll back under a steady load with no
failed request. Their packages come from the package index the machine
uses (PyPI, or PIP_INDEX_URL), installed once per test session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .harness import LoadGenerator, Project

pytestmark = pytest.mark.slow

FASTAPI_APP = """\
import os

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/", response_class=PlainTextResponse)
def index() -> str:
    return os.environ.get("APP_VERSION", "?")


@app.get("/health")
def health() -> dict[str, bool]:
    return {"ok": True}
"""

DJANGO_URLS = """\
import os

from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse(os.environ.get("APP_VERSION", "?"), content_type="text/plain")


def health(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("", index), path("health", health)]
"""


def app_venv(root: Path, *packages: str) -> Path:
    """A virtualenv with `packages` and nothing of bluegreen; its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    pip = [str(root / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    done = subprocess.run(
        [*pip, "--disable-pip-version-check", *packages],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "bin"


@pytest.fixture(scope="session")
def fastapi_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return app_venv(tmp_path_factory.mktemp("fastapi") / "venv", "fastapi", "uvicorn")


@pytest.fixture(scope="session")
def django_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return app_venv(tmp_path_factory.mktemp("django") / "venv", "django", "gunicorn")


def activate(monkeypatch: pytest.MonkeyPatch, venv_bin: Path) -> None:
    """As `source venv/bin/activate` would: the app's venv first on PATH."""
    monkeypatch.setenv("VIRTUAL_ENV", str(venv_bin.parent))
    monkeypatch.setenv("PATH", f"{venv_bin}{os.pathsep}{os.environ['PATH']}")


def deploy_and_roll_back_under_load(project: Project) -> None:
    project.deploy_first()
    assert project.version() == "v1"
    with LoadGenerator(project.prod_url) as load:
        load.wait_for_answers(20)
        project.cli("deploy", "--set", "APP_VERSION=v2")
        assert project.version() == "v2"
        load.wait_for_answers(load.results.total() + 20)
        project.cli("rollback")
        assert project.version() == "v1"
        load.wait_for_answers(load.results.total() + 20)
    load.assert_no_failures()
    assert load.versions["v1"] and load.versions["v2"], load.versions


def test_a_fastapi_app_under_uvicorn_in_its_own_virtualenv(
    start_platform: Callable[..., Project],
    fastapi_bin: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    activate(monkeypatch, fastapi_bin)
    project = start_platform(
        canary="500ms", command="uvicorn app:app --host 127.0.0.1 --port $PORT"
    )
    (project.dir / "app.py").write_text(FASTAPI_APP)
    deploy_and_roll_back_under_load(project)


def test_a_django_project_under_gunicorn_in_its_own_virtualenv(
    start_platform: Callable[..., Project],
    django_bin: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    activate(monkeypatch, django_bin)
    project = start_platform(
        canary="500ms", command="gunicorn --workers 2 -b 127.0.0.1:$PORT mysite.wsgi"
    )
    subprocess.run(
        [str(django_bin / "django-admin"), "startproject", "mysite", str(project.dir)],
        check=True,
        timeout=120,
    )
    (project.dir / "mysite" / "urls.py").write_text(DJANGO_URLS)
    deploy_and_roll_back_under_load(project)
