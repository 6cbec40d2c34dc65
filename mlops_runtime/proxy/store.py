"""Writing capture objects through the S3 API (AWS S3 or an S3-compatible store)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from mlops_runtime.contract.proxy import ProxyCapture

CONTENT_TYPE = "application/jsonlines"


class S3Store:
    """``put(key, body)`` into the capture bucket; credentials from boto3's usual chain (the pod's
    service account on EKS, or the AWS_* variables of a credentials Secret)."""

    def __init__(self, settings: ProxyCapture, client: Any = None) -> None:
        self.bucket = settings.bucket
        self._kms_key_id = settings.kms_key_id
        self._client = client or boto3.session.Session().client(
            "s3",
            endpoint_url=settings.endpoint_url,
            config=Config(
                retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def put(self, key: str, body: bytes) -> None:
        extra: dict[str, str] = {}
        if self._kms_key_id:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self._kms_key_id}
        self._client.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=CONTENT_TYPE, **extra
        )
