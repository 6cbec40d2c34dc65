"""Create an EventBridge Scheduler schedule that starts a SageMaker pipeline."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.refs import child
from components.roles import Role
from mlops_spec.plan.schedules import SchedulePlan

RETRY_ATTEMPTS = 3
MAX_EVENT_AGE_SECONDS = 3600


def create_schedule(
    parent: pulumi.Resource,
    logical_name: str,
    plan: SchedulePlan,
    role: Role,
    pipeline: pulumi.Resource,
) -> aws.scheduler.Schedule:
    """A schedule with the universal ``startPipelineExecution`` target (DISABLED when paused),
    created after the pipeline it starts and the permissions of the role it assumes."""
    return aws.scheduler.Schedule(
        logical_name,
        name=plan.name,
        description=plan.description,
        schedule_expression=plan.expression,
        schedule_expression_timezone="UTC",
        state=plan.state,
        flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
        target=aws.scheduler.ScheduleTargetArgs(
            arn=plan.target_arn,
            role_arn=role.arn,
            input=plan.input,
            retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
                maximum_retry_attempts=RETRY_ATTEMPTS,
            ),
        ),
        opts=child(parent, depends_on=[pipeline, role.policy]),
    )
