"""``EndpointDeployer`` on SageMaker: Model, EndpointConfig, Endpoint, and the variant's
Application Auto Scaling registration.

AWS errors are classified by their code and by what a describe call shows afterwards, never by
their message text: a ``CreateEndpoint`` refused while the endpoint exists is a lost race
(``AlreadyExists``), an ``UpdateEndpoint`` refused while the endpoint is busy is
``UpdateInProgress``, a ``CreateModel``/``CreateEndpointConfig`` refused while the resource
exists is the concurrent creator's success; anything else is raised as it came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlops_runtime.aws import endpoint_requests
from mlops_runtime.aws import scaling as variant_scaling
from mlops_runtime.aws.clients import error_code
from mlops_runtime.contract.config import AutoscalingTarget, EndpointTarget
from mlops_runtime.core.ports import (
    AlreadyExists,
    EndpointDeployer,
    EndpointState,
    Release,
    Served,
    UpdateInProgress,
)
from mlops_runtime.core.rollout import BUSY

MISSING_CODES = frozenset({"ValidationException", "ResourceNotFound"})
"""What SageMaker answers a Describe* of something that does not exist (a name the planner
validated cannot be refused for its form, so ValidationException there means "not found")."""


class SageMakerEndpoints(EndpointDeployer):
    """Sends a release's requests (``endpoint_requests``) and reads endpoints back."""

    def __init__(self, sagemaker: Any, autoscaling: Any) -> None:
        self.sagemaker = sagemaker
        self.autoscaling = autoscaling
        """Application Auto Scaling client."""

    def release(self, target: EndpointTarget, package_arn: str) -> Release:
        return endpoint_requests.release(target, package_arn)

    def describe(self, endpoint: str) -> EndpointState | None:
        try:
            described = self.sagemaker.describe_endpoint(EndpointName=endpoint)
        except Exception as error:
            if error_code(error) in MISSING_CODES:
                return None
            raise
        pending = described.get("PendingDeploymentSummary") or {}
        rollback = (described.get("LastDeploymentConfig") or {}).get("AutoRollbackConfiguration")
        return EndpointState(
            name=endpoint,
            status=str(described["EndpointStatus"]),
            config_name=str(described["EndpointConfigName"]),
            failure_reason=described.get("FailureReason"),
            pending_config=pending.get("EndpointConfigName"),
            rollback_alarms=tuple(a["AlarmName"] for a in (rollback or {}).get("Alarms", [])),
        )

    def served(self, config_name: str) -> Served:
        described = self.sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
        variants = described.get("ProductionVariants", [])
        types = {v["VariantName"]: v["InstanceType"] for v in variants if v.get("InstanceType")}
        found: set[str] = set()
        for variant in variants:
            try:
                model = self.sagemaker.describe_model(ModelName=variant["ModelName"])
            except Exception as error:
                if error_code(error) not in MISSING_CODES:  # else: the model was deleted
                    raise
                continue
            containers = [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]
            found |= {c["ModelPackageName"] for c in containers if c.get("ModelPackageName")}
        return Served(frozenset(found), types)

    def prepare(self, release: Release) -> None:
        sagemaker = self.sagemaker
        model, config = release.requests["model"], release.requests["endpoint_config"]
        _ensure(sagemaker.describe_model, sagemaker.create_model, "ModelName", model)
        _ensure(
            sagemaker.describe_endpoint_config,
            sagemaker.create_endpoint_config,
            "EndpointConfigName",
            config,
        )

    def create(self, release: Release) -> None:
        try:
            self.sagemaker.create_endpoint(**release.requests["endpoint"])
        except Exception as error:
            if not error_code(error):
                raise
            if self.describe(release.endpoint) is not None:  # a concurrent invocation won
                raise AlreadyExists(str(error)) from error
            raise

    def update(self, release: Release) -> None:
        try:
            self.sagemaker.update_endpoint(**release.requests["update"])
        except Exception as error:
            if error_code(error) != "ValidationException":
                raise
            state = self.describe(release.endpoint)
            if state is not None and state.status in BUSY:  # another update got there first
                raise UpdateInProgress(f"endpoint is {state.status}: {error}") from error
            raise

    def apply_autoscaling(self, endpoint: str, variant: str, scaling: AutoscalingTarget) -> bool:
        return variant_scaling.apply(self.autoscaling, endpoint, variant, scaling)

    def remove_autoscaling(self, endpoint: str, variant: str) -> bool:
        return variant_scaling.deregister(self.autoscaling, endpoint, variant)


def _ensure(
    describe: Callable[..., Any], create: Callable[..., Any], name_key: str, request: Any
) -> None:
    """Create unless it exists; a concurrent creator winning the race is fine too (the create
    is refused, and a second describe finds the resource)."""
    if _exists(describe, name_key, request[name_key]):
        return
    try:
        create(**request)
    except Exception as error:
        if not error_code(error) or not _exists(describe, name_key, request[name_key]):
            raise


def _exists(describe: Callable[..., Any], name_key: str, name: str) -> bool:
    try:
        describe(**{name_key: name})
    except Exception as error:
        if error_code(error) not in MISSING_CODES:
            raise
        return False
    return True
