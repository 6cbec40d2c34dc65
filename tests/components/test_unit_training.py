"""Training alone: the pipeline, execution role and scheduler role of model ``mm`` of a minimal
spec (image ``123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1``, input ``ds``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops_components import Training, TrainingArgs
from mlops_spec.plan import DeploymentPlan
from tests.components.unit import KEY_ARN, Match, Template, build, over_privileged, sources
from tests.plan.conftest import MINIMAL, mini

PIPELINE = "aws:sagemaker/pipeline:Pipeline"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CONFIG_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


def training_spec(**changes: Any) -> dict[str, Any]:
    return {**MINIMAL["models"]["mm"]["training"], **changes}


def training(plan: DeploymentPlan) -> Template:
    (model,) = plan.training
    return build(plan, lambda ctx: Training("mm-training", TrainingArgs(model, ctx)))


def steps(template: Template) -> list[dict[str, Any]]:
    """Every step of the pipeline, those inside conditions included."""
    definition = json.loads(
        template.has_resource_properties(PIPELINE, {}).inputs["pipelineDefinition"]
    )
    found, pending = [], list(definition["Steps"])
    while pending:
        step = pending.pop(0)
        found.append(step)
        arguments = step.get("Arguments", {})
        pending += arguments.get("IfSteps", []) + arguments.get("ElseSteps", [])
    return found


def step(template: Template, name: str) -> dict[str, Any]:
    (found,) = [s for s in steps(template) if s["Name"] == name]
    return found


@pytest.fixture(scope="module")
def dev() -> Template:
    return training(mini())


def test_the_pipeline_is_named_system_stack_model_train(dev: Template) -> None:
    pipeline = dev.has_resource_properties(
        PIPELINE, {"pipelineName": "mini-dev-mm-train", "pipelineDisplayName": "mini-dev-mm-train"}
    )
    assert sources(pipeline, "roleArn") == ["mm-training-train-role"]


def test_the_train_step_uses_the_default_instance_on_spot(dev: Template) -> None:
    assert step(dev, "Train")["Arguments"]["ResourceConfig"] == {
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": 1,
        "VolumeSizeInGB": 30,
        "VolumeKmsKeyId": KEY_ARN,
    }
    train = {
        "Name": "Train",
        "Arguments": {
            "EnableManagedSpotTraining": True,
            "StoppingCondition": {"MaxRuntimeInSeconds": 7200, "MaxWaitTimeInSeconds": 14400},
            # Per execution: a new run never resumes an earlier run's checkpoints.
            "CheckpointConfig": {
                "S3Uri": {
                    "Std:Join": {
                        "On": "/",
                        "Values": [
                            "s3://acme-mini-dev-artifacts-eu-west-1/models/mm/checkpoints",
                            {"Get": "Execution.PipelineExecutionId"},
                        ],
                    }
                }
            },
        },
    }
    dev.has_resource_properties(
        PIPELINE, {"pipelineDefinition": Match.json({"Steps": Match.array_with([train])})}
    )


def test_the_train_step_takes_the_spec_s_instance_type_count_volume_and_runtime() -> None:
    spec = training_spec(
        instance_type="ml.c5.2xlarge",
        instance_count=2,
        volume_size_gb=50,
        max_runtime_minutes=60,
        spot=False,
    )
    arguments = step(training(mini(training=spec)), "Train")["Arguments"]
    assert arguments["ResourceConfig"] == {
        "InstanceType": "ml.c5.2xlarge",
        "InstanceCount": 2,
        "VolumeSizeInGB": 50,
        "VolumeKmsKeyId": KEY_ARN,
    }
    assert arguments["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert arguments["EnableManagedSpotTraining"] is False
    assert "CheckpointConfig" not in arguments
    assert arguments["EnableInterContainerTrafficEncryption"] is True


def test_the_train_step_runs_the_spec_s_image_and_entry_point_with_its_hyperparameters() -> None:
    spec = training_spec(entry_point="fit.py", hyperparameters={"depth": 6, "rate": 0.1})
    arguments = step(training(mini(training=spec)), "Train")["Arguments"]
    # the spec's image at the digest the Inputs step resolved (docs/lineage.md)
    image = {"Path": "uri", "PropertyFile": {"Get": "Steps.Inputs.PropertyFiles.Image"}}
    assert arguments["AlgorithmSpecification"]["TrainingImage"] == {"Std:JsonGet": image}
    assert arguments["Environment"] == {"SAGEMAKER_PROGRAM": "fit.py"}
    assert arguments["HyperParameters"] == {"depth": "6", "rate": "0.1"}


def test_each_input_is_a_channel_named_after_its_data_source(dev: Template) -> None:
    (channel,) = step(dev, "Train")["Arguments"]["InputDataConfig"]
    assert channel["ChannelName"] == "ds"
    assert (
        channel["DataSource"]["S3DataSource"]["S3Uri"] == "s3://acme-mini-dev-data-ds-eu-west-1/p/"
    )
    assert channel["ContentType"] == "application/x-parquet"


def test_model_artifacts_are_written_encrypted_with_the_system_key(dev: Template) -> None:
    assert step(dev, "Train")["Arguments"]["OutputDataConfig"] == {
        "S3OutputPath": "s3://acme-mini-dev-artifacts-eu-west-1/models/mm/training",
        "KmsKeyId": KEY_ARN,
    }


def test_without_a_gate_there_is_no_evaluation(dev: Template) -> None:
    assert "Evaluate" not in [s["Name"] for s in steps(dev)]


def test_a_gate_evaluates_then_registers_only_candidates_that_pass() -> None:
    template = training(
        mini(
            training=training_spec(
                gate={"metric": "auc", "min": 0.7}, evaluation={"output": "probability"}
            )
        )
    )
    top = json.loads(template.has_resource_properties(PIPELINE, {}).inputs["pipelineDefinition"])
    assert [s["Name"] for s in top["Steps"]] == [
        "Inputs",
        "Train",
        "PrepareHoldout",
        "CandidateModel",
        "ScoreHoldout",
        "Evaluate",
        "CheckGate",
    ]
    check = step(template, "CheckGate")["Arguments"]
    registers = [s for s in check["IfSteps"] if s["Type"] == "RegisterModel"]
    assert registers, "a passing candidate is registered"
    assert not [s for s in check.get("ElseSteps", []) if s["Type"] == "RegisterModel"]


def test_manual_approval_registers_candidates_pending_a_person(dev: Template) -> None:
    (register,) = [s for s in steps(dev) if s["Type"] == "RegisterModel"]
    assert register["Arguments"]["ModelApprovalStatus"] == "PendingManualApproval"


def test_step_configurations_are_uploaded_encrypted_with_the_system_key(dev: Template) -> None:
    dev.all_resources(
        CONFIG_OBJECT,
        {
            "inputs": {
                "bucket": "acme-mini-dev-artifacts-eu-west-1",
                "serverSideEncryption": "aws:kms",
                "kmsKeyId": KEY_ARN,
            }
        },
    )


def test_the_execution_roles_are_least_privilege_and_trust_only_sagemaker(dev: Template) -> None:
    for policy in dev.of_type(ROLE_POLICY):
        assert over_privileged(policy.inputs["policy"]) == []
    for name in ("mini-dev-mm-train", "mini-dev-mm-trainer"):
        dev.has_resource_properties(
            ROLE,
            {
                "name": name,
                "assumeRolePolicy": Match.json(
                    {"Statement": [{"Principal": {"Service": "sagemaker.amazonaws.com"}}]}
                ),
            },
        )


def test_the_training_job_runs_with_its_own_role_that_cannot_register(dev: Template) -> None:
    pipeline = dev.has_resource_properties(PIPELINE, {})
    depends_on = [urn.rsplit("::", 1)[1] for urn in pipeline.depends_on]
    assert "mm-training-trainer-policy" in depends_on  # the role may act before a job starts
    job = dev.has_resource_properties(ROLE, {"name": "mini-dev-mm-trainer"})
    assert step(dev, "Train")["Arguments"]["RoleArn"] == (
        "arn:aws:iam::123456789012:role/mini-dev-mm-trainer"
    )
    policy = dev.has_resource(ROLE_POLICY, {"name": "mm-training-trainer-policy"})
    assert sources(policy, "role") == [job.name]
    document = json.loads(policy.inputs["policy"])
    actions = {a for s in document["Statement"] for a in _list(s["Action"])}
    assert not {a for a in actions if a.startswith("sagemaker:")}, actions
    assert "iam:PassRole" not in actions
    writes = {
        r
        for s in document["Statement"]
        if "s3:PutObject" in _list(s["Action"])
        for r in _list(s["Resource"])
    }
    assert writes == {
        "arn:aws:s3:::acme-mini-dev-artifacts-eu-west-1/models/mm/checkpoints/*",
        "arn:aws:s3:::acme-mini-dev-artifacts-eu-west-1/models/mm/training/*",
    }


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_both_roles_read_only_the_model_s_input_prefix(dev: Template) -> None:
    read = {
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-mini-dev-data-ds-eu-west-1/p/*",
    }
    dev.resource_count_is(ROLE_POLICY, 2)
    dev.all_resources(
        ROLE_POLICY, {"inputs": {"policy": Match.json({"Statement": Match.array_with([read])})}}
    )


def test_no_scheduler_role_without_schedules(dev: Template) -> None:
    dev.resource_count_is(ROLE, 2)  # the pipeline's and the training job's


def test_a_training_schedule_gets_a_scheduler_role_that_may_only_invoke_the_trigger() -> None:
    template = training(mini(training=training_spec(schedule="rate(7 days)")))
    template.has_resource_properties(
        ROLE,
        {
            "name": "mini-dev-mm-scheduler",
            "assumeRolePolicy": Match.json(
                {"Statement": [{"Principal": {"Service": "scheduler.amazonaws.com"}}]}
            ),
        },
    )
    template.has_resource_properties(
        ROLE_POLICY,
        {
            "name": "scheduler",
            "policy": Match.json(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "lambda:InvokeFunction",
                            "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:"
                            "mini-dev-retrain-trigger",
                        },
                        {  # a failed start waits in the schedule's own queue
                            "Action": "sqs:SendMessage",
                            "Resource": "arn:aws:sqs:eu-west-1:123456789012:mini-dev-mm-train-dlq",
                        },
                        {  # the schedule's input and that queue are encrypted with it
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": "arn:aws:kms:eu-west-1:123456789012:key/system",
                        },
                    ]
                }
            ),
        },
    )
