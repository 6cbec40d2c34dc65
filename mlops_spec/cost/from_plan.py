"""Read a :class:`Workload` from the pure planner's ``DeploymentPlan`` (fast: no preview)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from mlops_runtime.contract.config import ConfigError, MonitorConfig
from mlops_runtime.contract.metrics import published
from mlops_spec.cost.workload import Endpoint, Pipeline, Workload, pipeline_steps, trigger_facts
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.alarms import AlarmPlan
from mlops_spec.plan.monitoring import HealthAlarmPlan
from mlops_spec.plan.schedules import SchedulePlan

TRIGGER_HANDLER = "mlops_runtime.trigger.handler"


def _instances(value: Any, kind: type) -> int:
    """How many ``kind`` objects the dataclass tree ``value`` holds."""
    if isinstance(value, kind):
        return 1
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_instances(getattr(value, f.name), kind) for f in dataclasses.fields(value))
    if isinstance(value, tuple | list):
        return sum(_instances(item, kind) for item in value)
    return 0


def _endpoints(plan: DeploymentPlan) -> list[Endpoint]:
    endpoints = []
    for serving in plan.serving:
        endpoint = serving.endpoint
        if endpoint is None:
            continue
        scaling = endpoint.autoscaling
        serverless = endpoint.serverless
        endpoints.append(
            Endpoint(
                model=serving.model,
                name=endpoint.name,
                instance_type=endpoint.instance_type,
                min_instances=scaling.min_capacity if scaling else endpoint.initial_instance_count,
                max_instances=scaling.max_capacity if scaling else endpoint.initial_instance_count,
                memory_mb=serverless.memory_mb if serverless else None,
                provisioned_concurrency=serverless.provisioned_concurrency if serverless else None,
            )
        )
    return endpoints


def _scheduled(schedule: SchedulePlan | None) -> dict[str, Any]:
    if schedule is None:
        return {}
    return {"schedule": schedule.expression, "schedule_enabled": schedule.enabled}


def _training(plan: DeploymentPlan) -> list[Pipeline]:
    trigger: dict[str, dict[str, Any]] = {}
    retraining = plan.retraining
    if retraining is not None:
        config = next(
            (f.config for f in retraining.functions if f.handler == TRIGGER_HANDLER), None
        )
        trigger = trigger_facts(json.loads(config)) if config else {}
    pipelines = []
    for training in plan.training:
        facts = trigger.get(training.model, {})
        pipelines.append(
            Pipeline(
                model=training.model,
                purpose="training",
                name=training.pipeline_name,
                steps=pipeline_steps(training.definition),
                max_runs_per_day=facts.get("max_runs_per_day"),
                cooldown_hours=facts.get("cooldown_hours", 0.0),
                triggers=tuple(facts.get("triggers", ())),
                **_scheduled(retraining.schedule_for(training.model) if retraining else None),
            )
        )
    return pipelines


def _series(config: str) -> int | None:
    try:
        return len(published(MonitorConfig.from_json(config)))
    except ConfigError:
        return None


def from_plan(plan: DeploymentPlan) -> Workload:
    """The workload of one stack's deployment plan."""
    pipelines = _training(plan)
    for serving in plan.serving:
        if serving.batch is not None:
            batch = serving.batch
            pipelines.append(
                Pipeline(
                    model=serving.model,
                    purpose="batch",
                    name=batch.pipeline_name,
                    steps=pipeline_steps(batch.definition),
                    **_scheduled(batch.schedule),
                )
            )
    series: list[int | None] = []
    for job in plan.monitoring.jobs:
        pipelines.append(
            Pipeline(
                model=job.model,
                purpose="monitoring",
                name=job.pipeline_name,
                steps=pipeline_steps(job.definition),
                **_scheduled(job.schedule),
            )
        )
        series.append(_series(job.config))
    return Workload(
        system=plan.system,
        environment=plan.environment,
        region=plan.region,
        endpoints=tuple(_endpoints(plan)),
        pipelines=tuple(pipelines),
        metric_alarms=_instances(plan, AlarmPlan),
        composite_alarms=_instances(plan, HealthAlarmPlan),
        metric_series=None if None in series else sum(s for s in series if s is not None),
    )
