"""Deploy Lambda against moto; UpdateEndpoint (HTTP 500 in moto) goes through a Stubber."""

from __future__ import annotations

from typing import Any

import pytest
from runtime_events import model_package_state_change
from runtime_support import ROLE_ARN, OperationStubber, boto

from mlops_runtime import audit, deploy, rollout
from mlops_runtime.config import ENV_VAR, DeployConfig

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
    "traffic": {"strategy": "canary", "step_percent": 10, "wait_minutes": 5, "bake_minutes": 15},
    "rollback_alarms": ["churn-prod-5xx", "churn-prod-latency"],
    "data_capture": {"destination_s3_uri": "s3://shop-capture/churn", "sampling_percent": 20},
}


@pytest.fixture
def config(table: str) -> DeployConfig:
    return DeployConfig.from_dict(
        {"system": "shop", "table_name": table, "endpoints": {GROUP: TARGET}}
    )


@pytest.fixture
def clients(config: DeployConfig) -> deploy.Clients:
    return deploy.Clients.create(config)


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


def approval_event(arn: str) -> dict[str, Any]:
    # moto emits no registry events: the test builds the one EventBridge would deliver.
    return model_package_state_change(
        boto("sagemaker").describe_model_package(ModelPackageName=arn)
    )


def expected_update(config_name: str) -> dict[str, Any]:
    return {
        "EndpointName": ENDPOINT,
        "EndpointConfigName": config_name,
        "RetainAllVariantProperties": True,
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
    model = rollout.model_request(parsed, arn)
    return model["ModelName"], rollout.endpoint_config_request(parsed, model["ModelName"])[
        "EndpointConfigName"
    ]


def test_approval_rolls_the_endpoint_onto_the_package(
    serving: str, config: DeployConfig, clients: deploy.Clients
) -> None:
    candidate = register("PendingManualApproval")
    boto("sagemaker").update_model_package(
        ModelPackageArn=candidate, ModelApprovalStatus="Approved"
    )
    model_name, config_name = hashed_names(candidate)

    with OperationStubber(clients.sagemaker, "UpdateEndpoint") as stub:
        stub.add_response(
            "update_endpoint",
            {"EndpointArn": ENDPOINT_ARN},
            expected_update(config_name),
        )
        record = deploy.process(approval_event(candidate), config, clients)
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
    records = audit.records(boto("dynamodb"), config.table_name, unit="deploy", model="churn")
    assert [r["decision"] for r in records] == ["deployed"]


def test_redelivered_approval_reuses_the_hashed_model_and_config(
    serving: str, config: DeployConfig, clients: deploy.Clients
) -> None:
    candidate = register()
    _, config_name = hashed_names(candidate)
    with OperationStubber(clients.sagemaker, "UpdateEndpoint") as stub:
        for _ in range(2):  # moto's endpoint never moves, so the second delivery updates again
            stub.add_response(
                "update_endpoint", {"EndpointArn": ENDPOINT_ARN}, expected_update(config_name)
            )
            assert deploy.process(approval_event(candidate), config, clients)["decision"] == (
                "deployed"
            )
    sagemaker = boto("sagemaker")
    configs = [
        c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
    ]
    assert sorted(configs) == sorted(["churn-prod-initial", config_name])
    assert len(sagemaker.list_models()["Models"]) == 2


def test_endpoint_already_on_the_package_is_skipped(
    serving: str, config: DeployConfig, clients: deploy.Clients
) -> None:
    with OperationStubber(clients.sagemaker, "UpdateEndpoint"):  # no response: must not be called
        record = deploy.process(approval_event(serving), config, clients)
    assert record["decision"] == "already-deployed"
    assert "churn-prod-initial" in record["reason"]


def test_rollout_in_progress_is_skipped(
    serving: str, config: DeployConfig, clients: deploy.Clients
) -> None:
    candidate = register()
    # moto's endpoints are always InService; a Stubber plays an endpoint mid-rollout.
    with OperationStubber(clients.sagemaker, "DescribeEndpoint") as stub:
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
        record = deploy.process(approval_event(candidate), config, clients)
    assert record["decision"] == "rollout-in-progress"
    assert boto("sagemaker").list_models()["Models"][0]["ModelName"] == "churn-prod-initial"


@pytest.mark.parametrize("status", ["Rejected", "PendingManualApproval"])
def test_unapproved_packages_are_ignored(
    serving: str, config: DeployConfig, clients: deploy.Clients, status: str
) -> None:
    record = deploy.process(approval_event(register(status)), config, clients)
    assert record["decision"] == "ignored"
    assert record["reason"] == f"approval status is {status!r}"


def test_an_older_approval_does_not_replace_a_newer_one(
    serving: str, config: DeployConfig, clients: deploy.Clients
) -> None:
    older, newer = register(), register()
    record = deploy.process(approval_event(older), config, clients)
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


def test_missing_endpoint_is_an_audited_error(
    config: DeployConfig, clients: deploy.Clients
) -> None:
    boto("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
    candidate = register()
    with pytest.raises(deploy.DeployError, match="churn-prod"):
        deploy.process(approval_event(candidate), config, clients)
    records = audit.records(boto("dynamodb"), config.table_name, unit="deploy", model="churn")
    assert [r["decision"] for r in records] == ["error"]


@pytest.mark.parametrize(
    ("traffic", "routing"),
    [
        (
            {"strategy": "all_at_once", "wait_minutes": 0},
            {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
        ),
        (
            {"strategy": "linear", "step_percent": 25, "wait_minutes": 10},
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
    deployment = rollout.deployment_config(target)
    assert deployment == {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": 600,
        }
    }


def test_serverless_updates_without_guardrails() -> None:
    serverless = {**TARGET, "instance_type": None, "serverless_memory_mb": 2048}
    target = DeployConfig.from_dict({"system": "s", "endpoints": {GROUP: serverless}}).endpoints[
        GROUP
    ]
    assert rollout.update_request(target, "cfg") == {
        "EndpointName": ENDPOINT,
        "EndpointConfigName": "cfg",
    }
    variant = rollout.endpoint_config_request(target, "m")["ProductionVariants"][0]
    assert variant == {
        "VariantName": "AllTraffic",
        "ModelName": "m",
        "ServerlessConfig": {"MemorySizeInMB": 2048},
    }


def test_hashed_names_are_stable_bounded_and_change_with_inputs() -> None:
    parsed = DeployConfig.from_dict(
        {"system": "s", "endpoints": {GROUP: {**TARGET, "endpoint_name": "x" * 80}}}
    ).endpoints[GROUP]
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/2"
    first = rollout.endpoint_config_request(parsed, "m")["EndpointConfigName"]
    assert first == rollout.endpoint_config_request(parsed, "m")["EndpointConfigName"]
    assert len(first) <= 63
    assert first != rollout.endpoint_config_request(parsed, "m2")["EndpointConfigName"]
    assert (
        rollout.model_request(parsed, arn)["ModelName"]
        != rollout.model_request(parsed, arn[:-1] + "3")["ModelName"]
    )
