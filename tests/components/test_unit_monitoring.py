"""Monitoring alone: the alarm topic, one alarm per monitor, the health alarm and dashboard of
model ``mm`` of a minimal spec, with three monitors (latency, error rate, data drift)."""

from __future__ import annotations

import pytest

from mlops_components import Monitoring, MonitoringArgs
from mlops_spec.plan import DeploymentPlan
from tests.components.unit import KEY_ARN, Match, Template, build, sources
from tests.plan.conftest import MINIMAL, PROD, mini

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
HEALTH = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
FUNCTION = "aws:lambda/function:Function"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:mini-dev-alarms"
"""The ARN the recording mocks give the topic named ``mini-dev-alarms``."""
PAGER = "arn:aws:sns:eu-west-1:123456789012:pager"
ENDPOINT = {"EndpointName": "mini-dev-mm", "VariantName": "AllTraffic"}
MONITORS = {
    "lat": {"type": "latency", "threshold_ms": 250, "action": "rollback"},
    "err": {
        "type": "error_rate",
        "threshold_percent": 5,
        "periods": 5,
        "datapoints_to_alarm": 3,
        "period_seconds": 300,
    },
    "drift": {"type": "data_drift", "max_drifted_share": 0.25},
}


def monitoring(plan: DeploymentPlan) -> Template:
    return build(plan, lambda ctx: Monitoring("monitoring", MonitoringArgs(plan.monitoring, ctx)))


@pytest.fixture(scope="module")
def dev() -> Template:
    return monitoring(mini(monitors=MONITORS))


@pytest.fixture(scope="module")
def prod() -> Template:
    return monitoring(mini(settings=PROD, monitors=MONITORS))


def model_alarms(template: Template) -> list[str]:
    """Names of the monitors' alarms (not the system's own, such as undelivered messages)."""
    return sorted(
        n for r in template.of_type(ALARM) if (n := r.inputs["name"]).startswith("mini-dev-mm-")
    )


def test_one_alarm_per_monitor_named_system_stack_model_monitor(dev: Template) -> None:
    assert model_alarms(dev) == ["mini-dev-mm-drift", "mini-dev-mm-err", "mini-dev-mm-lat"]


def test_the_latency_alarm_watches_the_percentile_in_microseconds(dev: Template) -> None:
    dev.has_resource_properties(
        ALARM,
        {
            "name": "mini-dev-mm-lat",
            "namespace": "AWS/SageMaker",
            "metricName": "ModelLatency",
            "dimensions": ENDPOINT,
            "extendedStatistic": "p99",
            "comparisonOperator": "GreaterThanThreshold",
            "threshold": 250_000,
            "period": 60,
            "evaluationPeriods": 3,
            "datapointsToAlarm": 3,
            "treatMissingData": "notBreaching",
        },
    )


def test_the_error_rate_alarm_keeps_the_spec_s_window(dev: Template) -> None:
    per_period = {"namespace": "AWS/SageMaker", "dimensions": ENDPOINT, "period": 300}
    dev.has_resource_properties(
        ALARM,
        {
            "name": "mini-dev-mm-err",
            "threshold": 5,
            "evaluationPeriods": 5,
            "datapointsToAlarm": 3,
            "metricQueries": Match.array_with(
                [
                    {"metric": {**per_period, "metricName": "Invocation5XXErrors"}},
                    {"metric": {**per_period, "metricName": "Invocations"}},
                    {"expression": "100 * (FILL(e5, 0)) / inv", "returnData": True},
                ]
            ),
        },
    )


def test_the_drift_alarm_watches_the_monitoring_job_s_daily_metric(dev: Template) -> None:
    dev.has_resource_properties(
        ALARM,
        {
            "name": "mini-dev-mm-drift",
            "namespace": "MLOps/mini",
            "dimensions": {"Environment": "dev", "Model": "mm"},
            "threshold": 0.25,
            "period": 86400,
            "evaluationPeriods": 1,
        },
    )


def test_alarms_notify_the_topic_but_do_not_act_in_development(dev: Template) -> None:
    alarms = dev.all_resources(
        ALARM,
        {
            "inputs": {
                "actionsEnabled": False,
                "alarmActions": [TOPIC_ARN],
                "okActions": [TOPIC_ARN],
            }
        },
    )
    assert all(sources(a, "alarmActions") == ["monitoring-topic"] for a in alarms)


def test_alarms_act_in_production(prod: Template) -> None:
    prod.all_resources(ALARM, {"inputs": {"actionsEnabled": True}})
    prod.has_resource_properties(HEALTH, {"actionsEnabled": True})


def test_alarms_also_notify_the_spec_s_existing_topics() -> None:
    notifications = {"emails": ["a@example.com"], "sns_topic_arns": [PAGER]}
    template = monitoring(mini({"notifications": notifications}))
    template.all_resources(ALARM, {"inputs": {"alarmActions": [TOPIC_ARN, PAGER]}})


def test_the_topic_is_encrypted_with_the_system_key(dev: Template) -> None:
    dev.has_resource_properties(TOPIC, {"name": "mini-dev-alarms", "kmsMasterKeyId": KEY_ARN})


