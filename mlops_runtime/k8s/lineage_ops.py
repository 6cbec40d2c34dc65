"""What ``mlops approve|reject|lineage`` do for a cluster-trained model, with the caller's
credentials for the loop's object store: the same decisions as on AWS (``core.approval``,
``core.lineage_chain``, ``core.lineage_verify``) over the object-store registry
(``ObjectRegistry``), the controller's audit log (``ObjectAudit``) and rollout memory.

**Who decides.** With an AWS S3 store (``endpoint_url`` null) the caller's AWS identity
(``sts:GetCallerIdentity``, as on AWS). An S3-compatible store has no identity service: the
decision is attributed to the access key the caller's write was signed with
(``s3-access-key:<key id>@<endpoint host>``), the only identity the store itself
authenticated; give each approver their own key for the record to name a person.

**What serves.** The CLI does not read the cluster: "serving" is what the controller's deploy
reconcile rolls out, the newest Approved version its rollout memory has not recorded as rolled
back (with the update it has in progress, if any).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import boto3

from mlops_runtime.contract.controller import ObjectStoreSettings
from mlops_runtime.contract.lineage import METADATA
from mlops_runtime.core import approval, lineage, lineage_chain, lineage_verify
from mlops_runtime.core.approval import ApprovalError, Approvals, Caller
from mlops_runtime.core.clock import utcnow
from mlops_runtime.k8s.lineage import StoreInputReader
from mlops_runtime.k8s.registry import ObjectRegistry
from mlops_runtime.k8s.state import ObjectAudit, ObjectRolloutMemory
from mlops_runtime.k8s.store import Bucket, s3_client

UNITS = ("trigger", lineage_chain.APPROVAL_UNIT, "deploy")
EXIT_CODES = lineage_verify.EXIT_CODES
IMAGE_UNVERIFIED = (
    "the cluster's image registry is not read: the record names the digest the spec pinned"
)


@dataclass(frozen=True)
class StoreTarget:
    """One cluster-trained model of one stack (resolved from the spec by the CLI)."""

    model: str
    store: ObjectStoreSettings
    rollout: str | None = None
    """The Rollout serving the model's latest approved version; None: not served that way."""


class ObjectApprovals(Approvals):
    """``Approvals`` on the object-store registry: status, description and metadata in one
    conditional rewrite of the version's manifest."""

    def __init__(self, registry: ObjectRegistry, by: str) -> None:
        self.registry = registry
        self.by = by

    def set_status(self, arn: str, status: str, description: str, metadata: Any) -> None:
        self.registry.set_status(arn, status, by=self.by, reason=description, metadata=metadata)


def caller(store: ObjectStoreSettings, session: Any = None) -> Caller:
    """Who decides (see the module's docstring)."""
    session = session or boto3.session.Session()
    if store.endpoint_url is None:
        identity = session.client("sts", region_name=store.region).get_caller_identity()
        return Caller(arn=str(identity["Arn"]), account=identity.get("Account"))
    credentials = session.get_credentials()
    if credentials is None:
        raise ApprovalError(
            f"no credentials for the store at {store.endpoint_url}: set AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY to your key for it"
        )
    return Caller(
        arn=f"s3-access-key:{credentials.access_key}@{urlsplit(store.endpoint_url).netloc}"
    )


def _bucket(target: StoreTarget) -> Bucket:
    return Bucket.from_settings(target.store, s3_client(target.store))


def decide(
    action: str, target: StoreTarget, version: int, reason: str, now: datetime | None = None
) -> dict[str, Any]:
    """``mlops approve|reject``: the audit record of the decision."""
    bucket = _bucket(target)
    registry = ObjectRegistry(bucket)
    who = caller(target.store)
    return approval.decide(
        action,
        package_arn=registry.version_arn(target.model, version),
        model=target.model,
        reason=reason,
        caller=who,
        registry=registry,
        approvals=ObjectApprovals(registry, who.arn),
        log=ObjectAudit(bucket),
        now=now or utcnow(),
    )


def serving(bucket: Bucket, target: StoreTarget) -> dict[str, Any]:
    """What the controller rolls out now (see the module's docstring)."""
    registry = ObjectRegistry(bucket)
    memory = ObjectRolloutMemory(bucket).read(target.rollout) if target.rollout else None
    skipped = memory.rolled_back_packages if memory else frozenset()
    approved = [r.arn for r in registry.approved_packages(target.model) if r.arn not in skipped]
    started = memory.started if memory else None
    return {
        "endpoint": target.rollout,
        "status": "controller" if target.rollout else None,
        "packages": approved[:1],
        "updating_to": started.package_arn if started else None,
        "rolled_back": sorted(skipped),
    }


def read_record(manifest: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The version's record and whether it hashes to the SHA-256 its metadata holds."""
    record = manifest.get("lineage")
    if record is None:
        return None, "none"
    digest = lineage.sha256(lineage.serialise(record))
    intact = digest == (manifest.get("metadata") or {}).get(METADATA["sha256"])
    return record, "intact" if intact else "altered"


def show(target: StoreTarget, version: int | None) -> dict[str, Any]:
    """``mlops lineage``: the record of ``version`` (default: the one serving), what serves
    now and the chain of decisions."""
    bucket = _bucket(target)
    registry = ObjectRegistry(bucket)
    now_serving = serving(bucket, target)
    if version is not None:
        arn = registry.version_arn(target.model, version)
    elif now_serving["packages"]:
        arn = now_serving["packages"][0]
    else:
        raise LookupError(f"nothing serves {target.model} and it has no Approved version; "
                          "name a VERSION")  # fmt: skip
    manifest = registry.manifest(arn)
    record, integrity = read_record(manifest)
    log = ObjectAudit(bucket)
    audit = {unit: log.records(unit, target.model) for unit in UNITS}
    approvals = manifest.get("approvals") or [{}]
    facts = {
        "arn": arn,
        "status": manifest["status"],
        "approval_description": approvals[-1].get("reason"),
        "created_at": manifest.get("created_at_iso"),
    }
    metadata = dict(manifest.get("metadata") or {})
    return {
        "model": target.model,
        "version": manifest["version"],
        "package_arn": arn,
        "status": manifest["status"],
        "image": manifest.get("image"),
        "serving": now_serving,
        "serves_this_version": arn in now_serving["packages"],
        "metadata": metadata,
        "record_uri": metadata.get(METADATA["uri"]),
        "record_integrity": integrity,
        "record": record,
        "chain": lineage_chain.chain(record, facts, audit),
    }


def verify(target: StoreTarget, version: int | None) -> dict[str, Any]:
    """``mlops lineage --verify``: ``show`` plus whether every input is still there
    unchanged (the image: ``unverified``, see ``mlops_runtime.k8s.lineage``)."""
    shown = show(target, version)
    record = shown["record"]
    if record is None:
        raise LookupError(f"{shown['package_arn']} has no lineage record")
    unread = {**record, "image": {**record["image"], "resolved_uri": ""}}
    report = lineage_verify.verify(unread, StoreInputReader(s3_client(target.store)))
    report["image"]["detail"] = IMAGE_UNVERIFIED
    if shown["record_integrity"] != "intact":
        report["verdict"] = lineage_verify.GONE
        report["record"] = "the record's SHA-256 is not the one the version holds"
    return {**shown, "verification": report}
