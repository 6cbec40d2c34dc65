"""Serving: one model's endpoint (realtime or serverless) or scheduled batch transform.

Pinned versions: Pulumi owns Model -> EndpointConfiguration -> Endpoint. Model and config
names carry a hash of their inputs, so a change creates the new ones before the old ones are
deleted (``delete_before_replace=False``) and the endpoint moves with a blue/green deployment
whose auto-rollback alarms are the model's rollback monitors (created first, by Monitoring).
Autoscaling targets the stable variant ``AllTraffic`` (``endpoint/<name>/variant/AllTraffic``),
so it survives endpoint updates.

``latest_approved``: the deploy function owns the endpoint and registers its autoscaling (see
docs/components.md); this component creates its role and log group and exposes its fixed name,
ARN and metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from mlops_components.functions import create_log_group
from mlops_components.refs import StackContext, child
from mlops_components.roles import Role, create_role
from mlops_components.schedules import create_schedule
from mlops_spec.plan import MetricDescriptor, ServingPlan
from mlops_spec.plan.serving import AutoscalingPlan, EndpointPlan

sm = aws.sagemaker


@dataclass(frozen=True)
class ServingArgs:
    plan: ServingPlan
    context: StackContext
    rollback_alarms: list[aws.cloudwatch.MetricAlarm] = field(default_factory=list)
    """The alarms named by the rollout (the endpoint depends on them)."""
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
            pipeline = sm.Pipeline(
                f"{name}-batch-pipeline",
                pipeline_name=batch.pipeline_name,
                pipeline_display_name=batch.pipeline_name,
                pipeline_description=f"Batch transform of {plan.model}",
                pipeline_definition=args.context.refs.render(batch.definition),
                role_arn=role.arn,
                tags=tags,
                opts=child(self, depends_on=[role.policy, *args.context.depends_on]),
            )
            if args.scheduler is None:
                raise ValueError(f"serving {plan.model}: a batch schedule needs a scheduler role")
            create_schedule(
                self,
                f"{name}-batch-schedule",
                batch.schedule,
                args.scheduler,
                pipeline,
                args.context.refs,
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
        tags = args.context.policy.tag_map
        create_log_group(self, f"{name}-endpoint-logs", plan.log_group, args.context)
        if plan.owner != "pulumi":
            self.endpoint_name = pulumi.Output.from_input(plan.name)
            self.endpoint_arn = args.context.refs.render(plan.arn)
            return
        assert plan.package_arn and plan.model_name and plan.config_name
        model = sm.Model(
            f"{name}-model",
            name=plan.model_name,
            execution_role_arn=role.arn,
            primary_container=sm.ModelPrimaryContainerArgs(
                model_package_name=args.context.refs.render(plan.package_arn)
            ),
            tags=tags,
            opts=child(
                self,
                delete_before_replace=False,
                depends_on=[role.policy, *args.context.depends_on],
            ),
        )
        config = _endpoint_config(self, name, plan, model, args.context)
        endpoint = sm.Endpoint(
            f"{name}-endpoint",
            name=plan.name,
            endpoint_config_name=config.name,
            deployment_config=_deployment_config(plan),
            tags=tags,
            opts=child(self, depends_on=list(args.rollback_alarms)),
        )
        self.endpoint_name = endpoint.name
        self.endpoint_arn = endpoint.arn
        if plan.autoscaling is not None:
            _autoscaling(self, name, plan.autoscaling, endpoint, tags)


def _endpoint_config(
    parent: Serving, name: str, plan: EndpointPlan, model: sm.Model, context: StackContext
) -> sm.EndpointConfiguration:
    """One variant serving ``model`` (instances or serverless), with data capture."""
    serverless = None
    if plan.serverless is not None:
        serverless = sm.EndpointConfigurationProductionVariantServerlessConfigArgs(
            memory_size_in_mb=plan.serverless.memory_mb,
            max_concurrency=plan.serverless.max_concurrency,
            provisioned_concurrency=plan.serverless.provisioned_concurrency,
        )
    return sm.EndpointConfiguration(
        f"{name}-endpoint-config",
        name=plan.config_name,
        # Serverless variants have no ML storage volume to encrypt (AWS rejects the key).
        kms_key_arn=context.refs.key_arn if serverless is None else None,
        production_variants=[
            sm.EndpointConfigurationProductionVariantArgs(
                variant_name=plan.variant,
                model_name=model.name,
                instance_type=plan.instance_type,
                initial_instance_count=plan.initial_instance_count if serverless is None else None,
                initial_variant_weight=1.0,
                serverless_config=serverless,
            )
        ],
        data_capture_config=_data_capture(plan, context),
        tags=context.policy.tag_map,
        opts=child(parent, delete_before_replace=False),
    )


def _data_capture(
    plan: EndpointPlan, context: StackContext
) -> sm.EndpointConfigurationDataCaptureConfigArgs | None:
    """Requests and responses (csv and json) sampled to the capture bucket, with the key."""
    if plan.capture is None:
        return None
    return sm.EndpointConfigurationDataCaptureConfigArgs(
        enable_capture=True,
        initial_sampling_percentage=plan.capture.sampling_percent,
        destination_s3_uri=plan.capture.destination_uri,
        kms_key_id=context.refs.key_arn,
        capture_options=[
            sm.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(capture_mode=mode)
            for mode in ("Input", "Output")
        ],
        capture_content_type_header=(
            sm.EndpointConfigurationDataCaptureConfigCaptureContentTypeHeaderArgs(
                csv_content_types=["text/csv"], json_content_types=["application/json"]
            )
        ),
    )


def _autoscaling(
    parent: Serving,
    name: str,
    scaling: AutoscalingPlan,
    endpoint: sm.Endpoint,
    tags: dict[str, str],
) -> None:
    """Target tracking on invocations per instance of the stable variant."""
    target = aws.appautoscaling.Target(
        f"{name}-scaling-target",
        service_namespace="sagemaker",
        resource_id=scaling.resource_id,
        scalable_dimension=scaling.scalable_dimension,
        min_capacity=scaling.min_capacity,
        max_capacity=scaling.max_capacity,
        tags=tags,
        opts=child(parent, depends_on=[endpoint]),
    )
    tracking = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs
    metric = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs
    aws.appautoscaling.Policy(
        f"{name}-scaling-policy",
        name=scaling.policy_name,
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        resource_id=target.resource_id,
        scalable_dimension=target.scalable_dimension,
        target_tracking_scaling_policy_configuration=tracking(
            target_value=scaling.target_invocations_per_instance,
            scale_in_cooldown=scaling.scale_in_cooldown_seconds,
            scale_out_cooldown=scaling.scale_out_cooldown_seconds,
            predefined_metric_specification=metric(
                predefined_metric_type=scaling.predefined_metric
            ),
        ),
        opts=child(parent),
    )


def _deployment_config(plan: EndpointPlan) -> sm.EndpointDeploymentConfigArgs | None:
    """Blue/green traffic shifting with alarm rollback (realtime endpoints only)."""
    rollout = plan.rollout
    if rollout is None:
        return None
    size: dict[str, Any] = {"type": "CAPACITY_PERCENT", "value": rollout.step_percent}
    routing = sm.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationArgs(
        type=rollout.strategy,
        wait_interval_in_seconds=rollout.wait_seconds,
        canary_size=(
            sm.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationCanarySizeArgs(
                **size
            )
            if rollout.strategy == "CANARY"
            else None
        ),
        linear_step_size=(
            sm.EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfigurationLinearStepSizeArgs(
                **size
            )
            if rollout.strategy == "LINEAR"
            else None
        ),
    )
    rollback = None
    if rollout.rollback_alarms:
        rollback = sm.EndpointDeploymentConfigAutoRollbackConfigurationArgs(
            alarms=[
                sm.EndpointDeploymentConfigAutoRollbackConfigurationAlarmArgs(alarm_name=alarm)
                for alarm in rollout.rollback_alarms
            ]
        )
    return sm.EndpointDeploymentConfigArgs(
        blue_green_update_policy=sm.EndpointDeploymentConfigBlueGreenUpdatePolicyArgs(
            traffic_routing_configuration=routing,
            termination_wait_in_seconds=rollout.termination_wait_seconds,
        ),
        auto_rollback_configuration=rollback,
    )
