"""Failures that reach people, as plan data: the loop's functions are serialised or bounded,
failed pipeline runs are announced on the alarm topic."""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.documents import render
from tests.plan.conftest import MINIMAL, PROD, REFS, example, mini


def _loop() -> DeploymentPlan:
    """The minimal spec retraining on a schedule and following latest_approved."""
    training = {**MINIMAL["models"]["mm"]["training"], "schedule": "rate(7 days)"}
    return mini(serving={"tier": "realtime"}, training=training)


def test_the_deploy_function_is_serialised_and_the_trigger_bounded() -> None:
    retraining = _loop().retraining
    assert retraining is not None
    deploy, trigger = retraining.function("deploy"), retraining.function("trigger")
    assert deploy is not None and trigger is not None
    assert deploy.reserved_concurrency == 1
    assert trigger.reserved_concurrency == 5


# -- failed pipeline runs -------------------------------------------------------------------
def _matches(pattern: Any, event: Any) -> bool:
    """EventBridge matching for the pattern forms the plan uses: nested mappings, and lists of
    exact values."""
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(
            key in event and _matches(value, event[key]) for key, value in pattern.items()
        )
    return event in pattern


def _failed_event(pipeline_arn: str, status: str = "Failed") -> dict[str, Any]:
    """A pipeline status-change event as SageMaker emits it (fields from AWS's event schema)."""
    return {
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Building Pipeline Execution Status Change",
        "time": "2026-01-01T03:00:00Z",
        "detail": {
            "pipelineArn": pipeline_arn,
            "pipelineExecutionArn": f"{pipeline_arn}/execution/abc123",
            "currentPipelineExecutionStatus": status,
            "previousPipelineExecutionStatus": "Executing",
        },
    }


@pytest.mark.parametrize(("example_name", "stack"), [("churn", "prod"), ("ltv", "prod")])
def test_a_failed_run_of_any_of_the_system_s_pipelines_is_announced(
    example_name: str, stack: str
) -> None:
    deployment = example(example_name, stack)
    rule = deployment.monitoring.pipeline_failures
    pattern = json.loads(render(rule.event_pattern, REFS))
    pipelines = {t.pipeline_arn for t in deployment.training}
    pipelines |= {s.batch.pipeline_arn for s in deployment.serving if s.batch}
    pipelines |= {j.pipeline_arn for j in deployment.monitoring.jobs}
    assert set(rule.pipelines) == pipelines
    assert len(pipelines) >= 2  # training and a batch or monitoring pipeline
    for arn in pipelines:
        rendered = render(arn, REFS)
        assert _matches(pattern, _failed_event(rendered))
        assert not _matches(pattern, _failed_event(rendered, "Succeeded"))
        assert not _matches(pattern, _failed_event(rendered, "Stopped"))
    other = "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/someone-else-train"
    assert not _matches(pattern, _failed_event(other))


def test_failed_runs_are_routed_like_alarms() -> None:
    assert _loop().monitoring.pipeline_failures.state == "DISABLED"  # development: no paging
    assert mini(settings=PROD).monitoring.pipeline_failures.state == "ENABLED"


def test_the_topic_lets_eventbridge_publish_for_that_rule_only() -> None:
    monitoring = mini(settings=PROD).monitoring
    rule = monitoring.pipeline_failures
    (statement,) = [s for s in monitoring.topic.policy.statements if s.sid == "PipelineFailures"]
    assert statement.principals == (("Service", "events.amazonaws.com"),)
    assert statement.actions == ("sns:Publish",)
    assert statement.resources == (monitoring.topic.arn,)
    assert [(c.operator, c.key, c.values) for c in statement.conditions] == [
        ("ArnEquals", "aws:SourceArn", (rule.arn,))
    ]
    assert rule.arn.endswith(":rule/mini-prod-pipeline-failed")


