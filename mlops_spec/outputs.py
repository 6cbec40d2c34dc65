"""The stack outputs contract, and a typed reader for ``pulumi stack output --json``.

Applications (CI jobs, clients calling the endpoint, dashboards) read these instead of
re-deriving names. The keys below are written by the program (``MlSystem.stack_outputs``,
exported by ``infra/__main__.py``) and documented in docs/outputs.md; ``CONTRACT_VERSION``
(``mlops_spec.outputs_version``) changes when a key is removed or changes meaning (an added
key, such as ``kubernetes``, does not change it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_spec.outputs_version import CONTRACT_VERSION as CONTRACT_VERSION


class OutputsError(ValueError):
    """The stack outputs do not follow the contract (missing key, wrong type or version)."""


@dataclass(frozen=True)
class ModelOutputs:
    """One model's deployed names."""

    model_package_group: str
    model_package_group_arn: str
    training_pipeline: str
    dashboard_name: str
    health_alarm_name: str | None
    serving_tier: str | None
    """realtime, serverless, batch, or None (trained and registered only)."""
    endpoint_name: str | None
    endpoint_arn: str | None
    endpoint_owner: str | None
    """pulumi (pinned version) or deploy-function (latest_approved: exists after the first
    approval)."""
    batch_pipeline: str | None


@dataclass(frozen=True)
class RetrainingOutputs:
    table_name: str
    dead_letter_queue_url: str
    trigger_function: str | None
    deploy_function: str | None


@dataclass(frozen=True)
class KubernetesServingOutputs:
    tier: str
    """realtime, serverless or batch."""
    url: str | None
    """The in-cluster URL to POST requests to (``.../invocations``); None for batch."""
    workload: str
    """The Rollout (realtime), Knative Service (serverless) or CronJob (batch)."""
    owner: str
    """pulumi, or controller (latest_approved: the Rollout exists after the first approval)."""
    batch_output: str | None
    """Where the batch runs write (``<batch_output><run>/``); None for other tiers."""


@dataclass(frozen=True)
class KubernetesTrainingOutputs:
    registry: str
    """The model's registry in the object store (``s3://.../registry/<model>/``)."""
    job_template: str
    """The ConfigMap holding the training Job template."""
    schedule: str | None
    """The schedule CronJob; None without a schedule."""


@dataclass(frozen=True)
class KubernetesModelOutputs:
    serving: KubernetesServingOutputs | None
    training: KubernetesTrainingOutputs | None
    """None when SageMaker trains the model (its registry is ``models.<id>``)."""


@dataclass(frozen=True)
class ControllerOutputs:
    name: str
    webhook_url: str


@dataclass(frozen=True)
class KubernetesOutputs:
    namespace: str
    models: dict[str, KubernetesModelOutputs]
    controller: ControllerOutputs | None

    def model(self, model_id: str) -> KubernetesModelOutputs:
        try:
            return self.models[model_id]
        except KeyError:
            raise OutputsError(
                f"the cluster serves and trains no model {model_id!r}; "
                f"models: {', '.join(sorted(self.models)) or '(none)'}"
            ) from None


@dataclass(frozen=True)
class StackOutputs:
    contract_version: int
    system: str
    environment: str
    region: str
    kms_key_arn: str
    alarm_topic_arn: str
    buckets: dict[str, str]
    """artifacts, capture, reports, logs and data-<source> -> bucket name."""
    models: dict[str, ModelOutputs]
    retraining: RetrainingOutputs | None
    kubernetes: KubernetesOutputs | None = None
    """The cluster side of a ``system.platform: kubernetes`` stack; None on AWS (and in the
    outputs of a stack deployed before the key existed)."""

    def model(self, model_id: str) -> ModelOutputs:
        try:
            return self.models[model_id]
        except KeyError:
            raise OutputsError(
                f"no model {model_id!r} in the stack outputs; "
                f"models: {', '.join(sorted(self.models)) or '(none)'}"
            ) from None


def _get(
    data: Mapping[str, Any],
    key: str,
    path: str,
    kind: type | tuple[type, ...],
    optional: bool = False,
) -> Any:
    if key not in data:
        raise OutputsError(
            f"stack outputs: {path}{key} is missing (is the stack deployed with "
            f"this version of mlops-spec?)"
        )
    value = data[key]
    if value is None and optional:
        return None
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON numbers may come back as floats
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise OutputsError(
            f"stack outputs: {path}{key} should be {getattr(kind, '__name__', kind)}, got {value!r}"
        )
    return value


