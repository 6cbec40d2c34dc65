"""``Approvals`` on SageMaker: ``UpdateModelPackage`` with the approval status, its
description and the approval's metadata (read-merge-write, as ``registry_writes``).

Only people (``mlops approve|reject``) use it: no runtime unit's role grants
``sagemaker:UpdateModelPackage``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_runtime.core.approval import Approvals


class SageMakerApprovals(Approvals):
    """Sets ``ModelApprovalStatus`` and ``ApprovalDescription`` in one update."""

    def __init__(self, sagemaker: Any) -> None:
        self.sagemaker = sagemaker

    def set_status(
        self, arn: str, status: str, description: str, metadata: Mapping[str, str]
    ) -> None:
        described = self.sagemaker.describe_model_package(ModelPackageName=arn)
        merged = {**(described.get("CustomerMetadataProperties") or {}), **metadata}
        self.sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus=status,
            ApprovalDescription=description,
            CustomerMetadataProperties=merged,
        )
