"""``ObjectStore`` on S3: a server-side ``CopyObject``, encrypted with the system key."""

from __future__ import annotations

from typing import Any

from mlops_runtime.aws.clients import error_code, split_s3_uri
from mlops_runtime.core.ports import ObjectMissing, ObjectStore

MISSING_CODES = frozenset({"NoSuchKey", "404"})
"""The source does not exist (the role may list its prefix, so S3 does not answer 403 for it);
AccessDenied is raised as it came."""


class S3Objects(ObjectStore):
    """Copies objects between ``s3://`` URIs (needs ``s3:GetObject`` and ``s3:ListBucket`` on
    the source, ``s3:PutObject`` on the destination, ``kms:Decrypt`` and
    ``kms:GenerateDataKey`` on the key)."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    def copy(self, source: str, destination: str, *, kms_key_id: str | None) -> None:
        source_bucket, source_key = split_s3_uri(source)
        bucket, key = split_s3_uri(destination)
        encryption: dict[str, Any] = {}
        if kms_key_id:  # always with the key id: SSE-KMS without one would use aws/s3
            encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
        try:
            self.s3.copy_object(
                Bucket=bucket,
                Key=key,
                CopySource={"Bucket": source_bucket, "Key": source_key},
                **encryption,
            )
        except Exception as error:
            if error_code(error) in MISSING_CODES:
                raise ObjectMissing(f"{source} does not exist") from error
            raise
