"""Monitoring job: a model's scheduled monitoring pipeline (``python -m mlops_runtime.monitoring_job``)
that reads captured traffic (and ground truth), writes reports and publishes the metrics the
alarms of the model's data_drift, prediction_drift, bias and model_quality monitors watch."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from mlops_components.pipelines import create_pipeline
from mlops_components.refs import StackContext
from mlops_components.roles import Role, create_role
from mlops_components.schedules import create_schedule
from mlops_spec.plan.monitoring import MonitoringJobPlan

TYPE = "mlops:monitoring_job:MonitoringJob"
FORMER_TYPES = ("mlops:drift_job:DriftJob",)
"""Earlier type tokens of this component: passed as aliases, so stacks created with them keep
their resources (the component's children inherit the alias, so their URNs match too)."""


@dataclass(frozen=True)
class MonitoringJobArgs:
    plan: MonitoringJobPlan
    context: StackContext
    scheduler: Role
    """The model's scheduler role (``Training.scheduler``)."""


class MonitoringJob(pulumi.ComponentResource):
    """The monitoring pipeline and its schedule."""

    pipeline_name: pulumi.Output[str]
    """The SageMaker pipeline that runs the monitoring job."""
    role_arn: pulumi.Output[str]
    """The role the monitoring job runs as."""

    def __init__(
        self, name: str, args: MonitoringJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        aliases = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=t) for t in FORMER_TYPES])
        super().__init__(TYPE, name, None, pulumi.ResourceOptions.merge(aliases, opts))
        plan, tags = args.plan, args.context.policy.tag_map
        role = create_role(self, name, plan.role, args.context.refs, tags)
        pipeline = create_pipeline(
            self,
            name,
            role=role,
            config_files=plan.config_files,
            context=args.context,
            pipeline_name=plan.pipeline_name,
            display_name=plan.pipeline_name,
            description=f"Model monitoring ({', '.join(plan.monitors)})",
            definition=plan.definition,
        )
        create_schedule(
            self, f"{name}-schedule", plan.schedule, args.scheduler, pipeline, args.context
        )
        self.pipeline_name = pipeline.pipeline_name
        self.role_arn = role.arn
        self.register_outputs({"pipeline_name": self.pipeline_name, "role_arn": self.role_arn})
