"""EventBridge Scheduler schedules that start SageMaker pipelines (universal target)."""

from __future__ import annotations

from dataclasses import dataclass

from mlops_spec.plan.documents import ACCOUNT, canonical_json
from mlops_spec.plan.pipelines import REASON_PARAMETER


@dataclass(frozen=True)
class SchedulePlan:
    """One schedule: expression, state, the pipeline it starts and the role it uses."""

    name: str
    expression: str
    enabled: bool
    """False in environments whose schedules are paused (created DISABLED)."""
    pipeline_name: str
    pipeline_arn: str
    role_name: str
    reason: str
    description: str
    target_arn: str

    @property
    def state(self) -> str:
        return "ENABLED" if self.enabled else "DISABLED"

    @property
    def input(self) -> str:
        """The StartPipelineExecution request the schedule sends."""
        return canonical_json(
            {
                "PipelineName": self.pipeline_name,
                "PipelineParameters": [{"Name": REASON_PARAMETER, "Value": self.reason}],
                "PipelineExecutionDescription": self.description,
            }
        )


def pipeline_arn(partition: str, region: str, name: str) -> str:
    """SageMaker lower-cases names in ARNs."""
    return f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:pipeline/{name.lower()}"


def start_pipeline_schedule(
    *,
    name: str,
    expression: str,
    enabled: bool,
    pipeline: str,
    partition: str,
    region: str,
    role_name: str,
    reason: str,
    description: str,
) -> SchedulePlan:
    return SchedulePlan(
        name=name,
        expression=expression,
        enabled=enabled,
        pipeline_name=pipeline,
        pipeline_arn=pipeline_arn(partition, region, pipeline),
        role_name=role_name,
        reason=reason,
        description=description,
        target_arn=f"arn:{partition}:scheduler:::aws-sdk:sagemaker:startPipelineExecution",
    )
