"""Alarms: built from descriptors, units converted, missing data chosen per kind."""

from __future__ import annotations

import dataclasses

from mlops_spec.plan.alarms import AlarmPlan
from mlops_spec.plan.metrics import (
    ENDPOINT_INSTANCE_NAMESPACE,
    SAGEMAKER_NAMESPACE,
    MetricDescriptor,
    gpus,
    vcpus,
)
from tests.plan.conftest import example, full, mini


def _alarm(monitor: str, model: str = "rt", stack: str = "prod") -> AlarmPlan:
    return full(stack).monitoring.model(model).alarm(monitor)


def test_latency_is_a_percentile_in_microseconds() -> None:
    alarm = _alarm("latency")
    assert alarm.metric and alarm.metric.metric_name == "ModelLatency"
    assert (alarm.metric.statistic, alarm.threshold) == ("p90", 120_000.0)
    assert (alarm.comparison, alarm.treat_missing_data) == ("GreaterThanThreshold", "notBreaching")


def test_error_rate_is_metric_math_over_invocations() -> None:
    alarm = _alarm("errors")
    assert alarm.metric is None
    ids = {q.id: q for q in alarm.queries}
    assert ids["rate"].expression == "100 * (FILL(e5, 0) + FILL(e4, 0)) / inv"
    assert ids["rate"].return_data and not ids["inv"].return_data
    assert ids["e4"].metric and ids["e4"].metric.metric_name == "Invocation4XXErrors"
    assert alarm.threshold == 2.0


def test_invocation_bands() -> None:
    band = _alarm("traffic")
    (expression,) = [q.expression for q in band.queries if q.expression]
    assert expression == "IF(inv < 5 OR inv > 5000, 1, 0)"
    assert (band.comparison, band.threshold, band.period_seconds) == (
        "GreaterThanOrEqualToThreshold",
        1.0,
        300,
    )
    # No datapoint (no endpoint yet, an idle night) is healthy: tests/plan/test_alarm_semantics.py
    assert band.treat_missing_data == "notBreaching"
    low = _alarm("few", "la")
    assert (low.comparison, low.treat_missing_data) == ("LessThanThreshold", "notBreaching")
    high = _alarm("busy", "sl")
    assert (high.comparison, high.treat_missing_data) == ("GreaterThanThreshold", "notBreaching")


def test_cpu_is_normalised_per_instance() -> None:
    assert (vcpus("ml.c5.xlarge"), vcpus("ml.m5.large"), vcpus("ml.m5.12xlarge")) == (4, 2, 48)
    assert (vcpus("ml.t2.medium"), gpus("ml.g5.12xlarge"), gpus("ml.g4dn.xlarge")) == (2, 4, 1)
    cpu = _alarm("cpu")
    assert [q.expression for q in cpu.queries if q.expression] == ["m / 4"]
    assert cpu.queries[0].metric and cpu.queries[0].metric.namespace == ENDPOINT_INSTANCE_NAMESPACE
    memory = _alarm("memory", "la")
    assert memory.metric and memory.metric.metric_name == "MemoryUtilization"


def test_job_metrics_live_in_the_system_namespace() -> None:
    drift = _alarm("drift")
    assert drift.metric and drift.metric.namespace == "MLOps/full"
    assert drift.metric.dimension_map == {"Model": "rt", "Environment": "prod"}
    assert (drift.metric.metric_name, drift.threshold, drift.treat_missing_data) == (
        "DriftScore",
        0.0,
        "notBreaching",
    )
    quality = _alarm("quality")
    assert quality.queries[0].metric and quality.queries[0].metric.metric_name == "ModelQuality"
    assert quality.queries[0].metric.dimensions == (
        ("Model", "rt"),
        ("Metric", "accuracy"),
        ("Environment", "prod"),
    )
    bias = _alarm("bias")
    assert bias.metric and (bias.metric.metric_name, bias.threshold) == (
        "DemographicParityDifference",
        0.1,
    )


def test_every_endpoint_alarm_reads_its_serving_descriptors() -> None:
    for deployment in (full("dev"), full("prod"), example("churn", "prod")):
        for model in deployment.monitoring.models:
            serving = deployment.serving_for(model.model)
            descriptors = {m for _, m in serving.metrics} if serving else set()
            for alarm in model.alarms:
                for metric in alarm.metrics:
                    if metric.namespace in (SAGEMAKER_NAMESPACE, ENDPOINT_INSTANCE_NAMESPACE):
                        base = {d for d in descriptors if d.metric_name == metric.metric_name}
                        assert base, alarm.name
                        assert {d.dimensions for d in base} == {metric.dimensions}
                    else:
                        assert metric.namespace == deployment.metric_namespace


def test_windows_come_from_the_monitor() -> None:
    alarm = example("churn", "prod").monitoring.model("churn-classifier").alarm("p99-latency")
    assert (alarm.evaluation_periods, alarm.datapoints_to_alarm, alarm.period_seconds) == (5, 3, 60)


def test_health_alarm_and_dashboard() -> None:
    model = full("prod").monitoring.model("rt")
    assert model.health and model.health.name == "full-prod-rt-health"
    assert model.health.rule.count("ALARM(") == len(model.alarms) == 7
    assert 'ALARM("full-prod-rt-latency")' in model.health.rule
    assert "arn:aws:cloudwatch:us-west-2:${account}:alarm:full-prod-rt-health" in (
        model.dashboard_body
    )
    assert full("prod").monitoring.model("reg").health is None
    assert mini().monitoring.model("mm").dashboard_name == "mini-dev-mm"


def test_topic_and_actions() -> None:
    monitoring = full("prod").monitoring
    assert monitoring.topic.emails == ("oncall@example.com", "lead@example.com")
    assert monitoring.topic.external_topic_arns == ("arn:aws:sns:us-west-2:123456789012:pager",)
    assert monitoring.actions_enabled and not full("dev").monitoring.actions_enabled
    sids = {s.sid for s in monitoring.topic.policy.statements}
    assert sids == {"OwnerAccess", "CloudWatchAlarms", "PipelineFailures", "DenyInsecureTransport"}


def test_monitoring_job_config() -> None:
    from mlops_runtime.contract.config import MonitorConfig

    job = full("prod").monitoring.model("rt").job
    assert job is not None and job.monitors == ("bias", "drift", "quality")
    config = MonitorConfig.from_json(job.config)
    assert config.methods == {"age": "ks", "plan": "chi2"}  # ks on categoricals is chi2
    assert config.thresholds == {"age": 0.01, "plan": 0.01}
    assert (config.window_hours, config.endpoint_name, config.namespace) == (
        6,
        "full-prod-rt",
        "MLOps/full",
    )
    assert config.capture_uri == "s3://acme-full-prod-capture-us-west-2/endpoints"
    assert (
        job.schedule.expression == "rate(6 hours)" and job.schedule.name == "full-prod-rt-monitor"
    )


def test_with_statistic_changes_the_statistic_only() -> None:
    """Every field kept (one added later included), the statistic replaced."""
    values = {f.name: f"value of {f.name}" for f in dataclasses.fields(MetricDescriptor)}
    metric = MetricDescriptor(**values)  # type: ignore[arg-type]
    assert metric.with_statistic("p99") == dataclasses.replace(metric, statistic="p99")
    assert metric.with_statistic("p99").statistic == "p99" != metric.statistic
