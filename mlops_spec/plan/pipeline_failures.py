"""Failed pipeline executions reach people: one EventBridge rule per stack.

SageMaker emits ``SageMaker Model Building Pipeline Execution Status Change`` for every pipeline
execution; the rule ``<prefix>-pipeline-failed`` matches ``currentPipelineExecutionStatus:
Failed`` of the system's own pipelines (training, batch transform, monitoring job) and
publishes a readable message to the alarm topic, so e-mail subscribers and the chat notifier
hear of a failed retraining, scoring or monitoring run like of an alarm. It is routed like the
alarms: enabled where alarm actions are, created disabled where they are not (development).
The rule lists the pipelines' ARNs; a system with more pipelines than a 4096-character pattern
holds (about 50) matches ``pipeline/<prefix>-*`` instead. The topic's policy lets
``events.amazonaws.com`` publish for this rule only. A message the rule
could not deliver after its retries waits in the dead-letter queue ``<prefix>-pipeline-failed-
dlq``, whose alarm notifies through CloudWatch (the alarms' own path, independent of the rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_spec.naming import Names
from mlops_spec.plan.documents import ACCOUNT, canonical_json
from mlops_spec.plan.errors import PlanError
from mlops_spec.plan.queues import QueuePlan, service_dead_letters

PURPOSE = "pipeline-failed"
"""The rule ``<prefix>-pipeline-failed``; its dead-letter queue and that queue's alarm
``<prefix>-pipeline-failed-dlq``."""
DETAIL_TYPE = "SageMaker Model Building Pipeline Execution Status Change"
FAILED = "Failed"
EVENT_PATTERN_LIMIT = 4096
"""EventBridge: PutRule's EventPattern is at most 4096 characters (botocore's model)."""
RETRY_ATTEMPTS = 8
MAX_EVENT_AGE_SECONDS = 3600
INPUT_PATHS = (
    ("execution", "$.detail.pipelineExecutionArn"),
    ("pipeline", "$.detail.pipelineArn"),
    ("time", "$.time"),
)
"""The event fields the message shows (input transformer variables)."""


@dataclass(frozen=True)
class FailureRulePlan:
    """The rule, its message to the alarm topic, and the queue of undelivered messages."""

    name: str
    arn: str
    description: str
    event_pattern: str
    """JSON with ``${account}`` in the pipeline ARNs."""
    pipelines: tuple[str, ...]
    """The pipeline ARNs the rule matches (``${account}`` placeholders)."""
    enabled: bool
    """False where alarm actions are off: the rule is created DISABLED."""
    topic_arn: str
    input_paths: tuple[tuple[str, str], ...]
    input_template: str
    """A JSON string: the SNS message text."""
    queue: QueuePlan
    """Messages the rule could not deliver (after its retries), with an alarm."""
    retry_attempts: int = RETRY_ATTEMPTS
    max_event_age_seconds: int = MAX_EVENT_AGE_SECONDS

    @property
    def state(self) -> str:
        return "ENABLED" if self.enabled else "DISABLED"


def _pattern(pipelines: list) -> str:
    """Failed executions of ``pipelines`` (ARNs, or one ``{"prefix": ...}`` matcher)."""
    return canonical_json(
        {
            "source": ["aws.sagemaker"],
            "detail-type": [DETAIL_TYPE],
            "detail": {"currentPipelineExecutionStatus": [FAILED], "pipelineArn": pipelines},
        }
    )


def _size(pattern: str) -> int:
    return len(pattern.replace("${account}", "0" * 12))


def plan_failure_rule(
    names: Names,
    pipelines: tuple[str, ...],
    *,
    topic_arn: str,
    enabled: bool,
    partition: str,
    region: str,
) -> FailureRulePlan:
    """The rule over ``pipelines`` (ARNs), listed one by one while the pattern fits
    EventBridge's limit, else matched by the stack's pipeline name prefix (``<prefix>-``; every
    pipeline of the stack is named so); PlanError when neither fits."""
    name = names.rule(PURPOSE)
    arn = f"arn:{partition}:events:{region}:{ACCOUNT}:rule/{name}"
    pattern = _pattern(sorted(pipelines))
    if _size(pattern) > EVENT_PATTERN_LIMIT:
        # A large system: every pipeline of the stack by its name prefix instead.
        prefix = f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:pipeline/{names.prefix}-"
        if all(p.startswith(prefix) for p in pipelines):
            pattern = _pattern([{"prefix": prefix}])
    if _size(pattern) > EVENT_PATTERN_LIMIT:
        raise PlanError(
            f"models: the rule {name} would match {len(pipelines)} pipelines in a "
            f"{_size(pattern)}-character event pattern; EventBridge allows "
            f"{EVENT_PATTERN_LIMIT}. Split the system into fewer models per spec"
        )
    template = (
        f'"{names.prefix}: a SageMaker pipeline run FAILED at <time>. '
        "Pipeline: <pipeline>. Execution: <execution>. "
        "See the failed step and its reason with: aws sagemaker list-pipeline-execution-steps "
        '--pipeline-execution-arn <execution>"'
    )
    return FailureRulePlan(
        name=name,
        arn=arn,
        description=f"{names.prefix}: a training, batch or monitoring pipeline run failed",
        event_pattern=pattern,
        pipelines=tuple(sorted(pipelines)),
        enabled=enabled,
        topic_arn=topic_arn,
        input_paths=INPUT_PATHS,
        input_template=template,
        queue=service_dead_letters(
            names,
            f"{PURPOSE}-dlq",
            service="events.amazonaws.com",
            source_arns=(arn,),
            description=(
                f"{names.prefix}: failed pipeline runs could not be announced on the alarm "
                f"topic and wait in {names.queue(PURPOSE + '-dlq')}; check the topic's policy "
                "and key"
            ),
            partition=partition,
            region=region,
        ),
    )
