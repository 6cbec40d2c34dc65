"""The training Job's last step on Kubernetes: record the candidate in the registry.

The same rule as the AWS pipeline's ConditionStep and RegisterModel step: a candidate whose
gate passed (or a model without a gate) is registered ``Approved`` when the registry approves
automatically and ``PendingManualApproval`` when a person approves (``mlops approve``); one
whose gate failed is registered ``Rejected``, with its evaluation, so the registry keeps every
verdict. The version records the customer metadata of the AWS package
(``core.registry.package_metadata``: verdict, gate, metrics, champion), the run's trigger
(``mlops:trigger``), its drift references (``mlops:reference``), the image, the artifact, the
evaluation report and, when given, the run's lineage record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mlops_runtime.contract.config import REFERENCE_METADATA
from mlops_runtime.core import lineage as core_lineage
from mlops_runtime.core.registry import package_metadata
from mlops_runtime.k8s.registry import ObjectRegistry

APPROVED, PENDING, REJECTED = "Approved", "PendingManualApproval", "Rejected"
TRIGGER_METADATA = "mlops:trigger"


def status_of(evaluation: Mapping[str, Any] | None, *, manual_approval: bool) -> str:
    """The version's approval status from the gate's verdict and the registry's approval."""
    if evaluation is not None and not evaluation["gate"]["passed"]:
        return REJECTED
    return PENDING if manual_approval else APPROVED


def register_candidate(
    registry: ObjectRegistry,
    model: str,
    *,
    image: str,
    artifact_uri: str,
    evaluation: Mapping[str, Any] | None,
    report_uri: str | None,
    reference_uri: str | None,
    trigger_reason: str,
    manual_approval: bool,
    lineage: Mapping[str, Any] | None = None,
    lineage_uri: str | None = None,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Register one candidate; ``(arn, status)``. With ``lineage`` (the run's record, stored
    at ``lineage_uri``) the version carries the record and its short facts, as an AWS
    package's metadata does (``core.lineage.package_metadata``)."""
    status = status_of(evaluation, manual_approval=manual_approval)
    metadata = dict(package_metadata(evaluation)) if evaluation is not None else {}
    if lineage is not None:
        body = core_lineage.serialise(lineage)
        digest = core_lineage.sha256(body)
        metadata.update(core_lineage.package_metadata(lineage, lineage_uri or "", digest))
    metadata[TRIGGER_METADATA] = trigger_reason
    if reference_uri and status != REJECTED:
        metadata[REFERENCE_METADATA] = reference_uri
    reason = "gate passed" if evaluation is not None else "no gate"
    if status == REJECTED:
        reason = "; ".join(evaluation["gate"].get("reasons", [])) if evaluation else ""
    arn = registry.register(
        model,
        status=status,
        metadata=metadata,
        image=image,
        artifact_uri=artifact_uri,
        evaluation=evaluation,
        quality_report_uri=report_uri,
        lineage=lineage,
        reason=reason or status,
        now=now,
    )
    return arn, status
