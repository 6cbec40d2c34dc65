"""Serving alone: the endpoint (or batch pipeline) of model ``mm`` of a minimal spec.

The minimal spec serves ``mm`` realtime, pinned to package version 4, with one rollback
monitor (``lat``); variants below change one serving key at a time.
"""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from mlops_components import Serving, ServingArgs
from mlops_spec.plan import DeploymentPlan
from tests.components.unit import (
    KEY_ARN,
    Match,
    Template,
    build,
    collaborators,
    over_privileged,
    sources,
)
from tests.plan.conftest import PROD, mini

SM = "aws:sagemaker/"
MODEL = f"{SM}model:Model"
CONFIG = f"{SM}endpointConfiguration:EndpointConfiguration"
ENDPOINT = f"{SM}endpoint:Endpoint"
TARGET = "aws:appautoscaling/target:Target"
SCALING = "aws:appautoscaling/policy:Policy"
LOGS = "aws:cloudwatch/logGroup:LogGroup"
PINNED = {"pinned": 4}


def serving(plan: DeploymentPlan, *, rollback_alarm: bool = False) -> Template:
    """Serving of ``mm``; with ``rollback_alarm``, a stand-in for Monitoring's alarm of ``lat``
    (``test-lat-alarm``) is passed as the rollout's alarm."""

    def construct(ctx: Any) -> None:
        (served,) = plan.serving
        alarms = []
        if rollback_alarm:
            alarms.append(
                aws.cloudwatch.MetricAlarm(
                    "test-lat-alarm",
                    name="mini-dev-mm-lat",
                    comparison_operator="GreaterThanThreshold",
                    evaluation_periods=1,
                )
            )
        scheduler = collaborators(plan, ctx).get("mm")
        args = ServingArgs(served, ctx, alarms, scheduler.scheduler if scheduler else None)
        Serving("mm-serving", args)

    return build(plan, construct)


def realtime(**changes: Any) -> dict[str, Any]:
    return {"tier": "realtime", "model_version": PINNED, **changes}


@pytest.fixture(scope="module")
def pinned() -> Template:
    return serving(mini(), rollback_alarm=True)


def test_the_endpoint_config_encrypts_instance_volumes_with_the_system_key(
    pinned: Template,
) -> None:
    pinned.has_resource_properties(CONFIG, {"kmsKeyArn": KEY_ARN})


def test_the_pinned_version_s_package_is_served(pinned: Template) -> None:
    model = pinned.has_resource_properties(
        MODEL,
        {
            "primaryContainer": {
                "modelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:"
                "model-package/mini-dev-mm/4"
            }
        },
    )
    assert sources(model, "executionRoleArn") == ["mm-serving-serve-role"]


def test_one_variant_of_the_spec_s_instance_type_starting_at_min_instances(
    pinned: Template,
) -> None:
    pinned.has_resource_properties(
        CONFIG,
        {
            "productionVariants": [
                {
                    "variantName": "AllTraffic",
                    "instanceType": "ml.m5.large",
                    "initialInstanceCount": 1,
                    "initialVariantWeight": 1,
                }
            ]
        },
    )


def test_capture_records_every_request_by_default_encrypted_with_the_system_key(
    pinned: Template,
) -> None:
    pinned.has_resource_properties(
        CONFIG,
        {
            "dataCaptureConfig": {
                "enableCapture": True,
                "initialSamplingPercentage": 100,
                "destinationS3Uri": "s3://acme-mini-dev-capture-eu-west-1/endpoints",
                "kmsKeyId": KEY_ARN,
                "captureOptions": [{"captureMode": "Input"}, {"captureMode": "Output"}],
            }
        },
    )


def test_data_capture_percent_is_the_sampling_percentage() -> None:
    template = serving(mini(serving=realtime(data_capture_percent=25)))
    template.has_resource_properties(
        CONFIG, {"dataCaptureConfig": {"initialSamplingPercentage": 25}}
    )


def test_no_capture_config_when_capture_is_off() -> None:
    template = serving(mini(serving=realtime(data_capture_percent=0)))
    template.has_resource_properties(CONFIG, {"dataCaptureConfig": Match.absent()})


