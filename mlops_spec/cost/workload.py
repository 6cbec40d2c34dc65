"""What a stack runs that costs money, read from a plan: endpoints, and pipelines with the steps
each run starts and how often it runs. Two readers fill it (``from_plan``, ``from_document``);
the estimator prices it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

STEP_COMPONENTS = {"Training": "training", "Processing": "processing", "Transform": "transform"}
"""SageMaker pipeline step type -> price table component."""
RUNTIME_MODULE_MARKER = "mlops_runtime.monitoring_job"
"""The module a monitoring pipeline's step runs (how a plan document's pipeline is recognised)."""


@dataclass(frozen=True)
class Step:
    """One SageMaker job a pipeline run starts."""

    name: str
    component: str
    """training, processing or transform."""
    instance_type: str
    instance_count: int
    max_runtime_seconds: int | None
    """StoppingCondition.MaxRuntimeInSeconds; None for transform jobs (they have none)."""
    spot: bool = False


@dataclass(frozen=True)
class Pipeline:
    """A pipeline and how often it runs."""

    model: str
    purpose: str
    """training, batch or monitoring."""
    name: str
    steps: tuple[Step, ...]
    schedule: str | None = None
    schedule_enabled: bool = False
    max_runs_per_day: int | None = None
    """Training only: the retraining trigger's daily cap (schedules included)."""
    cooldown_hours: float = 0.0
    """Training only: the trigger's minimum hours between two runs (schedules included)."""
    triggers: tuple[str, ...] = ()
    """Training only: what else starts it automatically (``drift alarms``, ``new data``)."""


@dataclass(frozen=True)
class Endpoint:
    """A real-time fleet (``instance_type``) or a serverless endpoint (``memory_mb``)."""

    model: str
    name: str
    instance_type: str | None
    min_instances: int
    max_instances: int
    memory_mb: int | None = None
    provisioned_concurrency: int | None = None


@dataclass(frozen=True)
class Workload:
    system: str
    environment: str
    region: str
    endpoints: tuple[Endpoint, ...]
    pipelines: tuple[Pipeline, ...]
    metric_alarms: int
    composite_alarms: int
    metric_series: int | None
    """Custom metric series the monitoring jobs may publish (None: unknown)."""


def _walk(steps: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every step, including those nested in Condition steps (counted as if they run)."""
    for step in steps:
        yield step
        arguments = step.get("Arguments") or {}
        if step.get("Type") == "Condition":
            yield from _walk([*arguments.get("IfSteps", ()), *arguments.get("ElseSteps", ())])


def _resources(step: Mapping[str, Any]) -> Mapping[str, Any]:
    arguments = step["Arguments"]
    kind = step["Type"]
    if kind == "Training":
        return arguments["ResourceConfig"]
    if kind == "Processing":
        return arguments["ProcessingResources"]["ClusterConfig"]
    return arguments["TransformResources"]


def pipeline_steps(definition: str) -> tuple[Step, ...]:
    """The jobs one run of a pipeline definition (JSON) starts, in order."""
    steps = []
    for step in _walk(json.loads(definition).get("Steps", [])):
        component = STEP_COMPONENTS.get(step.get("Type", ""))
        if component is None:
            continue
        resources = _resources(step)
        stopping = step["Arguments"].get("StoppingCondition") or {}
        runtime = stopping.get("MaxRuntimeInSeconds")
        steps.append(
            Step(
                name=step["Name"],
                component=component,
                instance_type=str(resources["InstanceType"]),
                instance_count=int(resources.get("InstanceCount", 1)),
                max_runtime_seconds=int(runtime) if runtime is not None else None,
                spot=bool(step["Arguments"].get("EnableManagedSpotTraining", False)),
            )
        )
    return tuple(steps)


def runs_module(definition: str, module: str) -> bool:
    """True if a processing step of the pipeline runs ``python -m <module>``."""
    for step in _walk(json.loads(definition).get("Steps", [])):
        app = (step.get("Arguments") or {}).get("AppSpecification") or {}
        if any(module in str(part) for part in app.get("ContainerEntrypoint", ())):
            return True
    return False


def trigger_facts(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per model, from the retraining trigger's configuration (``TriggerConfig``): its caps and
    what starts it besides its schedule."""
    facts: dict[str, dict[str, Any]] = {}
    for model, trigger in (config.get("models") or {}).items():
        facts[model] = {
            "pipeline": trigger.get("pipeline_name"),
            "cooldown_hours": float(trigger.get("cooldown_hours") or 0.0),
            "max_runs_per_day": trigger.get("max_runs_per_day"),
            "triggers": [],
        }
    for model in sorted(set((config.get("alarms") or {}).values())):
        if model in facts:
            facts[model]["triggers"].append("drift alarms")
    for source in config.get("data_sources") or ():
        for model in source.get("models", ()):
            if model in facts and "new data" not in facts[model]["triggers"]:
                facts[model]["triggers"].append("new data")
    return facts
