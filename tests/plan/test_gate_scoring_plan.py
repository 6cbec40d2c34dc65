"""The gate scores predictions of the candidate's own serving container: PrepareHoldout writes
the holdout as label-first lines, CandidateModel is the image and artifact the package will
serve, ScoreHoldout transforms the lines (the container gets the features only, the output
keeps each row's label), and Evaluate reads both outputs. Every request is checked against
botocore's SageMaker model."""

from __future__ import annotations

import copy
import fnmatch
import json
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from mlops_runtime.contract.config import EvaluateConfig
from mlops_runtime.contract.holdout import HoldoutConfig
from mlops_spec.plan.documents import render
from tests.plan.conftest import MINIMAL, REFS, example, mini, step_config

IMAGE = MINIMAL["models"]["mm"]["training"]["image"]
ARTIFACTS = "s3://acme-churn-prod-artifacts-eu-west-1/models/churn-classifier"
EXECUTION = {"Get": "Execution.PipelineExecutionId"}
PREPARED = {"Get": "Steps.PrepareHoldout.ProcessingOutputConfig.Outputs['holdout'].S3Output.S3Uri"}
SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")


def _steps(definition: str) -> dict[str, dict[str, Any]]:
    """Every step by name, the condition's branches included, placeholders rendered."""
    found: dict[str, dict[str, Any]] = {}

    def collect(items: list[dict[str, Any]]) -> None:
        for step in items:
            found[step["Name"]] = step
            collect(step.get("Arguments", {}).get("IfSteps", []))

    collect(json.loads(render(definition, REFS))["Steps"])
    return found


def _churn() -> tuple[Any, dict[str, dict[str, Any]]]:
    training = example("churn", "prod").training_for("churn-classifier")
    return training, _steps(training.definition)


def _valid(operation: str, request: dict[str, Any]) -> None:
    shape = SAGEMAKER.operation_model(operation).input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()


def _sample(value: Any, sample: str) -> Any:
    """A pipeline expression replaced by a sample of the value it takes at run time."""
    return sample if isinstance(value, dict) else value


def test_the_holdout_is_prepared_from_its_data_source() -> None:
    training, steps = _churn()
    prepare = steps["PrepareHoldout"]["Arguments"]
    assert (
        "python3 -m mlops_runtime.jobs.holdout"
        in (prepare["AppSpecification"]["ContainerEntrypoint"][2])
    )
    inputs = {i["InputName"]: i["S3Input"] for i in prepare["ProcessingInputs"]}
    assert training.gate is not None
    assert inputs["data"]["S3Uri"] == training.gate.holdout_uri
    (output,) = prepare["ProcessingOutputConfig"]["Outputs"]
    assert (output["OutputName"], output["S3Output"]["LocalPath"]) == (
        "holdout",
        "/opt/ml/processing/holdout",
    )
    assert output["S3Output"]["S3Uri"] == {
        "Std:Join": {"On": "/", "Values": [f"{ARTIFACTS}/holdout", EXECUTION]}
    }
    assert prepare["ProcessingOutputConfig"]["KmsKeyId"] == REFS["key_arn"]
    config = step_config(training, prepare, HoldoutConfig)
    assert (config.label, config.format, config.content_type, config.columns) == (
        "churned",
        "parquet",
        "text/csv",
        None,
    )
    evaluate = step_config(training, steps["Evaluate"]["Arguments"], EvaluateConfig)
    assert list(config.features) == list(evaluate.features)  # the model's input order


def test_the_candidate_model_is_what_the_package_will_serve() -> None:
    training, steps = _churn()
    model = steps["CandidateModel"]
    assert model["Type"] == "Model"
    container = model["Arguments"]["PrimaryContainer"]
    (registered,) = steps["Register"]["Arguments"]["InferenceSpecification"]["Containers"]
    assert container == registered  # one image and one artifact: the package's
    # the image the Register step registers: the training image at the digest the Inputs
    # step resolved (docs/lineage.md), whatever the tag points to later
    assert (
        container["Image"] == steps["Train"]["Arguments"]["AlgorithmSpecification"]["TrainingImage"]
    )
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    # the container runs the team's code: with the training job's role, not the pipeline's
    assert model["Arguments"]["ExecutionRoleArn"] == training.job_role.arn("aws").replace(
        "${account}", REFS["account"]
    )
    request = {
        "ModelName": "pipelines-abc-CandidateModel",
        **model["Arguments"],
        "PrimaryContainer": {
            "Image": _sample(container["Image"], training.image),
            "ModelDataUrl": "s3://b/training/model.tar.gz",
        },
    }
    _valid("CreateModel", request)


