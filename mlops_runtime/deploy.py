"""Deploy Lambda: serve a group's latest approved model package (serving ``latest_approved``).

Pulumi does not create ``latest_approved`` endpoints (no approved package exists at the first
``pulumi up``); this function creates each one on its group's first approval and owns its
configs from then on.

On a "SageMaker Model Package State Change" event for a configured group with
``ModelApprovalStatus`` Approved, the handler checks that the package is still the group's
latest approved one, then creates (idempotently) a Model and a content-hashed EndpointConfig
and either

- ``CreateEndpoint`` when the endpoint does not exist yet: ``created`` (autoscaling, if
  configured, is ``autoscaling-pending``: SageMaker refuses to register a Creating endpoint's
  variant), or
- when the endpoint is InService and not already serving the package: applies autoscaling
  (idempotent) and calls ``UpdateEndpoint`` with a blue/green DeploymentConfig and alarm-based
  auto-rollback: ``deployed``.

On a "SageMaker Endpoint State Change" event with ``EndpointStatus`` IN_SERVICE for a
configured endpoint it only (re)applies that endpoint's autoscaling. Every decision is
audited: ``created``, ``deployed``, ``already-deployed``, ``rollout-in-progress``,
``superseded``, ``endpoint-unavailable``, ``autoscaling-applied``, ``autoscaling-unchanged``,
``autoscaling-pending``, ``ignored`` or ``error``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_runtime import audit, autoscaling, rollout
from mlops_runtime.aws import client, error_code
from mlops_runtime.clock import utcnow
from mlops_runtime.config import DeployConfig, EndpointTarget
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
    """Decide and act on one event; returns the audit record."""
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

    if status != "Approved":
        return decide("ignored", reason=f"approval status is {status!r}")
    try:
        return _deploy(clients, target, group, arn, decide)
    except Exception as error:
        decide("error", error=f"{type(error).__name__}: {error}")
        raise DeployError(f"deploying {arn} to {target.endpoint_name} failed: {error}") from error


def _endpoint_state(
    event: dict[str, Any],
    detail: dict[str, Any],
    config: DeployConfig,
    clients: Clients,
    now: Callable[[], datetime],
) -> dict[str, Any]:
    """An endpoint reached a state: (re)apply its autoscaling once it is InService."""
    name = detail.get("EndpointName", "")
    state = detail.get("EndpointStatus")
    context = {"endpoint": name, "endpoint_status": state, "event_id": event.get("id")}
    target = next((t for t in config.endpoints.values() if t.endpoint_name == name), None)
    if target is None:
        reason = f"endpoint {name!r} is not deployed by this function"
        return _record(clients, config, now, None, "ignored", reason=reason, **context)

    def decide(decision: str, **details: Any) -> dict[str, Any]:
        return _record(clients, config, now, target.model_id, decision, **context, **details)

    if state != "IN_SERVICE":
        return decide("ignored", reason=f"endpoint status is {state!r}")
    if target.autoscaling is None:
        return decide("ignored", reason="no autoscaling configured")
    try:
        status = clients.sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"]
        if status != "InService":  # changed again since the event was sent
            return decide(autoscaling.PENDING, reason=f"endpoint status is {status}")
        return decide(
            autoscaling.apply(clients.autoscaling, target),
            resource_id=autoscaling.resource_id(target),
        )
    except Exception as error:
        decide("error", error=f"{type(error).__name__}: {error}")
        raise DeployError(f"autoscaling {name} failed: {error}") from error


def _deploy(
    clients: Clients,
    target: EndpointTarget,
    group: str,
    arn: str,
    decide: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    sagemaker = clients.sagemaker
    latest = latest_approved(sagemaker, group)
    latest_arn = latest["ModelPackageArn"] if latest else None
    if latest_arn != arn:
        return decide(
            "superseded", reason=f"not the latest approved package (latest: {latest_arn})"
        )
    endpoint = _describe_endpoint(sagemaker, target.endpoint_name)
    model = rollout.model_request(target, arn)
    endpoint_config = rollout.endpoint_config_request(target, model["ModelName"])
    config_name = endpoint_config["EndpointConfigName"]
    if endpoint is None:
        return _create(clients, target, model, endpoint_config, decide)
    status = endpoint["EndpointStatus"]
    if status != "InService":
        decision = "rollout-in-progress" if status in IN_PROGRESS else "endpoint-unavailable"
        return decide(decision, reason=f"endpoint status is {status}")
    current = endpoint["EndpointConfigName"]
    served = _served(sagemaker, current)
    if current == config_name or arn in served.packages:
        return decide(
            "already-deployed",
            reason=f"endpoint config {current} already serves it",
            **_scale(clients, target),
        )
    _ensure(sagemaker.describe_model, sagemaker.create_model, "ModelName", model)
    _ensure(
        sagemaker.describe_endpoint_config,
        sagemaker.create_endpoint_config,
        "EndpointConfigName",
        endpoint_config,
    )
    scaled: dict[str, Any]
    old_type = served.instance_types.get(target.variant_name)
    if old_type and target.instance_type and old_type != target.instance_type:
        # SageMaker fails an update changing the instance type of a scalable variant: take
        # the registration off; the IN_SERVICE event after the update puts it back.
        removed = autoscaling.deregister(clients.autoscaling, target)
        scaled = {"autoscaling_deregistered": removed} if removed else {}
        if target.autoscaling is not None:
            scaled["autoscaling"] = autoscaling.PENDING
    else:
        scaled = _scale(clients, target)
    try:
        sagemaker.update_endpoint(**rollout.update_request(target, config_name))
    except Exception as error:
        if error_code(error) == "ValidationException" and "in-progress" in str(error).lower():
            return decide("rollout-in-progress", reason=str(error))
        raise
    return decide(
        "deployed",
        model_name=model["ModelName"],
        previous_config=current,
        endpoint_config=config_name,
        strategy=target.traffic.strategy,
        **scaled,
    )


def _create(
    clients: Clients,
    target: EndpointTarget,
    model: dict[str, Any],
    endpoint_config: dict[str, Any],
    decide: Callable[..., dict[str, Any]],
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
            return decide("rollout-in-progress", reason=str(error))
        raise
    pending = {"autoscaling": autoscaling.PENDING} if target.autoscaling else {}
    return decide(
        "created",
        model_name=model["ModelName"],
        endpoint_config=config_name,
        **pending,
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
