"""The typed outputs of :class:`~mlops_components.system.MlSystem`, and the stack outputs
contract built from them (``mlops_spec.outputs`` reads it back; docs/outputs.md documents it).

Values marked ``Output`` are known after ``pulumi up`` (and unknown in a preview); plain
values come from the plan and are known at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import pulumi

from mlops_spec.outputs_version import CONTRACT_VERSION


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


@dataclass(frozen=True)
class KubernetesServingOutputs:
    """How applications reach a model the cluster serves (all known from the plan)."""

    tier: str
    """``realtime`` (an Argo Rollout behind a Service), ``serverless`` (a Knative Service)
    or ``batch`` (a CronJob)."""
    url: str | None
    """The in-cluster URL to ``POST`` requests to (``/invocations``, through the mlops-proxy);
    None for the batch tier."""
    workload: str
    """The Rollout, the Knative Service or the batch CronJob."""
    owner: str
    """``pulumi`` (this stack creates the workload) or ``controller`` (``latest_approved``:
    the loop controller creates the Rollout at the first approved version; the Service, and so
    the URL, exist before)."""
    batch_output: str | None
    """Where the batch CronJob's runs write (``<output>/<run>/``); None for other tiers."""


@dataclass(frozen=True)
class KubernetesTrainingOutputs:
    """Where a model the cluster trains is registered and how its runs start."""

    registry: str
    """The model's registry in the object store (``s3://.../registry/<model>/``)."""
    job_template: str
    """The ConfigMap holding the training Job template the controller starts runs from."""
    schedule: str | None
    """The CronJob asking the controller for a scheduled run; None without a schedule."""


@dataclass(frozen=True)
class KubernetesModelOutputs:
    """One model's cluster side (either part may be None)."""

    serving: KubernetesServingOutputs | None
    """How to call it; None when the cluster does not serve it."""
    training: KubernetesTrainingOutputs | None
    """Its registry and training; None when SageMaker trains it (``models.<id>``)."""


@dataclass(frozen=True)
class ControllerOutputs:
    """The loop controller (present when the cluster trains a model)."""

    name: str
    """Its Deployment and Service."""
    webhook_url: str
    """Alertmanager's receiver of ``retrain`` alerts."""


@dataclass(frozen=True)
class KubernetesOutputs:
    """The cluster side of a ``system.platform: kubernetes`` stack."""

    namespace: str
    """The namespace of every object of the stack."""
    models: dict[str, KubernetesModelOutputs]
    """Per model id the cluster serves or trains."""
    controller: ControllerOutputs | None
    """The loop controller; None when SageMaker trains every model."""


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
    kubernetes: KubernetesOutputs | None = None,
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
        "kubernetes": _fields(kubernetes) if kubernetes is not None else None,
    }


def _fields(outputs: Any) -> Any:
    """A dataclass as a dict (nested dataclasses and dicts of them too)."""
    if isinstance(outputs, dict):
        return {key: _fields(value) for key, value in outputs.items()}
    if is_dataclass(outputs) and not isinstance(outputs, type):
        return {f.name: _fields(getattr(outputs, f.name)) for f in fields(outputs)}
    return outputs
