"""The emulator's ECR registry: what `docker push` and `docker pull` speak, on its own port.

The Docker Registry HTTP API V2, as the OCI distribution spec words it
(https://github.com/opencontainers/distribution-spec/blob/main/spec.md):
the `/v2/` ping, blob HEAD/GET, blob uploads (POST, then PATCH chunks and a
closing PUT with the digest, or one monolithic POST/PUT; a cross-repository
mount succeeds when the blob is here), manifests PUT/GET/HEAD by tag or
digest with their own Content-Type and `Docker-Content-Digest`, and the tag
list. It listens on 127.0.0.1, which Docker treats as an insecure-allowed
registry, so plain HTTP works without configuring the engine.

As ECR does, the ping answers a Basic challenge and every request needs the
login GetAuthorizationToken hands out (user `AWS`, the token's password;
https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html);
a push to a repository that CreateRepository never made is `NAME_UNKNOWN`.
werkzeug (moto's own server) serves it; the protocol glue is ours, since no
maintained Python library serves this API.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from .ecr_store import DIGEST, ImageStore, RegistryError

log = logging.getLogger(__name__)

USERNAME = "AWS"
_ROUTE = re.compile(
    r"^/v2/(?P<name>.+?)/(?P<kind>blobs/uploads|blobs|manifests|tags)/(?P<rest>.*)$"
)
_API_HEADER = {"Docker-Distribution-API-Version": "registry/2.0"}
Handler = Callable[[Request, str, str], Response]


class Registry:
    """The registry's WSGI app; `start` serves it on a free 127.0.0.1 port."""

    def __init__(self, store: ImageStore) -> None:
        self.store = store
        self.password = secrets.token_urlsafe(32)
        """The login's password, for this emulator's life (ECR's lasts 12 hours)."""
        self.address = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[tuple[str, str], Handler] = {
            ("blobs", "GET"): self._get_blob,
            ("blobs", "HEAD"): self._get_blob,
            ("blobs/uploads", "POST"): self._start_upload,
            ("blobs/uploads", "GET"): self._upload_status,
            ("blobs/uploads", "PATCH"): self._patch_upload,
            ("blobs/uploads", "PUT"): self._finish_upload,
            ("blobs/uploads", "DELETE"): self._cancel_upload,
            ("manifests", "GET"): self._get_manifest,
            ("manifests", "HEAD"): self._get_manifest,
            ("manifests", "PUT"): self._put_manifest,
            ("tags", "GET"): self._tags,
        }

    def start(self) -> str:
        """Serve on a port the kernel picks; `127.0.0.1:PORT`."""
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        self.address = f"127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="emulator-ecr", daemon=True
        )
        self._thread.start()
        return self.address

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._answer(request)
        except RegistryError as error:
            response = _error(error)
        except Exception as exc:
            log.exception("registry failure")
            response = _error(RegistryError("UNKNOWN", f"emulator failure: {exc!r}", 500))
        response.headers.update(_API_HEADER)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if not self._authorized(request.headers.get("Authorization", "")):
            raise RegistryError("UNAUTHORIZED", "authentication required", 401)
        if request.path in ("/v2/", "/v2"):
            return _json({})
        route = _ROUTE.match(request.path)
        handler = route and self._routes.get((route["kind"], request.method))
        if not route or not handler:
            raise RegistryError(
                "UNSUPPORTED", f"{request.method} {request.path} is not part of the API", 405
            )
        self.store.check_name(route["name"])
        return handler(request, route["name"], route["rest"])

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == USERNAME and secrets.compare_digest(password, self.password)

    # -- blobs -----------------------------------------------------------------------

    def _get_blob(self, request: Request, name: str, digest: str) -> Response:
        path = self.store.blob(digest)
        if request.method == "HEAD":
            response = Response(b"", content_type="application/octet-stream")
        else:
            body = wrap_file(request.environ, path.open("rb"))
            response = Response(
                body, content_type="application/octet-stream", direct_passthrough=True
            )
        # Set after the body: werkzeug would count HEAD's empty one.
        response.headers["Content-Length"] = str(path.stat().st_size)
        response.headers["Docker-Content-Digest"] = digest
        return response

    def _start_upload(self, request: Request, name: str, rest: str) -> Response:
        if rest:
            raise RegistryError("UNSUPPORTED", "POST starts an upload at .../blobs/uploads/", 405)
        mount = request.args.get("mount")
        if mount and self.store.has_blob(mount):
            return _blob_created(name, mount)
        upload = self.store.start_upload(name)
        digest = request.args.get("digest")
        if digest:  # monolithic: the whole blob in this one request
            self.store.append(name, upload, request.stream)
            self.store.finish_upload(name, upload, digest)
            return _blob_created(name, digest)
        return _upload_accepted(name, upload, 0)

    def _upload_status(self, request: Request, name: str, upload: str) -> Response:
        size = self.store.upload_size(name, upload)
        response = _upload_accepted(name, upload, size)
        response.status_code = 204
        return response

    def _patch_upload(self, request: Request, name: str, upload: str) -> Response:
        start = _range_start(request.headers.get("Content-Range"))
        size = self.store.append(name, upload, request.stream, start)
        return _upload_accepted(name, upload, size)

    def _finish_upload(self, request: Request, name: str, upload: str) -> Response:
        digest = request.args.get("digest", "")
        if not DIGEST.match(digest):
            raise RegistryError(
                "DIGEST_INVALID", f"closing PUT needs ?digest=sha256:…, got {digest!r}"
            )
        self.store.append(name, upload, request.stream)
        self.store.finish_upload(name, upload, digest)
        return _blob_created(name, digest)

    def _cancel_upload(self, request: Request, name: str, upload: str) -> Response:
        self.store.cancel_upload(name, upload)
        return Response(b"", status=204)

    # -- manifests and tags ----------------------------------------------------------

    def _get_manifest(self, request: Request, name: str, reference: str) -> Response:
        manifest = self.store.manifest(name, reference)
        body = b"" if request.method == "HEAD" else manifest.body
        response = Response(body, content_type=manifest.media_type)
        response.headers["Content-Length"] = str(len(manifest.body))  # after the body, as for blobs
        response.headers["Docker-Content-Digest"] = manifest.digest
        return response

    def _put_manifest(self, request: Request, name: str, reference: str) -> Response:
        body = request.get_data()
        manifest = self.store.put_manifest(name, reference, body, request.content_type or "")
        headers = {
            "Location": f"/v2/{name}/manifests/{manifest.digest}",
            "Docker-Content-Digest": manifest.digest,
        }
        return Response(b"", status=201, headers=headers)

    def _tags(self, request: Request, name: str, rest: str) -> Response:
        if rest != "list":
            raise RegistryError("UNSUPPORTED", f"tags/{rest} is not part of the API", 405)
        return _json({"name": name, "tags": sorted(self.store.repository(name).tags)})


def _blob_created(name: str, digest: str) -> Response:
    headers = {"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest}
    return Response(b"", status=201, headers=headers)


def _upload_accepted(name: str, upload: str, size: int) -> Response:
    """202 with where to send the next chunk and what the registry has so far."""
    headers = {
        "Location": f"/v2/{name}/blobs/uploads/{upload}",
        "Range": f"0-{max(size - 1, 0)}",
        "Docker-Upload-UUID": upload,
    }
    return Response(b"", status=202, headers=headers)


def _range_start(header: str | None) -> int | None:
    if not header:
        return None
    found = re.match(r"^(?:bytes )?(\d+)-(\d+)$", header.strip())
    if found is None:
        raise RegistryError(
            "BLOB_UPLOAD_INVALID", f"Content-Range {header!r} is not start-end", 416
        )
    return int(found.group(1))


def _json(document: Mapping[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, content_type="application/json")


def _error(error: RegistryError) -> Response:
    body = {"errors": [{"code": error.code, "message": error.message, "detail": None}]}
    response = _json(body, error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = (
            'Basic realm="bluegreen-emulator",service="ecr.amazonaws.com"'
        )
    return response
