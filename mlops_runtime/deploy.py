"""Deploy Lambda: roll an endpoint onto a newly approved model package (``latest_approved``).

On a "SageMaker Model Package State Change" event for a configured group with
``ModelApprovalStatus`` Approved, the handler checks that the package is still the group's
latest approved one, that the endpoint is InService and not already serving it, then creates
(idempotently) a Model and a content-hashed EndpointConfig and calls ``UpdateEndpoint`` with a
blue/green DeploymentConfig and alarm-based auto-rollback. Every decision is audited:
``deployed``, ``already-deployed``, ``rollout-in-progress``, ``superseded``,
``endpoint-unavailable``, ``ignored`` or ``error``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_runtime import audit, rollout
from mlops_runtime.aws import client, error_code
from mlops_runtime.clock import utcnow
from mlops_runtime.config import DeployConfig, EndpointTarget

UNIT = "deploy"
EVENT_TYPE = "SageMaker Model Package State Change"
IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})


@dataclass(frozen=True)
class Clients:
    """The AWS clients the deploy handler uses."""

    sagemaker: Any
    dynamodb: Any

    @classmethod
    def create(cls, config: DeployConfig) -> Clients:
        return cls(
            sagemaker=client("sagemaker", config.max_attempts),
            dynamodb=client("dynamodb", config.max_attempts),
        )


class DeployError(RuntimeError):
    """The rollout could not be started (details in the audit record)."""


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point; configuration from ``MLOPS_RUNTIME_CONFIG`` (``DeployConfig``)."""
    config = DeployConfig.from_env()
    return process(event, config, Clients.create(config))


def process(
    event: Any, config: DeployConfig, clients: Clients, now: Callable[[], datetime] = utcnow
) -> dict[str, Any]:
    """Decide and act on one event; returns the audit record."""
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict) or event.get("detail-type") != EVENT_TYPE:
        return _record(clients, config, now, None, "ignored", reason="not a package state change")
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
        return _deploy(clients.sagemaker, target, group, arn, decide)
    except Exception as error:
        decide("error", error=f"{type(error).__name__}: {error}")
        raise DeployError(f"deploying {arn} to {target.endpoint_name} failed: {error}") from error


def _deploy(
    sagemaker: Any,
    target: EndpointTarget,
    group: str,
    arn: str,
    decide: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    latest = _latest_approved(sagemaker, group)
    if latest != arn:
        return decide("superseded", reason=f"not the latest approved package (latest: {latest})")
    endpoint = sagemaker.describe_endpoint(EndpointName=target.endpoint_name)
    status = endpoint["EndpointStatus"]
    if status != "InService":
        decision = "rollout-in-progress" if status in IN_PROGRESS else "endpoint-unavailable"
        return decide(decision, reason=f"endpoint status is {status}")
    model = rollout.model_request(target, arn)
    endpoint_config = rollout.endpoint_config_request(target, model["ModelName"])
    current = endpoint["EndpointConfigName"]
    if current == endpoint_config["EndpointConfigName"] or arn in _packages(sagemaker, current):
        return decide("already-deployed", reason=f"endpoint config {current} already serves it")
    _ensure(sagemaker.describe_model, sagemaker.create_model, "ModelName", model)
    _ensure(
        sagemaker.describe_endpoint_config,
        sagemaker.create_endpoint_config,
        "EndpointConfigName",
        endpoint_config,
    )
    try:
        sagemaker.update_endpoint(
            **rollout.update_request(target, endpoint_config["EndpointConfigName"])
        )
    except Exception as error:
        if error_code(error) == "ValidationException" and "in-progress" in str(error).lower():
            return decide("rollout-in-progress", reason=str(error))
        raise
    return decide(
        "deployed",
        model_name=model["ModelName"],
        previous_config=current,
        endpoint_config=endpoint_config["EndpointConfigName"],
        strategy=target.traffic.strategy,
    )


def _latest_approved(sagemaker: Any, group: str) -> str | None:
    listed = sagemaker.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )["ModelPackageSummaryList"]
    return str(listed[0]["ModelPackageArn"]) if listed else None


def _packages(sagemaker: Any, config_name: str) -> set[str]:
    """Model package ARNs served by an endpoint config's variants."""
    found: set[str] = set()
    described = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    for variant in described.get("ProductionVariants", []):
        try:
            model = sagemaker.describe_model(ModelName=variant["ModelName"])
        except Exception as error:
            if error_code(error) != "ValidationException":  # the model was deleted
                raise
            continue
        containers = [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]
        found |= {c["ModelPackageName"] for c in containers if c.get("ModelPackageName")}
    return found


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
