"""The chain of decisions about one model version: trigger -> run -> gate -> approval ->
deploy -> rollback, from its lineage record, its package and the audit log.

Links follow ids: the trigger's ``started`` record names the execution the lineage record
names; the approval records (``mlops approve|reject``, ``audit_id``) name the package; a deploy
record names the approval record it acted on (``approval_id``) and the package it rolled out
(``latest_approved``) with the endpoint config it asked for (``endpoint_config``); a rollback
record names that config (``requested_config``) and the package (``rolled_back_package``). Each
link is plain data, so any back end's audit log serves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

APPROVAL_UNIT = "approval"
"""The ``AuditLog`` unit of ``mlops approve|reject``."""
PACKAGE_FIELDS = ("model_package_arn", "latest_approved", "rolled_back_package")
"""Fields of a deploy record that name a package."""
ROLLED_BACK = "rolled-back"
QUIET = frozenset({"ignored", "superseded", "rollout-in-progress", "already-deployed"})
"""Deploy decisions that changed nothing for the version (left out of the chain)."""


def chain(
    record: Mapping[str, Any] | None,
    package: Mapping[str, Any],
    audit: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[dict[str, Any]]:
    """The links: the run's (trigger, run, gate) in that order, then every decision about
    the package, oldest first. ``package``: ``arn``, ``status``, ``approval_description``,
    ``created_at``; ``audit``: records per unit (``trigger``, ``approval``, ``deploy``)."""
    arn = str(package["arn"])
    links: list[dict[str, Any]] = []
    links += [
        _link("approval", r, by=r.get("by"), reason=r.get("reason"), audit_id=r.get("audit_id"))
        for r in audit.get(APPROVAL_UNIT, ())
        if r.get("package_arn") == arn
    ]
    for entry in audit.get("deploy", ()):
        if arn not in {entry.get(f) for f in PACKAGE_FIELDS}:
            continue
        if entry.get("decision") == ROLLED_BACK:
            links.append(_rollback(entry))
        elif entry.get("decision") not in QUIET and entry.get("latest_approved") == arn:
            links.append(_deploy(entry))
    if not any(link["step"] == "approval" for link in links) and package.get("status"):
        links.append(_registered(package))
    run = _run_links(record, audit.get("trigger", ())) if record is not None else []
    return run + sorted(links, key=lambda link: str(link.get("at") or ""))


def _deploy(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A rollout of the package; ``approval_id``: the approval record it acted on (absent for
    a package the pipeline registered Approved, or a rollout an endpoint event started)."""
    return _link(
        "deploy",
        entry,
        approval_id=entry.get("approval_id"),
        endpoint_config=entry.get("endpoint_config"),
    )


def _rollback(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A rollback of the rollout that asked for ``requested_config`` (a deploy link's
    ``endpoint_config``)."""
    return _link(
        "rollback",
        entry,
        requested_config=entry.get("requested_config"),
        reason=entry.get("reason"),
    )


def _link(step: str, entry: Mapping[str, Any], **details: Any) -> dict[str, Any]:
    return {
        "step": step,
        "at": entry.get("decided_at"),
        "decision": entry.get("decision"),
        **{k: v for k, v in details.items() if v is not None},
    }


def _run_links(
    record: Mapping[str, Any], triggers: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    run, trigger = record["run"], record["trigger"]
    started = next(
        (t for t in triggers if t.get("execution_arn") == run["execution_arn"]),
        None,
    )
    links = [
        {
            "step": "trigger",
            "at": started.get("decided_at") if started else None,
            "decision": started.get("decision") if started else "started",
            "reason": trigger["reason"],
            "trigger_id": trigger["id"],
            "audited": started is not None,
        },
        {
            "step": "run",
            "at": record["recorded_at"],
            "decision": "trained",
            "execution_arn": run["execution_arn"],
            "training_job": run["training_job"],
            "image": record["image"]["resolved_uri"],
        },
    ]
    evaluation = record.get("evaluation")
    if evaluation:
        champion = evaluation.get("champion") or {}
        links.append(
            {
                "step": "gate",
                "at": evaluation.get("evaluated_at"),
                "decision": evaluation.get("verdict"),
                "metric": evaluation["gate"].get("metric"),
                "value": evaluation["gate"].get("value"),
                "champion_version": champion.get("version"),
                "champion_value": evaluation["gate"].get("champion_value"),
            }
        )
    return links


def _registered(package: Mapping[str, Any]) -> dict[str, Any]:
    """A package whose status no ``mlops approve|reject`` set (the pipeline registered it
    Approved, or it still waits): its status as the registry holds it."""
    link = {
        "step": "approval",
        "at": package.get("created_at"),
        "decision": str(package["status"]).lower(),
        "by": "the pipeline (registry.approval: auto)" if package["status"] == "Approved" else None,
        "reason": package.get("approval_description"),
    }
    return {k: v for k, v in link.items() if v is not None}
