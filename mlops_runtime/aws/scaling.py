"""Target-tracking autoscaling of an endpoint variant (Application Auto Scaling), idempotently.

The scalable target is ``endpoint/<endpoint>/variant/<variant>`` in namespace ``sagemaker``,
dimension ``sagemaker:variant:DesiredInstanceCount``; the policy tracks the predefined metric
``SageMakerVariantInvocationsPerInstance``. ``apply`` describes both first and writes only what
differs, so applying the same configuration again changes nothing. SageMaker refuses to
register a variant whose endpoint is not InService, so the rollout applies it only to an
InService endpoint (``mlops_runtime.core.rollout``).
"""

from __future__ import annotations

from typing import Any

from mlops_runtime.contract.config import AutoscalingTarget

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRIC = "SageMakerVariantInvocationsPerInstance"
POLICY_TYPE = "TargetTrackingScaling"


def resource_id(endpoint: str, variant: str) -> str:
    """``endpoint/<endpoint>/variant/<variant>``."""
    return f"endpoint/{endpoint}/variant/{variant}"


def _key(endpoint: str, variant: str) -> dict[str, Any]:
    return {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": resource_id(endpoint, variant),
        "ScalableDimension": DIMENSION,
    }


def target_request(endpoint: str, variant: str, scaling: AutoscalingTarget) -> dict[str, Any]:
    """RegisterScalableTarget for the variant."""
    return {
        **_key(endpoint, variant),
        "MinCapacity": scaling.min_capacity,
        "MaxCapacity": scaling.max_capacity,
    }


def policy_request(endpoint: str, variant: str, scaling: AutoscalingTarget) -> dict[str, Any]:
    """PutScalingPolicy: target tracking of invocations per instance."""
    return {
        "PolicyName": scaling.policy_name,
        **_key(endpoint, variant),
        "PolicyType": POLICY_TYPE,
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": float(scaling.target_invocations_per_instance),
            "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
            "ScaleInCooldown": scaling.scale_in_cooldown_seconds,
            "ScaleOutCooldown": scaling.scale_out_cooldown_seconds,
        },
    }


def apply(autoscaling: Any, endpoint: str, variant: str, scaling: AutoscalingTarget) -> bool:
    """Register the scalable target and put the policy where they differ; True when written.

    The endpoint must be InService (the caller checks).
    """
    changed = False
    wanted = target_request(endpoint, variant, scaling)
    current = autoscaling.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[wanted["ResourceId"]], ScalableDimension=DIMENSION
    )["ScalableTargets"]
    if not current or (current[0].get("MinCapacity"), current[0].get("MaxCapacity")) != (
        wanted["MinCapacity"],
        wanted["MaxCapacity"],
    ):
        autoscaling.register_scalable_target(**wanted)
        changed = True
    policy = policy_request(endpoint, variant, scaling)
    existing = autoscaling.describe_scaling_policies(
        **_key(endpoint, variant), PolicyNames=[policy["PolicyName"]]
    )["ScalingPolicies"]
    if not existing or _policy_shape(existing[0]) != _policy_shape(policy):
        autoscaling.put_scaling_policy(**policy)
        changed = True
    return changed


def _policy_shape(policy: dict[str, Any]) -> tuple[Any, ...]:
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    metric = config.get("PredefinedMetricSpecification") or {}
    return (
        policy.get("PolicyType"),
        float(config.get("TargetValue", 0.0)),
        metric.get("PredefinedMetricType"),
        metric.get("ResourceLabel"),
        config.get("ScaleInCooldown"),
        config.get("ScaleOutCooldown"),
        bool(config.get("DisableScaleIn", False)),
        bool(config.get("CustomizedMetricSpecification")),
    )


def deregister(autoscaling: Any, endpoint: str, variant: str) -> bool:
    """Delete the variant's scaling policies and deregister its scalable target; True if it
    was registered.

    Needed before an update that changes the variant's instance type: SageMaker fails such an
    update while the variant is a scalable target. The policies are deleted first, as
    SageMaker's guide for updating autoscaled endpoints says (DeregisterScalableTarget also
    drops them on AWS; moto keeps them).
    """
    key = _key(endpoint, variant)
    current = autoscaling.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[key["ResourceId"]], ScalableDimension=DIMENSION
    )["ScalableTargets"]
    if not current:
        return False
    for policy in autoscaling.describe_scaling_policies(**key)["ScalingPolicies"]:
        autoscaling.delete_scaling_policy(PolicyName=policy["PolicyName"], **key)
    autoscaling.deregister_scalable_target(**key)
    return True
