"""``InputReader`` on S3 and ECR, and the record's object in S3.

Calls and the IAM actions they need (the pipeline's role, or an operator running
``mlops lineage --verify``):

| call | action | used by |
|---|---|---|
| ``ListObjectVersions`` (every page) | ``s3:ListBucketVersions`` (``s3:prefix`` = the source's) | Inputs and Lineage steps, verify |
| ``HeadObject`` with ``VersionId`` | ``s3:GetObjectVersion`` | verify |
| ``BatchGetImage`` (by tag or digest) | ``ecr:BatchGetImage`` (the pull right the steps already hold) | Inputs step, verify |
| ``GetObject`` | ``s3:GetObject`` | reading a record |
"""

from __future__ import annotations

from typing import Any

from mlops_runtime.aws.clients import error_code, split_s3_uri
from mlops_runtime.core.lineage import ImageName, InputReader, ObjectVersion

GONE_CODES = frozenset({"404", "NoSuchKey", "NoSuchVersion", "NotFound", "InvalidArgument"})
"""HeadObject answers meaning the version cannot be read (``InvalidArgument``: a version id
the bucket never issued). ``403`` (access denied) is raised, never read as gone."""
MANIFEST_MEDIA_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)


class AwsInputReader(InputReader):
    """Objects through S3 (versions), images through ECR ``BatchGetImage``: the call a pull
    makes, so resolving needs no right beyond pulling the image."""

    def __init__(self, s3: Any, ecr: Any) -> None:
        self.s3 = s3
        self.ecr = ecr

    def list_latest(self, bucket: str, prefix: str) -> list[ObjectVersion]:
        """``ListObjectVersions``: the ``IsLatest`` version of every key (a key whose latest
        entry is a delete marker is left out). An unversioned bucket answers version id
        ``null``: recorded as None."""
        latest: dict[str, ObjectVersion] = {}
        deleted: set[str] = set()
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        while True:
            page = self.s3.list_object_versions(**kwargs)
            for marker in page.get("DeleteMarkers", []):
                if marker.get("IsLatest"):
                    deleted.add(marker["Key"])
            for version in page.get("Versions", []):
                if version.get("IsLatest") and not version["Key"].endswith("/"):
                    latest[version["Key"]] = _version(version)
            if not page.get("IsTruncated"):
                break
            kwargs["KeyMarker"] = page.get("NextKeyMarker")
            kwargs["VersionIdMarker"] = page.get("NextVersionIdMarker")
        return [v for key, v in sorted(latest.items()) if key not in deleted]

    def head(self, bucket: str, key: str, version_id: str | None) -> ObjectVersion | None:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            answer = self.s3.head_object(**kwargs)
        except Exception as error:
            if error_code(error) in GONE_CODES:
                return None
            raise
        if answer.get("DeleteMarker"):
            return None
        return ObjectVersion(
            key=key,
            version_id=_version_id(answer.get("VersionId")),
            etag=str(answer["ETag"]),
            size=int(answer["ContentLength"]),
        )

    def image_digest(self, image: ImageName, tag: str | None) -> str | None:
        image_id = {"imageTag": tag} if tag else {"imageDigest": image.digest}
        answer = self.ecr.batch_get_image(
            registryId=image.registry_id,
            repositoryName=image.repository,
            imageIds=[image_id],
            acceptedMediaTypes=list(MANIFEST_MEDIA_TYPES),
        )
        images = answer.get("images", [])
        return str(images[0]["imageId"]["imageDigest"]) if images else None


class S3Records:
    """Reads and writes a record's bytes (the pipeline writes through its ProcessingOutput;
    this serves the CLI and tests)."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    def get(self, uri: str) -> bytes:
        bucket, key = split_s3_uri(uri)
        return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _version(entry: dict[str, Any]) -> ObjectVersion:
    return ObjectVersion(
        key=str(entry["Key"]),
        version_id=_version_id(entry.get("VersionId")),
        etag=str(entry["ETag"]),
        size=int(entry["Size"]),
    )


def _version_id(value: Any) -> str | None:
    return None if value in (None, "", "null") else str(value)
