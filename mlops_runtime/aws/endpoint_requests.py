"""Every SageMaker request that serves a model package on an endpoint, built from the plan's
``EndpointTarget`` (pure: no AWS calls). The one place both serving paths take them from.

``release(target, package_arn)`` bundles them: CreateModel, CreateEndpointConfig,
CreateEndpoint and UpdateEndpoint. Model and EndpointConfig names end in a hash of their
request, so the same inputs always give the same name (creating is idempotent) and new inputs
give a new config: an update never replaces or deletes a config the endpoint, or its
rollback, still uses.

Rollout vocabulary, as in the spec (``serving.rollout``): ``bake_minutes`` is the wait between
traffic shifts (``WaitIntervalInSeconds``), ``termination_wait_minutes`` how long the old fleet
is kept after the last shift (``TerminationWaitInSeconds``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from mlops_runtime.contract.config import DataCapture, EndpointTarget, TrafficShift
from mlops_runtime.core.ports import Release

HASH_LENGTH = 12
NAME_LENGTH = 63


def content_hash(request: dict[str, Any]) -> str:
    """Short SHA-256 of a request's canonical JSON."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:HASH_LENGTH]


def hashed_name(base: str, request: dict[str, Any]) -> str:
    """``<base>-<hash>`` within SageMaker's 63 characters and name pattern."""
    stem = re.sub(r"[^a-zA-Z0-9-]", "-", base).strip("-")
    stem = stem[: NAME_LENGTH - HASH_LENGTH - 1].rstrip("-")
    return f"{stem}-{content_hash(request)}"


def release(target: EndpointTarget, package_arn: str) -> Release:
    """``target`` serving ``package_arn``: the requests and the names they carry."""
    model = model_request(target, package_arn)
    config = endpoint_config_request(target, model["ModelName"])
    config_name = config["EndpointConfigName"]
    return Release(
        endpoint=target.endpoint_name,
        variant=target.variant_name,
        package_arn=package_arn,
        model_name=model["ModelName"],
        config_name=config_name,
        instance_type=target.instance_type,
        strategy=target.traffic.strategy,
        autoscaling=target.autoscaling,
        requests={
            "model": model,
            "endpoint_config": config,
            "endpoint": endpoint_request(target, config_name),
            "update": update_request(target, config_name),
        },
    )


def model_request(target: EndpointTarget, package_arn: str) -> dict[str, Any]:
    """CreateModel for ``package_arn`` (named by content)."""
    container: dict[str, Any] = {"ModelPackageName": package_arn}
    if target.environment:
        container["Environment"] = dict(target.environment)
    request: dict[str, Any] = {
        "ExecutionRoleArn": target.execution_role_arn,
        "PrimaryContainer": container,
    }
    name = hashed_name(target.endpoint_name, request)
    return {"ModelName": name, **request, **_tags(target)}


def endpoint_config_request(target: EndpointTarget, model_name: str) -> dict[str, Any]:
    """CreateEndpointConfig serving ``model_name`` (named by content)."""
    variant: dict[str, Any] = {"VariantName": target.variant_name, "ModelName": model_name}
    if target.serverless:
        serverless: dict[str, Any] = {"MemorySizeInMB": target.serverless_memory_mb}
        if target.serverless_max_concurrency:
            serverless["MaxConcurrency"] = target.serverless_max_concurrency
        if target.serverless_provisioned_concurrency:
            serverless["ProvisionedConcurrency"] = target.serverless_provisioned_concurrency
        variant["ServerlessConfig"] = serverless
    else:
        variant["InstanceType"] = target.instance_type
        variant["InitialInstanceCount"] = target.initial_instance_count
        variant["InitialVariantWeight"] = 1.0
    request: dict[str, Any] = {"ProductionVariants": [variant]}
    if target.data_capture:
        request["DataCaptureConfig"] = _data_capture(target.data_capture)
    if target.kms_key_id:
        request["KmsKeyId"] = target.kms_key_id
    name = hashed_name(target.endpoint_name, request)
    return {"EndpointConfigName": name, **request, **_tags(target)}