def test_the_transform_sends_features_and_keeps_each_label() -> None:
    training, steps = _churn()
    transform = steps["ScoreHoldout"]
    assert transform["Type"] == "Transform"
    args = transform["Arguments"]
    assert args["ModelName"] == {"Get": "Steps.CandidateModel.ModelName"}
    assert args["TransformInput"] == {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": PREPARED}},
        "ContentType": "text/csv",
        "SplitType": "Line",
    }
    assert args["BatchStrategy"] == "MultiRecord"
    assert training.gate is not None and training.gate.feature_count == 8
    # label first in each prepared line: the container gets $[1:], the output keeps the
    # label (column 0) and every value the container appended after the 8 features.
    assert args["DataProcessing"] == {
        "InputFilter": "$[1:]",
        "JoinSource": "Input",
        "OutputFilter": "$[0,9:]",
    }
    output = args["TransformOutput"]
    assert (output["Accept"], output["AssembleWith"], output["KmsKeyId"]) == (
        "text/csv",
        "Line",
        REFS["key_arn"],
    )
    assert output["S3OutputPath"] == {
        "Std:Join": {"On": "/", "Values": [f"{ARTIFACTS}/predictions", EXECUTION]}
    }
    assert args["TransformResources"] == {
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": 1,
        "VolumeKmsKeyId": REFS["key_arn"],
    }
    request = copy.deepcopy(args)
    request["ModelName"] = "pipelines-abc-CandidateModel"
    request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://b/holdout/exec/"
    request["TransformOutput"]["S3OutputPath"] = "s3://b/predictions/exec"
    _valid("CreateTransformJob", {"TransformJobName": "job", **request})


def test_the_evaluation_reads_both_outputs_and_never_the_model() -> None:
    _, steps = _churn()
    args = steps["Evaluate"]["Arguments"]
    inputs = {i["InputName"]: i["S3Input"] for i in args["ProcessingInputs"]}
    assert set(inputs) == {"code", "config", "predictions", "holdout"}
    assert inputs["predictions"]["S3Uri"] == {
        "Get": "Steps.ScoreHoldout.TransformOutput.S3OutputPath"
    }
    assert inputs["predictions"]["LocalPath"] == "/opt/ml/processing/predictions"
    assert (inputs["holdout"]["S3Uri"], inputs["holdout"]["LocalPath"]) == (
        PREPARED,
        "/opt/ml/processing/holdout",
    )
    # the model the run's CandidateModel step created, which the step deletes
    assert args["Environment"]["MLOPS_CANDIDATE_MODEL"] == {"Get": "Steps.CandidateModel.ModelName"}
    request = {
        "ProcessingJobName": "job",
        **args,
        "Environment": {k: _sample(v, "pipelines-abc") for k, v in args["Environment"].items()},
        "ProcessingInputs": [
            {**i, "S3Input": {**i["S3Input"], "S3Uri": _sample(i["S3Input"]["S3Uri"], "s3://b/x")}}
            for i in args["ProcessingInputs"]
        ],
        "ProcessingOutputConfig": {
            **args["ProcessingOutputConfig"],
            "Outputs": [
                {**o, "S3Output": {**o["S3Output"], "S3Uri": "s3://b/evaluation/exec"}}
                for o in args["ProcessingOutputConfig"]["Outputs"]
            ],
        },
    }
    _valid("CreateProcessingJob", request)


def _allowed(statements: Any, action: str, resource: str) -> bool:
    return any(
        action in s.actions and any(fnmatch.fnmatchcase(resource, r) for r in s.resources)
        for s in statements
    )


