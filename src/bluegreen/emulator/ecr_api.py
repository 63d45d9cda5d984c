"""ECR's API over the emulator's registry: the login and the images pushed to it.

moto stores the repositories (CreateRepository, DescribeRepositories, …);
the images are the registry's (`ecr_store`), so the calls about images are
answered here from what `docker push` really sent:
- GetAuthorizationToken: `AWS:<password>` base64-encoded, with the
  registry's address as `proxyEndpoint`
  (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html);
- DescribeImages, ListImages (`tagStatus` filter, `maxResults`/`nextToken`
  pages), BatchGetImage (failures `ImageNotFound`, `ImageTagDoesNotMatchDigest`),
  PutImage and BatchDeleteImage
  (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html,
  .../API_BatchGetImage.html, .../API_PutImage.html).
One registry serves every region: a repository is known to it when
CreateRepository made it in any region.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from . import moto_state
from .ecr_registry import USERNAME, Registry
from .ecr_store import DIGEST, Manifest, RegistryError, Repository, sha256_digest
from .endpoint import Behaviour
from .protocol import AwsError, Call

TOKEN_LIFETIME = timedelta(hours=12)
DEFAULT_PAGE = 100


class EcrImages:
    def __init__(self, registry: Registry) -> None:
        self.store = registry.store
        self.registry = registry

    def behaviour(self) -> Behaviour:
        own = {
            "GetAuthorizationToken": self._authorization_token,
            "DescribeImages": self._describe_images,
            "ListImages": self._list_images,
            "BatchGetImage": self._batch_get_image,
            "PutImage": self._put_image,
            "BatchDeleteImage": self._batch_delete_image,
        }
        return Behaviour(
            own={("ecr", op): handler for op, handler in own.items()},
            pages={"/_bluegreen/registry": lambda: {"address": self.registry.address}},
        )

    def _authorization_token(self, call: Call) -> Mapping[str, Any]:
        token = base64.b64encode(f"{USERNAME}:{self.registry.password}".encode()).decode()
        expires = datetime.now(UTC) + TOKEN_LIFETIME
        return {
            "authorizationData": [
                {
                    "authorizationToken": token,
                    "expiresAt": expires,
                    "proxyEndpoint": f"http://{self.registry.address}",
                }
                for _ in call.params.get("registryIds") or [moto_state.ACCOUNT]
            ]
        }

    def _describe_images(self, call: Call) -> Mapping[str, Any]:
        name, repository = self._repository(call)
        if "imageIds" in call.params:
            found = _unique(self._described(repository, name, call.params["imageIds"]))
        else:
            found = _filtered(repository, call.params.get("filter", {}).get("tagStatus", "ANY"))
        page, token = _page(found, call.params)
        details = [self._detail(name, repository, m) for m in page]
        return {"imageDetails": details, **token}

    def _described(
        self, repository: Repository, name: str, image_ids: Iterable[Mapping[str, str]]
    ) -> Iterable[Manifest]:
        for image_id in image_ids:
            try:
                yield self._find(repository, name, image_id)
            except AwsError as error:
                code = "ImageNotFoundException" if error.code == "ImageNotFound" else None
                raise AwsError(code or "InvalidParameterException", error.message) from None

    def _list_images(self, call: Call) -> Mapping[str, Any]:
        _, repository = self._repository(call)
        status = call.params.get("filter", {}).get("tagStatus", "ANY")
        ids = [
            {"imageDigest": m.digest, **({"imageTag": t} if t else {})}
            for m in repository.manifests.values()
            for t in repository.tags_of(m.digest) or [""]
            if (t and status != "UNTAGGED") or (not t and status != "TAGGED")
        ]
        page, token = _page(ids, call.params)
        return {"imageIds": page, **token}

    def _batch_get_image(self, call: Call) -> Mapping[str, Any]:
        name, repository = self._repository(call)
        accepted = call.params.get("acceptedMediaTypes")
        images: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for image_id, manifest in self._each(repository, name, call.params["imageIds"], failures):
            if accepted and manifest.media_type not in accepted:
                why = f"the image is {manifest.media_type}, none of acceptedMediaTypes"
                failures.append(_failure(image_id, AwsError("ImageNotFound", why)))
            else:
                images.append(self._image(name, image_id, manifest))
        return {"images": images, "failures": failures}

    def _put_image(self, call: Call) -> Mapping[str, Any]:
        name, _ = self._repository(call)
        p = call.params
        body = str(p["imageManifest"]).encode()
        if p.get("imageDigest") and p["imageDigest"] != sha256_digest(body):
            raise AwsError(
                "ImageDigestDoesNotMatchException",
                f"imageDigest {p['imageDigest']} is not the manifest's {sha256_digest(body)}",
            )
        media_type = p.get("imageManifestMediaType", "")
        try:
            manifest = self.store.put_manifest(name, p.get("imageTag", ""), body, media_type)
        except RegistryError as error:
            code = _PUT_ERRORS.get(error.code, "InvalidParameterException")
            raise AwsError(code, error.message) from None
        image_id = {"imageDigest": manifest.digest, **_tag(p)}
        return {"image": self._image(name, image_id, manifest)}

    def _batch_delete_image(self, call: Call) -> Mapping[str, Any]:
        name, repository = self._repository(call)
        deleted: list[dict[str, str]] = []
        failures: list[dict[str, Any]] = []
        for image_id, manifest in self._each(repository, name, call.params["imageIds"], failures):
            only_tag = repository.tags_of(manifest.digest) == [image_id.get("imageTag")]
            if "imageDigest" in image_id or only_tag:
                self.store.delete_manifest(name, manifest.digest)
            else:  # a tag of an image that keeps other tags: only the tag goes
                self.store.untag(name, image_id["imageTag"])
            deleted.append({"imageDigest": manifest.digest, **_tag(image_id)})
            repository = self.store.repository(name)
        return {"imageIds": deleted, "failures": failures}

    def _each(
        self,
        repository: Repository,
        name: str,
        image_ids: Iterable[Mapping[str, str]],
        failures: list[dict[str, Any]],
    ) -> Iterator[tuple[Mapping[str, str], Manifest]]:
        """The images found, in order; a failure entry for each one that is not."""
        for image_id in image_ids:
            try:
                yield image_id, self._find(repository, name, image_id)
            except AwsError as error:
                failures.append(_failure(image_id, error))

    # -- shared ----------------------------------------------------------------------

    def _repository(self, call: Call) -> tuple[str, Repository]:
        name = str(call.params["repositoryName"])
        backend = moto_state.ecr(call.region)
        registry = call.params.get("registryId") or moto_state.ACCOUNT
        found = backend.repositories.get(name)
        if found is None or found.registry_id != registry:
            raise AwsError(
                "RepositoryNotFoundException",
                f"The repository with name '{name}' does not exist in the registry "
                f"with id '{registry}'",
            )
        return name, self.store.repository(name)

    def _find(self, repository: Repository, name: str, image_id: Mapping[str, str]) -> Manifest:
        tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
        if not tag and not digest:
            raise AwsError("MissingDigestAndTag", "an imageId needs an imageDigest or an imageTag")
        by_tag = repository.tags.get(tag) if tag else None
        if tag and by_tag is None:
            raise AwsError("ImageNotFound", f"The image tag '{tag}' does not exist in {name}")
        if digest and not DIGEST.match(digest):
            raise AwsError("InvalidImageDigest", f"Invalid parameter at 'imageDigest': {digest!r}")
        if tag and digest and by_tag != digest:
            raise AwsError(
                "ImageTagDoesNotMatchDigest", f"tag '{tag}' names {by_tag}, not {digest}"
            )
        manifest = repository.manifests.get(str(by_tag or digest))
        if manifest is None:
            raise AwsError(
                "ImageNotFound", f"The image with imageId {dict(image_id)} does not exist in {name}"
            )
        return manifest

    def _detail(self, name: str, repository: Repository, manifest: Manifest) -> dict[str, Any]:
        tags = repository.tags_of(manifest.digest)
        return {
            "registryId": moto_state.ACCOUNT,
            "repositoryName": name,
            "imageDigest": manifest.digest,
            **({"imageTags": tags} if tags else {}),
            "imageSizeInBytes": manifest.size,
            "imagePushedAt": manifest.pushed_at,
            "imageManifestMediaType": manifest.media_type,
        }

    def _image(self, name: str, image_id: Mapping[str, str], manifest: Manifest) -> dict[str, Any]:
        return {
            "registryId": moto_state.ACCOUNT,
            "repositoryName": name,
            "imageId": {"imageDigest": manifest.digest, **_tag(image_id)},
            "imageManifest": manifest.body.decode(),
            "imageManifestMediaType": manifest.media_type,
        }


# What ECR's PutImage answers where the registry's PUT has a spec error code.
_PUT_ERRORS = {
    "DIGEST_INVALID": "ImageDigestDoesNotMatchException",
    "MANIFEST_BLOB_UNKNOWN": "LayersNotFoundException",
    "MANIFEST_UNKNOWN": "ReferencedImagesNotFoundException",
}

# An AwsError's code → BatchGetImage/BatchDeleteImage's failureCode.
_FAILURE_CODES = {
    "ImageNotFound",
    "ImageTagDoesNotMatchDigest",
    "InvalidImageDigest",
    "MissingDigestAndTag",
}


def _failure(image_id: Mapping[str, str], error: AwsError) -> dict[str, Any]:
    code = error.code if error.code in _FAILURE_CODES else "ImageNotFound"
    return {"imageId": dict(image_id), "failureCode": code, "failureReason": error.message or code}


def _tag(image_id: Mapping[str, str]) -> dict[str, str]:
    return {"imageTag": image_id["imageTag"]} if image_id.get("imageTag") else {}


def _unique(manifests: Iterable[Manifest]) -> list[Manifest]:
    return list({m.digest: m for m in manifests}.values())


def _filtered(repository: Repository, status: str) -> list[Manifest]:
    def keep(manifest: Manifest) -> bool:
        tagged = bool(repository.tags_of(manifest.digest))
        return status == "ANY" or tagged == (status == "TAGGED")

    return [m for m in repository.manifests.values() if keep(m)]


def _page(items: Sequence[Any], params: Mapping[str, Any]) -> tuple[list[Any], dict[str, str]]:
    """One page of `items` from `nextToken` (an offset), `maxResults` long."""
    token = params.get("nextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise AwsError(
            "InvalidParameterException", f"nextToken {token!r} is not one of ours"
        ) from None
    end = start + int(params.get("maxResults") or DEFAULT_PAGE)
    more = {"nextToken": str(end)} if end < len(items) else {}
    return list(items[start:end]), more
