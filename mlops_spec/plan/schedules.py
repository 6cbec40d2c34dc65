"""EventBridge Scheduler schedules and the per-model role they assume.

Two kinds of target:

- a SageMaker pipeline, started through the universal target
  ``arn:<partition>:scheduler:::aws-sdk:sagemaker:startPipelineExecution`` (batch transform and
  drift monitoring: nothing limits how often they run);
- the retraining trigger function (scheduled retraining): it receives
  ``{"source": "mlops.schedule", "model": ID, "scheduled_time": ...}``, so the model's cooldown
  and daily limit apply to scheduled runs like to every other automatic run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_spec.naming import Names
from mlops_spec.plan import iam
from mlops_spec.plan.documents import ACCOUNT, canonical_json
from mlops_spec.plan.pipelines import REASON_PARAMETER

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
        pipeline_name=pipeline,
    )


def invoke_function_schedule(
    *,
    name: str,
    model: str,
    expression: str,
    enabled: bool,
    function: str,
    role_name: str,
    description: str,
    event: dict[str, Any],
) -> SchedulePlan:
    """A schedule invoking the function with ARN ``function`` with ``event``."""
    return SchedulePlan(
        name=name,
        model=model,
        expression=expression,
        enabled=enabled,
        role_name=role_name,
        description=description,
        target_arn=function,
        input=canonical_json(event),
        action=INVOKE_FUNCTION,
        resource_arn=function,
    )


def scheduler_role(
    model_id: str, names: Names, schedules: tuple[SchedulePlan, ...]
) -> iam.RolePlan:
    """The role all of a model's schedules assume: start exactly their pipelines and invoke
    exactly their functions (trust guarded by ``aws:SourceAccount``)."""
    targets: dict[str, set[str]] = {}
    for schedule in schedules:
        targets.setdefault(schedule.action, set()).add(schedule.resource_arn)
    grants = []
    if START_PIPELINE in targets:
        grants.append(iam.start_pipelines(tuple(sorted(targets[START_PIPELINE]))))
    if INVOKE_FUNCTION in targets:
        grants.append(iam.invoke_functions(tuple(sorted(targets[INVOKE_FUNCTION]))))
    return iam.role(
        "scheduler",
        names.role("scheduler", model_id),
        "scheduler.amazonaws.com",
        f"EventBridge Scheduler: the schedules of {model_id}",
        *grants,
        source_account=True,
    )
