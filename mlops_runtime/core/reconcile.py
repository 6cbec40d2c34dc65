"""The deploy function's decisions: serve each group's latest approved package
(serving ``latest_approved``).

Every event that concerns a configured endpoint ends in one **reconcile**: bring the endpoint
to its group's latest Approved package with the one ``Rollout``. It is a no-op when the
endpoint already serves it (``already-deployed``), when a rollout is in progress
(``rollout-in-progress``: the IN_SERVICE event that ends it reconciles again), and when the
group has no Approved package (``no-approved-package``). It runs on

- a "SageMaker Model Package State Change" for a configured group with
  ``ModelApprovalStatus`` Approved, once the package is confirmed to be the group's latest
  approved one (else ``superseded``);
- the same event with Rejected: an endpoint serving the rejected package goes back to the
  latest Approved one (one it does not serve changes nothing);
- a "SageMaker Endpoint State Change" to IN_SERVICE of a configured endpoint, after
  (re)applying that endpoint's autoscaling: this picks up an approval that arrived during a
  rollout.

Every decision is recorded in the ``AuditLog``: the rollout's outcomes (``created``,
``deployed``, ``already-deployed``, ``rollout-in-progress``, ``endpoint-unavailable``),
``superseded``, ``no-approved-package``, the autoscaling decisions, ``ignored`` and ``error``;
each reconcile record names its ``trigger`` (``approved``, ``rejected`` or ``in-service``),
and a package event's records the approval record it acts on (``approval_id``: the audit id of
``mlops approve|reject``, which ``mlops lineage`` follows from the approval to the deploy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_runtime.contract.config import DeployConfig, EndpointTarget
from mlops_runtime.contract.lineage import METADATA
from mlops_runtime.core import audit, references, rollback
from mlops_runtime.core.clock import iso, utcnow
from mlops_runtime.core.ports import (
    AuditLog,
    EndpointDeployer,
    EndpointState,
    ModelRegistry,
    Notifier,
    ObjectStore,
    PackageRef,
    RolloutMemory,
)
from mlops_runtime.core.rollout import (
    DEPLOYED,
    IN_SERVICE,
    SCALING_PENDING,
    Rollout,
    scaling_resource,
)

UNIT = "deploy"
EVENT_TYPE = "SageMaker Model Package State Change"
ENDPOINT_EVENT_TYPE = "SageMaker Endpoint State Change"

Decide = Callable[..., dict[str, Any]]
_UNSET: Any = object()


class DeployError(RuntimeError):
    """The rollout or autoscaling could not be applied (details in the audit record)."""


@dataclass(frozen=True)
class DeployPorts:
    """What the deploy function decides through."""

    registry: ModelRegistry
    endpoints: EndpointDeployer
    audit: AuditLog
    memory: RolloutMemory
    """Each endpoint's started update and rolled-back packages (``core.rollback``)."""
    notifier: Notifier | None = None
    """Told about rollbacks; None: the audit record and the log only."""
    objects: ObjectStore | None = None
    """Copies the served package's drift references (``core.references``); None: they are
    left alone."""


def process(
    event: Any, config: DeployConfig, ports: DeployPorts, now: Callable[[], datetime] = utcnow
) -> dict[str, Any]:
    """Decide and act on one event; returns the (last) audit record."""
    detail = event.get("detail") if isinstance(event, dict) else None
    kind = event.get("detail-type") if isinstance(event, dict) else None
    if isinstance(detail, dict) and kind == ENDPOINT_EVENT_TYPE:
        return _endpoint_event(event, detail, config, ports, now)
    if isinstance(detail, dict) and kind == EVENT_TYPE:
        return _package_event(event, detail, config, ports, now)
    reason = "not a package or endpoint state change"
    return _record(ports, config, now, None, "ignored", reason=reason)


def _package_event(
    event: dict[str, Any],
    detail: dict[str, Any],
    config: DeployConfig,
    ports: DeployPorts,
    now: Callable[[], datetime],
) -> dict[str, Any]:
    """A package was approved or rejected: reconcile its group's endpoint."""
    group = detail.get("ModelPackageGroupName", "")
    arn = detail.get("ModelPackageArn", "")
    status = detail.get("ModelApprovalStatus")
    context = {"group": group, "model_package_arn": arn, "event_id": event.get("id")}
    target = config.endpoints.get(group)
    if target is None:
        reason = f"group {group!r} is not deployed by this function"
        return _record(ports, config, now, None, "ignored", reason=reason, **context)
    context["endpoint"] = target.endpoint_name

    def decide(decision: str, **details: Any) -> dict[str, Any]:
        return _record(ports, config, now, target.model_id, decision, **context, **details)

    if status not in {"Approved", "Rejected"}:
        return decide("ignored", reason=f"approval status is {status!r}")
    trigger = "approved" if status == "Approved" else "rejected"
    context.update(_approval(ports, arn, status))
    try:
        if status == "Rejected":
            return reconcile(ports, target, group, decide, trigger=trigger, now=now)
        latest = ports.registry.latest_approved(group)
        if (latest.arn if latest else None) != arn:
            reason = f"not the latest approved package (latest: {latest.arn if latest else None})"
            return decide("superseded", trigger=trigger, reason=reason)
        return reconcile(ports, target, group, decide, trigger=trigger, latest=latest, now=now)
    except Exception as error:
        decide("error", trigger=trigger, error=f"{type(error).__name__}: {error}")
        raise DeployError(
            f"reconciling {target.endpoint_name} after {arn} was {status} failed: {error}"
        ) from error


