"""Read a :class:`Workload` from a plan document (``mlops plan -f json``), so a plan written by
another version of the code (a pull request's base) is priced the same way."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mlops_runtime.contract.config import ConfigError, MonitorConfig
from mlops_runtime.contract.metrics import published
from mlops_spec.cost.workload import (
    RUNTIME_MODULE_MARKER,
    Endpoint,
    Pipeline,
    Workload,
    pipeline_steps,
    trigger_facts,
)

PIPELINE = "aws:sagemaker/pipeline:Pipeline"
SCHEDULE = "aws:scheduler/schedule:Schedule"
FUNCTION = "aws:lambda/function:Function"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
"""A pinned endpoint in plans written before pinned endpoints ran the one rollout."""
PINNED_ENDPOINT = "pulumi-python:dynamic/mlops:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SCALING_TARGET = "aws:appautoscaling/target:Target"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


class _Document:
    """Typed look-ups over the raw document."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.resources: list[Mapping[str, Any]] = list(data.get("resources") or ())
        self.outputs: Mapping[str, Any] = data.get("outputs") or {}
        self.stack = str(data.get("stack", ""))

    def inputs(self, type_: str) -> list[Mapping[str, Any]]:
        return [r.get("inputs") or {} for r in self.resources if r.get("type") == type_]

    def function_config(self, handler: str) -> dict[str, Any]:
        """The document of the function running ``handler``: the object its environment names
        (``MLOPS_RUNTIME_CONFIG_OBJECT``, uploaded in the same stack), or an inline
        ``MLOPS_RUNTIME_CONFIG`` (plans made before the objects)."""
        for inputs in self.inputs(FUNCTION):
            if inputs.get("handler") == handler:
                variables = (inputs.get("environment") or {}).get("variables") or {}
                text = variables.get("MLOPS_RUNTIME_CONFIG")
                uri = variables.get("MLOPS_RUNTIME_CONFIG_OBJECT")
                for upload in self.inputs(OBJECT) if uri else ():
                    if f"s3://{upload.get('bucket')}/{upload.get('key')}" == uri:
                        text = upload.get("content")
                return _json(text) or {}
        return {}

    def models(self) -> Mapping[str, Mapping[str, Any]]:
        return self.outputs.get("models") or {}


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _schedules(doc: _Document) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(pipeline name -> schedule, model -> training schedule via the trigger)."""
    by_pipeline, by_model = {}, {}
    for inputs in doc.inputs(SCHEDULE):
        entry = {
            "schedule": inputs.get("scheduleExpression"),
            "schedule_enabled": inputs.get("state", "ENABLED") == "ENABLED",
        }
        request = _json((inputs.get("target") or {}).get("input")) or {}
        if "PipelineName" in request:
            by_pipeline[request["PipelineName"]] = entry
        elif "model" in request:
            by_model[request["model"]] = entry
    return by_pipeline, by_model


def _endpoints(doc: _Document) -> list[Endpoint]:
    model_of = {m.get("endpoint_name"): k for k, m in doc.models().items()}
    configs = {c.get("name"): c for c in doc.inputs(ENDPOINT_CONFIG)}
    targets = {t.get("resourceId"): t for t in doc.inputs(SCALING_TARGET)}
    endpoints = []
    for inputs in doc.inputs(ENDPOINT):
        name = str(inputs.get("name"))
        variants = (configs.get(inputs.get("endpointConfigName")) or {}).get("productionVariants")
        variant = (variants or [{}])[0]
        serverless = variant.get("serverlessConfig") or {}
        count = int(variant.get("initialInstanceCount") or 1)
        target = targets.get(f"endpoint/{name}/variant/{variant.get('variantName')}") or {}
        endpoints.append(
            Endpoint(
                model=model_of.get(name, name),
                name=name,
                instance_type=variant.get("instanceType"),
                min_instances=int(target.get("minCapacity", count)),
                max_instances=int(target.get("maxCapacity", count)),
                memory_mb=serverless.get("memorySizeInMb"),
                provisioned_concurrency=serverless.get("provisionedConcurrency"),
            )
        )
    targets_of = dict(doc.function_config("mlops_runtime.deploy.handler").get("endpoints") or {})
    for inputs in doc.inputs(PINNED_ENDPOINT):  # the same EndpointTarget, as an input
        targets_of[str(inputs.get("endpointName"))] = inputs.get("target") or {}
    endpoints += [_from_target(name, target) for name, target in targets_of.items()]
    return sorted(endpoints, key=lambda e: e.model)


def _from_target(name: str, target: Mapping[str, Any]) -> Endpoint:
    """An endpoint from its ``EndpointTarget`` (the deploy function's or a pinned one's)."""
    scaling = target.get("autoscaling") or {}
    count = int(target.get("initial_instance_count") or 1)
    return Endpoint(
        model=target.get("model_id", name),
        name=name,
        instance_type=target.get("instance_type"),
        min_instances=int(scaling.get("min_capacity", count)),
        max_instances=int(scaling.get("max_capacity", count)),
        memory_mb=target.get("serverless_memory_mb"),
        provisioned_concurrency=target.get("serverless_provisioned_concurrency"),
    )


def _monitor_config(doc: _Document, definition: str) -> MonitorConfig | None:
    """The MonitorConfig object a monitoring pipeline's step reads as its ``config`` input."""
    uris = {
        item["S3Input"]["S3Uri"]
        for step in json.loads(definition).get("Steps", [])
        for item in (step.get("Arguments") or {}).get("ProcessingInputs", ())
        if item.get("InputName") == "config"
    }
    for inputs in doc.inputs(OBJECT):
        if f"s3://{inputs.get('bucket')}/{inputs.get('key')}" in uris:
            try:
                return MonitorConfig.from_json(str(inputs.get("content")))
            except ConfigError:
                return None
    return None


