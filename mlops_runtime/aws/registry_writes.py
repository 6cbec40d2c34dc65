"""``RegistryWriter`` on SageMaker: package metadata through ``UpdateModelPackage``.

Kept apart from ``registry`` so that a unit reading the registry reaches no write call (its
role grants none). ``mlops approve|reject`` writes through it
(``registry_approvals.SageMakerApprovals``: status, description and the approval's metadata in
one update); it needs ``sagemaker:DescribeModelPackage`` and ``sagemaker:UpdateModelPackage``
on the group's packages, which no runtime unit's role grants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_runtime.core.ports import RegistryWriter


class SageMakerRegistryWriter(RegistryWriter):
    """Adds or replaces ``CustomerMetadataProperties`` entries of a package."""

    def __init__(self, sagemaker: Any) -> None:
        self.sagemaker = sagemaker

    def set_metadata(self, arn: str, values: Mapping[str, str]) -> None:
        self.update(arn, values)

    def update(self, arn: str, values: Mapping[str, str], **fields: str) -> None:
        """One ``UpdateModelPackage`` with ``fields`` (e.g. ``ModelApprovalStatus``) and the
        package's whole metadata map, merged: AWS documents ``CustomerMetadataProperties`` of
        an update as added to the package's, moto replaces them; the merged map is right
        either way (a concurrent writer of another key can be lost: one writer per package)."""
        described = self.sagemaker.describe_model_package(ModelPackageName=arn)
        merged = {**(described.get("CustomerMetadataProperties") or {}), **values}
        self.sagemaker.update_model_package(
            ModelPackageArn=arn, CustomerMetadataProperties=merged, **fields
        )
