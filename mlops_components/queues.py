"""Create a dead-letter queue from a :class:`QueuePlan`: the queue (the system key, the plan's
retention), its policy (the plan's senders, TLS only) and its alarm (routed like the alarms)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from mlops_components.alarms import create_alarm
from mlops_components.refs import StackContext, child
from mlops_spec.plan.queues import QueuePlan


@dataclass(frozen=True)
class DeadLetterQueue:
    """A created queue; senders should depend on ``policy``."""

    queue: aws.sqs.Queue
    policy: aws.sqs.QueuePolicy

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.queue.arn


def create_dead_letter_queue(
    parent: pulumi.Resource,
    logical_name: str,
    plan: QueuePlan,
    context: StackContext,
    alarm_actions: Sequence[pulumi.Input[str]],
    *,
    policy_depends_on: Sequence[pulumi.Resource] = (),
) -> DeadLetterQueue:
    """``<logical_name>``, ``<logical_name>-policy`` (after ``policy_depends_on``: e.g. a role
    the policy names, which must exist first) and ``<logical_name>-alarm``."""
    tags, refs = context.policy.tag_map, context.refs
    queue = aws.sqs.Queue(
        logical_name,
        name=plan.name,
        kms_master_key_id=refs.key_arn,
        message_retention_seconds=plan.retention_seconds,
        tags=tags,
        opts=child(parent),
    )
    policy = aws.sqs.QueuePolicy(
        f"{logical_name}-policy",
        queue_url=queue.url,
        policy=refs.render(plan.policy.to_json()),
        opts=child(parent, depends_on=list(policy_depends_on)),
    )
    create_alarm(
        parent,
        f"{logical_name}-alarm",
        plan.alarm,
        actions=alarm_actions,
        actions_enabled=context.policy.alarm_actions_enabled,
        tags=tags,
    )
    return DeadLetterQueue(queue, policy)
