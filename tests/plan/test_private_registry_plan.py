"""A training image from a private registry: the Train step pulls it through the declared VPC,
and the training job's role may do exactly what that needs (full.yaml's model ``reg``)."""

from __future__ import annotations

import copy
import json
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from mlops_spec.plan import TrainingPlan
from mlops_spec.plan.documents import Statement
from tests.plan.conftest import full

PROVIDER = "arn:aws:lambda:us-west-2:123456789012:function:registry-credentials"


def _training(model: str, stack: str = "prod") -> TrainingPlan:
    return next(t for t in full(stack).training if t.model == model)


def _train_arguments(training: TrainingPlan) -> dict[str, Any]:
    steps = json.loads(training.definition)["Steps"]
    arguments: dict[str, Any] = next(s for s in steps if s["Name"] == "Train")["Arguments"]
    return arguments


def _statements(training: TrainingPlan) -> dict[str, Statement]:
    return {s.sid: s for s in training.job_role.policy.statements if s.sid}


def test_the_train_step_pulls_through_the_vpc_with_the_credentials_provider() -> None:
    arguments = _train_arguments(_training("reg"))
    assert arguments["AlgorithmSpecification"]["TrainingImageConfig"] == {
        "TrainingRepositoryAccessMode": "Vpc",
        "TrainingRepositoryAuthConfig": {"TrainingRepositoryCredentialsProviderArn": PROVIDER},
    }
    assert arguments["VpcConfig"] == {
        "SecurityGroupIds": ["sg-0123456789abcdef0"],
        "Subnets": ["subnet-0123456789abcdef0"],
    }
    # The request is one CreateTrainingJob accepts (expressions given sample values).
    request = copy.deepcopy(arguments)
    request["CheckpointConfig"] = {"S3Uri": "s3://bucket/checkpoints/exec"}
    request["OutputDataConfig"]["KmsKeyId"] = "arn:aws:kms:us-west-2:123456789012:key/k"
    request["RoleArn"] = request["RoleArn"].replace("${account}", "123456789012")
    request["ResourceConfig"] = {
        k: "arn:aws:kms:us-west-2:123456789012:key/k" if k == "VolumeKmsKeyId" else v
        for k, v in request["ResourceConfig"].items()
    }
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateTrainingJob").input_shape
    report = ParamValidator().validate({"TrainingJobName": "job", **request}, shape)
    assert not report.has_errors(), report.generate_report()


def test_an_ecr_image_trains_outside_any_vpc() -> None:
    arguments = _train_arguments(_training("rt"))
    assert "TrainingImageConfig" not in arguments["AlgorithmSpecification"]
    assert "VpcConfig" not in arguments
    assert not any(s.startswith(("Vpc", "Registry")) for s in _statements(_training("rt")))


def test_the_job_role_creates_interfaces_only_in_the_declared_network() -> None:
    statements = _statements(_training("reg"))
    create = statements["VpcCreateInterfaces"]
    assert create.actions == ("ec2:CreateNetworkInterface",)
    assert create.resources == (
        "arn:aws:ec2:us-west-2:${account}:subnet/subnet-0123456789abcdef0",
        "arn:aws:ec2:us-west-2:${account}:security-group/sg-0123456789abcdef0",
        "arn:aws:ec2:us-west-2:${account}:network-interface/*",
    )
    assert statements["VpcManageInterfaces"].resources == (
        "arn:aws:ec2:us-west-2:${account}:network-interface/*",
    )
    assert statements["VpcDescribe"].resources == ("*",)
    assert all(a.startswith("ec2:Describe") for a in statements["VpcDescribe"].actions)
    invoke = statements["RegistryCredentials"]
    assert (invoke.actions, invoke.resources) == (("lambda:InvokeFunction",), (PROVIDER,))


def test_the_pipeline_role_gets_nothing_for_the_registry() -> None:
    pipeline = _training("reg").role.policy.statements
    actions = {a for s in pipeline for a in s.actions}
    assert not {a for a in actions if a.startswith("ec2:")}
    assert PROVIDER not in {r for s in pipeline for r in s.resources}
