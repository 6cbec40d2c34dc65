"""``Approvals`` on SageMaker: ``UpdateModelPackage`` with the approval status, its
description and the approval's metadata, written through the ``RegistryWriter``
(``registry_writes``: read-merge-write of the package's metadata) in one update.

Only people (``mlops approve|reject``) use it: no runtime unit's role grants
``sagemaker:UpdateModelPackage``.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlops_runtime.aws.registry_writes import SageMakerRegistryWriter
from mlops_runtime.core.approval import Approvals


class SageMakerApprovals(SageMakerRegistryWriter, Approvals):
    """Sets ``ModelApprovalStatus`` and ``ApprovalDescription`` with the merged metadata."""

    def set_status(
        self, arn: str, status: str, description: str, metadata: Mapping[str, str]
    ) -> None:
        self.update(arn, metadata, ModelApprovalStatus=status, ApprovalDescription=description)
