"""Deploy Lambda against moto; UpdateEndpoint (HTTP 500 in moto) goes through a Stubber.

Application Auto Scaling (RegisterScalableTarget, PutScalingPolicy, Describe*, Deregister) is
real moto over HTTP. moto's endpoints are InService at once and it emits no EventBridge events:
the tests build the 'SageMaker Endpoint State Change' AWS would send once the endpoint is
InService, and a Stubber on DescribeEndpoint plays an endpoint that is not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from runtime_events import endpoint_state_change, model_package_state_change
from runtime_support import ROLE_ARN, OperationStubber, audit_records, boto

from mlops_runtime import deploy
from mlops_runtime.aws import endpoint_requests
from mlops_runtime.aws.objects import S3Objects
from mlops_runtime.contract.config import ENV_VAR, ConfigError, DeployConfig
from mlops_runtime.core import rollout
from mlops_runtime.core.ports import ObjectMissing

GROUP = "churn"
ENDPOINT = "churn-prod"
ENDPOINT_ARN = f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"
TARGET = {
    "model_id": "churn",
    "endpoint_name": ENDPOINT,
    "execution_role_arn": ROLE_ARN,
    "instance_type": "ml.m5.large",
    "initial_instance_count": 2,
    "traffic": {
        "strategy": "canary",
        "step_percent": 10,
        "bake_minutes": 5,
        "termination_wait_minutes": 15,
    },
    "rollback_alarms": ["churn-prod-5xx", "churn-prod-latency"],
    "data_capture": {"destination_s3_uri": "s3://shop-capture/churn", "sampling_percent": 20},
    "tags": {"mlops:system": "shop"},
}
SCALING = {
    "min_capacity": 2,
    "max_capacity": 6,
    "target_invocations_per_instance": 120,
    "scale_in_cooldown_seconds": 600,
    "scale_out_cooldown_seconds": 60,
    "policy_name": "churn-prod-invocations",
}
RESOURCE_ID = f"endpoint/{ENDPOINT}/variant/AllTraffic"


@pytest.fixture
def config(table: str) -> DeployConfig:
    return DeployConfig.from_dict(
        {"system": "shop", "table_name": table, "endpoints": {GROUP: TARGET}}
    )


@pytest.fixture
def ports(config: DeployConfig) -> deploy.DeployPorts:
    return deploy.aws_ports(config)


def scaled_config(table: str, **changes: Any) -> DeployConfig:
    """The deploy configuration with autoscaling (and other target changes)."""
    target = {**TARGET, "autoscaling": SCALING, **changes}
    return DeployConfig.from_dict(
        {"system": "shop", "table_name": table, "endpoints": {GROUP: target}}
    )


def scaling_state() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The variant's scalable targets and scaling policies, as Application Auto Scaling has them."""
    aas = boto("application-autoscaling")
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[RESOURCE_ID])
    policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID)
    return targets["ScalableTargets"], policies["ScalingPolicies"]


def in_service_event() -> dict[str, Any]:
    # moto emits no endpoint events: the test builds the one EventBridge would deliver.
    return endpoint_state_change(boto("sagemaker").describe_endpoint(EndpointName=ENDPOINT))


def decisions(table: str | None) -> list[str]:
    return [r["decision"] for r in audit_records(table, "deploy", "churn")]


def register(status: str = "Approved") -> str:
    """A package in the group, as the pipeline's register step (or an approver) leaves it."""
    return str(
        boto("sagemaker").create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://artifacts/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
    )


@pytest.fixture
def serving() -> str:
    """What Pulumi creates: the group, a first approved package, and the endpoint on it."""
    sagemaker = boto("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    first = register()
    sagemaker.create_model(
        ModelName="churn-prod-initial",
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={"ModelPackageName": first},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="churn-prod-initial",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "churn-prod-initial",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 2,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="churn-prod-initial")
    return first


def stubbed(ports: deploy.DeployPorts, operation: str) -> OperationStubber:
    """A Stubber for one SageMaker operation of the deploy function's client."""
    return OperationStubber(ports.endpoints.sagemaker, operation)


def approval_event(arn: str) -> dict[str, Any]:
    # moto emits no registry events: the test builds the one EventBridge would deliver.
    return model_package_state_change(
        boto("sagemaker").describe_model_package(ModelPackageName=arn)
    )


def expected_update(config_name: str, *, autoscaled: bool = False) -> dict[str, Any]:
    """The UpdateEndpoint request; a fixed-size variant takes the new config's instance count,
    an autoscaled one keeps its live count."""
    retained: dict[str, Any] = {"RetainAllVariantProperties": True}
    if not autoscaled:
        retained["ExcludeRetainedVariantProperties"] = [
            {"VariantPropertyType": "DesiredInstanceCount"}
        ]
    return {
        "EndpointName": ENDPOINT,
        "EndpointConfigName": config_name,
        **retained,
        "DeploymentConfig": {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "CANARY",
                    "WaitIntervalInSeconds": 300,
                    "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                },
                "TerminationWaitInSeconds": 900,
            },
            "AutoRollbackConfiguration": {
                "Alarms": [{"AlarmName": "churn-prod-5xx"}, {"AlarmName": "churn-prod-latency"}]
            },
        },
    }


