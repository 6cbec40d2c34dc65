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

from mlops_components.alarms import create_alarm
from mlops_components.functions import create_function, lambda_code
from mlops_components.refs import StackContext, child
from mlops_components.schedules import create_schedule
from mlops_components.training import Training
from mlops_spec.plan import RetrainingPlan


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
        plan, tags, refs = args.plan, args.context.policy.tag_map, args.context.refs
        table = aws.dynamodb.Table(
            f"{name}-table",
            name=plan.table.name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=plan.table.hash_key,
            range_key=plan.table.range_key,
            attributes=[
                aws.dynamodb.TableAttributeArgs(name=key, type="S")
                for key in (plan.table.hash_key, plan.table.range_key)
            ],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=plan.table.ttl_attribute, enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                enabled=True, kms_key_arn=refs.key_arn
            ),
            deletion_protection_enabled=plan.table.retain,
            tags=tags,
            opts=child(self, retain=plan.table.retain),
        )
        queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=plan.queue.name,
            kms_master_key_id=refs.key_arn,
            message_retention_seconds=plan.queue.retention_seconds,
            tags=tags,
            opts=child(self),
        )
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=queue.url,
            policy=refs.render(plan.queue.policy.to_json()),
            opts=child(self),
        )
        create_alarm(
            self,
            f"{name}-dlq-alarm",
            plan.queue.alarm,
            actions=args.alarm_actions,
            actions_enabled=args.context.policy.alarm_actions_enabled,
            tags=tags,
        )
        code = lambda_code()
        functions = {
            function.key: create_function(
                self, name, function, args.context, code=code, dead_letter_arn=queue.arn
            )
            for function in plan.functions
        }
        for rule_plan in plan.rules:
            target_function = functions[rule_plan.function]
            rule = aws.cloudwatch.EventRule(
                f"{name}-{rule_plan.key}-rule",
                name=rule_plan.name,
                description=rule_plan.description,
                event_pattern=rule_plan.event_pattern,
                tags=tags,
                opts=child(self),
            )
            permission = aws.lambda_.Permission(
                f"{name}-{rule_plan.key}-permission",
                action="lambda:InvokeFunction",
                function=target_function.name,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=child(self),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{rule_plan.key}-target",
                rule=rule.name,
                arn=target_function.arn,
                retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                    maximum_retry_attempts=plan.retry_attempts,
                    maximum_event_age_in_seconds=plan.max_event_age_seconds,
                ),
                dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=queue.arn),
                opts=child(self, depends_on=[permission]),
            )
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
                refs,
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
