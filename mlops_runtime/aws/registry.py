"""``ModelRegistry`` on SageMaker model package groups (reports read from S3)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mlops_runtime.aws.clients import error_code, split_s3_uri
from mlops_runtime.core.ports import GroupNotFound, ModelRegistry, Package, PackageRef

PAGE_SIZE = 100
"""ListModelPackages page size (the API's maximum)."""
NO_GROUP_CODES = frozenset({"ResourceNotFound"})
"""Error codes of a listing that mean the group does not exist. (``ValidationException`` is
SageMaker's code for any refused request: it is raised as it came, never read as "no group".)"""


class SageMakerRegistry(ModelRegistry):
    """Reads packages with ``ListModelPackages`` / ``DescribeModelPackage``; ``s3`` reads the
    quality reports (only the champion lookup of the evaluation step needs it)."""

    def __init__(self, sagemaker: Any, s3: Any = None) -> None:
        self.sagemaker = sagemaker
        self.s3 = s3

    def latest_approved(self, group: str) -> PackageRef | None:
        approved = self.approved_packages(group)
        return approved[0] if approved else None

    def approved_packages(self, group: str) -> list[PackageRef]:
        """Every page of ``ListModelPackages`` (Approved only) is read and sorted here by
        (CreationTime, ModelPackageVersion), newest first, so the answer does not depend on the
        server's sort order."""
        found: list[Mapping[str, Any]] = []
        kwargs: dict[str, Any] = {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": "Approved",
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": PAGE_SIZE,
        }
        while True:
            try:
                page = self.sagemaker.list_model_packages(**kwargs)
            except Exception as error:
                if error_code(error) in NO_GROUP_CODES:
                    raise GroupNotFound(f"model package group {group!r}: {error}") from error
                raise
            found += page.get("ModelPackageSummaryList", [])
            token = page.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        found.sort(key=_recency, reverse=True)
        return [
            PackageRef(
                arn=str(s["ModelPackageArn"]), version=_recency(s)[1], created_at=_recency(s)[0]
            )
            for s in found
        ]

    def package(self, arn: str) -> Package:
        described = self.sagemaker.describe_model_package(ModelPackageName=arn)
        containers = (described.get("InferenceSpecification") or {}).get("Containers") or [{}]
        quality = (described.get("ModelMetrics") or {}).get("ModelQuality") or {}
        return Package(
            arn=arn,
            version=int(described.get("ModelPackageVersion") or 0),
            status=str(described.get("ModelApprovalStatus") or ""),
            metadata=dict(described.get("CustomerMetadataProperties") or {}),
            quality_report_uri=(quality.get("Statistics") or {}).get("S3Uri"),
            image=containers[0].get("Image"),
            model_data_url=containers[0].get("ModelDataUrl"),
        )

    def quality_report(self, uri: str) -> Mapping[str, Any]:
        bucket, key = split_s3_uri(uri)
        report = json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return report if isinstance(report, dict) else {}


def _recency(summary: Mapping[str, Any]) -> tuple[float, int]:
    created = summary.get("CreationTime")
    timestamp = getattr(created, "timestamp", None)
    stamp = float(timestamp()) if callable(timestamp) else 0.0
    return stamp, int(summary.get("ModelPackageVersion") or 0)
