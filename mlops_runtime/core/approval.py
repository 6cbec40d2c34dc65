"""People's decisions about a model version: approve or reject, attributed and audited.

``decide`` sets the package's approval status with a description naming who and why, records
the approval's id and its author on the package, and appends an ``approval`` audit record
(kept without expiry). The deploy function acts on the status change as on any approval; its
records name the same package, which is how ``mlops lineage`` links them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mlops_runtime.contract.lineage import METADATA
from mlops_runtime.core import audit
from mlops_runtime.core.lineage import metadata_value
from mlops_runtime.core.lineage_chain import APPROVAL_UNIT
from mlops_runtime.core.ports import AuditLog, ModelRegistry

STATUSES = {"approve": "Approved", "reject": "Rejected"}
DECISIONS = {"approve": "approved", "reject": "rejected"}
DESCRIPTION_LIMIT = 1024
"""``ApprovalDescription`` length limit (botocore's SageMaker model)."""


class ApprovalError(ValueError):
    """The decision cannot be taken (no reason, unknown package)."""


class Approvals(Protocol):
    """Sets a package's approval status (SageMaker ``UpdateModelPackage``; an object-store
    registry rewrites the package object)."""

    def set_status(
        self, arn: str, status: str, description: str, metadata: Mapping[str, str]
    ) -> None:
        """Set status and description; add ``metadata`` to the package's metadata."""
        ...


@dataclass(frozen=True)
class Caller:
    """Who decides: the caller's identity as the back end sees it (AWS: GetCallerIdentity)."""

    arn: str
    account: str | None = None


def decide(
    action: str,
    *,
    package_arn: str,
    model: str,
    reason: str,
    caller: Caller,
    registry: ModelRegistry,
    approvals: Approvals,
    log: AuditLog,
    now: datetime,
) -> dict[str, Any]:
    """Approve or reject ``package_arn``; returns the audit record."""
    if action not in STATUSES:
        raise ApprovalError(f"{action!r}: approve or reject")
    if not reason.strip():
        raise ApprovalError("--reason: say why (it is kept with the package and audited)")
    before = registry.package(package_arn)
    audit_id = uuid.uuid4().hex
    verb = DECISIONS[action]
    description = f"{verb} by {caller.arn}: {reason.strip()} (audit {audit_id})"
    metadata = {
        METADATA["approval_id"]: audit_id,
        METADATA["approved_by"]: metadata_value(caller.arn),
    }
    approvals.set_status(package_arn, STATUSES[action], description[:DESCRIPTION_LIMIT], metadata)
    return audit.record(
        log,
        unit=APPROVAL_UNIT,
        model=model,
        decision=verb,
        now=now,
        audit_id=audit_id,
        package_arn=package_arn,
        version=before.version,
        previous_status=before.status,
        by=caller.arn,
        account=caller.account,
        reason=reason.strip(),
    )
