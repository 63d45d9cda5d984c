"""What was pushed to the emulator's registry: blobs by digest, manifests and tags.

Blobs (layers, image configs) and manifests are stored content-addressed
under the emulator's state directory (`blobs/sha256/<hex>`), so a layer two
repositories share is kept once; which repository holds which manifest
under which tags is kept in memory, like the rest of the emulator's state.
Every digest is checked against the bytes received, as the OCI
distribution spec requires of a registry
(https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .protocol import AwsError

DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
CHUNK = 1 << 16

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
IMAGE_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
"""Manifests that name a config and layers (blobs)."""
INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)
"""Manifests that name other manifests (one per platform)."""


class RegistryError(AwsError):
    """A refusal in the distribution spec's terms (`MANIFEST_UNKNOWN`, 404), answered
    in the registry's error shape rather than AWS's."""


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    body: bytes
    size: int
    """The image's size as ECR reports it: its config and layers, compressed."""
    pushed_at: datetime


@dataclass
class Repository:
    manifests: dict[str, Manifest] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    """Tag → manifest digest."""

    def tags_of(self, digest: str) -> list[str]:
        return sorted(tag for tag, target in self.tags.items() if target == digest)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class ImageStore:
    """Thread-safe: the registry's request threads and the API's share it."""

    def __init__(self, root: Path, repository_exists: Callable[[str], bool]) -> None:
        self.blob_dir = root / "blobs" / "sha256"
        self.upload_dir = root / "uploads"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.repository_exists = repository_exists
        self.repositories: dict[str, Repository] = {}
        self._uploads: dict[str, str] = {}
        """Upload id → the repository it was started in."""
        self._lock = threading.Lock()

    # -- blobs -----------------------------------------------------------------------

    def check_name(self, name: str) -> None:
        if not self.repository_exists(name):
            raise RegistryError(
                "NAME_UNKNOWN",
                f"The repository with name '{name}' does not exist in the registry",
                404,
            )

    def blob(self, digest: str) -> Path:
        path = self.blob_dir / _hex(digest)
        if not path.is_file():
            raise RegistryError("BLOB_UNKNOWN", f"blob {digest} is not in the registry", 404)
        return path

    def has_blob(self, digest: str) -> bool:
        return bool(DIGEST.match(digest)) and (self.blob_dir / _hex(digest)).is_file()

    def start_upload(self, name: str) -> str:
        upload = str(uuid.uuid4())
        (self.upload_dir / upload).touch()
        with self._lock:
            self._uploads[upload] = name
        return upload

    def upload_size(self, name: str, upload: str) -> int:
        return self._upload_path(name, upload).stat().st_size

    def append(self, name: str, upload: str, stream: IO[bytes], start: int | None = None) -> int:
        """Add the request body to the upload; the upload's size after it."""
        path = self._upload_path(name, upload)
        if start is not None and start != path.stat().st_size:
            raise RegistryError(
                "BLOB_UPLOAD_INVALID",
                f"chunk starts at {start}, the upload has {path.stat().st_size} bytes",
                416,
            )
        with path.open("ab") as out:
            while chunk := stream.read(CHUNK):
                out.write(chunk)
        return path.stat().st_size

    def finish_upload(self, name: str, upload: str, digest: str) -> None:
        """Check the upload's bytes against `digest`, then keep it as that blob."""
        path = self._upload_path(name, upload)
        if not DIGEST.match(digest):
            raise RegistryError("DIGEST_INVALID", f"{digest!r} is not a sha256 digest")
        found = _file_digest(path)
        if found != digest:
            self.cancel_upload(name, upload)
            raise RegistryError("DIGEST_INVALID", f"content is {found}, not {digest}")
        os.replace(path, self.blob_dir / _hex(digest))
        with self._lock:
            self._uploads.pop(upload, None)

    def cancel_upload(self, name: str, upload: str) -> None:
        self._upload_path(name, upload).unlink(missing_ok=True)
        with self._lock:
            self._uploads.pop(upload, None)

    def _upload_path(self, name: str, upload: str) -> Path:
        with self._lock:
            known = self._uploads.get(upload) == name
        if not known:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", f"no upload {upload} in {name}", 404)
        return self.upload_dir / upload

    # -- manifests -------------------------------------------------------------------

    def put_manifest(self, name: str, reference: str, body: bytes, media_type: str) -> Manifest:
        """Store a manifest whose blobs (or, for an index, manifests) are all here."""
        digest = sha256_digest(body)
        if reference.startswith("sha256:") and reference != digest:
            raise RegistryError("DIGEST_INVALID", f"manifest is {digest}, not {reference}")
        document = _manifest_document(body)
        media_type = str(document.get("mediaType") or media_type).split(";")[0].strip()
        with self._lock:
            repository = self.repositories.setdefault(name, Repository())
            size = self._check_references(repository, document, media_type)
            manifest = Manifest(digest, media_type, body, size, datetime.now(UTC))
            repository.manifests.setdefault(digest, manifest)
            if reference and not reference.startswith("sha256:"):
                repository.tags[reference] = digest
            return repository.manifests[digest]

    def manifest(self, name: str, reference: str) -> Manifest:
        with self._lock:
            repository = self.repositories.get(name, Repository())
            digest = repository.tags.get(reference, reference)
            found = repository.manifests.get(digest)
        if found is None:
            raise RegistryError("MANIFEST_UNKNOWN", f"manifest {reference} not in {name}", 404)
        return found

    def repository(self, name: str) -> Repository:
        """A snapshot of the repository: its manifests and tags as they are now."""
        with self._lock:
            held = self.repositories.get(name, Repository())
            return Repository(dict(held.manifests), dict(held.tags))

    def untag(self, name: str, tag: str) -> None:
        with self._lock:
            self.repositories.get(name, Repository()).tags.pop(tag, None)

    def delete_manifest(self, name: str, digest: str) -> None:
        """Forget the manifest and every tag naming it (the blobs stay: others may share them)."""
        with self._lock:
            repository = self.repositories.get(name, Repository())
            repository.manifests.pop(digest, None)
            for tag in repository.tags_of(digest):
                del repository.tags[tag]

    def _check_references(self, repository: Repository, document: Any, media_type: str) -> int:
        if media_type in IMAGE_TYPES:
            blobs = [document.get("config") or {}, *(document.get("layers") or [])]
            missing = [b.get("digest") for b in blobs if not self.has_blob(str(b.get("digest")))]
            if missing:
                raise RegistryError("MANIFEST_BLOB_UNKNOWN", f"blobs not pushed: {missing}")
            return sum(int(b.get("size", 0)) for b in blobs)
        if media_type in INDEX_TYPES:
            named = [str(m.get("digest")) for m in document.get("manifests") or []]
            missing = [d for d in named if d not in repository.manifests]
            if missing:
                raise RegistryError("MANIFEST_UNKNOWN", f"manifests not pushed: {missing}")
            return sum(repository.manifests[d].size for d in named)
        raise RegistryError(
            "MANIFEST_INVALID",
            f"unsupported manifest media type {media_type!r}; expected one of "
            f"{', '.join(IMAGE_TYPES + INDEX_TYPES)}",
        )


def _manifest_document(body: bytes) -> Any:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise RegistryError("MANIFEST_INVALID", f"manifest is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        raise RegistryError("MANIFEST_INVALID", "manifest is not a schemaVersion 2 object")
    return document


def _hex(digest: str) -> str:
    if not DIGEST.match(digest):
        raise RegistryError("DIGEST_INVALID", f"{digest!r} is not a sha256 digest")
    return digest.removeprefix("sha256:")


def _file_digest(path: Path) -> str:
    with path.open("rb") as data:
        return "sha256:" + hashlib.file_digest(data, "sha256").hexdigest()
