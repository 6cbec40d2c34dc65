"""Dead-letter queues: where a delivery that failed after its retries waits, and the alarm
that notifies as soon as one does.

Every queue is KMS-encrypted with the system key (the component sets it), keeps messages 14
days, accepts messages over TLS only, and lets exactly the senders its plan names send.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_spec.naming import Names
from mlops_spec.plan.alarms import GT, AlarmPlan
from mlops_spec.plan.documents import ACCOUNT, Condition, PolicyDocument, Statement
from mlops_spec.plan.metrics import MetricDescriptor

DLQ_RETENTION_SECONDS = 14 * 24 * 3600
"""SQS's maximum retention: a dead letter waits two weeks for someone to look."""


@dataclass(frozen=True)
class QueuePlan:
    name: str
    arn: str
    retention_seconds: int
    policy: PolicyDocument
    alarm: AlarmPlan


def queue_arn(partition: str, region: str, name: str) -> str:
    return f"arn:{partition}:sqs:{region}:{ACCOUNT}:{name}"


def dead_letter_alarm(names: Names, purpose: str, queue_name: str, description: str) -> AlarmPlan:
    """An alarm ``<prefix>-<purpose>`` as soon as a message waits in dead-letter queue
    ``queue_name``."""
    return AlarmPlan(
        model="",
        monitor=purpose,
        name=names.system_alarm(purpose),
        kind="dead_letters",
        action="notify",
        description=description,
        comparison=GT,
        threshold=0.0,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        period_seconds=300,
        treat_missing_data="notBreaching",
        metric=MetricDescriptor(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", queue_name),), "Maximum"
        ),
    )


_INSECURE = (Condition("Bool", "aws:SecureTransport", ("false",)),)


def tls_only(arn: str, *senders: Statement) -> PolicyDocument:
    """The queue policy: ``senders``, and a Deny of sending or receiving without TLS."""
    return PolicyDocument(
        (
            *senders,
            Statement(
                sid="DenyInsecureTransport",
                effect="Deny",
                principals=(("*", "*"),),
                actions=("sqs:SendMessage", "sqs:ReceiveMessage"),
                resources=(arn,),
                conditions=_INSECURE,
            ),
        )
    )


def service_dead_letters(
    names: Names,
    purpose: str,
    *,
    service: str,
    source_arns: tuple[str, ...],
    description: str,
    partition: str,
    region: str,
) -> QueuePlan:
    """Queue ``<prefix>-<purpose>`` (and its alarm of the same name) that ``service`` may
    send to on behalf of ``source_arns`` only."""
    name = names.queue(purpose)
    arn = queue_arn(partition, region, name)
    sender = Statement(
        sid="DeadLetters",
        principals=(("Service", service),),
        actions=("sqs:SendMessage",),
        resources=(arn,),
        conditions=(Condition("ArnEquals", "aws:SourceArn", source_arns),),
    )
    alarm = dead_letter_alarm(names, purpose, name, description)
    return QueuePlan(name, arn, DLQ_RETENTION_SECONDS, tls_only(arn, sender), alarm)
