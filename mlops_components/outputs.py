"""The typed outputs of :class:`~mlops_components.system.MlSystem`, and the stack outputs
contract built from them (``mlops_spec.outputs`` reads it back; docs/outputs.md documents it).

Values marked ``Output`` are known after ``pulumi up`` (and unknown in a preview); plain
values come from the plan and are known at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from mlops_spec.outputs import CONTRACT_VERSION


@dataclass(frozen=True)
class ModelOutputs:
    """What one model of the system deployed."""

    model_package_group: pulumi.Output[str]
    """The SageMaker model package group holding the model's versions (its registry)."""
    model_package_group_arn: pulumi.Output[str]
    """The ARN of the model package group."""
    training_pipeline: pulumi.Output[str]
    """The SageMaker pipeline that trains, evaluates, gates and registers a version. Start it
    for a manual retrain (``TriggerReason`` parameter); automatic runs go through the trigger."""
    dashboard_name: pulumi.Output[str]
    """The model's CloudWatch dashboard."""
    health_alarm_name: pulumi.Output[str] | None
    """The composite alarm over all of the model's monitors; None for a model without
    monitors."""
    serving_tier: str | None
    """``realtime``, ``serverless``, ``batch``, or None when the model is only trained and
    registered."""
    endpoint_name: pulumi.Output[str] | None
    """The SageMaker endpoint (realtime and serverless tiers); None otherwise."""
    endpoint_arn: pulumi.Output[str] | None
    """The endpoint's ARN (realtime and serverless tiers); None otherwise."""
    endpoint_owner: str | None
    """``pulumi`` for a pinned version (this stack creates the endpoint) or ``deploy-function``
    for ``latest_approved`` (the deploy function creates it at the first approval, so the name
    is known before the endpoint exists); None without an endpoint."""
    batch_pipeline: pulumi.Output[str] | None
    """The batch transform pipeline (batch tier); None otherwise."""


@dataclass(frozen=True)
class RetrainingOutputs:
    """The retraining and deploy loop (present when anything retrains or follows
    ``latest_approved``)."""

    table_name: pulumi.Output[str]
    """The DynamoDB table of the trigger's and deploy function's claims and audit records."""
    dead_letter_queue_url: pulumi.Output[str]
    """The SQS queue of events that could not be delivered or processed."""
    trigger_function: pulumi.Output[str] | None
    """The retraining trigger's Lambda function; None when it is not deployed."""
    deploy_function: pulumi.Output[str] | None
    """The deploy function (``latest_approved`` endpoints); None when it is not deployed."""


def stack_outputs(
    *,
    system: str,
    environment: str,
    region: str,
    kms_key_arn: pulumi.Output[str],
    alarm_topic_arn: pulumi.Output[str],
    buckets: Mapping[str, pulumi.Output[str]],
    models: Mapping[str, ModelOutputs],
    retraining: RetrainingOutputs | None,
) -> dict[str, Any]:
    """The stack outputs contract (version ``CONTRACT_VERSION``): top-level name -> value."""
    return {
        "contract_version": CONTRACT_VERSION,
        "system": system,
        "environment": environment,
        "region": region,
        "kms_key_arn": kms_key_arn,
        "alarm_topic_arn": alarm_topic_arn,
        "buckets": dict(buckets),
        "models": {model: _fields(outputs) for model, outputs in models.items()},
        "retraining": _fields(retraining) if retraining is not None else None,
    }


def _fields(outputs: ModelOutputs | RetrainingOutputs) -> dict[str, Any]:
    return {name: getattr(outputs, name) for name in outputs.__dataclass_fields__}