def test_the_topic_refuses_plain_http_publishers(dev: Template) -> None:
    deny = {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    dev.has_resource_properties(
        "aws:sns/topicPolicy:TopicPolicy",
        {"policy": Match.json({"Statement": Match.array_with([deny])})},
    )


def test_each_e_mail_subscribes_to_the_topic(dev: Template) -> None:
    dev.resource_count_is(SUBSCRIPTION, 1)
    dev.has_resource_properties(SUBSCRIPTION, {"protocol": "email", "endpoint": "a@example.com"})


def test_the_health_alarm_fires_when_any_monitor_alarms(dev: Template) -> None:
    dev.has_resource_properties(
        HEALTH,
        {
            "alarmName": "mini-dev-mm-health",
            "alarmRule": 'ALARM("mini-dev-mm-drift") OR ALARM("mini-dev-mm-err") '
            'OR ALARM("mini-dev-mm-lat")',
        },
    )


def test_a_model_without_monitors_gets_no_alarm() -> None:
    template = monitoring(mini(serving={"tier": "realtime"}, monitors={}))
    assert model_alarms(template) == []
    template.resource_count_is(HEALTH, 0)


def test_one_dashboard_per_model(dev: Template) -> None:
    dev.resource_count_is("aws:cloudwatch/dashboard:Dashboard", 1)
    dev.has_resource_properties(
        "aws:cloudwatch/dashboard:Dashboard", {"dashboardName": "mini-dev-mm"}
    )


def test_no_notifier_without_a_webhook(dev: Template) -> None:
    dev.resource_count_is(FUNCTION, 0)


def test_a_webhook_adds_a_subscribed_notifier_with_an_encrypted_dead_letter_queue() -> None:
    notifications = {**MINIMAL["notifications"], "webhook_url_ssm_parameter": "/mini/webhook"}
    template = monitoring(mini({"notifications": notifications}))
    template.has_resource_properties(
        "aws:sqs/queue:Queue", {"name": "mini-dev-notify-dlq", "kmsMasterKeyId": KEY_ARN}
    )
    function = template.has_resource_properties(FUNCTION, {"name": "mini-dev-notify"})
    assert sources(function, "deadLetterConfig") == ["monitoring-notify-dlq"]
    subscription = template.has_resource_properties(SUBSCRIPTION, {"protocol": "lambda"})
    assert sources(subscription, "endpoint") == ["monitoring-notify"]
    assert sources(subscription, "redrivePolicy") == ["monitoring-notify-dlq"]


RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"


def test_failed_pipeline_runs_are_announced_on_the_topic(prod: Template) -> None:
    rule = prod.has_resource_properties(
        RULE,
        {
            "name": "mini-prod-pipeline-failed",
            "state": "ENABLED",
            "eventPattern": Match.json(
                {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
                    "detail": {
                        "currentPipelineExecutionStatus": ["Failed"],
                        "pipelineArn": [
                            "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/mini-prod-mm-monitor",
                            "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/mini-prod-mm-train",
                        ],
                    },
                }
            ),
        },
    )
    target = prod.has_resource(
        TARGET,
        {
            "inputs": {
                "arn": "arn:aws:sns:eu-west-1:123456789012:mini-prod-alarms",
                "inputTransformer": {
                    "inputPaths": {
                        "execution": "$.detail.pipelineExecutionArn",
                        "pipeline": "$.detail.pipelineArn",
                        "time": "$.time",
                    },
                    "inputTemplate": Match.any(),
                },
                "retryPolicy": {"maximumRetryAttempts": 8},
            }
        },
    )
    assert sources(target, "rule") == [rule.name]
    assert sources(target, "arn") == ["monitoring-topic"]
    # The topic policy that lets EventBridge publish exists before the target.
    assert any(urn.endswith("::monitoring-topic-policy") for urn in target.depends_on)


def test_the_topic_policy_lets_only_that_rule_publish(prod: Template) -> None:
    allow = {
        "Sid": "PipelineFailures",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Condition": {
            "ArnEquals": {
                "aws:SourceArn": "arn:aws:events:eu-west-1:123456789012:rule/mini-prod-pipeline-failed"
            }
        },
    }
    prod.has_resource_properties(
        "aws:sns/topicPolicy:TopicPolicy",
        {"policy": Match.json({"Statement": Match.array_with([allow])})},
    )


def test_failed_pipeline_runs_page_nobody_in_development(dev: Template) -> None:
    dev.has_resource_properties(RULE, {"name": "mini-dev-pipeline-failed", "state": "DISABLED"})


def test_announcements_it_cannot_deliver_wait_in_an_encrypted_alarmed_queue(
    prod: Template,
) -> None:
    dlq = "arn:aws:sqs:eu-west-1:123456789012:mini-prod-pipeline-failed-dlq"
    prod.has_resource_properties(
        "aws:sqs/queue:Queue", {"name": "mini-prod-pipeline-failed-dlq", "kmsMasterKeyId": KEY_ARN}
    )
    target = prod.has_resource_properties(TARGET, {"deadLetterConfig": {"arn": dlq}})
    assert any(urn.endswith("::monitoring-pipeline-failed-dlq-policy") for urn in target.depends_on)
    prod.has_resource_properties(
        ALARM,
        {
            "name": "mini-prod-pipeline-failed-dlq",
            "dimensions": {"QueueName": "mini-prod-pipeline-failed-dlq"},
            "actionsEnabled": True,
            "alarmActions": ["arn:aws:sns:eu-west-1:123456789012:mini-prod-alarms"],
        },
    )
