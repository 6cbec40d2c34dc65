"""JSON documents in an S3 API object store, written with conditional requests.

Every piece of the loop's state is one object; concurrent writers are kept apart by the
store's conditional writes: ``If-None-Match: *`` creates only what does not exist, and
``If-Match: <etag>`` replaces (or deletes) only the version that was read. A lost condition is
an answer (``None`` or ``False``), never an exception: HTTP 412 ``PreconditionFailed``, and
409 ``ConditionalRequestConflict`` (S3's answer to two conditional writes racing on one key).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from mlops_runtime.aws.clients import error_code
from mlops_runtime.contract.controller import ObjectStoreSettings

LOST = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
"""Error codes of a conditional write whose condition did not hold."""
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Document:
    """A JSON object as read, with the ETag that a conditional replace names."""

    body: dict[str, Any]
    etag: str


def s3_client(settings: ObjectStoreSettings) -> Any:
    """An S3 client for the store (path-style addressing for S3-compatible stores)."""
    config = Config(
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
        connect_timeout=5,
        read_timeout=30,
        s3={"addressing_style": "path"} if settings.endpoint_url else {},
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=settings.endpoint_url, region_name=settings.region, config=config
    )


class Bucket:
    """The loop's state under ``s3://bucket/prefix/`` (keys below are relative to it)."""

    def __init__(self, s3: Any, bucket: str, prefix: str = "", kms_key_id: str | None = None):
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix
        self._encryption: dict[str, str] = {}
        if kms_key_id:
            self._encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}

    @classmethod
    def from_settings(cls, settings: ObjectStoreSettings, s3: Any = None) -> Bucket:
        return cls(s3 or s3_client(settings), settings.bucket, settings.prefix, settings.kms_key_id)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def read(self, key: str) -> Document | None:
        """The document at ``key``; None when there is none."""
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception as error:
            if error_code(error) in MISSING:
                return None
            raise
        return Document(json.loads(found["Body"].read()), str(found["ETag"]))

    def create(self, key: str, body: Mapping[str, Any]) -> str | None:
        """Write ``body`` only if nothing is stored at ``key``: its ETag, or None if something is."""
        return self._put(key, body, IfNoneMatch="*")

    def replace(self, key: str, body: Mapping[str, Any], etag: str) -> str | None:
        """Write ``body`` only if the stored version is still ``etag``: the new ETag, or None."""
        return self._put(key, body, IfMatch=etag)

    def delete(self, key: str, etag: str) -> bool:
        """Delete ``key`` only if the stored version is still ``etag``."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.prefix + key, IfMatch=etag)
        except Exception as error:
            if error_code(error) in LOST or error_code(error) in MISSING:
                return False
            raise
        return True

    def keys(self, under: str) -> Iterator[str]:
        """Every key under ``under`` (relative to the prefix), in key order."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + under
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield str(item["Key"])[len(self.prefix) :]

    def _put(self, key: str, body: Mapping[str, Any], **condition: str) -> str | None:
        data = json.dumps(body, sort_keys=True, default=str).encode()
        try:
            written = self.s3.put_object(
                Bucket=self.bucket,
                Key=self.prefix + key,
                Body=data,
                ContentType=CONTENT_TYPE,
                **condition,
                **self._encryption,
            )
        except Exception as error:
            code = error_code(error)
            if code in LOST or (code in MISSING and "IfMatch" in condition):
                return None
            raise
        return str(written["ETag"])
