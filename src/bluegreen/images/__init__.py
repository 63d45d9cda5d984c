"""Building and pushing the app's image: the very image ECS will run.

`bluegreen build` and `bluegreen push` are thin over these functions; the
local Docker driver shares `engine.connect` so every "no engine" reads the
same. Everything talks to the engine through the Docker SDK, never by
shelling out to the `docker` CLI.
"""

from .build import build_image
from .docker_engine import connect, engine_answers
from .push import RegistryLogin, push_image
from .reference import ImageRef, default_tag

__all__ = [
    "ImageRef",
    "RegistryLogin",
    "build_image",
    "connect",
    "default_tag",
    "engine_answers",
    "push_image",
]
