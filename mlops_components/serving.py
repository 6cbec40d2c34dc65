"""Serving: one model's endpoint (realtime or serverless) or scheduled batch transform.

Pinned versions: a ``PinnedEndpoint`` (``mlops_components.endpoint_provider``), a dynamic
resource that runs the one rollout during ``pulumi up`` from the plan's ``EndpointTarget``: it
creates the Model, EndpointConfig (content-hashed names) and Endpoint, or moves the endpoint
blue/green onto new ones with the spec's traffic steps and the model's rollback alarms
(created first, by Monitoring), waits, verifies that the endpoint serves them and only then
deletes the previous ones. It owns the variant's autoscaling (``AllTraffic``), deregistering it
around an instance-type change. Protected in production.

``latest_approved``: the deploy function owns the endpoint and registers its autoscaling (see
docs/components.md); this component creates its role and log group and exposes its fixed name,
ARN and metrics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from mlops_components.functions import create_log_group
from mlops_components.pipelines import create_pipeline
from mlops_components.refs import StackContext, child
from mlops_components.roles import Role, create_role
from mlops_components.schedules import create_schedule
from mlops_spec.plan import MetricDescriptor, ServingPlan
from mlops_spec.plan.documents import partition_of
from mlops_spec.plan.serving import EndpointPlan, endpoint_target

sm = aws.sagemaker


@dataclass(frozen=True)
class ServingArgs:
    plan: ServingPlan
    context: StackContext
    rollback_alarms: list[aws.cloudwatch.MetricAlarm] = field(default_factory=list)
    """The alarms named by the rollout (a pinned endpoint depends on them)."""
    scheduler: Role | None = None
    """Batch only: the model's scheduler role (``Training.scheduler``)."""


class Serving(pulumi.ComponentResource):
    """Endpoint or batch pipeline of one model."""

    endpoint_name: pulumi.Output[str] | None
    endpoint_arn: pulumi.Output[str] | None
    batch_pipeline_name: pulumi.Output[str] | None
    role_arn: pulumi.Output[str]
    metrics: dict[str, MetricDescriptor]

    def __init__(
        self, name: str, args: ServingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:serving:Serving", name, None, opts)
        plan, tags = args.plan, args.context.policy.tag_map
        role = create_role(self, name, plan.role, args.context.refs, tags)
        self.role_arn = role.arn
        self.metrics = dict(plan.metrics)
        self.endpoint_name = self.endpoint_arn = self.batch_pipeline_name = None
        if plan.endpoint is not None:
            self._endpoint(name, plan.endpoint, role, args)
        if plan.batch is not None:
            batch = plan.batch
            # <name>-batch-pipeline, after its config objects (<name>-batch-config-<step>)
            pipeline = create_pipeline(
                self,
                f"{name}-batch",
                role=role,
                config_files=batch.config_files,
                context=args.context,
                pipeline_name=batch.pipeline_name,
                display_name=batch.pipeline_name,
                description=f"Batch transform of {plan.model}",
                definition=batch.definition,
            )
            if args.scheduler is None:
                raise ValueError(f"serving {plan.model}: a batch schedule needs a scheduler role")
            create_schedule(
                self,
                f"{name}-batch-schedule",
                batch.schedule,
                args.scheduler,
                pipeline,
                args.context,
            )
            self.batch_pipeline_name = pipeline.pipeline_name
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_arn": self.endpoint_arn,
                "batch_pipeline_name": self.batch_pipeline_name,
                "role_arn": self.role_arn,
            }
        )

    def _endpoint(self, name: str, plan: EndpointPlan, role: Role, args: ServingArgs) -> None:
        context = args.context
        logs = create_log_group(self, f"{name}-endpoint-logs", plan.log_group, context)
        if plan.owner != "pulumi":
            self.endpoint_name = pulumi.Output.from_input(plan.name)
            self.endpoint_arn = context.refs.render(plan.arn)
            return
        from mlops_components.endpoint_provider import PinnedEndpoint  # pinned versions only

        endpoint = PinnedEndpoint(
            f"{name}-endpoint",
            endpoint_inputs(args.plan, context),
            opts=child(
                self,
                protect=context.policy.protect,
                depends_on=[role.policy, logs, *context.depends_on, *args.rollback_alarms],
            ),
        )
        self.endpoint_name = endpoint.endpointName
        self.endpoint_arn = pulumi.Output.all(
            endpoint.endpointName, context.refs.render(plan.arn)
        ).apply(lambda values: str(values[1]))


def endpoint_inputs(plan: ServingPlan, context: StackContext) -> dict[str, pulumi.Input[Any]]:
    """A pinned endpoint's inputs: its name, region, package, the rendered ``EndpointTarget``
    (role and key ARNs filled in) and how long ``pulumi up`` waits for its rollout."""
    from mlops_components.endpoint_provider import target_data

    endpoint = plan.endpoint
    assert endpoint is not None and endpoint.package_arn and endpoint.wait_minutes
    target = endpoint_target(plan, context.policy, partition_of(endpoint.region))
    rendered = context.refs.render(json.dumps(target_data(target), sort_keys=True))
    return {
        "endpointName": endpoint.name,
        "region": endpoint.region,
        "packageArn": context.refs.render(endpoint.package_arn),
        "target": rendered.apply(json.loads),
        "waitMinutes": endpoint.wait_minutes,
    }