def test_each_role_may_do_its_part_and_no_more() -> None:
    training, _ = _churn()
    bucket = "arn:aws:s3:::acme-churn-prod-artifacts-eu-west-1/models/churn-classifier"
    pipeline, job = training.role.policy.statements, training.job_role.policy.statements
    region = "arn:aws:sagemaker:eu-west-1:${account}"
    assert _allowed(pipeline, "sagemaker:CreateModel", f"{region}:model/pipelines-abc")
    # the Evaluate step deletes the candidate's model: pipeline-created models only
    assert _allowed(pipeline, "sagemaker:DeleteModel", f"{region}:model/pipelines-abc")
    assert not _allowed(pipeline, "sagemaker:DeleteModel", f"{region}:model/churn-prod-v3")
    _valid("DeleteModel", {"ModelName": "pipelines-abc-CandidateModel-x1"})
    assert _allowed(pipeline, "sagemaker:CreateTransformJob", f"{region}:transform-job/pipelines-a")
    assert _allowed(pipeline, "iam:PassRole", training.job_role.arn("aws"))
    assert _allowed(pipeline, "s3:PutObject", f"{bucket}/holdout/exec/part-0.parquet")
    assert _allowed(pipeline, "s3:GetObject", f"{bucket}/predictions/exec/part-0.parquet.out")
    # the container (training job's role) reads the model and the lines, writes predictions
    assert _allowed(job, "s3:GetObject", f"{bucket}/training/job/output/model.tar.gz")
    assert _allowed(job, "s3:GetObject", f"{bucket}/holdout/exec/part-0.parquet")
    assert _allowed(job, "s3:PutObject", f"{bucket}/predictions/exec/part-0.parquet.out")
    log = "arn:aws:logs:eu-west-1:${account}:log-group:/aws/sagemaker/TransformJobs"
    assert _allowed(job, "logs:PutLogEvents", f"{log}:log-stream:job/i-1")
    # ... and nothing the gate trusts besides its own predictions
    assert not _allowed(job, "s3:PutObject", f"{bucket}/evaluation/exec/evaluation.json")
    assert not _allowed(job, "s3:PutObject", f"{bucket}/holdout/exec/part-0.parquet")
    assert not _allowed(job, "sagemaker:CreateModelPackage", f"{region}:model-package/x/1")


def _mini(evaluation: dict[str, Any], holdout: dict[str, Any] | None = None) -> Any:
    sources = {
        "ds": {"prefix": "p/", "features": {"x": "numeric", "c": "categorical"}},
        "hold": {
            "prefix": "holdout/",
            "features": {"x": "numeric", "c": "categorical"},
            "label": "y",
            **(holdout or {}),
        },
    }
    training = {
        "image": IMAGE,
        "inputs": ["ds"],
        "holdout": "hold",
        "gate": {"metric": "accuracy", "min": 0.5},
        "evaluation": evaluation,
    }
    return mini({"data_sources": sources}, training=training).training_for("mm")


def test_the_spec_sets_content_type_output_instance_and_layout() -> None:
    plan = _mini(
        {
            "content_type": "application/jsonlines",
            "output": "probabilities",
            "instance_type": "ml.g5.xlarge",
            "max_payload_mb": 20,
        },
        {"format": "csv", "header": False, "columns": ["y", "c", "x"]},
    )
    steps = _steps(plan.definition)
    args = steps["ScoreHoldout"]["Arguments"]
    assert args["TransformInput"]["ContentType"] == "application/jsonlines"
    assert args["TransformOutput"]["Accept"] == "application/jsonlines"
    assert args["DataProcessing"] == {
        "InputFilter": "$.features",
        "JoinSource": "Input",
        "OutputFilter": "$['label','SageMakerOutput']",
    }
    assert args["MaxPayloadInMB"] == 20
    assert args["TransformResources"] == {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1}
    holdout = step_config(plan, steps["PrepareHoldout"]["Arguments"], HoldoutConfig)
    assert (holdout.columns, holdout.content_type, list(holdout.features)) == (
        ("y", "c", "x"),
        "application/jsonlines",
        ["x", "c"],
    )
    evaluate = step_config(plan, steps["Evaluate"]["Arguments"], EvaluateConfig)
    assert (evaluate.content_type, evaluate.output) == ("application/jsonlines", "probabilities")


def test_a_model_without_a_gate_runs_no_transform() -> None:
    plan = mini().training_for("mm")
    names = {s["Name"] for s in json.loads(plan.definition)["Steps"]}
    assert not names & {"PrepareHoldout", "CandidateModel", "ScoreHoldout", "Evaluate"}
    assert not _allowed(
        plan.role.policy.statements,
        "sagemaker:CreateTransformJob",
        "arn:aws:sagemaker:eu-west-1:${account}:transform-job/pipelines-a",
    )
