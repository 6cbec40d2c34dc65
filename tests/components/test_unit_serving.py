"""Serving alone: the endpoint (or batch pipeline) of model ``mm`` of a minimal spec.

The minimal spec serves ``mm`` realtime, pinned to package version 4, with one rollback
monitor (``lat``); variants below change one serving key at a time.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pulumi_aws as aws
import pytest
from botocore.validate import ParamValidator

from mlops_components import Serving, ServingArgs
from mlops_components.endpoint_provider import EndpointInputs
from mlops_runtime.aws import scaling as variant_scaling
from mlops_runtime.aws.endpoint_requests import release
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
AWS_ENDPOINT = f"{SM}endpoint:Endpoint"
ENDPOINT = "pulumi-python:dynamic/mlops:Endpoint"
TARGET = "aws:appautoscaling/target:Target"
SCALING = "aws:appautoscaling/policy:Policy"
LOGS = "aws:cloudwatch/logGroup:LogGroup"
PINNED = {"pinned": 4}
SESSION = botocore.session.get_session()
SAGEMAKER = SESSION.get_service_model("sagemaker")
AUTOSCALING = SESSION.get_service_model("application-autoscaling")
OPERATIONS = {
    "model": "CreateModel",
    "endpoint_config": "CreateEndpointConfig",
    "endpoint": "CreateEndpoint",
    "update": "UpdateEndpoint",
}


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


def requests(template: Template) -> dict[str, Any]:
    """The SageMaker requests the pinned endpoint's provider sends for the recorded inputs
    (CreateModel, CreateEndpointConfig, CreateEndpoint, UpdateEndpoint), each checked against
    botocore's model, and the parsed ``EndpointTarget`` under ``target``."""
    (endpoint,) = template.of_type(ENDPOINT)
    inputs = EndpointInputs.parse(endpoint.inputs)
    built = release(inputs.target, inputs.package_arn)
    for key, operation in OPERATIONS.items():
        shape = SAGEMAKER.operation_model(operation).input_shape
        report = ParamValidator().validate(built.requests[key], shape)
        assert not report.has_errors(), (operation, report.generate_report())
    return {**built.requests, "target": inputs.target}


def test_the_endpoint_config_encrypts_instance_volumes_with_the_system_key(
    pinned: Template,
) -> None:
    assert requests(pinned)["endpoint_config"]["KmsKeyId"] == KEY_ARN


def test_the_pinned_version_s_package_is_served_by_the_serving_role(pinned: Template) -> None:
    model = requests(pinned)["model"]
    assert model["PrimaryContainer"] == {
        "ModelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/mini-dev-mm/4"
    }
    assert model["ExecutionRoleArn"] == "arn:aws:iam::123456789012:role/mini-dev-mm-serve"
    endpoint = pinned.has_resource_properties(ENDPOINT, {"endpointName": "mini-dev-mm"})
    assert pinned.named("mm-serving-serve-policy").urn in endpoint.depends_on


def test_one_variant_of_the_spec_s_instance_type_starting_at_min_instances(
    pinned: Template,
) -> None:
    assert requests(pinned)["endpoint_config"]["ProductionVariants"] == [
        {
            "VariantName": "AllTraffic",
            "ModelName": requests(pinned)["model"]["ModelName"],
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
            "InitialVariantWeight": 1.0,
        }
    ]


def test_capture_records_every_request_by_default_encrypted_with_the_system_key(
    pinned: Template,
) -> None:
    capture = requests(pinned)["endpoint_config"]["DataCaptureConfig"]
    assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == 100
    assert capture["DestinationS3Uri"] == "s3://acme-mini-dev-capture-eu-west-1/endpoints"
    assert capture["KmsKeyId"] == KEY_ARN
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]


def test_data_capture_percent_is_the_sampling_percentage() -> None:
    template = serving(mini(serving=realtime(data_capture_percent=25)))
    assert (
        requests(template)["endpoint_config"]["DataCaptureConfig"]["InitialSamplingPercentage"]
        == 25
    )


def test_no_capture_config_when_capture_is_off() -> None:
    template = serving(mini(serving=realtime(data_capture_percent=0)))
    assert "DataCaptureConfig" not in requests(template)["endpoint_config"]


def test_autoscaling_spans_min_to_max_instances_of_the_stable_variant() -> None:
    scaling = {"min_instances": 2, "max_instances": 5, "target_invocations_per_instance": 250}
    template = serving(mini(serving=realtime(autoscaling=scaling)))
    target = requests(template)["target"]
    registration = variant_scaling.target_request(
        target.endpoint_name, "AllTraffic", target.autoscaling
    )
    policy = variant_scaling.policy_request(target.endpoint_name, "AllTraffic", target.autoscaling)
    for operation, request in (
        ("RegisterScalableTarget", registration),
        ("PutScalingPolicy", policy),
    ):
        shape = AUTOSCALING.operation_model(operation).input_shape
        report = ParamValidator().validate(request, shape)
        assert not report.has_errors(), (operation, report.generate_report())
    assert registration == {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/mini-dev-mm/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "MinCapacity": 2,
        "MaxCapacity": 5,
    }
    assert policy["TargetTrackingScalingPolicyConfiguration"] == {
        "TargetValue": 250.0,
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        },
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 60,
    }
    # the scaling is the endpoint resource's, so one `pulumi up` orders it around updates
    template.resource_count_is(TARGET, 0)
    template.resource_count_is(SCALING, 0)


