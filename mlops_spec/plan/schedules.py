"""EventBridge Scheduler schedules and the per-model role they assume.

Two kinds of target:

- a SageMaker pipeline, started through the universal target
  ``arn:<partition>:scheduler:::aws-sdk:sagemaker:startPipelineExecution`` (batch transform and
  drift monitoring: nothing limits how often they run);
- the retraining trigger function (scheduled retraining): it receives
  ``{"source": "mlops.schedule", "model": ID, "scheduled_time": ...}``, so the model's cooldown
  and daily limit apply to scheduled runs like to every other automatic run.

Every schedule is encrypted with the system key (``KmsKeyArn``) and has its own dead-letter
queue ``<prefix>-<model>-<purpose>-dlq``: a start that still fails after the schedule's retries
is kept there, and the queue's alarm of the same name notifies. EventBridge Scheduler sends to
the queue (and decrypts the schedule's input) with the schedule's execution role, so that role
may send to exactly its model's schedule queues and use the system key; the queue's policy
names that role as its only sender (AWS: "Configuring a dead-letter queue", execution role
permissions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_spec.naming import Names
from mlops_spec.plan import iam
from mlops_spec.plan.documents import ACCOUNT, KEY_ARN, Statement, canonical_json
from mlops_spec.plan.pipelines import REASON_PARAMETER
from mlops_spec.plan.queues import (
    DLQ_RETENTION_SECONDS,
    QueuePlan,
    dead_letter_alarm,
    queue_arn,
    tls_only,
)

START_PIPELINE = "sagemaker:StartPipelineExecution"
INVOKE_FUNCTION = "lambda:InvokeFunction"
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
"""EventBridge Scheduler context attribute: the time the schedule fired (stable across its
retries, so the trigger's idempotency key is too)."""


@dataclass(frozen=True)
class SchedulePlan:
    """One schedule: expression, state, what it calls with which input, and its role."""

    name: str
    model: str
    expression: str
    enabled: bool
    """False in environments whose schedules are paused (created DISABLED)."""
    role_name: str
    description: str
    target_arn: str
    """The universal startPipelineExecution target, or the function's ARN."""
    input: str
    """The StartPipelineExecution request, or the event the function receives (JSON)."""
    action: str
    """The IAM action the role needs: ``START_PIPELINE`` or ``INVOKE_FUNCTION``."""
    resource_arn: str
    """The pipeline or function ARN that action is allowed on."""
    dead_letters: QueuePlan
    """Where a start that failed after the schedule's retries waits (the role sends it)."""
    pipeline_name: str | None = None
    """The pipeline started (pipeline targets only)."""

    @property
    def state(self) -> str:
        return "ENABLED" if self.enabled else "DISABLED"


def pipeline_arn(partition: str, region: str, name: str) -> str:
    """SageMaker lower-cases names in ARNs."""
    return f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:pipeline/{name.lower()}"


def function_arn(partition: str, region: str, name: str) -> str:
    return f"arn:{partition}:lambda:{region}:{ACCOUNT}:function:{name}"


def dead_letter_queue(
    names: Names, model: str, purpose: str, partition: str, region: str
) -> QueuePlan:
    """The queue ``<prefix>-<model>-<purpose>-dlq`` of one schedule, its policy (the model's
    scheduler role may send, over TLS only) and its alarm of the same name."""
    name = names.queue(f"{model}-{purpose}-dlq")
    arn = queue_arn(partition, region, name)
    role_arn = iam.role_arn(partition, names.role("scheduler", model))
    sender = Statement(
        sid="SchedulerDeadLetters",
        principals=(("AWS", role_arn),),
        actions=("sqs:SendMessage",),
        resources=(arn,),
    )
    alarm = dead_letter_alarm(
        names,
        f"{model}-{purpose}-dlq",
        name,
        f"{names.prefix}/{model}: a scheduled {purpose} start failed after its retries and "
        f"waits in {name}",
    )
    return QueuePlan(name, arn, DLQ_RETENTION_SECONDS, tls_only(arn, sender), alarm)


def start_pipeline_schedule(
    *,
    names: Names,
    model: str,
    purpose: str,
    what: str,
    expression: str,
    enabled: bool,
    pipeline: str,
    partition: str,
    region: str,
) -> SchedulePlan:
    """The model's ``<purpose>`` schedule, starting ``pipeline`` (``TriggerReason=schedule``)
    as the model's scheduler role; ``what`` describes the run."""
    name = names.schedule(model, purpose)
    role_name = names.role("scheduler", model)
    reason = "schedule"
    description = f"{names.prefix}/{model}: {what}"
    request = {
        "PipelineName": pipeline,
        "PipelineParameters": [{"Name": REASON_PARAMETER, "Value": reason}],
        "PipelineExecutionDescription": description,
    }
    return SchedulePlan(
        name=name,
        model=model,
        expression=expression,
        enabled=enabled,
        role_name=role_name,
        description=description,
        target_arn=f"arn:{partition}:scheduler:::aws-sdk:sagemaker:startPipelineExecution",
        input=canonical_json(request),
        action=START_PIPELINE,
        resource_arn=pipeline_arn(partition, region, pipeline),
        dead_letters=dead_letter_queue(names, model, purpose, partition, region),
        pipeline_name=pipeline,
    )


def invoke_function_schedule(
    *,
    names: Names,
    model: str,
    purpose: str,
    what: str,
    expression: str,
    enabled: bool,
    function: str,
    event: dict[str, Any],
    partition: str,
    region: str,
) -> SchedulePlan:
    """The model's ``<purpose>`` schedule, invoking the function with ARN ``function`` with
    ``event`` as the model's scheduler role; ``what`` describes the run."""
    return SchedulePlan(
        name=names.schedule(model, purpose),
        model=model,
        expression=expression,
        enabled=enabled,
        role_name=names.role("scheduler", model),
        description=f"{names.prefix}/{model}: {what}",
        target_arn=function,
        input=canonical_json(event),
        action=INVOKE_FUNCTION,
        resource_arn=function,
        dead_letters=dead_letter_queue(names, model, purpose, partition, region),
    )


def scheduler_role(
    model_id: str, names: Names, schedules: tuple[SchedulePlan, ...]
) -> iam.RolePlan:
    """The role all of a model's schedules assume: start exactly their pipelines, invoke
    exactly their functions, send to exactly their dead-letter queues and use the system key
    (their input and their queues are encrypted with it); trust guarded by
    ``aws:SourceAccount``."""
    targets: dict[str, set[str]] = {}
    for schedule in schedules:
        targets.setdefault(schedule.action, set()).add(schedule.resource_arn)
    grants = []
    if START_PIPELINE in targets:
        grants.append(iam.start_pipelines(tuple(sorted(targets[START_PIPELINE]))))
    if INVOKE_FUNCTION in targets:
        grants.append(iam.invoke_functions(tuple(sorted(targets[INVOKE_FUNCTION]))))
    queues = tuple(sorted(s.dead_letters.arn for s in schedules))
    grants.append(
        (
            Statement(sid="DeadLetters", actions=("sqs:SendMessage",), resources=queues),
            Statement(
                sid="UseSystemKey",
                actions=("kms:Decrypt", "kms:GenerateDataKey"),
                resources=(KEY_ARN,),
            ),
        )
    )
    return iam.role(
        "scheduler",
        names.role("scheduler", model_id),
        "scheduler.amazonaws.com",
        f"EventBridge Scheduler: the schedules of {model_id}",
        *grants,
        source_account=True,
    )
