"""ML rules: captured traffic for drift monitors, two instances per real-time endpoint in
production, rollback alarms that exist, paging on in production."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlops_spec.guardrails.stack import COMPUTED, Resource, Stack, is_set

ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SCALING_TARGET = "aws:appautoscaling/target:Target"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


@dataclass(frozen=True)
class Fleet:
    """A real-time endpoint's settings, from Pulumi resources or the deploy function's config."""

    name: str
    resource: Resource
    """The Endpoint, or the deploy function that creates it."""
    owner: str
    instance_counts: tuple[tuple[str, Any], ...]
    """(what, count): initial instances, autoscaling minimum."""
    capture_destination: str | None
    """Where captured inferences go; None when capture is off."""
    rollback_alarms: tuple[str, ...]


def _pulumi_fleets(stack: Stack) -> Iterator[Fleet]:
    configs = {c.inputs.get("name"): c for c in stack.of_type(ENDPOINT_CONFIG)}
    targets = {t.inputs.get("resourceId"): t for t in stack.of_type(SCALING_TARGET)}
    for endpoint in stack.of_type(ENDPOINT):
        config = configs.get(endpoint.inputs.get("endpointConfigName"))
        variants = (config.inputs.get("productionVariants") if config else None) or ()
        counts: list[tuple[str, Any]] = []
        for variant in variants:
            if "instanceType" not in variant:
                continue  # serverless
            counts.append(
                (f"variant {variant.get('variantName')}", variant.get("initialInstanceCount", 1))
            )
            target = targets.get(f"endpoint/{endpoint.label}/variant/{variant.get('variantName')}")
            if target is not None:
                counts.append(("autoscaling minimum", target.inputs.get("minCapacity")))
        if not counts:
            continue
        capture = (config.inputs.get("dataCaptureConfig") if config else None) or {}
        enabled = capture.get("enableCapture", bool(capture)) and capture.get(
            "initialSamplingPercentage", 0
        ) not in (0, None)
        alarms = endpoint.get("deploymentConfig.autoRollbackConfiguration.alarms") or ()
        yield Fleet(
            name=endpoint.label,
            resource=endpoint,
            owner="pulumi",
            instance_counts=tuple(counts),
            capture_destination=capture.get("destinationS3Uri") if enabled else None,
            rollback_alarms=tuple(
                str(a.get("alarmName")) for a in alarms if isinstance(a, Mapping)
            ),
        )


def _deploy_fleets(stack: Stack) -> Iterator[Fleet]:
    for function, name, target in stack.deploy_endpoints():
        if not target.get("instance_type"):
            continue  # serverless
        counts: list[tuple[str, Any]] = [
            ("initial instances", target.get("initial_instance_count", 1))
        ]
        scaling = target.get("autoscaling")
        if isinstance(scaling, Mapping):
            counts.append(("autoscaling minimum", scaling.get("min_capacity")))
        capture = target.get("data_capture")
        capturing = isinstance(capture, Mapping) and capture.get("sampling_percent", 0) > 0
        yield Fleet(
            name=name,
            resource=function,
            owner="deploy-function",
            instance_counts=tuple(counts),
            capture_destination=capture.get("destination_s3_uri") if capturing else None,  # type: ignore[union-attr]
            rollback_alarms=tuple(str(a) for a in target.get("rollback_alarms") or ()),
        )


def fleets(stack: Stack) -> list[Fleet]:
    """Every real-time endpoint of the stack, whoever creates it."""
    return [*_pulumi_fleets(stack), *_deploy_fleets(stack)]


def _where(fleet: Fleet) -> str:
    return f"endpoint {fleet.name}" + (
        " (created by the deploy function)" if fleet.owner != "pulumi" else ""
    )


def capture_for_drift(stack: Stack) -> Iterator[tuple[Resource, str]]:
    """A monitoring job that reads captured traffic has an endpoint capturing to where it reads."""
    by_name = {fleet.name: fleet for fleet in fleets(stack)}
    for item, config in stack.monitor_configs():
        if config.get("source") != "capture":
            continue
        name, uri = str(config.get("endpoint_name")), config.get("capture_uri")
        fleet = by_name.get(name)
        model = config.get("model_id")
        if fleet is None:
            yield (
                item,
                f"the monitoring job of {model} reads captures of {name}, no endpoint of this stack",
            )
        elif fleet.capture_destination is None:
            yield (
                fleet.resource,
                f"{_where(fleet)} captures no traffic, but the drift monitors of {model} read it",
            )
        elif (
            uri not in (fleet.capture_destination, COMPUTED)
            and fleet.capture_destination != COMPUTED
        ):
            yield (
                fleet.resource,
                (
                    f"{_where(fleet)} captures to {fleet.capture_destination}, but the monitoring job of "
                    f"{model} reads {uri}"
                ),
            )


def two_instances(stack: Stack) -> Iterator[tuple[Resource, str]]:
    """Production real-time endpoints run at least two instances (one can fail)."""
    for fleet in fleets(stack):
        for what, count in fleet.instance_counts:
            if isinstance(count, int | float) and count < 2:
                yield (
                    fleet.resource,
                    f"{_where(fleet)}: {what} is {int(count)}, production needs at least 2",
                )


def rollback_alarms_exist(stack: Stack) -> Iterator[tuple[Resource, str]]:
    """Every rollback alarm an endpoint names is an alarm of the stack (else a deployment fails,
    or never rolls back)."""
    alarms = {a.label for a in stack.of_type(METRIC_ALARM, COMPOSITE_ALARM)}
    for fleet in fleets(stack):
        for alarm in fleet.rollback_alarms:
            if alarm not in alarms and alarm != COMPUTED:
                yield (
                    fleet.resource,
                    f"{_where(fleet)}: rollback alarm {alarm} is not in this stack",
                )


def rollback_required(stack: Stack) -> Iterator[tuple[Resource, str]]:
    """Every production real-time endpoint rolls a deployment back on at least one alarm."""
    for fleet in fleets(stack):
        if not fleet.rollback_alarms:
            yield fleet.resource, f"{_where(fleet)}: no rollback alarm, a bad version stays in"


def paging(resource: Resource) -> Iterator[str]:
    """Production alarms are enabled and notify someone."""
    if resource.type not in (METRIC_ALARM, COMPOSITE_ALARM):
        return
    if resource.inputs.get("actionsEnabled", True) is False:
        yield "alarm actions are disabled (actionsEnabled: false): nobody is paged"
    elif not is_set(resource.inputs.get("alarmActions")):
        yield "the alarm has no alarm actions: nobody is paged"