def test_a_fixed_fleet_has_no_scaling_and_starts_at_its_size() -> None:
    fixed = {"min_instances": 3, "max_instances": 3}
    built = requests(serving(mini(serving=realtime(autoscaling=fixed))))
    assert built["target"].autoscaling is None
    assert built["endpoint_config"]["ProductionVariants"][0]["InitialInstanceCount"] == 3


def test_the_rollout_is_a_canary_baked_then_the_old_fleet_kept() -> None:
    two = realtime(autoscaling={"min_instances": 2, "max_instances": 3})  # a canary of one
    template = serving(mini(serving=two))
    policy = requests(template)["update"]["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy == {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
            "WaitIntervalInSeconds": 600,
        },
        "TerminationWaitInSeconds": 300,
        "MaximumExecutionTimeoutInSeconds": (20 + 2 * 10 + 5) * 60,  # the rollout's budget
    }
    template.has_resource_properties(ENDPOINT, {"waitMinutes": 30 + 20 + 2 * 10 + 5})


def test_one_instance_rolls_out_all_at_once(pinned: Template) -> None:
    policy = requests(pinned)["update"]["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "ALL_AT_ONCE",
        "WaitIntervalInSeconds": 600,
    }


def test_a_linear_rollout_shifts_in_steps_of_traffic_percent() -> None:
    rollout = {"strategy": "linear", "traffic_percent": 20, "bake_minutes": 5}
    fleet = {"min_instances": 5, "max_instances": 6}  # a 20% step is one instance
    template = serving(mini(serving=realtime(rollout=rollout, autoscaling=fleet)))
    routing = requests(template)["update"]["DeploymentConfig"]["BlueGreenUpdatePolicy"][
        "TrafficRoutingConfiguration"
    ]
    assert routing == {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 20},
        "WaitIntervalInSeconds": 300,
    }
    template.has_resource_properties(ENDPOINT, {"waitMinutes": 30 + 20 + 5 * 5 + 5})


def test_the_rollback_monitors_alarms_roll_the_deployment_back(pinned: Template) -> None:
    rollback = requests(pinned)["update"]["DeploymentConfig"]["AutoRollbackConfiguration"]
    assert rollback == {"Alarms": [{"AlarmName": "mini-dev-mm-lat"}]}


def test_the_endpoint_is_created_after_its_rollback_alarms(pinned: Template) -> None:
    endpoint = pinned.has_resource_properties(ENDPOINT, {})
    alarm = pinned.named("test-lat-alarm")
    assert alarm.urn in endpoint.depends_on


def test_no_automatic_rollback_when_turned_off() -> None:
    template = serving(mini(serving=realtime(rollout={"auto_rollback": False})))
    assert "AutoRollbackConfiguration" not in requests(template)["update"]["DeploymentConfig"]


def test_the_endpoint_is_the_one_rollout_s_dynamic_resource_described_by_its_provider(
    pinned: Template,
) -> None:
    """No aws.sagemaker Model/EndpointConfiguration/Endpoint: a rollback alarm change is an
    update of the dynamic resource, never a replacement of the endpoint."""
    for type_ in (MODEL, CONFIG, AWS_ENDPOINT):
        pinned.resource_count_is(type_, 0)
    endpoint = pinned.has_resource_properties(
        ENDPOINT,
        {
            "__provider": {
                "provider": {"class": "mlops_components.endpoint_provider.EndpointProvider"}
            },
            "region": "eu-west-1",
        },
    )
    assert endpoint.protect is False


def test_production_protects_the_endpoint() -> None:
    template = serving(mini(serving=realtime(), settings=PROD))
    template.has_resource(ENDPOINT, {"protect": True})


def test_latest_approved_leaves_the_endpoint_to_the_deploy_function() -> None:
    template = serving(mini(serving={"tier": "realtime"}))
    for type_ in (MODEL, CONFIG, AWS_ENDPOINT, ENDPOINT, TARGET):
        template.resource_count_is(type_, 0)
    template.has_resource_properties(LOGS, {"name": "/aws/sagemaker/Endpoints/mini-dev-mm"})


def test_a_serverless_endpoint_sizes_memory_and_concurrency_and_has_no_volume_key() -> None:
    tier = {"tier": "serverless", "memory_mb": 3072, "max_concurrency": 10}
    built = requests(serving(mini(serving={**tier, "model_version": PINNED}, monitors={})))
    config = built["endpoint_config"]
    assert "KmsKeyId" not in config
    assert config["ProductionVariants"][0]["ServerlessConfig"] == {
        "MemorySizeInMB": 3072,
        "MaxConcurrency": 10,
    }
    assert "InitialInstanceCount" not in config["ProductionVariants"][0]
    assert built["target"].autoscaling is None and "DeploymentConfig" not in built["update"]


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
            # the PrepareFeatures step's output: the model's features as CSV lines
            "TransformInput": {
                "DataSource": {
                    "S3DataSource": {
                        "S3Uri": {
                            "Get": "Steps.PrepareFeatures.ProcessingOutputConfig"
                            ".Outputs['features'].S3Output.S3Uri"
                        }
                    }
                },
                "ContentType": "text/csv",
                "SplitType": "Line",
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
    assert sorted(sources(schedule, "target")) == [
        "mm-scheduler-role",
        "mm-serving-batch-schedule-dlq",  # its dead-letter queue
    ]