def test_the_rule_and_its_message_fit_eventbridge_s_service_model() -> None:
    rule = mini(settings=PROD).monitoring.pipeline_failures
    events = botocore.session.get_session().get_service_model("events")
    put_rule = {
        "Name": rule.name,
        "EventPattern": render(rule.event_pattern, REFS),
        "State": rule.state,
        "Description": rule.description,
    }
    put_targets = {
        "Rule": rule.name,
        "Targets": [
            {
                "Id": "topic",
                "Arn": render(rule.topic_arn, REFS),
                "InputTransformer": {
                    "InputPathsMap": dict(rule.input_paths),
                    "InputTemplate": rule.input_template,
                },
                "RetryPolicy": {
                    "MaximumRetryAttempts": rule.retry_attempts,
                    "MaximumEventAgeInSeconds": rule.max_event_age_seconds,
                },
            }
        ],
    }
    for operation, params in (("PutRule", put_rule), ("PutTargets", put_targets)):
        validate_parameters(params, events.operation_model(operation).input_shape)
    # The message is a JSON string naming only variables the transformer defines.
    message = json.loads(rule.input_template)
    assert isinstance(message, str)
    assert set(re.findall(r"<(\w+)>", message)) == {k for k, _ in rule.input_paths}


def test_announcements_that_cannot_be_delivered_wait_in_an_alarmed_queue() -> None:
    rule = mini(settings=PROD).monitoring.pipeline_failures
    queue = rule.queue
    assert queue.name == "mini-prod-pipeline-failed-dlq"
    (sender, deny) = queue.policy.statements
    assert sender.principals == (("Service", "events.amazonaws.com"),)
    assert sender.actions == ("sqs:SendMessage",)
    assert [(c.operator, c.key, c.values) for c in sender.conditions] == [
        ("ArnEquals", "aws:SourceArn", (rule.arn,))
    ]
    assert (deny.effect, deny.sid) == ("Deny", "DenyInsecureTransport")
    assert queue.alarm.name == "mini-prod-pipeline-failed-dlq"
    assert queue.alarm.metric is not None
    assert queue.alarm.metric.dimensions == (("QueueName", queue.name),)


# -- schedules ------------------------------------------------------------------------------
@pytest.mark.parametrize(("example_name", "stack"), [("churn", "prod"), ("ltv", "prod")])
def test_every_schedule_dead_letters_to_its_own_queue_its_role_may_send_to(
    example_name: str, stack: str
) -> None:
    deployment = example(example_name, stack)
    for training in deployment.training:
        schedules = deployment.schedules_for(training.model)
        if not schedules:
            continue
        role = training.scheduler_role
        assert role is not None
        statements = {s.sid: s for s in role.policy.statements}
        queues = {s.dead_letters.arn for s in schedules}
        assert set(statements["DeadLetters"].resources) == queues
        assert statements["DeadLetters"].actions == ("sqs:SendMessage",)
        assert statements["UseSystemKey"].resources == ("${key_arn}",)
        for schedule in schedules:
            queue = schedule.dead_letters
            assert queue.name == f"{schedule.name}-dlq"
            (sender, deny) = queue.policy.statements
            assert sender.principals == (("AWS", role.arn(deployment.partition)),)
            assert (sender.actions, sender.resources) == (("sqs:SendMessage",), (queue.arn,))
            assert (deny.effect, deny.conditions[0].key) == ("Deny", "aws:SecureTransport")
            assert queue.alarm.name == queue.name
            assert queue.alarm.metric is not None
            assert queue.alarm.metric.dimensions == (("QueueName", queue.name),)


def test_a_schedule_with_its_dead_letter_queue_and_key_fits_scheduler_s_service_model() -> None:
    deployment = example("churn", "prod")
    scheduler = botocore.session.get_session().get_service_model("scheduler")
    key = "arn:aws:kms:eu-west-1:123456789012:key/0b6c0ad6-0000-4000-8000-000000000000"
    for schedule in deployment.schedules_for("churn-classifier"):
        role = deployment.training_for("churn-classifier").scheduler_role
        assert role is not None
        request = {
            "Name": schedule.name,
            "ScheduleExpression": schedule.expression,
            "State": schedule.state,
            "KmsKeyArn": key,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": render(schedule.target_arn, REFS),
                "RoleArn": render(role.arn(deployment.partition), REFS),
                "Input": schedule.input,
                "DeadLetterConfig": {"Arn": render(schedule.dead_letters.arn, REFS)},
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
            },
        }
        shape = scheduler.operation_model("CreateSchedule").input_shape
        validate_parameters(request, shape)
        pattern = shape.members["Target"].members["DeadLetterConfig"].members["Arn"]
        assert re.fullmatch(
            pattern.metadata["pattern"], request["Target"]["DeadLetterConfig"]["Arn"]
        )
        assert re.fullmatch(shape.members["KmsKeyArn"].metadata["pattern"], key)
