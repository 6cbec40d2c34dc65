"""Retraining: the trigger and deploy Lambdas (runtime code as an asset archive, config in
``MLOPS_RUNTIME_CONFIG``), least-privilege roles, the idempotency/audit table (PITR, KMS, TTL),
EventBridge rules with retries and a KMS-encrypted dead-letter queue, an alarm on it, and the
models' training schedules, which invoke the trigger function (so cooldown and daily limit
apply to scheduled runs too)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from mlops_components.functions import create_function, lambda_code
from mlops_components.queues import create_dead_letter_queue
from mlops_components.refs import StackContext, child
from mlops_components.schedules import create_schedule
from mlops_components.training import Training
from mlops_spec.plan import RetrainingPlan
from mlops_spec.plan.retraining import QueuePlan, RulePlan, TablePlan


@dataclass(frozen=True)
class RetrainingArgs:
    plan: RetrainingPlan
    context: StackContext
    alarm_actions: Sequence[pulumi.Input[str]]
    """Where the dead-letter alarm notifies (Monitoring.alarm_actions)."""
    training: Mapping[str, Training] = field(default_factory=dict)
    """Training components by model: their scheduler roles run the training schedules."""


class Retraining(pulumi.ComponentResource):
    """Functions, table, rules and dead-letter queue of the retraining/deploy loop."""

    table_name: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    function_names: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: RetrainingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:retraining:Retraining", name, None, opts)
        plan = args.plan
        table = _table(self, name, plan.table, args.context)
        queue = _dead_letter_queue(self, name, plan.queue, args)
        code = lambda_code()
        functions = {
            function.key: create_function(
                self, name, function, args.context, code=code, dead_letter_arn=queue.arn
            )
            for function in plan.functions
        }
        for rule in plan.rules:
            _rule(self, name, rule, functions[rule.function], queue, args)
        for schedule in plan.schedules:
            training = args.training.get(schedule.model)
            if training is None or training.scheduler is None:
                raise ValueError(
                    f"schedule {schedule.name}: no scheduler role for {schedule.model}"
                )
            create_schedule(
                self,
                f"{name}-{schedule.model}-schedule",
                schedule,
                training.scheduler,
                functions["trigger"],
                args.context.notifying(args.alarm_actions),
                aliases=[training.schedule_alias],
            )
        self.table_name = table.name
        self.queue_url = queue.url
        self.function_names = {key: fn.name for key, fn in functions.items()}
        self.register_outputs(
            {
                "table_name": self.table_name,
                "queue_url": self.queue_url,
                "function_names": self.function_names,
            }
        )


def _table(
    parent: Retraining, name: str, plan: TablePlan, context: StackContext
) -> aws.dynamodb.Table:
    """Claims and audit records: on-demand, KMS, point-in-time recovery, TTL."""
    return aws.dynamodb.Table(
        f"{name}-table",
        name=plan.name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=plan.hash_key,
        range_key=plan.range_key,
        attributes=[
            aws.dynamodb.TableAttributeArgs(name=key, type="S")
            for key in (plan.hash_key, plan.range_key)
        ],
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=plan.ttl_attribute, enabled=True),
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
            enabled=True, kms_key_arn=context.refs.key_arn
        ),
        deletion_protection_enabled=plan.retain,
        tags=context.policy.tag_map,
        opts=child(parent, retain=plan.retain),
    )


def _dead_letter_queue(
    parent: Retraining, name: str, plan: QueuePlan, args: RetrainingArgs
) -> aws.sqs.Queue:
    """The KMS-encrypted queue of failed events, its policy and its alarm."""
    return create_dead_letter_queue(
        parent, f"{name}-dlq", plan, args.context, args.alarm_actions
    ).queue


def _rule(
    parent: Retraining,
    name: str,
    plan: RulePlan,
    function: aws.lambda_.Function,
    queue: aws.sqs.Queue,
    args: RetrainingArgs,
) -> None:
    """An EventBridge rule invoking ``function``, with retries and the dead-letter queue."""
    rule = aws.cloudwatch.EventRule(
        f"{name}-{plan.key}-rule",
        name=plan.name,
        description=plan.description,
        event_pattern=plan.event_pattern,
        tags=args.context.policy.tag_map,
        opts=child(parent),
    )
    permission = aws.lambda_.Permission(
        f"{name}-{plan.key}-permission",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="events.amazonaws.com",
        source_arn=rule.arn,
        opts=child(parent),
    )
    aws.cloudwatch.EventTarget(
        f"{name}-{plan.key}-target",
        rule=rule.name,
        arn=function.arn,
        retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
            maximum_retry_attempts=args.plan.retry_attempts,
            maximum_event_age_in_seconds=args.plan.max_event_age_seconds,
        ),
        dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=queue.arn),
        opts=child(parent, depends_on=[permission]),
    )