def _model(data: Any, path: str) -> ModelOutputs:
    if not isinstance(data, Mapping):
        raise OutputsError(f"stack outputs: {path.rstrip('.')} should be an object")
    return ModelOutputs(
        model_package_group=_get(data, "model_package_group", path, str),
        model_package_group_arn=_get(data, "model_package_group_arn", path, str),
        training_pipeline=_get(data, "training_pipeline", path, str),
        dashboard_name=_get(data, "dashboard_name", path, str),
        health_alarm_name=_get(data, "health_alarm_name", path, str, optional=True),
        serving_tier=_get(data, "serving_tier", path, str, optional=True),
        endpoint_name=_get(data, "endpoint_name", path, str, optional=True),
        endpoint_arn=_get(data, "endpoint_arn", path, str, optional=True),
        endpoint_owner=_get(data, "endpoint_owner", path, str, optional=True),
        batch_pipeline=_get(data, "batch_pipeline", path, str, optional=True),
    )


def _object(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any] | None:
    value: Mapping[str, Any] | None = _get(data, key, path, dict, optional=True)
    return value


def _serving(data: Mapping[str, Any] | None, path: str) -> KubernetesServingOutputs | None:
    if data is None:
        return None
    return KubernetesServingOutputs(
        tier=_get(data, "tier", path, str),
        url=_get(data, "url", path, str, optional=True),
        workload=_get(data, "workload", path, str),
        owner=_get(data, "owner", path, str),
        batch_output=_get(data, "batch_output", path, str, optional=True),
    )


def _training(data: Mapping[str, Any] | None, path: str) -> KubernetesTrainingOutputs | None:
    if data is None:
        return None
    return KubernetesTrainingOutputs(
        registry=_get(data, "registry", path, str),
        job_template=_get(data, "job_template", path, str),
        schedule=_get(data, "schedule", path, str, optional=True),
    )


def _kubernetes_model(data: Any, path: str) -> KubernetesModelOutputs:
    if not isinstance(data, Mapping):
        raise OutputsError(f"stack outputs: {path.rstrip('.')} should be an object")
    return KubernetesModelOutputs(
        serving=_serving(_object(data, "serving", path), f"{path}serving."),
        training=_training(_object(data, "training", path), f"{path}training."),
    )


def _kubernetes(data: Mapping[str, Any]) -> KubernetesOutputs | None:
    """``kubernetes``; absent (Pulumi exports no top-level None; or a stack deployed before
    the key was added) reads as None."""
    section = data.get("kubernetes")
    if section is None:
        return None
    path = "kubernetes."
    if not isinstance(section, Mapping):
        raise OutputsError("stack outputs: kubernetes should be an object or null")
    models = _get(section, "models", path, dict)
    controller = _object(section, "controller", path)
    return KubernetesOutputs(
        namespace=_get(section, "namespace", path, str),
        models={
            str(k): _kubernetes_model(v, f"{path}models.{k}.") for k, v in sorted(models.items())
        },
        controller=None
        if controller is None
        else ControllerOutputs(
            name=_get(controller, "name", f"{path}controller.", str),
            webhook_url=_get(controller, "webhook_url", f"{path}controller.", str),
        ),
    )


def parse(data: Mapping[str, Any]) -> StackOutputs:
    """Check and type the outputs of one stack (the object ``pulumi stack output --json``
    prints)."""
    version = _get(data, "contract_version", "", int)
    if version != CONTRACT_VERSION:
        raise OutputsError(
            f"stack outputs follow contract version {version}; this reader "
            f"understands {CONTRACT_VERSION}"
        )
    models = _get(data, "models", "", dict)
    # Pulumi exports no top-level None: a null section is absent from the outputs
    retraining = _get(data, "retraining", "", dict, optional=True) if "retraining" in data else None
    return StackOutputs(
        contract_version=version,
        system=_get(data, "system", "", str),
        environment=_get(data, "environment", "", str),
        region=_get(data, "region", "", str),
        kms_key_arn=_get(data, "kms_key_arn", "", str),
        alarm_topic_arn=_get(data, "alarm_topic_arn", "", str),
        buckets={str(k): str(v) for k, v in _get(data, "buckets", "", dict).items()},
        models={str(k): _model(v, f"models.{k}.") for k, v in sorted(models.items())},
        retraining=None
        if retraining is None
        else RetrainingOutputs(
            table_name=_get(retraining, "table_name", "retraining.", str),
            dead_letter_queue_url=_get(retraining, "dead_letter_queue_url", "retraining.", str),
            trigger_function=_get(
                retraining, "trigger_function", "retraining.", str, optional=True
            ),
            deploy_function=_get(retraining, "deploy_function", "retraining.", str, optional=True),
        ),
        kubernetes=_kubernetes(data),
    )


def loads(text: str) -> StackOutputs:
    """Parse the JSON text of ``pulumi stack output --json``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise OutputsError(f"stack outputs are not JSON: {error}") from None
    if not isinstance(data, Mapping):
        raise OutputsError("stack outputs should be a JSON object")
    return parse(data)


def read(path: str | Path) -> StackOutputs:
    """Read a file holding ``pulumi stack output --json``."""
    return loads(Path(path).read_text())