def _data_capture(capture: DataCapture) -> dict[str, Any]:
    config: dict[str, Any] = {
        "EnableCapture": True,
        "InitialSamplingPercentage": capture.sampling_percent,
        "DestinationS3Uri": capture.destination_s3_uri,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {
            "CsvContentTypes": list(capture.csv_content_types),
            "JsonContentTypes": list(capture.json_content_types),
        },
    }
    if capture.kms_key_id:
        config["KmsKeyId"] = capture.kms_key_id
    return config


def deployment_config(target: EndpointTarget) -> dict[str, Any] | None:
    """UpdateEndpoint's DeploymentConfig: blue/green shifting plus alarm rollback.

    Serverless endpoints take no deployment guardrails, so they get None.
    """
    if target.serverless:
        return None
    policy: dict[str, Any] = {
        "TrafficRoutingConfiguration": _routing(target.traffic),
        "TerminationWaitInSeconds": target.traffic.termination_wait_minutes * 60,
    }
    if target.traffic.max_rollout_minutes is not None:
        policy["MaximumExecutionTimeoutInSeconds"] = target.traffic.max_rollout_minutes * 60
    config: dict[str, Any] = {"BlueGreenUpdatePolicy": policy}
    if target.rollback_alarms:
        config["AutoRollbackConfiguration"] = {
            "Alarms": [{"AlarmName": alarm} for alarm in target.rollback_alarms]
        }
    return config


def _routing(traffic: TrafficShift) -> dict[str, Any]:
    routing: dict[str, Any] = {
        "Type": traffic.strategy.upper(),
        "WaitIntervalInSeconds": traffic.bake_minutes * 60,
    }
    size = {"Type": "CAPACITY_PERCENT", "Value": traffic.step_percent}
    if traffic.strategy == "canary":
        routing["CanarySize"] = size
    elif traffic.strategy == "linear":
        routing["LinearStepSize"] = size
    return routing


def update_request(target: EndpointTarget, config_name: str) -> dict[str, Any]:
    """UpdateEndpoint onto ``config_name`` with the variant properties chosen per case
    (:func:`retained_properties`) and the blue/green deployment config."""
    request: dict[str, Any] = {
        "EndpointName": target.endpoint_name,
        "EndpointConfigName": config_name,
    }
    deployment = deployment_config(target)
    if deployment is not None:
        request.update(retained_properties(target))
        request["DeploymentConfig"] = deployment
    return request


def retained_properties(target: EndpointTarget) -> dict[str, Any]:
    """Which of the live variant's properties the new fleet keeps.

    ``RetainAllVariantProperties`` keeps the live ``DesiredInstanceCount`` and
    ``DesiredWeight`` instead of the new config's ``InitialInstanceCount`` and
    ``InitialVariantWeight``, unless listed in ``ExcludeRetainedVariantProperties``:

    - autoscaled variant: everything is kept, so the green fleet starts at the count
      autoscaling reached (not at the minimum) and autoscaling moves it from there;
    - fixed-size variant: the count is excluded, so the spec's ``initial_instance_count``
      (the config's ``InitialInstanceCount``) is the new fleet's size and a changed count
      reaches the endpoint; an unchanged one changes nothing.
    """
    retained: dict[str, Any] = {"RetainAllVariantProperties": True}
    if target.autoscaling is None:
        retained["ExcludeRetainedVariantProperties"] = [
            {"VariantPropertyType": "DesiredInstanceCount"}
        ]
    return retained


def endpoint_request(target: EndpointTarget, config_name: str) -> dict[str, Any]:
    """CreateEndpoint on ``config_name`` (the first approval), tagged like its Model and config.

    No DeploymentConfig: blue/green shifting and auto-rollback come with every UpdateEndpoint.
    """
    return {
        "EndpointName": target.endpoint_name,
        "EndpointConfigName": config_name,
        **_tags(target),
    }


def _tags(target: EndpointTarget) -> dict[str, Any]:
    tags = {"mlops:model": target.model_id, **target.tags}
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
