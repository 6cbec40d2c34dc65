"""Training: one model's SageMaker pipeline (train -> evaluate -> gate -> profile + register),
its scoped execution role, the training job's own role, and the scheduler role all of the
model's schedules use. The
training schedule itself invokes the retraining trigger, so the Retraining component creates it
(after the function).

SageMaker writes job logs to the account-wide groups ``/aws/sagemaker/TrainingJobs`` and
``/aws/sagemaker/ProcessingJobs``; this stack grants writes there but does not own those groups
(another stack in the account would conflict), so their retention is an account setting.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from mlops_components.pipelines import create_pipeline
from mlops_components.refs import StackContext
from mlops_components.roles import Role, create_role
from mlops_spec.plan import TrainingPlan


@dataclass(frozen=True)
class TrainingArgs:
    plan: TrainingPlan
    context: StackContext


class Training(pulumi.ComponentResource):
    """The pipeline of one model."""

    pipeline_name: pulumi.Output[str]
    pipeline_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    """The pipeline's role (orchestration, the Evaluate and Profile steps, registration)."""
    job_role_arn: pulumi.Output[str]
    """The training job's role: reads the inputs, writes the model and its checkpoints; no
    registry, no jobs, nothing under the model's evaluation/ or reference/ prefixes."""
    scheduler: Role | None
    """The role all of the model's schedules assume (None when the model has none)."""
    schedule_alias: pulumi.Alias
    """Where the training schedule was registered before it moved to Retraining (an alias
    keeps existing stacks from replacing it)."""

    def __init__(
        self, name: str, args: TrainingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:training:Training", name, None, opts)
        plan, tags = args.plan, args.context.policy.tag_map
        role = create_role(self, name, plan.role, args.context.refs, tags)
        job_role = create_role(self, name, plan.job_role, args.context.refs, tags)
        pipeline = create_pipeline(
            self,
            name,
            role=role,
            job_roles=[job_role],
            config_files=plan.config_files,
            context=args.context,
            pipeline_name=plan.pipeline_name,
            display_name=plan.display_name,
            description=plan.description,
            definition=plan.definition,
        )
        self.pipeline = pipeline
        self.pipeline_name = pipeline.pipeline_name
        self.pipeline_arn = pipeline.arn
        self.role_arn = role.arn
        self.job_role_arn = job_role.arn
        self.scheduler = None
        if plan.scheduler_role is not None:
            self.scheduler = create_role(self, name, plan.scheduler_role, args.context.refs, tags)
        # The schedule moved while Training was still a top-level resource (before MlSystem):
        # its old parent is that URN, not this one, where the schedule never was.
        old_parent = pulumi.create_urn(name, "mlops:training:Training")
        self.schedule_alias = pulumi.Alias(name=f"{name}-schedule", parent=old_parent)
        self.register_outputs(
            {
                "pipeline_name": self.pipeline_name,
                "pipeline_arn": self.pipeline_arn,
                "role_arn": self.role_arn,
                "job_role_arn": self.job_role_arn,
            }
        )
