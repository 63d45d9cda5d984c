"""`docker build` through the SDK, output streamed as it comes.

A failing build is the user's Dockerfile: it becomes a `SpecError` naming
the Dockerfile and the step that failed (the legacy builder's "Step 3/5 :
RUN ..." line), so the CLI exits 2 like any other mistake in the user's files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import docker
from docker.api.build import process_dockerfile
from docker.errors import APIError, BuildError, DockerException

from ..errors import PlatformError, Problem, SpecError
from ..state_dir import STATE_DIR
from .reference import ImageRef

Output = Callable[[str], None]


def build_image(
    client: docker.DockerClient,
    context: Path,
    ref: ImageRef,
    *,
    dockerfile: str = "Dockerfile",
    network: str | None = None,
    platform: str | None = None,
    on_output: Output = lambda line: None,
) -> str:
    """Build `context` into `ref`; the image id.

    `network`: the RUN steps' network mode; `platform`: e.g. "linux/amd64".
    """
    shown_as = str(context / dockerfile)
    if not (context / dockerfile).is_file():
        raise SpecError(Problem(shown_as, "", "file not found; expected a Dockerfile to build"))
    try:
        chunks = client.api.build(
            fileobj=_context_tar(context, dockerfile),
            custom_context=True,
            dockerfile=dockerfile,
            tag=str(ref),
            rm=True,
            forcerm=True,
            decode=True,
            network_mode=network,
            platform=platform,
        )
        return _follow(chunks, shown_as, on_output)
    except (APIError, BuildError) as exc:
        if _is_client_error(exc):
            raise SpecError(Problem(shown_as, "", _explanation(exc))) from None
        raise PlatformError(f"the Docker engine failed the build: {exc}") from exc
    except DockerException as exc:
        raise PlatformError(f"the Docker engine failed the build: {exc}") from exc


def context_excludes(context: Path) -> list[str]:
    """What a build context leaves out: the `.dockerignore` patterns, and
    bluegreen's own state (`.bluegreen/` holds a live SQLite file and logs)."""
    ignore = context / ".dockerignore"
    lines = ignore.read_text().splitlines() if ignore.is_file() else []
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [*patterns, STATE_DIR]


def _context_tar(context: Path, dockerfile: str) -> IO[bytes]:
    """The context as the SDK would send it."""
    tar: IO[bytes] = docker.utils.tar(
        str(context),
        exclude=context_excludes(context),
        dockerfile=process_dockerfile(dockerfile, str(context)),
    )
    return tar


def _follow(chunks: Iterable[Mapping[str, Any]], shown_as: str, on_output: Output) -> str:
    """Stream the build's output; raise on its error with the step it was running."""
    step = ""
    image_id = None
    for chunk in chunks:
        text = chunk.get("stream")
        if text:
            on_output(text)
            if text.startswith("Step "):
                step = text.strip()
        if "aux" in chunk:
            image_id = chunk["aux"].get("ID", image_id)
        if "error" in chunk:
            raise SpecError(Problem(shown_as, step, str(chunk["error"]).strip()))
    if image_id is None:
        raise PlatformError("the Docker engine ended the build without naming an image")
    return str(image_id)


def _is_client_error(exc: DockerException) -> bool:
    return isinstance(exc, BuildError) or (isinstance(exc, APIError) and exc.is_client_error())


def _explanation(exc: DockerException) -> str:
    explanation = getattr(exc, "explanation", None) or getattr(exc, "msg", None) or str(exc)
    return str(explanation).strip()
