"""ML rules: captured traffic for drift monitors, two instances per real-time endpoint in
production, rollback alarms that exist, paging on in production."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlops_spec.guardrails.stack import COMPUTED, Resource, Stack, is_set

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


@dataclass(frozen=True)
class Fleet:
    """A real-time endpoint's settings, from its ``EndpointTarget`` (a pinned endpoint's input or
    the deploy function's config)."""

    name: str
    resource: Resource
    """The pinned endpoint's resource, or the deploy function that creates it."""
    owner: str
    instance_counts: tuple[tuple[str, Any], ...]
    """(what, count): initial instances, autoscaling minimum."""
    capture_destination: str | None
    """Where captured inferences go; None when capture is off."""
    rollback_alarms: tuple[str, ...]


def _target_fleets(
    endpoints: Iterator[tuple[Resource, str, Mapping[str, Any]]], owner: str
) -> Iterator[Fleet]:
    """Fleets from ``EndpointTarget``s: a pinned endpoint's ``target`` input (the one rollout's
    resource) or the deploy function's configuration."""
    for resource, name, target in endpoints:
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
            resource=resource,
            owner=owner,
            instance_counts=tuple(counts),
            capture_destination=capture.get("destination_s3_uri") if capturing else None,  # type: ignore[union-attr]
            rollback_alarms=tuple(str(a) for a in target.get("rollback_alarms") or ()),
        )


def fleets(stack: Stack) -> list[Fleet]:
    """Every real-time endpoint of the stack, whoever creates it."""
    return [
        *_target_fleets(stack.pinned_endpoints(), "pulumi"),
        *_target_fleets(stack.deploy_endpoints(), "deploy-function"),
    ]


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