def test_autoscaling_spans_min_to_max_instances_of_the_stable_variant() -> None:
    scaling = {"min_instances": 2, "max_instances": 5, "target_invocations_per_instance": 250}
    template = serving(mini(serving=realtime(autoscaling=scaling)))
    template.has_resource_properties(
        TARGET,
        {
            "minCapacity": 2,
            "maxCapacity": 5,
            "resourceId": "endpoint/mini-dev-mm/variant/AllTraffic",
            "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
        },
    )
    template.has_resource_properties(
        SCALING,
        {
            "policyType": "TargetTrackingScaling",
            "targetTrackingScalingPolicyConfiguration": {
                "targetValue": 250,
                "scaleInCooldown": 300,
                "scaleOutCooldown": 60,
                "predefinedMetricSpecification": {
                    "predefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
            },
        },
    )


def test_a_fixed_fleet_has_no_scaling_policy() -> None:
    fixed = {"min_instances": 3, "max_instances": 3}
    template = serving(mini(serving=realtime(autoscaling=fixed)))
    template.resource_count_is(TARGET, 0)
    template.resource_count_is(SCALING, 0)
    template.has_resource_properties(CONFIG, {"productionVariants": [{"initialInstanceCount": 3}]})


def test_the_rollout_is_a_canary_baked_then_the_old_fleet_kept(pinned: Template) -> None:
    pinned.has_resource_properties(
        ENDPOINT,
        {
            "name": "mini-dev-mm",
            "deploymentConfig": {
                "blueGreenUpdatePolicy": {
                    "trafficRoutingConfiguration": {
                        "type": "CANARY",
                        "canarySize": {"type": "CAPACITY_PERCENT", "value": 10},
                        "linearStepSize": Match.absent(),
                        "waitIntervalInSeconds": 600,
                    },
                    "terminationWaitInSeconds": 300,
                }
            },
        },
    )


def test_a_linear_rollout_shifts_in_steps_of_traffic_percent() -> None:
    rollout = {"strategy": "linear", "traffic_percent": 20, "bake_minutes": 5}
    template = serving(mini(serving=realtime(rollout=rollout)))
    template.has_resource_properties(
        ENDPOINT,
        {
            "deploymentConfig": {
                "blueGreenUpdatePolicy": {
                    "trafficRoutingConfiguration": {
                        "type": "LINEAR",
                        "linearStepSize": {"type": "CAPACITY_PERCENT", "value": 20},
                        "canarySize": Match.absent(),
                        "waitIntervalInSeconds": 300,
                    }
                }
            }
        },
    )


def test_the_rollback_monitors_alarms_roll_the_deployment_back(pinned: Template) -> None:
    pinned.has_resource_properties(
        ENDPOINT,
        {
            "deploymentConfig": {
                "autoRollbackConfiguration": {"alarms": [{"alarmName": "mini-dev-mm-lat"}]}
            }
        },
    )


def test_the_endpoint_is_created_after_its_rollback_alarms(pinned: Template) -> None:
    endpoint = pinned.has_resource_properties(ENDPOINT, {})
    alarm = pinned.named("test-lat-alarm")
    assert alarm.urn in endpoint.depends_on


def test_no_automatic_rollback_when_turned_off() -> None:
    template = serving(mini(serving=realtime(rollout={"auto_rollback": False})))
    template.has_resource_properties(
        ENDPOINT, {"deploymentConfig": {"autoRollbackConfiguration": Match.absent()}}
    )


def test_latest_approved_leaves_the_endpoint_to_the_deploy_function() -> None:
    template = serving(mini(serving={"tier": "realtime"}))
    for type_ in (MODEL, CONFIG, ENDPOINT, TARGET):
        template.resource_count_is(type_, 0)
    template.has_resource_properties(LOGS, {"name": "/aws/sagemaker/Endpoints/mini-dev-mm"})


def test_a_serverless_endpoint_sizes_memory_and_concurrency_and_has_no_volume_key() -> None:
    tier = {"tier": "serverless", "memory_mb": 3072, "max_concurrency": 10}
    template = serving(mini(serving={**tier, "model_version": PINNED}, monitors={}))
    template.has_resource_properties(
        CONFIG,
        {
            "kmsKeyArn": Match.absent(),
            "productionVariants": [
                {
                    "serverlessConfig": {"memorySizeInMb": 3072, "maxConcurrency": 10},
                    "initialInstanceCount": Match.absent(),
                }
            ],
        },
    )
    template.resource_count_is(TARGET, 0)


def test_endpoint_logs_use_the_system_key_and_the_environment_s_retention(
    pinned: Template,
) -> None:
    pinned.has_resource(
        LOGS,
        {
            "inputs": {
                "name": "/aws/sagemaker/Endpoints/mini-dev-mm",
                "kmsKeyId": KEY_ARN,
                "retentionInDays": 14,
            },
            "protect": False,
        },
    )


def test_production_protects_and_retains_the_endpoint_logs() -> None:
    template = serving(mini(settings=PROD))
    template.has_resource(
        LOGS, {"inputs": {"retentionInDays": 365}, "protect": True, "retain_on_delete": True}
    )


def test_the_serving_role_is_least_privilege(pinned: Template) -> None:
    (policy,) = pinned.of_type("aws:iam/rolePolicy:RolePolicy")
    assert over_privileged(policy.inputs["policy"]) == []
    pinned.has_resource_properties(
        "aws:iam/role:Role",
        {
            "name": "mini-dev-mm-serve",
            "assumeRolePolicy": Match.json(
                {
                    "Statement": [
                        {
                            "Principal": {"Service": "sagemaker.amazonaws.com"},
                            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
                        }
                    ]
                }
            ),
        },
    )


@pytest.fixture(scope="module")
def batch() -> Template:
    tier = {"tier": "batch", "schedule": "cron(0 3 * * ? *)", "input": "ds"}
    return serving(
        mini(serving={**tier, "instance_count": 2, "model_version": PINNED}, monitors={})
    )


def test_batch_transforms_the_input_with_the_spec_s_instances(batch: Template) -> None:
    transform = {
        "Name": "Transform",
        "Type": "Transform",
        "Arguments": {
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3Uri": "s3://acme-mini-dev-data-ds-eu-west-1/p/"}}
            },
            "TransformResources": {
                "InstanceType": "ml.m5.xlarge",
                "InstanceCount": 2,
                "VolumeKmsKeyId": KEY_ARN,
            },
            "TransformOutput": {"KmsKeyId": KEY_ARN},
        },
    }
    batch.has_resource_properties(
        f"{SM}pipeline:Pipeline",
        {
            "pipelineName": "mini-dev-mm-batch",
            "pipelineDefinition": Match.json({"Steps": Match.array_with([transform])}),
        },
    )
    batch.resource_count_is(ENDPOINT, 0)


def test_batch_runs_on_the_spec_s_schedule_paused_in_development(batch: Template) -> None:
    schedule = batch.has_resource_properties(
        "aws:scheduler/schedule:Schedule",
        {
            "scheduleExpression": "cron(0 3 * * ? *)",
            "state": "DISABLED",
            "target": {"arn": "arn:aws:scheduler:::aws-sdk:sagemaker:startPipelineExecution"},
        },
    )
    assert sources(schedule, "target") == ["mm-scheduler-role"]