def _purposes(
    doc: _Document, trigger: Mapping[str, Mapping[str, Any]]
) -> dict[str, tuple[str, str]]:
    """Pipeline name -> (model, purpose) for training and batch pipelines."""
    purposes = {facts["pipeline"]: (model, "training") for model, facts in trigger.items()}
    for model, outputs in doc.models().items():
        if outputs.get("training_pipeline"):
            purposes[outputs["training_pipeline"]] = (model, "training")
        if outputs.get("batch_pipeline"):
            purposes[outputs["batch_pipeline"]] = (model, "batch")
    return purposes


def from_document(data: Mapping[str, Any]) -> Workload:
    """The workload of a plan document (format_version 1 or later)."""
    doc = _Document(data)
    trigger = trigger_facts(doc.function_config("mlops_runtime.trigger.handler"))
    purposes = _purposes(doc, trigger)
    by_pipeline, by_model = _schedules(doc)
    pipelines, series = [], []
    for inputs in doc.inputs(PIPELINE):
        name, definition = str(inputs.get("pipelineName")), str(inputs.get("pipelineDefinition"))
        model, purpose = purposes.get(name, (name, "other"))
        schedule = by_pipeline.get(name, {})
        extra: dict[str, Any] = {}
        if purpose == "training":
            facts = trigger.get(model, {})
            schedule = by_model.get(model, {})
            extra = {
                "max_runs_per_day": facts.get("max_runs_per_day"),
                "cooldown_hours": facts.get("cooldown_hours", 0.0),
                "triggers": tuple(facts.get("triggers", ())),
            }
        elif purpose == "other" and RUNTIME_MODULE_MARKER in definition:
            config = _monitor_config(doc, definition)
            model, purpose = (config.model_id if config else name), "monitoring"
            series.append(len(published(config)) if config else None)
        pipelines.append(
            Pipeline(model, purpose, name, pipeline_steps(definition), **schedule, **extra)
        )
    order = {"training": 0, "batch": 1, "monitoring": 2}
    return Workload(
        system=str(doc.outputs.get("system", "")),
        environment=str(doc.outputs.get("environment", doc.stack)),
        region=str(doc.outputs.get("region", "")),
        endpoints=tuple(_endpoints(doc)),
        pipelines=tuple(sorted(pipelines, key=lambda p: (order.get(p.purpose, 3), p.model))),
        metric_alarms=len(doc.inputs(METRIC_ALARM)),
        composite_alarms=len(doc.inputs(COMPOSITE_ALARM)),
        metric_series=None if None in series else sum(s for s in series if s is not None),
    )
