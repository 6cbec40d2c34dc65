"""Target-tracking autoscaling of an endpoint variant (Application Auto Scaling), idempotently.

The scalable target is ``endpoint/<endpoint>/variant/<variant>`` in namespace ``sagemaker``,
dimension ``sagemaker:variant:DesiredInstanceCount``; the policy tracks the predefined metric
``SageMakerVariantInvocationsPerInstance``. ``apply`` describes both first and writes only what
differs, so applying the same configuration again changes nothing. SageMaker refuses to
register a variant whose endpoint is not InService, so the deploy function applies it only to
an InService endpoint (see ``mlops_runtime.deploy``).
"""

from __future__ import annotations

from typing import Any

from mlops_runtime.contract.config import AutoscalingTarget, EndpointTarget

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRIC = "SageMakerVariantInvocationsPerInstance"
POLICY_TYPE = "TargetTrackingScaling"

APPLIED = "autoscaling-applied"
"""The scalable target or policy was written."""
UNCHANGED = "autoscaling-unchanged"
"""Both were already as configured."""
PENDING = "autoscaling-pending"
"""The endpoint is not InService yet; applied on its IN_SERVICE state change (or later)."""


def resource_id(target: EndpointTarget) -> str:
    """``endpoint/<endpoint>/variant/<variant>``."""
    return f"endpoint/{target.endpoint_name}/variant/{target.variant_name}"


def _scaling(target: EndpointTarget) -> AutoscalingTarget:
    if target.autoscaling is None:
        raise ValueError(f"{target.endpoint_name} has no autoscaling configured")
    return target.autoscaling


def _key(target: EndpointTarget) -> dict[str, Any]:
    return {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": resource_id(target),
        "ScalableDimension": DIMENSION,
    }


def target_request(target: EndpointTarget) -> dict[str, Any]:
    """RegisterScalableTarget for the variant."""
    scaling = _scaling(target)
    return {
        **_key(target),
        "MinCapacity": scaling.min_capacity,
        "MaxCapacity": scaling.max_capacity,
    }


def policy_request(target: EndpointTarget) -> dict[str, Any]:
    """PutScalingPolicy: target tracking of invocations per instance."""
    scaling = _scaling(target)
    return {
        "PolicyName": scaling.policy_name,
        **_key(target),
        "PolicyType": POLICY_TYPE,
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": float(scaling.target_invocations_per_instance),
            "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
            "ScaleInCooldown": scaling.scale_in_cooldown_seconds,
            "ScaleOutCooldown": scaling.scale_out_cooldown_seconds,
        },
    }


def apply(autoscaling: Any, target: EndpointTarget) -> str:
    """Register the scalable target and put the policy where they differ; APPLIED or UNCHANGED.

    The endpoint must be InService (the caller checks).
    """
    changed = False
    wanted = target_request(target)
    current = autoscaling.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[wanted["ResourceId"]], ScalableDimension=DIMENSION
    )["ScalableTargets"]
    if not current or (current[0].get("MinCapacity"), current[0].get("MaxCapacity")) != (
        wanted["MinCapacity"],
        wanted["MaxCapacity"],
    ):
        autoscaling.register_scalable_target(**wanted)
        changed = True
    policy = policy_request(target)
    existing = autoscaling.describe_scaling_policies(
        **_key(target), PolicyNames=[policy["PolicyName"]]
    )["ScalingPolicies"]
    if not existing or _policy_shape(existing[0]) != _policy_shape(policy):
        autoscaling.put_scaling_policy(**policy)
        changed = True
    return APPLIED if changed else UNCHANGED


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


def deregister(autoscaling: Any, target: EndpointTarget) -> bool:
    """Delete the variant's scaling policies and deregister its scalable target; True if it
    was registered.

    Needed before an update that changes the variant's instance type: SageMaker fails such an
    update while the variant is a scalable target. The policies are deleted first, as
    SageMaker's guide for updating autoscaled endpoints says (DeregisterScalableTarget also
    drops them on AWS; moto keeps them).
    """
    key = _key(target)
    current = autoscaling.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[key["ResourceId"]], ScalableDimension=DIMENSION
    )["ScalableTargets"]
    if not current:
        return False
    for policy in autoscaling.describe_scaling_policies(**key)["ScalingPolicies"]:
        autoscaling.delete_scaling_policy(PolicyName=policy["PolicyName"], **key)
    autoscaling.deregister_scalable_target(**key)
    return True
