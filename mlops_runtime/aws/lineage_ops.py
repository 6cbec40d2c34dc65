"""What ``mlops approve|reject|lineage`` do on AWS, with the caller's credentials.

Plain functions over boto3 clients and the core decisions (``core.approval``,
``core.lineage_chain``, ``core.lineage_verify``); the CLI resolves the names from the spec and
the stack and prints what these return. Calls (and the caller's IAM actions):
``sts:GetCallerIdentity``; ``sagemaker:ListModelPackages``, ``DescribeModelPackage``,
``UpdateModelPackage`` (approve/reject); ``DescribeEndpoint``, ``DescribeEndpointConfig``,
``DescribeModel`` (what serves); ``dynamodb:PutItem`` / ``Query`` on the runtime table;
``s3:GetObject`` on the record; ``s3:ListBucketVersions`` and ``s3:GetObjectVersion`` on the
inputs, ``ecr:BatchGetImage`` on the training repository (``--verify``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3

from mlops_runtime.aws.audit import DynamoAudit
from mlops_runtime.aws.endpoints import SageMakerEndpoints
from mlops_runtime.aws.lineage import AwsInputReader, S3Records
from mlops_runtime.aws.registry import SageMakerRegistry
from mlops_runtime.aws.registry_approvals import SageMakerApprovals
from mlops_runtime.contract.lineage import METADATA
from mlops_runtime.core import approval, lineage, lineage_chain, lineage_verify
from mlops_runtime.core.audit import LogOnly
from mlops_runtime.core.clock import utcnow
from mlops_runtime.core.ports import AuditLog, Package

UNITS = ("trigger", lineage_chain.APPROVAL_UNIT, "deploy")
EXIT_CODES = lineage_verify.EXIT_CODES
"""``mlops lineage --verify`` exit status per verdict."""


class LineageNotFound(LookupError):
    """No such package, or nothing serves and nothing is approved."""


@dataclass(frozen=True)
class Target:
    """The names one model has in one stack (resolved from the spec by the CLI)."""

    model: str
    group: str
    region: str
    table: str | None = None
    """The runtime table (audit log); None when the stack has none."""
    endpoint: str | None = None
    """The endpoint serving the model; None for batch models and models without serving."""


class Clients:
    """boto3 clients in the target's region (``AWS_ENDPOINT_URL`` is honoured by boto3)."""

    def __init__(self, region: str) -> None:
        self.session = boto3.session.Session(region_name=region)
        self._made: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_") or service == "session":
            raise AttributeError(service)
        if service not in self._made:
            self._made[service] = self.session.client(service.replace("_", "-"))
        return self._made[service]


def audit_log(clients: Clients, target: Target) -> AuditLog:
    return DynamoAudit(clients.dynamodb, target.table) if target.table else LogOnly()


def package_arn(sagemaker: Any, group: str, version: int) -> str:
    """The ARN of ``group``'s package ``version`` (every page of ``ListModelPackages``)."""
    kwargs: dict[str, Any] = {"ModelPackageGroupName": group, "MaxResults": 100}
    while True:
        page = sagemaker.list_model_packages(**kwargs)
        for summary in page.get("ModelPackageSummaryList", []):
            if int(summary.get("ModelPackageVersion", -1)) == version:
                return str(summary["ModelPackageArn"])
        if not page.get("NextToken"):
            raise LineageNotFound(f"model package group {group} has no version {version}")
        kwargs["NextToken"] = page["NextToken"]


def decide(
    action: str, target: Target, version: int, reason: str, now: datetime | None = None
) -> dict[str, Any]:
    """``mlops approve|reject``: the audit record of the decision."""
    clients = Clients(target.region)
    identity = clients.sts.get_caller_identity()
    caller = approval.Caller(arn=str(identity["Arn"]), account=identity.get("Account"))
    return approval.decide(
        action,
        package_arn=package_arn(clients.sagemaker, target.group, version),
        model=target.model,
        reason=reason,
        caller=caller,
        registry=SageMakerRegistry(clients.sagemaker),
        approvals=SageMakerApprovals(clients.sagemaker),
        log=audit_log(clients, target),
        now=now or utcnow(),
    )


def serving(clients: Clients, target: Target) -> dict[str, Any]:
    """What serves the model now: the endpoint's packages, else the group's latest Approved
    package (what a batch model's champion step picks)."""
    registry = SageMakerRegistry(clients.sagemaker)
    if target.endpoint:
        endpoints = SageMakerEndpoints(clients.sagemaker, None)
        state = endpoints.describe(target.endpoint)
        if state is not None:
            packages = sorted(endpoints.served(state.config_name).packages)
            return {
                "endpoint": target.endpoint,
                "status": state.status,
                "endpoint_config": state.config_name,
                "packages": packages,
            }
    latest = registry.latest_approved(target.group)
    return {
        "endpoint": target.endpoint,
        "status": "not deployed" if target.endpoint else None,
        "packages": [latest.arn] if latest else [],
        "latest_approved": latest.arn if latest else None,
    }


def show(target: Target, version: int | None) -> dict[str, Any]:
    """``mlops lineage``: the record of ``version`` (default: the one serving), what serves
    now and the chain of decisions."""
    clients = Clients(target.region)
    now_serving = serving(clients, target)
    if version is not None:
        arn = package_arn(clients.sagemaker, target.group, version)
    elif now_serving["packages"]:
        arn = now_serving["packages"][0]
    else:
        raise LineageNotFound(
            f"nothing serves {target.model} and {target.group} has no Approved package; "
            "name a VERSION"
        )
    package = SageMakerRegistry(clients.sagemaker).package(arn)
    described = clients.sagemaker.describe_model_package(ModelPackageName=arn)
    record, integrity = read_record(clients, package)
    log = audit_log(clients, target)
    audit = {unit: log.records(unit, target.model) for unit in UNITS}
    facts = {
        "arn": arn,
        "status": package.status,
        "approval_description": described.get("ApprovalDescription"),
        "created_at": _iso(described.get("CreationTime")),
    }
    return {
        "model": target.model,
        "version": package.version,
        "package_arn": arn,
        "status": package.status,
        "image": package.image,
        "serving": now_serving,
        "serves_this_version": arn in now_serving["packages"],
        "metadata": dict(package.metadata),
        "record_uri": package.metadata.get(METADATA["uri"]),
        "record_integrity": integrity,
        "record": record,
        "chain": lineage_chain.chain(record, facts, audit),
    }


def read_record(clients: Clients, package: Package) -> tuple[dict[str, Any] | None, str]:
    """The package's record and whether its SHA-256 is the one the package holds:
    ``intact``, ``altered`` or ``none`` (a package registered without lineage)."""
    uri = package.metadata.get(METADATA["uri"])
    if not uri:
        return None, "none"
    body = S3Records(clients.s3).get(uri)
    intact = lineage.sha256(body) == package.metadata.get(METADATA["sha256"])
    return json.loads(body), "intact" if intact else "altered"


def verify(target: Target, version: int | None) -> dict[str, Any]:
    """``mlops lineage --verify``: ``show`` plus whether every input is still there."""
    shown = show(target, version)
    if shown["record"] is None:
        raise LineageNotFound(f"{shown['package_arn']} has no lineage record")
    clients = Clients(target.region)
    report = lineage_verify.verify(shown["record"], AwsInputReader(clients.s3, clients.ecr))
    if shown["record_integrity"] != "intact":
        report["verdict"] = lineage_verify.GONE
        report["record"] = "the record's SHA-256 is not the one the package holds"
    return {**shown, "verification": report}


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value