def hashed_names(arn: str) -> tuple[str, str]:
    parsed = DeployConfig.from_dict({"system": "s", "endpoints": {GROUP: TARGET}}).endpoints[GROUP]
    model = endpoint_requests.model_request(parsed, arn)
    return model["ModelName"], endpoint_requests.endpoint_config_request(
        parsed, model["ModelName"]
    )["EndpointConfigName"]


def test_approval_rolls_the_endpoint_onto_the_package(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    candidate = register("PendingManualApproval")
    boto("sagemaker").update_model_package(
        ModelPackageArn=candidate, ModelApprovalStatus="Approved"
    )
    model_name, config_name = hashed_names(candidate)

    with stubbed(ports, "UpdateEndpoint") as stub:
        stub.add_response(
            "update_endpoint",
            {"EndpointArn": ENDPOINT_ARN},
            expected_update(config_name),
        )
        record = deploy.process(approval_event(candidate), config, ports)
        stub.assert_no_pending_responses()

    assert record["decision"] == "deployed"
    assert record["endpoint_config"] == config_name
    assert record["previous_config"] == "churn-prod-initial"
    sagemaker = boto("sagemaker")
    model = sagemaker.describe_model(ModelName=model_name)
    assert model["PrimaryContainer"]["ModelPackageName"] == candidate
    created = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    assert created["ProductionVariants"][0]["ModelName"] == model_name
    assert created["DataCaptureConfig"]["DestinationS3Uri"] == "s3://shop-capture/churn"
    assert created["DataCaptureConfig"]["InitialSamplingPercentage"] == 20
    records = audit_records(config.table_name, "deploy", "churn")
    assert [r["decision"] for r in records] == ["deployed"]


def test_redelivered_approval_reuses_the_hashed_model_and_config(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    """The first delivery prepares the release but its update is refused (another update is
    in progress); the redelivery prepares the same names again and updates."""
    candidate = register()
    _, config_name = hashed_names(candidate)
    with stubbed(ports, "UpdateEndpoint") as update, stubbed(ports, "DescribeEndpoint") as describe:
        describe.add_response("describe_endpoint", describe_response(), {"EndpointName": ENDPOINT})
        update.add_client_error(
            "update_endpoint", service_error_code="ValidationException", service_message="busy"
        )
        describe.add_response(
            "describe_endpoint", describe_response("Updating"), {"EndpointName": ENDPOINT}
        )
        assert deploy.process(approval_event(candidate), config, ports)["decision"] == (
            "rollout-in-progress"
        )
        describe.add_response("describe_endpoint", describe_response(), {"EndpointName": ENDPOINT})
        update.add_response(
            "update_endpoint", {"EndpointArn": ENDPOINT_ARN}, expected_update(config_name)
        )
        assert deploy.process(approval_event(candidate), config, ports)["decision"] == "deployed"
        update.assert_no_pending_responses()
    sagemaker = boto("sagemaker")
    configs = [
        c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
    ]
    assert sorted(configs) == sorted(["churn-prod-initial", config_name])
    assert len(sagemaker.list_models()["Models"]) == 2


def test_endpoint_already_on_the_package_is_skipped(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    with stubbed(ports, "UpdateEndpoint"):  # no response: must not be called
        record = deploy.process(approval_event(serving), config, ports)
    assert record["decision"] == "already-deployed"
    assert "churn-prod-initial" in record["reason"]
    assert "autoscaling" not in record
    # A redelivered approval still heals missing autoscaling (the endpoint is InService).
    scaled = scaled_config(str(config.table_name))
    record = deploy.process(approval_event(serving), scaled, ports)
    assert (record["decision"], record["autoscaling"]) == (
        "already-deployed",
        rollout.SCALING_APPLIED,
    )
    assert scaling_state()[0][0]["MaxCapacity"] == 6


def test_rollout_in_progress_is_skipped(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    candidate = register()
    # moto's endpoints are always InService; a Stubber plays an endpoint mid-rollout.
    with stubbed(ports, "DescribeEndpoint") as stub:
        stub.add_response(
            "describe_endpoint",
            {
                "EndpointName": ENDPOINT,
                "EndpointArn": ENDPOINT_ARN,
                "EndpointConfigName": "churn-prod-initial",
                "EndpointStatus": "Updating",
                "CreationTime": "2026-01-01T00:00:00Z",
                "LastModifiedTime": "2026-01-01T00:00:00Z",
            },
            {"EndpointName": ENDPOINT},
        )
        record = deploy.process(approval_event(candidate), config, ports)
    assert record["decision"] == "rollout-in-progress"
    assert boto("sagemaker").list_models()["Models"][0]["ModelName"] == "churn-prod-initial"


def describe_response(
    status: str = "InService", config_name: str = "churn-prod-initial"
) -> dict[str, Any]:
    """A DescribeEndpoint answer moto cannot give (its endpoints are InService at once and an
    UpdateEndpoint through the Stubber does not move them onto the new config)."""
    return {
        "EndpointName": ENDPOINT,
        "EndpointArn": ENDPOINT_ARN,
        "EndpointConfigName": config_name,
        "EndpointStatus": status,
        "CreationTime": "2026-01-01T00:00:00Z",
        "LastModifiedTime": "2026-01-01T00:00:00Z",
    }


def reject(arn: str) -> dict[str, Any]:
    """Reject a package (as an approver does) and build the event EventBridge would deliver."""
    boto("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    return approval_event(arn)


def test_an_approval_during_a_rollout_goes_out_when_the_endpoint_is_in_service(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    candidate = register()
    _, config_name = hashed_names(candidate)
    with stubbed(ports, "DescribeEndpoint") as stub:
        stub.add_response(
            "describe_endpoint", describe_response("Updating"), {"EndpointName": ENDPOINT}
        )
        assert deploy.process(approval_event(candidate), config, ports)["decision"] == (
            "rollout-in-progress"
        )
    # The rollout ends: the IN_SERVICE event reconciles and picks the dropped approval up.
    with stubbed(ports, "UpdateEndpoint") as stub:
        stub.add_response(
            "update_endpoint", {"EndpointArn": ENDPOINT_ARN}, expected_update(config_name)
        )
        record = deploy.process(in_service_event(), config, ports)
        stub.assert_no_pending_responses()
    assert record["decision"] == "deployed"
    assert record["trigger"] == "in-service"
    assert (record["latest_approved"], record["endpoint_config"]) == (candidate, config_name)
    assert record["previous_packages"] == serving
    assert decisions(config.table_name) == ["rollout-in-progress", "deployed"]


def test_rejecting_the_served_package_rolls_back_to_the_previous_approved_one(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    candidate = register()
    _, candidate_config = hashed_names(candidate)
    with stubbed(ports, "UpdateEndpoint") as stub:
        stub.add_response(
            "update_endpoint", {"EndpointArn": ENDPOINT_ARN}, expected_update(candidate_config)
        )
        assert deploy.process(approval_event(candidate), config, ports)["decision"] == ("deployed")
    # The rollout finished (moto's endpoint does not move: put it on the candidate's config).
    sagemaker = boto("sagemaker")
    sagemaker.delete_endpoint(EndpointName=ENDPOINT)
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=candidate_config)
    event = reject(candidate)
    previous_model, previous_config = hashed_names(serving)
    with stubbed(ports, "UpdateEndpoint") as stub:
        stub.add_response(
            "update_endpoint", {"EndpointArn": ENDPOINT_ARN}, expected_update(previous_config)
        )
        record = deploy.process(event, config, ports)
        stub.assert_no_pending_responses()
    assert record["decision"] == "deployed"
    assert record["trigger"] == "rejected"
    assert record["model_package_arn"] == candidate
    assert record["latest_approved"] == serving
    assert (record["previous_config"], record["previous_packages"]) == (
        candidate_config,
        candidate,
    )
    model = boto("sagemaker").describe_model(ModelName=previous_model)
    assert model["PrimaryContainer"]["ModelPackageName"] == serving
    assert decisions(config.table_name) == ["deployed", "rollout-verified", "deployed"]


def test_rejecting_the_only_approved_package_leaves_the_endpoint(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    with stubbed(ports, "UpdateEndpoint"):  # no response: must not be called
        record = deploy.process(reject(serving), config, ports)
    assert record["decision"] == "no-approved-package"
    assert record["trigger"] == "rejected"
    assert boto("sagemaker").describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"] == (
        "churn-prod-initial"
    )
    assert len(boto("sagemaker").list_models()["Models"]) == 1


def test_rejecting_a_package_the_endpoint_does_not_serve_changes_nothing(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    candidate = register("PendingManualApproval")
    with stubbed(ports, "UpdateEndpoint"):  # no response: must not be called
        record = deploy.process(reject(candidate), config, ports)
    assert (record["decision"], record["trigger"]) == ("already-deployed", "rejected")
    assert record["latest_approved"] == serving
    assert len(boto("sagemaker").list_models()["Models"]) == 1
    assert decisions(config.table_name) == ["already-deployed"]


def test_reconciling_an_endpoint_already_on_the_latest_package_is_idempotent(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    with stubbed(ports, "UpdateEndpoint"):  # no response: must not be called
        for _ in range(2):
            record = deploy.process(in_service_event(), config, ports)
            assert (record["decision"], record["trigger"]) == ("already-deployed", "in-service")
            assert "autoscaling" not in record
        assert deploy.process(approval_event(serving), config, ports)["decision"] == (
            "already-deployed"
        )
    sagemaker = boto("sagemaker")
    assert len(sagemaker.list_models()["Models"]) == 1
    assert len(sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 1
    assert decisions(config.table_name) == ["already-deployed"] * 3


def test_an_in_service_event_for_a_deleted_endpoint_does_not_recreate_it(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    event = in_service_event()
    boto("sagemaker").delete_endpoint(EndpointName=ENDPOINT)
    record = deploy.process(event, config, ports)
    assert record["decision"] == "endpoint-unavailable"
    assert not boto("sagemaker").list_endpoints()["Endpoints"]


def test_pending_packages_are_ignored(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    status = "PendingManualApproval"
    record = deploy.process(approval_event(register(status)), config, ports)
    assert record["decision"] == "ignored"
    assert record["reason"] == f"approval status is {status!r}"


def test_an_older_approval_does_not_replace_a_newer_one(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    older, newer = register(), register()
    record = deploy.process(approval_event(older), config, ports)
    assert record["decision"] == "superseded"
    assert newer in record["reason"]


def test_handler_reads_its_config_and_ignores_other_groups(
    serving: str, config: DeployConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, config.to_json())
    boto("sagemaker").create_model_package_group(ModelPackageGroupName="fraud")
    event = model_package_state_change(
        {
            "ModelPackageGroupName": "fraud",
            "ModelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/1",
            "ModelApprovalStatus": "Approved",
        }
    )
    assert deploy.handler(event, None)["decision"] == "ignored"
    assert deploy.handler({"source": "aws.s3"}, None)["decision"] == "ignored"


def test_first_approval_creates_the_endpoint_and_autoscaling_follows_in_service(
    table: str,
) -> None:
    config = scaled_config(table)
    ports = deploy.aws_ports(config)
    boto("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
    first = register()
    model_name, config_name = hashed_names(first)

    record = deploy.process(approval_event(first), config, ports)

    assert record["decision"] == "created"
    assert record["autoscaling"] == rollout.SCALING_PENDING
    sagemaker = boto("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointConfigName"] == config_name
    tags = sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"mlops:model": "churn", "mlops:system": "shop"}
    assert sagemaker.describe_model(ModelName=model_name)["PrimaryContainer"] == {
        "ModelPackageName": first
    }
    assert scaling_state() == ([], [])  # not while Creating: SageMaker would refuse it

    # The endpoint reaches InService; EventBridge delivers the state change (twice, as it may):
    # autoscaling, then a reconcile that finds the endpoint on the latest approved package.
    record = deploy.process(in_service_event(), config, ports)
    assert (record["decision"], record["autoscaling"]) == (
        "already-deployed",
        rollout.SCALING_APPLIED,
    )
    record = deploy.process(in_service_event(), config, ports)
    assert (record["decision"], record["autoscaling"]) == (
        "already-deployed",
        rollout.SCALING_UNCHANGED,
    )
    (target,), (policy,) = scaling_state()
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert policy["PolicyName"] == "churn-prod-invocations"
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["TargetTrackingScalingPolicyConfiguration"] == {
        "TargetValue": 120.0,
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        },
        "ScaleInCooldown": 600,
        "ScaleOutCooldown": 60,
    }
    assert decisions(table) == [
        "created",
        rollout.SCALING_APPLIED,
        "already-deployed",
        rollout.SCALING_UNCHANGED,
        "already-deployed",
    ]


def test_a_changed_autoscaling_configuration_is_reapplied(serving: str, table: str) -> None:
    ports = deploy.aws_ports(scaled_config(table))
    deploy.process(in_service_event(), scaled_config(table), ports)
    changed = scaled_config(table, autoscaling={**SCALING, "max_capacity": 10})
    assert deploy.process(in_service_event(), changed, ports)["autoscaling"] == (
        rollout.SCALING_APPLIED
    )
    (target,), (policy,) = scaling_state()
    assert target["MaxCapacity"] == 10
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 120.0


def test_the_next_approval_registers_autoscaling_before_updating(serving: str, table: str) -> None:
    """An endpoint without autoscaling (its IN_SERVICE event was missed, or autoscaling was
    added to the spec later) gets it on the next approval, while it is still InService."""
    config = scaled_config(table)
    ports = deploy.aws_ports(config)
    candidate = register()
    _, config_name = hashed_names(candidate)
    with stubbed(ports, "UpdateEndpoint") as stub:
        stub.add_response(
            "update_endpoint",
            {"EndpointArn": ENDPOINT_ARN},
            expected_update(config_name, autoscaled=True),
        )
        record = deploy.process(approval_event(candidate), config, ports)
    assert record["decision"] == "deployed"
    assert record["autoscaling"] == rollout.SCALING_APPLIED
    (target,), (_policy,) = scaling_state()
    assert target["MinCapacity"] == 2


def test_an_instance_type_change_deregisters_autoscaling_for_the_update(
    serving: str, table: str
) -> None:
    """SageMaker fails an update that changes a scalable variant's instance type."""
    ports = deploy.aws_ports(scaled_config(table))
    deploy.process(in_service_event(), scaled_config(table), ports)
    assert scaling_state()[0]
    bigger = scaled_config(table, instance_type="ml.c5.xlarge")
    candidate = register()
    parsed = bigger.endpoints[GROUP]
    config_name = endpoint_requests.endpoint_config_request(
        parsed, endpoint_requests.model_request(parsed, candidate)["ModelName"]
    )["EndpointConfigName"]
    with stubbed(ports, "UpdateEndpoint") as stub:
        stub.add_response(
            "update_endpoint",
            {"EndpointArn": ENDPOINT_ARN},
            expected_update(config_name, autoscaled=True),
        )
        record = deploy.process(approval_event(candidate), bigger, ports)
        stub.assert_no_pending_responses()
    assert record["decision"] == "deployed"
    assert record["autoscaling_deregistered"] is True
    assert record["autoscaling"] == rollout.SCALING_PENDING
    assert scaling_state() == ([], [])  # back on the IN_SERVICE event after the update


def test_endpoint_events_only_touch_configured_endpoints_once_in_service(
    serving: str, table: str
) -> None:
    scaled = scaled_config(table)
    ports = deploy.aws_ports(scaled)
    other = {
        **in_service_event(),
        "detail": {"EndpointName": "fraud", "EndpointStatus": "IN_SERVICE"},
    }
    assert deploy.process(other, scaled, ports)["decision"] == "ignored"
    creating = {**in_service_event()}
    creating["detail"] = {**creating["detail"], "EndpointStatus": "CREATING"}
    assert deploy.process(creating, scaled, ports)["decision"] == "ignored"
    unscaled = DeployConfig.from_dict(
        {"system": "shop", "table_name": table, "endpoints": {GROUP: TARGET}}
    )
    record = deploy.process(in_service_event(), unscaled, ports)
    assert record["decision"] == "already-deployed"  # only the reconcile: no autoscaling
    assert "autoscaling" not in record
    # Updating again by the time the event arrives: wait for the next IN_SERVICE.
    with stubbed(ports, "DescribeEndpoint") as stub:
        stub.add_response(
            "describe_endpoint",
            {
                "EndpointName": ENDPOINT,
                "EndpointArn": ENDPOINT_ARN,
                "EndpointConfigName": "churn-prod-initial",
                "EndpointStatus": "Updating",
                "CreationTime": "2026-01-01T00:00:00Z",
                "LastModifiedTime": "2026-01-01T00:00:00Z",
            },
            {"EndpointName": ENDPOINT},
        )
        record = deploy.process(in_service_event(), scaled, ports)
    assert (record["decision"], record["autoscaling"]) == (
        "rollout-in-progress",
        rollout.SCALING_PENDING,
    )
    assert scaling_state() == ([], [])


def test_a_failed_creation_is_an_audited_error_and_a_lost_race_is_not(
    config: DeployConfig, ports: deploy.DeployPorts
) -> None:
    """Errors are classified by code and by what DescribeEndpoint shows afterwards, never by
    their message: a refused CreateEndpoint is a lost race only if the endpoint exists now."""
    boto("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
    candidate = register()
    missing = {"service_error_code": "ValidationException", "service_message": "Could not find"}
    with stubbed(ports, "CreateEndpoint") as create, stubbed(ports, "DescribeEndpoint") as describe:
        describe.add_client_error("describe_endpoint", **missing)
        create.add_client_error(
            "create_endpoint",
            service_error_code="ResourceLimitExceeded",
            service_message="The account-level service limit 'ml.m5.large for endpoint usage' is 0",
        )
        with pytest.raises(deploy.DeployError, match="churn-prod"):
            deploy.process(approval_event(candidate), config, ports)
        # Refused with a message that says "already exists", but the endpoint does not: an error.
        describe.add_client_error("describe_endpoint", **missing)
        create.add_client_error(
            "create_endpoint",
            service_error_code="ValidationException",
            service_message=f'Cannot create already existing endpoint "{ENDPOINT_ARN}".',
        )
        describe.add_client_error("describe_endpoint", **missing)
        with pytest.raises(deploy.DeployError, match="already existing"):
            deploy.process(approval_event(candidate), config, ports)
        # Refused, whatever the words, while a concurrent invocation's endpoint is Creating.
        describe.add_client_error("describe_endpoint", **missing)
        create.add_client_error(
            "create_endpoint", service_error_code="ValidationException", service_message="x"
        )
        describe.add_response(
            "describe_endpoint", describe_response("Creating"), {"EndpointName": ENDPOINT}
        )
        assert deploy.process(approval_event(candidate), config, ports)["decision"] == (
            "rollout-in-progress"
        )
        create.assert_no_pending_responses()
        describe.assert_no_pending_responses()
    assert decisions(config.table_name) == ["error", "error", "rollout-in-progress"]


@pytest.mark.parametrize(
    ("status", "decision"), [("Updating", "rollout-in-progress"), ("InService", "error")]
)
def test_a_refused_update_is_in_progress_only_if_the_endpoint_is_busy(
    serving: str, config: DeployConfig, ports: deploy.DeployPorts, status: str, decision: str
) -> None:
    candidate = register()
    _, config_name = hashed_names(candidate)
    with stubbed(ports, "UpdateEndpoint") as update, stubbed(ports, "DescribeEndpoint") as describe:
        describe.add_response("describe_endpoint", describe_response(), {"EndpointName": ENDPOINT})
        update.add_client_error(
            "update_endpoint",
            service_error_code="ValidationException",
            service_message="Cannot update in-progress endpoint",
            expected_params=expected_update(config_name),
        )
        describe.add_response(
            "describe_endpoint", describe_response(status), {"EndpointName": ENDPOINT}
        )
        if decision == "error":
            with pytest.raises(deploy.DeployError, match="in-progress"):
                deploy.process(approval_event(candidate), config, ports)
        else:
            assert deploy.process(approval_event(candidate), config, ports)["decision"] == decision
        update.assert_no_pending_responses()
        describe.assert_no_pending_responses()
    assert decisions(config.table_name) == [decision]


@pytest.mark.parametrize(
    ("traffic", "routing"),
    [
        (
            {"strategy": "all_at_once", "bake_minutes": 0},
            {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
        ),
        (
            {"strategy": "linear", "step_percent": 25, "bake_minutes": 10},
            {
                "Type": "LINEAR",
                "WaitIntervalInSeconds": 600,
                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
            },
        ),
    ],
)
def test_traffic_shifting_policies(traffic: dict[str, Any], routing: dict[str, Any]) -> None:
    target = DeployConfig.from_dict(
        {"system": "s", "endpoints": {GROUP: {**TARGET, "traffic": traffic, "rollback_alarms": []}}}
    ).endpoints[GROUP]
    deployment = endpoint_requests.deployment_config(target)
    assert deployment == {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": 300,  # the default termination wait, 5 minutes
        }
    }


def test_serverless_updates_without_guardrails() -> None:
    serverless = {**TARGET, "instance_type": None, "serverless_memory_mb": 2048}
    target = DeployConfig.from_dict({"system": "s", "endpoints": {GROUP: serverless}}).endpoints[
        GROUP
    ]
    assert endpoint_requests.update_request(target, "cfg") == {
        "EndpointName": ENDPOINT,
        "EndpointConfigName": "cfg",
    }
    variant = endpoint_requests.endpoint_config_request(target, "m")["ProductionVariants"][0]
    assert variant == {
        "VariantName": "AllTraffic",
        "ModelName": "m",
        "ServerlessConfig": {"MemorySizeInMB": 2048},
    }


def test_serverless_provisioned_concurrency_reaches_the_endpoint_config() -> None:
    serverless = {
        **TARGET,
        "instance_type": None,
        "serverless_memory_mb": 2048,
        "serverless_max_concurrency": 10,
        "serverless_provisioned_concurrency": 4,
    }
    target = DeployConfig.from_dict({"system": "s", "endpoints": {GROUP: serverless}}).endpoints[
        GROUP
    ]
    request = endpoint_requests.endpoint_config_request(target, "m")
    assert request["ProductionVariants"][0]["ServerlessConfig"] == {
        "MemorySizeInMB": 2048,
        "MaxConcurrency": 10,
        "ProvisionedConcurrency": 4,
    }
    # A change of the provisioned concurrency is a new config (the name hashes the request).
    fewer = DeployConfig.from_dict(
        {
            "system": "s",
            "endpoints": {GROUP: {**serverless, "serverless_provisioned_concurrency": 2}},
        }
    ).endpoints[GROUP]
    assert (
        endpoint_requests.endpoint_config_request(fewer, "m")["EndpointConfigName"]
        != request["EndpointConfigName"]
    )
    for bad in (
        {**serverless, "serverless_provisioned_concurrency": 11},
        {**serverless, "serverless_provisioned_concurrency": 0},
        {**TARGET, "serverless_provisioned_concurrency": 1},  # instance-based
    ):
        with pytest.raises(ConfigError, match="serverless_provisioned_concurrency"):
            DeployConfig.from_dict({"system": "s", "endpoints": {GROUP: bad}})


def test_hashed_names_are_stable_bounded_and_change_with_inputs() -> None:
    parsed = DeployConfig.from_dict(
        {"system": "s", "endpoints": {GROUP: {**TARGET, "endpoint_name": "x" * 80}}}
    ).endpoints[GROUP]
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/2"
    first = endpoint_requests.endpoint_config_request(parsed, "m")["EndpointConfigName"]
    assert first == endpoint_requests.endpoint_config_request(parsed, "m")["EndpointConfigName"]
    assert len(first) <= 63
    assert first != endpoint_requests.endpoint_config_request(parsed, "m2")["EndpointConfigName"]
    assert (
        endpoint_requests.model_request(parsed, arn)["ModelName"]
        != endpoint_requests.model_request(parsed, arn[:-1] + "3")["ModelName"]
    )


def rolled_back_description() -> dict[str, Any]:
    """DescribeEndpoint after an auto-rollback, as botocore's output shape allows it: InService
    on the previous config, the last deployment's rollback alarms (LastDeploymentConfig)."""
    return {
        **describe_response(),
        "FailureReason": "Deployment was rolled back: alarm churn-prod-5xx in ALARM",
        "LastDeploymentConfig": {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}
            },
            "AutoRollbackConfiguration": {
                "Alarms": [{"AlarmName": "churn-prod-5xx"}, {"AlarmName": "churn-prod-latency"}]
            },
        },
    }


def test_a_rolled_back_package_is_rolled_out_once_through_the_aws_adapters(
    serving: str, table: str
) -> None:
    """approval -> UpdateEndpoint -> alarm -> rollback -> IN_SERVICE, twice, and once more
    after a cold start: exactly one UpdateEndpoint; one notification on the alarm topic; the
    memory is the runtime table's (DynamoDB in moto), not the function's container."""
    sns, sqs = boto("sns"), boto("sqs")
    topic = sns.create_topic(Name="shop-prod-alarms")["TopicArn"]
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn["Attributes"]["QueueArn"])
    config = DeployConfig.from_dict(
        {
            "system": "shop",
            "table_name": table,
            "notification_topic_arn": topic,
            "endpoints": {GROUP: TARGET},
        }
    )
    ports = deploy.aws_ports(config)
    bad = register()
    _, bad_config = hashed_names(bad)
    with stubbed(ports, "UpdateEndpoint") as update:
        update.add_response(
            "update_endpoint", {"EndpointArn": ENDPOINT_ARN}, expected_update(bad_config)
        )
        assert deploy.process(approval_event(bad), config, ports)["decision"] == "deployed"
        update.assert_no_pending_responses()
        # An alarm rolled the update back: InService on churn-prod-initial again.
        for fresh in (False, False, True):  # the event twice, then after a cold start
            if fresh:
                ports = deploy.aws_ports(config)
            with stubbed(ports, "DescribeEndpoint") as describe:
                describe.add_response(
                    "describe_endpoint", rolled_back_description(), {"EndpointName": ENDPOINT}
                )
                record = deploy.process(in_service_event(), config, ports)
                describe.assert_no_pending_responses()
            assert (record["decision"], record["latest_approved"]) == ("already-deployed", serving)
            assert record["rolled_back_skipped"] == bad
    records = audit_records(table, "deploy", "churn")
    (rolled_back,) = [r for r in records if r["decision"] == "rolled-back"]
    assert (rolled_back["requested_config"], rolled_back["served_config"]) == (
        bad_config,
        "churn-prod-initial",
    )
    assert rolled_back["rollback_alarms"] == "churn-prod-5xx, churn-prod-latency"
    assert "alarm churn-prod-5xx in ALARM" in rolled_back["reason"]
    (message,) = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
    assert bad in json.loads(message["Body"])["Message"]


def test_the_served_package_s_references_become_the_current_ones_in_s3(table: str) -> None:
    """First approval -> created -> IN_SERVICE: the package's references (the prefix its
    mlops:reference metadata names) are copied to the current prefix with the system key."""
    s3, kms = boto("s3"), boto("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="shop-artifacts")
    source = "s3://shop-artifacts/models/churn/profiles/exec-1"
    for name in ("profile.json", "predictions.json"):
        s3.put_object(
            Bucket="shop-artifacts", Key=f"models/churn/profiles/exec-1/{name}", Body=name
        )
    references = {
        "current_uri": "s3://shop-artifacts/models/churn/reference/",
        "packages_uri": "s3://shop-artifacts/models/churn/profiles/",
        "files": ["profile.json", "predictions.json"],
        "kms_key_id": key,
    }
    config = DeployConfig.from_dict(
        {
            "system": "shop",
            "table_name": table,
            "endpoints": {GROUP: {**TARGET, "references": references}},
        }
    )
    ports = deploy.aws_ports(config)
    sagemaker = boto("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    package = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"mlops:reference": source},
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://artifacts/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    assert deploy.process(approval_event(package), config, ports)["decision"] == "created"
    assert deploy.process(in_service_event(), config, ports)["decision"] == "already-deployed"
    for name in ("profile.json", "predictions.json"):
        copied = s3.get_object(Bucket="shop-artifacts", Key=f"models/churn/reference/{name}")
        assert copied["Body"].read() == name.encode()
        assert (copied["ServerSideEncryption"], copied["SSEKMSKeyId"]) == ("aws:kms", key)
    assert "references-promoted" in decisions(table)


def test_copying_references_tells_a_missing_object_from_access_denied() -> None:
    s3 = boto("s3")
    s3.create_bucket(Bucket="shop-artifacts")
    objects = S3Objects(s3)
    with pytest.raises(ObjectMissing):
        objects.copy(
            "s3://shop-artifacts/a/profile.json",
            "s3://shop-artifacts/b/profile.json",
            kms_key_id=None,
        )
    with OperationStubber(s3, "CopyObject") as stub:
        stub.add_client_error(
            "copy_object", service_error_code="AccessDenied", http_status_code=403
        )
        with pytest.raises(ClientError, match="AccessDenied"):
            objects.copy("s3://shop-artifacts/a/x", "s3://shop-artifacts/b/x", kms_key_id=None)
