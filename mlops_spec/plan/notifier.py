"""Chat webhook delivery of alarm notifications (``notifications.webhook_url_ssm_parameter``).

The notifier function (``mlops_runtime.notify.handler``) subscribes to the alarm topic, reads
the webhook URL from the SSM SecureString parameter the spec names, and posts every alarm
notification to it. Notifications it cannot deliver (after its own retries and Lambda's) go to
a KMS-encrypted dead-letter queue with an alarm on it, as do deliveries SNS itself could not
make to the function.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_runtime.contract.config import NotifyConfig
from mlops_spec.models import ResolvedSpec
from mlops_spec.naming import Names
from mlops_spec.plan import iam
from mlops_spec.plan.documents import ACCOUNT, KEY_ARN, Condition, Statement
from mlops_spec.plan.function_config import function_config, read_config_grant
from mlops_spec.plan.queues import DLQ_RETENTION_SECONDS, QueuePlan, dead_letter_alarm, tls_only
from mlops_spec.plan.retraining import FunctionPlan
from mlops_spec.plan.schedules import function_arn
from mlops_spec.plan.storage import BucketPlan

PURPOSE = "notify"
"""Names of the function, its role and log group (``<prefix>-notify``), and of its queue
(``<prefix>-notify-dlq``)."""
TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 3
FUNCTION_TIMEOUT_SECONDS = 30
"""Covers the SSM read and every POST attempt with its backoff (3 x 5 s + 1.5 s)."""
MEMORY_MB = 128


@dataclass(frozen=True)
class NotifierPlan:
    """The notifier function, its subscription to the alarm topic and its dead-letter queue."""

    function: FunctionPlan
    topic_arn: str
    """The alarm topic the function subscribes to (and the only source allowed to invoke it)."""
    parameter_name: str
    parameter_arn: str
    queue: QueuePlan
    """Dead letters: failed asynchronous invocations and SNS deliveries that failed."""


def plan_notifier(
    resolved: ResolvedSpec, names: Names, topic_arn: str, partition: str, artifacts: BucketPlan
) -> NotifierPlan | None:
    """None unless the spec names a webhook parameter; the function's configuration object
    goes to the ``artifacts`` bucket."""
    spec = resolved.spec
    parameter = spec.notifications.webhook_url_ssm_parameter
    if not parameter:
        return None
    region = spec.system.region
    queue_name = names.queue(f"{PURPOSE}-dlq")
    queue_arn = f"arn:{partition}:sqs:{region}:{ACCOUNT}:{queue_name}"
    config = NotifyConfig(
        system=spec.system.id,
        environment=names.environment,
        webhook_parameter=parameter,
        timeout_seconds=TIMEOUT_SECONDS,
        max_attempts=MAX_ATTEMPTS,
    )
    return NotifierPlan(
        function=_function(names, parameter, queue_arn, config, (partition, region), artifacts),
        topic_arn=topic_arn,
        parameter_name=parameter,
        parameter_arn=iam.parameter_arn(partition, region, parameter),
        queue=_queue(names, queue_name, queue_arn, topic_arn),
    )


def _function(
    names: Names,
    parameter: str,
    queue_arn: str,
    config: NotifyConfig,
    where: tuple[str, str],
    artifacts: BucketPlan,
) -> FunctionPlan:
    """The function and its role: read its configuration object and the parameter, use the
    system key, write its logs and dead letters."""
    partition, region = where
    name = names.function(PURPOSE)
    config_file = function_config(artifacts, name, PURPOSE, config)
    log_group = names.lambda_log_group(PURPOSE)
    log_arn = f"arn:{partition}:logs:{region}:{ACCOUNT}:log-group:{log_group}"
    description = f"{names.prefix}: deliver alarm notifications to the chat webhook"
    role = iam.role(
        PURPOSE,
        names.role(PURPOSE),
        "lambda.amazonaws.com",
        description,
        read_config_grant(artifacts, config_file),
        iam.read_secure_parameter(partition, region, parameter),
        (
            # Its environment and configuration object are encrypted with the system key;
            # dead letters too.
            Statement(
                sid="UseSystemKey",
                actions=("kms:Decrypt", "kms:GenerateDataKey"),
                resources=(KEY_ARN,),
            ),
        ),
        iam.log_writes((log_arn,)),
        iam.send_messages(queue_arn),
    )
    return FunctionPlan(
        key=PURPOSE,
        name=name,
        arn=function_arn(partition, region, name),
        handler="mlops_runtime.notify.handler",
        description=description,
        role=role,
        log_group=log_group,
        timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
        memory_mb=MEMORY_MB,
        config_file=config_file,
    )


def _queue(names: Names, queue_name: str, queue_arn: str, topic_arn: str) -> QueuePlan:
    """Dead letters of the function and of SNS deliveries from ``topic_arn``, TLS-only, with
    an alarm."""
    policy = tls_only(
        queue_arn,
        Statement(
            sid="SnsDeadLetters",
            principals=(("Service", "sns.amazonaws.com"),),
            actions=("sqs:SendMessage",),
            resources=(queue_arn,),
            conditions=(Condition("ArnEquals", "aws:SourceArn", (topic_arn,)),),
        ),
    )
    alarm = dead_letter_alarm(
        names,
        f"{PURPOSE}-dlq",
        queue_name,
        f"{names.prefix}: alarm notifications the webhook did not take wait in {queue_name}",
    )
    return QueuePlan(queue_name, queue_arn, DLQ_RETENTION_SECONDS, policy, alarm)
