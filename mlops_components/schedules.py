"""Create an EventBridge Scheduler schedule from a :class:`SchedulePlan`: a SageMaker pipeline
(universal ``startPipelineExecution`` target) or the retraining trigger function, encrypted
with the system key, with its own dead-letter queue and that queue's alarm."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from mlops_components.queues import create_dead_letter_queue
from mlops_components.refs import StackContext, child
from mlops_components.roles import Role
from mlops_spec.plan.schedules import SchedulePlan

RETRY_ATTEMPTS = 3
MAX_EVENT_AGE_SECONDS = 3600


def create_schedule(
    parent: pulumi.Resource,
    logical_name: str,
    plan: SchedulePlan,
    role: Role,
    target: pulumi.Resource,
    context: StackContext,
    aliases: Sequence[pulumi.Alias] = (),
) -> aws.scheduler.Schedule:
    """A schedule (DISABLED when schedules are paused), created after the pipeline or function
    it calls (``target``), the permissions of the role it assumes and its dead-letter queue
    ``<logical_name>-dlq`` (whose policy names that role, so it waits for the role too); the
    queue's alarm notifies ``context.alarm_actions``."""
    refs = context.refs
    queue = create_dead_letter_queue(
        parent,
        f"{logical_name}-dlq",
        plan.dead_letters,
        context,
        context.alarm_actions,
        policy_depends_on=[role.role],
    )
    return aws.scheduler.Schedule(
        logical_name,
        name=plan.name,
        description=plan.description,
        schedule_expression=plan.expression,
        schedule_expression_timezone="UTC",
        state=plan.state,
        kms_key_arn=refs.key_arn,
        flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
        target=aws.scheduler.ScheduleTargetArgs(
            arn=refs.render(plan.target_arn),
            role_arn=role.arn,
            input=plan.input,
            retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
                maximum_retry_attempts=RETRY_ATTEMPTS,
            ),
            dead_letter_config=aws.scheduler.ScheduleTargetDeadLetterConfigArgs(arn=queue.arn),
        ),
        opts=pulumi.ResourceOptions.merge(
            child(parent, depends_on=[target, role.policy, queue.policy]),
            pulumi.ResourceOptions(aliases=list(aliases)) if aliases else None,
        ),
    )
