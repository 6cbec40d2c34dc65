"""What the program deploys for monitoring: every job-metric alarm watches a series the deployed
monitoring pipeline's job publishes (read back from the recorded resources, not the plan)."""

from __future__ import annotations

import json

import pytest

from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract.config import FILE_ENV_VAR, MonitorConfig
from tests.components.conftest import STACKS, Stack

pytestmark = pytest.mark.xdist_group("components")


def _deployed_jobs(stack: Stack) -> dict[str, MonitorConfig]:
    """Model id -> the MonitorConfig its deployed monitoring pipeline's job reads: the uploaded
    config object its ``config`` input downloads to the file its environment names."""
    objects = {
        f"s3://{o.inputs['bucket']}/{o.inputs['key']}": o.inputs["content"]
        for o in stack.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if "content" in o.inputs
    }
    jobs = {}
    for pipeline in stack.of_type("aws:sagemaker/pipeline:Pipeline"):
        definition = json.loads(pipeline.inputs["pipelineDefinition"])
        for step in definition["Steps"]:
            environment = step.get("Arguments", {}).get("Environment", {})
            command = " ".join(
                step.get("Arguments", {}).get("AppSpecification", {}).get("ContainerEntrypoint", [])
            )
            if "mlops_runtime.monitoring_job" in command:
                assert environment[FILE_ENV_VAR].startswith("/opt/ml/processing/input/config/")
                (uri,) = [
                    i["S3Input"]["S3Uri"]
                    for i in step["Arguments"]["ProcessingInputs"]
                    if i["InputName"] == "config"
                ]
                config = MonitorConfig.from_json(objects[uri])
                jobs[config.model_id] = config
    return jobs


def _watched(alarm: object) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """(namespace, metric, dimensions in Model/extra/Environment order) the alarm reads."""
    inputs = alarm.inputs  # type: ignore[attr-defined]
    metrics = (
        [inputs]
        if "metricName" in inputs
        else [q["metric"] for q in inputs.get("metricQueries", []) if "metric" in q]
    )
    found = []
    for metric in metrics:
        dims = dict(metric.get("dimensions") or {})
        if "Model" not in dims:
            continue
        extra = tuple((k, v) for k, v in dims.items() if k not in (mm.MODEL, mm.ENVIRONMENT))
        found.append(
            (
                metric["namespace"],
                metric["metricName"],
                mm.dimensions(dims[mm.MODEL], dims[mm.ENVIRONMENT], *extra),
            )
        )
    return found


@pytest.mark.parametrize("key", STACKS)
def test_job_metric_alarms_watch_what_the_deployed_job_publishes(
    stacks: dict[str, Stack], key: str
) -> None:
    stack = stacks[key]
    jobs = _deployed_jobs(stack)
    assert set(jobs) == {job.model for job in stack.plan.monitoring.jobs}
    for alarm in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        for namespace, name, dims in _watched(alarm):
            model = dict(dims)[mm.MODEL]
            if model in jobs:
                assert namespace == jobs[model].metric_namespace
                assert (name, dims) in mm.published(jobs[model]), alarm.inputs["name"]
            else:  # no job: the plan names the alarm in a note saying why
                assert any(alarm.inputs["name"] in n for n in stack.plan.notes), alarm.name


def test_the_churn_monitoring_pipeline_measures_all_four_kinds(stacks: dict[str, Stack]) -> None:
    config = _deployed_jobs(stacks["churn-prod"])["churn-classifier"]
    assert config.data_drift and config.prediction_drift and config.bias and config.model_quality
    (pipeline,) = [
        p
        for p in stacks["churn-prod"].of_type("aws:sagemaker/pipeline:Pipeline")
        if p.inputs["pipelineName"].endswith("-monitor")
    ]
    assert pipeline.inputs["pipelineDescription"] == (
        "Model monitoring (fairness, feature-drift, prediction-drift, quality)"
    )


def test_the_ltv_batch_model_gets_a_monitoring_pipeline_reading_its_input(
    stacks: dict[str, Stack],
) -> None:
    stack = stacks["ltv-prod"]
    config = _deployed_jobs(stack)["lifetime-value"]
    orders = stack.plan.storage.location("orders")
    assert (config.source, config.batch_input_uri) == ("batch", f"s3://{orders.bucket}/orders/")
    assert config.batch_input_format == "parquet" and config.data_drift
    (role,) = [
        p
        for p in stack.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name == "lifetime-value-drift-monitor-policy"
    ]
    statements = json.loads(role.inputs["policy"])["Statement"]
    reads = {
        r
        for s in statements
        if "s3:GetObject" in s["Action"]
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert f"{orders.bucket_arn}/orders/*" in reads
    assert not any("capture" in r for r in reads)
    schedules = [
        s
        for s in stack.of_type("aws:scheduler/schedule:Schedule")
        if s.inputs["name"] == "ltv-prod-lifetime-value-monitor"
    ]
    assert len(schedules) == 1
