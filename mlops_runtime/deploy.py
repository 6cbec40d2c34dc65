"""Deploy Lambda: serve a group's latest approved model package (serving ``latest_approved``).

Pulumi does not create ``latest_approved`` endpoints (no approved package exists at the first
``pulumi up``); this function creates each one on its group's first approval and owns its
configs from then on.

Every event ends in one **reconcile** of the endpoint: bring it to the group's latest Approved
package. It creates (idempotently) a Model and a content-hashed EndpointConfig for that package
and either

- ``CreateEndpoint`` when the endpoint does not exist yet: ``created`` (autoscaling, if
  configured, is ``autoscaling-pending``: SageMaker refuses to register a Creating endpoint's
  variant), or
- when the endpoint is InService and not already serving the package: applies autoscaling
  (idempotent) and calls ``UpdateEndpoint`` with a blue/green DeploymentConfig and alarm-based
  auto-rollback: ``deployed``.

It is a no-op when the endpoint already serves the package (``already-deployed``), when a
rollout is in progress (``rollout-in-progress``: the IN_SERVICE event that ends it reconciles
again), and when the group has no Approved package (``no-approved-package``). It is run by

- a "SageMaker Model Package State Change" event for a configured group with
  ``ModelApprovalStatus`` Approved, once the package is confirmed to be the group's latest
  approved one (else ``superseded``);
- the same event with ``ModelApprovalStatus`` Rejected: an endpoint serving the rejected
  package goes back to the latest Approved one (one it does not serve changes nothing);
- a "SageMaker Endpoint State Change" event with ``EndpointStatus`` IN_SERVICE for a configured
  endpoint, after (re)applying that endpoint's autoscaling: this picks up an approval that
  arrived during a rollout.

Every decision is audited: ``created``, ``deployed``, ``already-deployed``,
``rollout-in-progress``, ``superseded``, ``no-approved-package``, ``endpoint-unavailable``,
``autoscaling-applied``, ``autoscaling-unchanged``, ``autoscaling-pending``, ``ignored`` or
``error``; each reconcile record names its ``trigger`` (``approved``, ``rejected`` or
``in-service``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_runtime import audit, autoscaling, rollout
from mlops_runtime.aws import client, error_code
from mlops_runtime.clock import utcnow
from mlops_runtime.contract.config import DeployConfig, EndpointTarget
from mlops_runtime.registry import latest_approved

UNIT = "deploy"
EVENT_TYPE = "SageMaker Model Package State Change"
ENDPOINT_EVENT_TYPE = "SageMaker Endpoint State Change"
IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})


@dataclass(frozen=True)
class Clients:
    """The AWS clients the deploy handler uses."""

    sagemaker: Any
    dynamodb: Any
    autoscaling: Any
    """Application Auto Scaling."""

    @classmethod
    def create(cls, config: DeployConfig) -> Clients:
        return cls(
            sagemaker=client("sagemaker", config.max_attempts),
            dynamodb=client("dynamodb", config.max_attempts),
            autoscaling=client("application-autoscaling", config.max_attempts),
        )


class DeployError(RuntimeError):
    """The rollout or autoscaling could not be applied (details in the audit record)."""


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point; configuration from ``MLOPS_RUNTIME_CONFIG`` (``DeployConfig``)."""
    config = DeployConfig.from_env()
    return process(event, config, Clients.create(config))


def process(
    event: Any, config: DeployConfig, clients: Clients, now: Callable[[], datetime] = utcnow
) -> dict[str, Any]:
    """Decide and act on one event; returns the (last) audit record."""
    detail = event.get("detail") if isinstance(event, dict) else None
    kind = event.get("detail-type") if isinstance(event, dict) else None
    if isinstance(detail, dict) and kind == ENDPOINT_EVENT_TYPE:
        return _endpoint_state(event, detail, config, clients, now)
    if not isinstance(detail, dict) or kind != EVENT_TYPE:
        reason = "not a package or endpoint state change"
        return _record(clients, config, now, None, "ignored", reason=reason)
    group = detail.get("ModelPackageGroupName", "")
    arn = detail.get("ModelPackageArn", "")
    status = detail.get("ModelApprovalStatus")
    context = {"group": group, "model_package_arn": arn, "event_id": event.get("id")}
    target = config.endpoints.get(group)
    if target is None:
        reason = f"group {group!r} is not deployed by this function"
        return _record(clients, config, now, None, "ignored", reason=reason, **context)
    context["endpoint"] = target.endpoint_name

    def decide(decision: str, **details: Any) -> dict[str, Any]:
        return _record(clients, config, now, target.model_id, decision, **context, **details)

    if status not in {"Approved", "Rejected"}:
        return decide("ignored", reason=f"approval status is {status!r}")
    trigger = "approved" if status == "Approved" else "rejected"
    try:
        if status == "Approved":
            latest = latest_approved(clients.sagemaker, group)
            latest_arn = latest["ModelPackageArn"] if latest else None
            if latest_arn != arn:
                reason = f"not the latest approved package (latest: {latest_arn})"
                return decide("superseded", trigger=trigger, reason=reason)
            return reconcile(clients, target, group, decide, trigger=trigger, latest=latest)
        return reconcile(clients, target, group, decide, trigger=trigger)
    except Exception as error:
        decide("error", trigger=trigger, error=f"{type(error).__name__}: {error}")
        raise DeployError(
            f"reconciling {target.endpoint_name} after {arn} was {status} failed: {error}"
        ) from error


