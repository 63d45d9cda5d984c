"""The emulator's registry spoken to directly, as the distribution spec words it
(uploads, digests, manifests, errors), and ECR's image calls on what it holds.
tests/docker drives the same registry with the real `docker push` and `pull`."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import Emulator

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def ecr(emulator: Emulator) -> Any:
    client = emulator.client("ecr")
    client.create_repository(repositoryName="team/web")
    return client


@pytest.fixture
def registry(ecr: Any) -> Iterator[httpx.Client]:
    """An HTTP client for the registry, logged in with GetAuthorizationToken's token."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    with httpx.Client(base_url=data["proxyEndpoint"], auth=(user, password), timeout=10) as http:
        yield http


def upload(http: httpx.Client, data: bytes, name: str = "team/web") -> str:
    started = http.post(f"/v2/{name}/blobs/uploads/")
    assert started.status_code == 202, started.text
    digest = digest_of(data)
    done = http.put(started.headers["Location"], params={"digest": digest}, content=data)
    assert done.status_code == 201, done.text
    return digest


def manifest_for(http: httpx.Client, layer: bytes = b"layer") -> bytes:
    config = b'{"architecture":"amd64","os":"linux"}'
    blobs = [(upload(http, config), len(config)), (upload(http, layer), len(layer))]
    document = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "digest": blobs[0][0], "size": blobs[0][1]},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "digest": blobs[1][0], "size": blobs[1][1]}],
    }  # fmt: skip
    return json.dumps(document).encode()


def put_manifest(http: httpx.Client, reference: str, body: bytes) -> httpx.Response:
    headers = {"Content-Type": MANIFEST_TYPE}
    return http.put(f"/v2/team/web/manifests/{reference}", content=body, headers=headers)


def error_code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["code"])


def test_a_chunked_upload_is_kept_under_its_digest(
    registry: httpx.Client, emulator: Emulator
) -> None:
    location = registry.post("/v2/team/web/blobs/uploads/").headers["Location"]
    first = registry.patch(location, content=b"hello ", headers={"Content-Range": "0-5"})
    assert first.status_code == 202 and first.headers["Range"] == "0-5"
    skipped = registry.patch(
        first.headers["Location"], content=b"x", headers={"Content-Range": "9-9"}
    )
    assert skipped.status_code == 416
    second = registry.patch(first.headers["Location"], content=b"world")
    assert second.headers["Range"] == "0-10"
    assert registry.get(location).status_code == 204
    digest = digest_of(b"hello world")
    done = registry.put(location, params={"digest": digest})
    assert done.status_code == 201 and done.headers["Docker-Content-Digest"] == digest
    head = registry.head(f"/v2/team/web/blobs/{digest}")
    assert head.status_code == 200 and head.headers["Content-Length"] == "11"
    assert registry.get(f"/v2/team/web/blobs/{digest}").content == b"hello world"
    stored = emulator.state_dir / "ecr" / "blobs" / "sha256" / digest.removeprefix("sha256:")
    assert stored.read_bytes() == b"hello world"


def test_a_blob_whose_bytes_miss_its_digest_is_refused_and_not_kept(
    registry: httpx.Client,
) -> None:
    wrong = digest_of(b"something else")
    refused = registry.post("/v2/team/web/blobs/uploads/", params={"digest": wrong}, content=b"hi")
    assert refused.status_code == 400 and error_code(refused) == "DIGEST_INVALID"
    assert registry.head(f"/v2/team/web/blobs/{wrong}").status_code == 404
    monolithic = registry.post(
        "/v2/team/web/blobs/uploads/", params={"digest": digest_of(b"hi")}, content=b"hi"
    )
    assert monolithic.status_code == 201


def test_a_mount_of_a_blob_here_succeeds_and_of_one_not_here_starts_an_upload(
    registry: httpx.Client, ecr: Any
) -> None:
    ecr.create_repository(repositoryName="other")
    digest = upload(registry, b"shared layer")
    params = {"mount": digest, "from": "team/web"}
    mounted = registry.post("/v2/other/blobs/uploads/", params=params)
    assert mounted.status_code == 201 and mounted.headers["Docker-Content-Digest"] == digest
    params = {"mount": digest_of(b"never pushed"), "from": "team/web"}
    assert registry.post("/v2/other/blobs/uploads/", params=params).status_code == 202