def _approval(ports: DeployPorts, arn: str, status: str) -> dict[str, Any]:
    """The approval record this event acts on: ``approval_id``, the audit id ``mlops approve|
    reject`` recorded on the package (``mlops:approval.id``), while the package's status is
    still the event's (a later decision would have replaced the id). Nothing for a package the
    pipeline registered Approved; ``approval_unknown`` when the package cannot be read (the
    link is left out, the deployment goes on)."""
    try:
        package = ports.registry.package(arn)
    except Exception as error:
        return {"approval_unknown": f"{type(error).__name__}: {error}"}
    approval_id = package.metadata.get(METADATA["approval_id"])
    return {"approval_id": approval_id} if approval_id and package.status == status else {}


def _endpoint_event(
    event: dict[str, Any],
    detail: dict[str, Any],
    config: DeployConfig,
    ports: DeployPorts,
    now: Callable[[], datetime],
) -> dict[str, Any]:
    """An endpoint reached a state: once it is InService, (re)apply its autoscaling, then
    reconcile it with its group's latest approved package."""
    name = detail.get("EndpointName", "")
    state = detail.get("EndpointStatus")
    context = {"endpoint": name, "endpoint_status": state, "event_id": event.get("id")}
    found = [(g, t) for g, t in config.endpoints.items() if t.endpoint_name == name]
    if not found:
        reason = f"endpoint {name!r} is not deployed by this function"
        return _record(ports, config, now, None, "ignored", reason=reason, **context)
    group, target = found[0]

    def decide(decision: str, **details: Any) -> dict[str, Any]:
        return _record(ports, config, now, target.model_id, decision, **context, **details)

    if state != "IN_SERVICE":
        return decide("ignored", reason=f"endpoint status is {state!r}")
    try:
        endpoint = ports.endpoints.describe(name)
        scaled = _autoscale(ports, target, endpoint, decide)
    except Exception as error:
        decide("error", error=f"{type(error).__name__}: {error}")
        raise DeployError(f"autoscaling {name} failed: {error}") from error
    if endpoint is None:  # deleted since the event was sent: not recreated on this event
        return decide("endpoint-unavailable", trigger="in-service", reason="endpoint not found")
    try:
        return reconcile(
            ports,
            target,
            group,
            decide,
            trigger="in-service",
            endpoint=endpoint,
            scaled=scaled,
            now=now,
        )
    except Exception as error:
        decide("error", trigger="in-service", error=f"{type(error).__name__}: {error}")
        raise DeployError(f"reconciling {name} failed: {error}") from error


def _autoscale(
    ports: DeployPorts, target: EndpointTarget, endpoint: EndpointState | None, decide: Decide
) -> dict[str, Any]:
    """(Re)apply the endpoint's autoscaling in its own record; the detail for the reconcile's."""
    if target.autoscaling is None or endpoint is None:
        return {}
    if endpoint.status != IN_SERVICE:  # changed again since the event was sent
        decision = decide(SCALING_PENDING, reason=f"endpoint status is {endpoint.status}")
    else:
        applied = Rollout(ports.endpoints).scale(
            target.endpoint_name, target.variant_name, target.autoscaling
        )
        resource = scaling_resource(target.endpoint_name, target.variant_name)
        decision = decide(applied, resource_id=resource)
    return {"autoscaling": decision["decision"]}


def reconcile(
    ports: DeployPorts,
    target: EndpointTarget,
    group: str,
    decide: Decide,
    *,
    trigger: str,
    latest: PackageRef | None = _UNSET,
    endpoint: EndpointState | None = _UNSET,
    scaled: dict[str, Any] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> dict[str, Any]:
    """Bring the endpoint to the group's latest Approved package that has not rolled back on
    it; returns the audit record.

    First the endpoint's started update is settled from what it serves now (verified, or
    rolled back: remembered and announced, ``core.rollback``), and the served package's drift
    references become the current ones (``core.references``). ``latest`` and ``endpoint``
    skip a lookup the caller already made; ``scaled`` is the autoscaling the caller already
    applied (recorded, and not applied again).
    """
    name = target.endpoint_name
    state = ports.endpoints.describe(name) if endpoint is _UNSET else endpoint
    memory = rollback.observe(ports.memory, ports.endpoints, name, state, decide, iso(now()))
    memory = rollback.announce(ports.memory, ports.notifier, memory, target.model_id)
    if ports.objects is not None:
        promote = references.ReferencePorts(
            ports.registry, ports.endpoints, ports.memory, ports.objects
        )
        memory = references.follow_served(promote, target, state, memory, decide)
    if latest is _UNSET:
        latest = ports.registry.latest_approved(group)
    chosen, skipped = rollback.choose(ports.registry, group, latest, memory.rolled_back_packages)
    base: dict[str, Any] = {"trigger": trigger, **(scaled or {})}
    if skipped:
        base["rolled_back_skipped"] = ", ".join(skipped)
    if chosen is None:
        reason = f"group {group} has no Approved package; the endpoint is left as it is"
        if skipped:
            reason = f"every Approved package of {group} rolled back on {name}; it is left as it is"
        return decide("no-approved-package", reason=reason, **base)
    base["latest_approved"] = chosen.arn
    release = ports.endpoints.release(target, chosen.arn)
    result = Rollout(ports.endpoints).apply(release, state=state, scaled=bool(scaled))
    if result.outcome == DEPLOYED:
        previous = str(result.details.get("previous_config") or "")
        rollback.remember_started(ports.memory, release, previous, iso(now()))
    return decide(result.outcome, **{**base, **result.details})


def _record(
    ports: DeployPorts,
    config: DeployConfig,
    now: Callable[[], datetime],
    model: str | None,
    decision: str,
    **details: Any,
) -> dict[str, Any]:
    return audit.record(
        ports.audit,
        unit=UNIT,
        model=model,
        decision=decision,
        now=now(),
        ttl_days=config.audit_ttl_days,
        system=config.system,
        **details,
    )