def _endpoint_state(
    event: dict[str, Any],
    detail: dict[str, Any],
    config: DeployConfig,
    clients: Clients,
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
        return _record(clients, config, now, None, "ignored", reason=reason, **context)
    group, target = found[0]

    def decide(decision: str, **details: Any) -> dict[str, Any]:
        return _record(clients, config, now, target.model_id, decision, **context, **details)

    if state != "IN_SERVICE":
        return decide("ignored", reason=f"endpoint status is {state!r}")
    scaled: dict[str, Any] = {}
    try:
        endpoint = _describe_endpoint(clients.sagemaker, name)
        status = endpoint["EndpointStatus"] if endpoint else None
        if target.autoscaling is not None and endpoint is not None:
            if status != "InService":  # changed again since the event was sent
                decision = decide(autoscaling.PENDING, reason=f"endpoint status is {status}")
            else:
                decision = decide(
                    autoscaling.apply(clients.autoscaling, target),
                    resource_id=autoscaling.resource_id(target),
                )
            scaled = {"autoscaling": decision["decision"]}
    except Exception as error:
        decide("error", error=f"{type(error).__name__}: {error}")
        raise DeployError(f"autoscaling {name} failed: {error}") from error
    if endpoint is None:  # deleted since the event was sent: not recreated on this event
        return decide("endpoint-unavailable", trigger="in-service", reason="endpoint not found")
    try:
        return reconcile(
            clients, target, group, decide, trigger="in-service", endpoint=endpoint, scaled=scaled
        )
    except Exception as error:
        decide("error", trigger="in-service", error=f"{type(error).__name__}: {error}")
        raise DeployError(f"reconciling {name} failed: {error}") from error


_UNSET: Any = object()


def reconcile(
    clients: Clients,
    target: EndpointTarget,
    group: str,
    decide: Callable[..., dict[str, Any]],
    *,
    trigger: str,
    latest: dict[str, Any] | None = _UNSET,
    endpoint: dict[str, Any] | None = _UNSET,
    scaled: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Bring the endpoint to the group's latest Approved package; returns the audit record.

    A no-op when it already serves it, when a rollout is in progress (the IN_SERVICE event that
    ends it reconciles again) or when the group has no Approved package. ``latest`` and
    ``endpoint`` skip a lookup the caller already made; ``scaled`` is the autoscaling the
    caller already applied (recorded, and not applied again).
    """
    sagemaker = clients.sagemaker
    if latest is _UNSET:
        latest = latest_approved(sagemaker, group)
    if endpoint is _UNSET:
        endpoint = _describe_endpoint(sagemaker, target.endpoint_name)
    base = {"trigger": trigger, **(scaled or {})}
    if latest is None:
        return decide(
            "no-approved-package",
            reason=f"group {group} has no Approved package; the endpoint is left as it is",
            **base,
        )
    arn = latest["ModelPackageArn"]
    base["latest_approved"] = arn
    model = rollout.model_request(target, arn)
    endpoint_config = rollout.endpoint_config_request(target, model["ModelName"])
    config_name = endpoint_config["EndpointConfigName"]
    if endpoint is None:
        return _create(clients, target, model, endpoint_config, decide, **base)
    status = endpoint["EndpointStatus"]
    if status != "InService":
        decision = "rollout-in-progress" if status in IN_PROGRESS else "endpoint-unavailable"
        return decide(decision, reason=f"endpoint status is {status}", **base)
    current = endpoint["EndpointConfigName"]
    served = _served(sagemaker, current)
    if current == config_name or arn in served.packages:
        return decide(
            "already-deployed",
            reason=f"endpoint config {current} already serves it",
            **(base if scaled else {**base, **_scale(clients, target)}),
        )
    _ensure(sagemaker.describe_model, sagemaker.create_model, "ModelName", model)
    _ensure(
        sagemaker.describe_endpoint_config,
        sagemaker.create_endpoint_config,
        "EndpointConfigName",
        endpoint_config,
    )
    old_type = served.instance_types.get(target.variant_name)
    if old_type and target.instance_type and old_type != target.instance_type:
        # SageMaker fails an update changing the instance type of a scalable variant: take
        # the registration off; the IN_SERVICE event after the update puts it back.
        removed = autoscaling.deregister(clients.autoscaling, target)
        base.update({"autoscaling_deregistered": removed} if removed else {})
        if target.autoscaling is not None:
            base["autoscaling"] = autoscaling.PENDING
    elif not scaled:
        base.update(_scale(clients, target))
    try:
        sagemaker.update_endpoint(**rollout.update_request(target, config_name))
    except Exception as error:
        if error_code(error) == "ValidationException" and "in-progress" in str(error).lower():
            return decide("rollout-in-progress", reason=str(error), **base)
        raise
    return decide(
        "deployed",
        model_name=model["ModelName"],
        previous_config=current,
        previous_packages=", ".join(sorted(served.packages)) or None,
        endpoint_config=config_name,
        strategy=target.traffic.strategy,
        **base,
    )


def _create(
    clients: Clients,
    target: EndpointTarget,
    model: dict[str, Any],
    endpoint_config: dict[str, Any],
    decide: Callable[..., dict[str, Any]],
    **details: Any,
) -> dict[str, Any]:
    """First approval: Model, EndpointConfig and the endpoint itself."""
    sagemaker = clients.sagemaker
    _ensure(sagemaker.describe_model, sagemaker.create_model, "ModelName", model)
    _ensure(
        sagemaker.describe_endpoint_config,
        sagemaker.create_endpoint_config,
        "EndpointConfigName",
        endpoint_config,
    )
    config_name = endpoint_config["EndpointConfigName"]
    try:
        sagemaker.create_endpoint(**rollout.endpoint_request(target, config_name))
    except Exception as error:
        if "already exist" in str(error).lower():  # a concurrent invocation created it
            return decide("rollout-in-progress", reason=str(error), **details)
        raise
    if target.autoscaling:
        details["autoscaling"] = autoscaling.PENDING
    return decide(
        "created",
        model_name=model["ModelName"],
        endpoint_config=config_name,
        **details,
    )


def _scale(clients: Clients, target: EndpointTarget) -> dict[str, Any]:
    """Apply autoscaling to an InService endpoint; the audit detail to record."""
    if target.autoscaling is None:
        return {}
    return {"autoscaling": autoscaling.apply(clients.autoscaling, target)}


def _describe_endpoint(sagemaker: Any, name: str) -> dict[str, Any] | None:
    """DescribeEndpoint, or None when the endpoint does not exist."""
    try:
        return dict(sagemaker.describe_endpoint(EndpointName=name))
    except Exception as error:
        message = str(error).lower()
        if error_code(error) == "ValidationException" and "could not find" in message:
            return None
        raise


@dataclass(frozen=True)
class _Served:
    """What an endpoint config serves."""

    packages: set[str]
    instance_types: dict[str, str]
    """Variant name -> instance type (instance-based variants)."""


def _served(sagemaker: Any, config_name: str) -> _Served:
    """Model package ARNs and instance types of an endpoint config's variants."""
    found: set[str] = set()
    described = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    variants = described.get("ProductionVariants", [])
    types = {v["VariantName"]: v["InstanceType"] for v in variants if v.get("InstanceType")}
    for variant in variants:
        try:
            model = sagemaker.describe_model(ModelName=variant["ModelName"])
        except Exception as error:
            if error_code(error) != "ValidationException":  # the model was deleted
                raise
            continue
        containers = [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]
        found |= {c["ModelPackageName"] for c in containers if c.get("ModelPackageName")}
    return _Served(found, types)


def _ensure(describe: Any, create: Any, name_key: str, request: dict[str, Any]) -> None:
    """Create unless it exists; a concurrent creator winning the race is fine too."""
    try:
        describe(**{name_key: request[name_key]})
        return
    except Exception as error:
        if error_code(error) not in {"ValidationException", "ResourceNotFound"}:
            raise
    try:
        create(**request)
    except Exception as error:
        if "already exist" not in str(error).lower():
            raise


def _record(
    clients: Clients,
    config: DeployConfig,
    now: Callable[[], datetime],
    model: str | None,
    decision: str,
    **details: Any,
) -> dict[str, Any]:
    return audit.record(
        clients.dynamodb,
        config.table_name,
        unit=UNIT,
        model=model,
        decision=decision,
        now=now(),
        ttl_days=config.audit_ttl_days,
        system=config.system,
        **details,
    )
