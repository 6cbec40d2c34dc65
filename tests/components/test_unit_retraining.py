"""Retraining alone: the trigger and deploy functions, their table, rules and dead-letter queue,
and the training schedule, for model ``mm`` of a minimal spec that retrains on a schedule, on
new data in ``ds`` and on its ``drift`` monitor, and follows ``latest_approved``.

The model's scheduler role, which Training creates, is a collaborator registered beside it
(``tests.components.unit.collaborators``); the alarm topic is a plain ARN.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlops_components import Retraining, RetrainingArgs
from mlops_spec.plan import DeploymentPlan
from tests.components.unit import (
    KEY_ARN,
    Match,
    Template,
    build,
    collaborators,
    over_privileged,
    sources,
)
from tests.plan.conftest import MINIMAL, PROD, mini

TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PERMISSION = "aws:lambda/permission:Permission"
SCHEDULE = "aws:scheduler/schedule:Schedule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:mini-dev-alarms"
DLQ_ARN = "arn:aws:sqs:eu-west-1:123456789012:mini-dev-events-dlq"
"""The ARN the recording mocks give the queue named ``mini-dev-events-dlq``."""


def retraining(plan: DeploymentPlan) -> Template:
    assert plan.retraining is not None

    def construct(ctx: Any) -> None:
        training = collaborators(plan, ctx)
        Retraining("retraining", RetrainingArgs(plan.retraining, ctx, [TOPIC_ARN], training))

    return build(plan, construct)


def looping(**settings: Any) -> DeploymentPlan:
    """The minimal spec, retraining on every source there is."""
    training = {**MINIMAL["models"]["mm"]["training"], "schedule": "rate(7 days)"}
    monitors = {
        "lat": {"type": "latency", "threshold_ms": 100, "action": "rollback"},
        "drift": {"type": "data_drift", "action": "retrain"},
    }
    source = {**MINIMAL["data_sources"]["ds"], "retrain_on_new_data": True}
    return mini(
        {"data_sources": {"ds": source}},
        serving={"tier": "realtime"},
        training=training,
        monitors=monitors,
        **settings,
    )


@pytest.fixture(scope="module")
def dev() -> Template:
    return retraining(looping())


def own(template: Template, type_: str) -> list[Any]:
    """Resources of ``type_`` that belong to Retraining (not to the collaborators)."""
    return [r for r in template.of_type(type_) if "mlops:retraining:Retraining" in r.urn]


def test_the_table_is_encrypted_recoverable_and_expires_its_items(dev: Template) -> None:
    dev.has_resource_properties(
        TABLE,
        {
            "name": "mini-dev-retraining",
            "billingMode": "PAY_PER_REQUEST",
            "pointInTimeRecovery": {"enabled": True},
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN},
            "ttl": {"enabled": True},
        },
    )


def test_production_protects_the_table() -> None:
    retraining(looping(settings=PROD)).has_resource(
        TABLE,
        {
            "inputs": {"deletionProtectionEnabled": True},
            "protect": True,
            "retain_on_delete": True,
        },
    )


def test_development_lets_destroy_delete_the_table(dev: Template) -> None:
    dev.has_resource(TABLE, {"inputs": {"deletionProtectionEnabled": False}, "protect": False})


def test_the_dead_letter_queue_is_encrypted_with_the_system_key(dev: Template) -> None:
    dev.has_resource_properties(QUEUE, {"name": "mini-dev-events-dlq", "kmsMasterKeyId": KEY_ARN})


def test_every_function_sends_failed_invocations_to_the_dead_letter_queue(
    dev: Template,
) -> None:
    functions = dev.all_resources(
        FUNCTION, {"inputs": {"deadLetterConfig": {"targetArn": DLQ_ARN}}}
    )
    assert sorted(f.inputs["name"] for f in functions) == [
        "mini-dev-deploy",
        "mini-dev-retrain-trigger",
    ]
    assert all(sources(f, "deadLetterConfig") == ["retraining-dlq"] for f in functions)


def test_the_deploy_function_runs_one_invocation_at_a_time(dev: Template) -> None:
    # Two approvals (or an approval and an in-service event) must not roll out onto one
    # endpoint concurrently; the trigger is bounded to a few decisions at once.
    dev.has_resource_properties(
        FUNCTION, {"name": "mini-dev-deploy", "reservedConcurrentExecutions": 1}
    )
    dev.has_resource_properties(
        FUNCTION, {"name": "mini-dev-retrain-trigger", "reservedConcurrentExecutions": 5}
    )


def test_functions_keep_their_config_encrypted_and_log_json(dev: Template) -> None:
    dev.all_resources(
        FUNCTION,
        {
            "inputs": {
                "runtime": "python3.12",
                "architectures": ["arm64"],
                "kmsKeyArn": KEY_ARN,
                "environment": {
                    "variables": {
                        # and the object's version id, unknown until it is uploaded
                        "MLOPS_RUNTIME_CONFIG_OBJECT": Match.any(),
                    }
                },
                "loggingConfig": {"logFormat": "JSON"},
            }
        },
    )
    for name in ("mini-dev-deploy", "mini-dev-retrain-trigger"):  # each function's document
        dev.has_resource_properties(
            "aws:s3/bucketObjectv2:BucketObjectv2",
            {
                "key": f"code/config/functions/{name}.json",
                "serverSideEncryption": "aws:kms",
                "kmsKeyId": KEY_ARN,
                "content": Match.any(),
            },
        )


def test_function_logs_use_the_system_key_and_the_environment_s_retention(
    dev: Template,
) -> None:
    logs = dev.all_resources(
        "aws:cloudwatch/logGroup:LogGroup",
        {"inputs": {"kmsKeyId": KEY_ARN, "retentionInDays": 14}},
    )
    assert sorted(g.inputs["name"] for g in logs) == [
        "/aws/lambda/mini-dev-deploy",
        "/aws/lambda/mini-dev-retrain-trigger",
    ]


@pytest.mark.parametrize(
    ("rule", "function"),
    [
        ("alarm-retrain", "trigger"),
        ("new-data-ds", "trigger"),
        ("package-approved", "deploy"),
        ("endpoint-in-service-mm", "deploy"),
    ],
)
def test_each_rule_invokes_its_function_with_retries_then_the_dead_letter_queue(
    dev: Template, rule: str, function: str
) -> None:
    target = dev.has_resource(
        TARGET,
        {
            "name": f"retraining-{rule}-target",
            "inputs": {
                "retryPolicy": {"maximumRetryAttempts": 4, "maximumEventAgeInSeconds": 3600},
                "deadLetterConfig": {"arn": DLQ_ARN},
            },
        },
    )
    assert sources(target, "arn") == [f"retraining-{function}"]
    assert sources(target, "rule") == [f"retraining-{rule}-rule"]


def test_only_the_rules_own_events_may_invoke_the_functions(dev: Template) -> None:
    permissions = dev.all_resources(
        PERMISSION,
        {"inputs": {"action": "lambda:InvokeFunction", "principal": "events.amazonaws.com"}},
    )
    for permission in permissions:
        rule = permission.name.removesuffix("-permission") + "-rule"
        assert sources(permission, "sourceArn") == [rule]


def test_retrain_monitors_alarms_start_retraining(dev: Template) -> None:
    dev.has_resource_properties(
        RULE,
        {
            "name": "mini-dev-alarm-retrain",
            "eventPattern": Match.json(
                {
                    "source": ["aws.cloudwatch"],
                    "detail-type": ["CloudWatch Alarm State Change"],
                    "detail": {"alarmName": ["mini-dev-mm-drift"], "state": {"value": ["ALARM"]}},
                }
            ),
        },
    )


def test_new_objects_under_the_source_s_prefix_start_retraining(dev: Template) -> None:
    dev.has_resource_properties(
        RULE,
        {
            "name": "mini-dev-new-data-ds",
            "eventPattern": Match.json(
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {
                        "bucket": {"name": ["acme-mini-dev-data-ds-eu-west-1"]},
                        "object": {"key": [{"prefix": "p/"}]},
                    },
                }
            ),
        },
    )


def test_approvals_and_rejections_of_the_model_s_packages_deploy(dev: Template) -> None:
    dev.has_resource_properties(
        RULE,
        {
            "name": "mini-dev-package-approved",
            "eventPattern": Match.json(
                {
                    "source": ["aws.sagemaker"],
                    "detail": {
                        "ModelApprovalStatus": ["Approved", "Rejected"],
                        "ModelPackageGroupName": ["mini-dev-mm"],
                    },
                }
            ),
        },
    )


def test_the_dead_letter_alarm_notifies_the_given_actions(dev: Template) -> None:
    dev.has_resource_properties(
        ALARM,
        {
            "name": "mini-dev-events-dlq",
            "namespace": "AWS/SQS",
            "metricName": "ApproximateNumberOfMessagesVisible",
            "dimensions": {"QueueName": "mini-dev-events-dlq"},
            "comparisonOperator": "GreaterThanThreshold",
            "threshold": 0,
            "alarmActions": [TOPIC_ARN],
            "actionsEnabled": False,
        },
    )


def test_the_training_schedule_invokes_the_trigger_as_the_model_s_scheduler_role(
    dev: Template,
) -> None:
    schedule = dev.has_resource_properties(
        SCHEDULE,
        {
            "name": "mini-dev-mm-train",
            "scheduleExpression": "rate(7 days)",
            "state": "DISABLED",
            "target": {
                "arn": "arn:aws:lambda:eu-west-1:123456789012:function:mini-dev-retrain-trigger",
                "input": Match.json({"model": "mm", "source": "mlops.schedule"}),
            },
        },
    )
    assert sorted(sources(schedule, "target")) == [
        "mm-scheduler-role",
        "retraining-mm-schedule-dlq",
    ]
    assert dev.named("retraining-trigger").urn in schedule.depends_on


def test_the_training_schedule_is_encrypted_and_dead_letters_to_its_own_alarmed_queue(
    dev: Template,
) -> None:
    dlq = "arn:aws:sqs:eu-west-1:123456789012:mini-dev-mm-train-dlq"
    schedule = dev.has_resource_properties(
        SCHEDULE,
        {
            "name": "mini-dev-mm-train",
            "kmsKeyArn": KEY_ARN,
            "target": {
                "deadLetterConfig": {"arn": dlq},
                "retryPolicy": {"maximumRetryAttempts": 3, "maximumEventAgeInSeconds": 3600},
            },
        },
    )
    dev.has_resource_properties(QUEUE, {"name": "mini-dev-mm-train-dlq", "kmsMasterKeyId": KEY_ARN})
    policy = dev.has_resource(
        "aws:sqs/queuePolicy:QueuePolicy",
        {
            "name": "retraining-mm-schedule-dlq-policy",
            "inputs": {
                "policy": Match.json(
                    {
                        "Statement": Match.array_with(
                            [
                                {
                                    "Effect": "Allow",
                                    "Principal": {
                                        "AWS": "arn:aws:iam::123456789012:role/mini-dev-mm-scheduler"
                                    },
                                    "Action": "sqs:SendMessage",
                                    "Resource": dlq,
                                }
                            ]
                        )
                    }
                )
            },
        },
    )
    # The policy names the role, which must exist first; the schedule waits for the policy.
    assert dev.named("mm-scheduler-role").urn in policy.depends_on
    assert policy.urn in schedule.depends_on
    dev.has_resource_properties(
        ALARM,
        {
            "name": "mini-dev-mm-train-dlq",
            "dimensions": {"QueueName": "mini-dev-mm-train-dlq"},
            "alarmActions": [TOPIC_ARN],
            "actionsEnabled": False,
        },
    )


def test_without_retraining_sources_only_the_deploy_loop_is_built() -> None:
    template = retraining(mini(serving={"tier": "realtime"}))
    template.resource_count_is(FUNCTION, 1)
    template.has_resource_properties(FUNCTION, {"name": "mini-dev-deploy"})
    assert sorted(r.inputs["name"] for r in template.of_type(RULE)) == [
        "mini-dev-mm-in-service",
        "mini-dev-package-approved",
    ]
    template.resource_count_is(SCHEDULE, 0)


def test_the_function_roles_are_least_privilege(dev: Template) -> None:
    policies = own(dev, "aws:iam/rolePolicy:RolePolicy")
    assert len(policies) == 2
    assert {p.name: over_privileged(p.inputs["policy"]) for p in policies} == {
        p.name: [] for p in policies
    }


def test_each_function_role_may_send_to_the_dead_letter_queue(dev: Template) -> None:
    """Lambda delivers a failed asynchronous invocation with the function's own role."""
    send = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": DLQ_ARN}
    for policy in own(dev, "aws:iam/rolePolicy:RolePolicy"):
        dev.has_resource(
            "aws:iam/rolePolicy:RolePolicy",
            {
                "name": policy.name,
                "inputs": {"policy": Match.json({"Statement": Match.array_with([send])})},
            },
        )
