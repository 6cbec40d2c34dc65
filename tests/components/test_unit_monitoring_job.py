"""MonitoringJob alone: the scheduled monitoring pipeline of model ``mm`` of a minimal spec with
a data drift monitor. The model's scheduler role, which Training creates, is a collaborator
registered beside it (``tests.components.unit.collaborators``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops_components import MonitoringJob, MonitoringJobArgs
from mlops_spec.plan import DeploymentPlan
from tests.components.unit import Match, Template, build, collaborators, over_privileged, sources
from tests.plan.conftest import PROD, mini

PIPELINE = "aws:sagemaker/pipeline:Pipeline"
SCHEDULE = "aws:scheduler/schedule:Schedule"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LATENCY = {"type": "latency", "threshold_ms": 100, "action": "rollback"}


def job(plan: DeploymentPlan) -> Template:
    def construct(ctx: Any) -> None:
        (monitoring_job,) = plan.monitoring.jobs
        scheduler = collaborators(plan, ctx)["mm"].scheduler
        MonitoringJob("mm-monitoring", MonitoringJobArgs(monitoring_job, ctx, scheduler))

    return build(plan, construct)


def drift(**monitor: Any) -> dict[str, Any]:
    return {"lat": LATENCY, "drift": {"type": "data_drift", **monitor}}


@pytest.fixture(scope="module")
def dev() -> Template:
    return job(mini(monitors=drift()))


def own(template: Template, type_: str) -> list[Any]:
    """Resources of ``type_`` that belong to the job (not to the collaborators)."""
    return [r for r in template.of_type(type_) if "mlops:monitoring_job:MonitoringJob" in r.urn]


def test_the_component_keeps_its_former_type_as_an_alias(dev: Template) -> None:
    component = dev.has_resource("mlops:monitoring_job:MonitoringJob", {})
    assert component.aliases == ("urn:pulumi:dev::mlops::mlops:drift_job:DriftJob::mm-monitoring",)


def test_the_pipeline_runs_the_monitoring_job_as_its_own_role(dev: Template) -> None:
    pipeline = dev.has_resource_properties(
        PIPELINE,
        {
            "pipelineName": "mini-dev-mm-monitor",
            "pipelineDefinition": Match.json({"Steps": Match.array_with([{"Type": "Processing"}])}),
        },
    )
    definition = pipeline.inputs["pipelineDefinition"]
    assert "python3 -m mlops_runtime.monitoring_job" in definition
    assert sources(pipeline, "roleArn") == ["mm-monitoring-monitor-role"]


def test_the_default_schedule_runs_daily_and_is_paused_in_development(dev: Template) -> None:
    dev.has_resource_properties(
        SCHEDULE,
        {
            "name": "mini-dev-mm-monitor",
            "scheduleExpression": "rate(1 day)",
            "scheduleExpressionTimezone": "UTC",
            "state": "DISABLED",
        },
    )


def test_production_schedules_are_enabled() -> None:
    job(mini(settings=PROD, monitors=drift())).has_resource_properties(
        SCHEDULE, {"state": "ENABLED"}
    )


def test_the_monitor_s_schedule_is_the_job_s() -> None:
    template = job(mini(monitors=drift(schedule="rate(6 hours)", period_seconds=21600)))
    template.has_resource_properties(SCHEDULE, {"scheduleExpression": "rate(6 hours)"})


def test_the_schedule_starts_the_pipeline_as_the_model_s_scheduler_role(dev: Template) -> None:
    schedule = dev.has_resource_properties(
        SCHEDULE,
        {
            "target": {
                "arn": "arn:aws:scheduler:::aws-sdk:sagemaker:startPipelineExecution",
                "input": Match.json({"PipelineName": "mini-dev-mm-monitor"}),
                "retryPolicy": {"maximumRetryAttempts": 3, "maximumEventAgeInSeconds": 3600},
            }
        },
    )
    assert sorted(sources(schedule, "target")) == [
        "mm-monitoring-schedule-dlq",  # its dead-letter queue
        "mm-scheduler-role",
    ]
    pipeline = dev.has_resource_properties(PIPELINE, {})
    assert pipeline.urn in schedule.depends_on


def test_the_job_role_is_least_privilege(dev: Template) -> None:
    (policy,) = own(dev, ROLE_POLICY)
    assert over_privileged(policy.inputs["policy"]) == []


def test_the_job_role_publishes_metrics_only_to_named_namespaces(dev: Template) -> None:
    """``PutMetricData`` takes no resource; a namespace condition scopes it."""
    (policy,) = own(dev, ROLE_POLICY)
    puts = [
        s
        for s in json.loads(policy.inputs["policy"])["Statement"]
        if s["Action"] == "cloudwatch:PutMetricData"
    ]
    namespaces = {s["Condition"]["StringEquals"]["cloudwatch:namespace"] for s in puts}
    assert namespaces == {"MLOps/mini", "/aws/sagemaker/ProcessingJobs"}


def test_the_job_role_reads_the_model_s_captured_traffic_only(dev: Template) -> None:
    read = {
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-mini-dev-capture-eu-west-1/endpoints/mini-dev-mm/*",
    }
    (policy,) = own(dev, ROLE_POLICY)
    dev.has_resource(
        ROLE_POLICY,
        {
            "urn": policy.urn,
            "inputs": {"policy": Match.json({"Statement": Match.array_with([read])})},
        },
    )