def test_manifests_by_tag_and_by_digest_with_their_type_and_digest(registry: httpx.Client) -> None:
    body = manifest_for(registry)
    digest = digest_of(body)
    stored = put_manifest(registry, "v1", body)
    assert stored.status_code == 201 and stored.headers["Docker-Content-Digest"] == digest
    for reference in ("v1", digest):
        got = registry.get(f"/v2/team/web/manifests/{reference}")
        assert got.content == body
        assert got.headers["Content-Type"] == MANIFEST_TYPE
        assert got.headers["Docker-Content-Digest"] == digest
    head = registry.head("/v2/team/web/manifests/v1")
    assert head.content == b"" and head.headers["Content-Length"] == str(len(body))
    assert registry.get("/v2/team/web/tags/list").json() == {"name": "team/web", "tags": ["v1"]}
    missing = registry.get("/v2/team/web/manifests/v2")
    assert missing.status_code == 404 and error_code(missing) == "MANIFEST_UNKNOWN"


def test_a_manifest_must_name_pushed_blobs_and_match_its_digest(registry: httpx.Client) -> None:
    document = json.loads(manifest_for(registry))
    document["layers"][0]["digest"] = digest_of(b"not pushed")
    refused = put_manifest(registry, "v1", json.dumps(document).encode())
    assert refused.status_code == 400 and error_code(refused) == "MANIFEST_BLOB_UNKNOWN"
    body = manifest_for(registry)
    mismatch = put_manifest(registry, digest_of(b"other"), body)
    assert mismatch.status_code == 400 and error_code(mismatch) == "DIGEST_INVALID"
    schema1 = put_manifest(registry, "old", b'{"schemaVersion": 1}')
    assert error_code(schema1) == "MANIFEST_INVALID"


def test_the_registry_wants_the_login_and_a_repository_ecr_made(
    registry: httpx.Client, emulator: Emulator
) -> None:
    anonymous = httpx.get(str(registry.base_url.join("/v2/")), timeout=10)
    assert anonymous.status_code == 401 and error_code(anonymous) == "UNAUTHORIZED"
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic realm=")
    wrong = httpx.get(str(registry.base_url.join("/v2/")), auth=("AWS", "guess"), timeout=10)
    assert wrong.status_code == 401
    assert registry.get("/v2/").status_code == 200
    unknown = registry.post("/v2/nowhere/blobs/uploads/")
    assert unknown.status_code == 404 and error_code(unknown) == "NAME_UNKNOWN"


def test_ecr_image_calls_answer_from_what_was_pushed(registry: httpx.Client, ecr: Any) -> None:
    first = manifest_for(registry, b"one")
    put_manifest(registry, "v1", first)
    second = manifest_for(registry, b"two")
    put_manifest(registry, digest_of(second), second)  # pushed by digest only: untagged
    retagged = ecr.put_image(
        repositoryName="team/web", imageManifest=first.decode(), imageTag="live"
    )
    assert retagged["image"]["imageId"] == {"imageDigest": digest_of(first), "imageTag": "live"}
    with pytest.raises(ecr.exceptions.ImageDigestDoesNotMatchException):
        ecr.put_image(
            repositoryName="team/web", imageManifest=first.decode(), imageDigest=digest_of(second)
        )

    tagged = ecr.list_images(repositoryName="team/web", filter={"tagStatus": "TAGGED"})
    assert sorted(i["imageTag"] for i in tagged["imageIds"]) == ["live", "v1"]
    untagged = ecr.list_images(repositoryName="team/web", filter={"tagStatus": "UNTAGGED"})
    assert untagged["imageIds"] == [{"imageDigest": digest_of(second)}]
    page = ecr.describe_images(repositoryName="team/web", maxResults=1)
    rest = ecr.describe_images(repositoryName="team/web", nextToken=page["nextToken"])
    details = page["imageDetails"] + rest["imageDetails"]
    assert {d["imageDigest"] for d in details} == {digest_of(first), digest_of(second)}
    assert "nextToken" not in rest

    got = ecr.batch_get_image(
        repositoryName="team/web", imageIds=[{"imageTag": "live"}, {"imageTag": "gone"}]
    )
    assert got["images"][0]["imageManifest"] == first.decode()
    assert [f["failureCode"] for f in got["failures"]] == ["ImageNotFound"]

    ecr.batch_delete_image(repositoryName="team/web", imageIds=[{"imageTag": "live"}])
    left = ecr.describe_images(repositoryName="team/web", imageIds=[{"imageTag": "v1"}])
    assert left["imageDetails"][0]["imageTags"] == ["v1"]  # one tag went, the image stays
    ecr.batch_delete_image(repositoryName="team/web", imageIds=[{"imageDigest": digest_of(first)}])
    assert registry.get("/v2/team/web/manifests/v1").status_code == 404
