"""Batch transform input: a batch model scoring a data source gets a PrepareFeatures step whose
headerless feature-only CSV lines the transform sends as text/csv split by line; a plain s3://
input is sent as it is. The monitoring job keeps reading the data source's objects."""

from __future__ import annotations

import copy
import fnmatch
import json
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

from mlops_runtime.contract.batch import BatchFeaturesConfig
from mlops_runtime.contract.config import FILE_ENV_VAR, MonitorConfig
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.documents import render
from tests.plan.conftest import REFS, example, full

ARTIFACTS = "210987654321-ltv-prod-artifacts-us-east-1"
PREPARED = f"s3://{ARTIFACTS}/batch-features/lifetime-value/"


def _steps(deployment: DeploymentPlan, model: str) -> dict[str, Any]:
    serving = deployment.serving_for(model)
    assert serving and serving.batch
    return {s["Name"]: s for s in json.loads(serving.batch.definition)["Steps"]}


def test_a_data_source_input_is_prepared_before_the_transform() -> None:
    deployment = example("ltv", "prod")
    serving = deployment.serving_for("lifetime-value")
    assert serving and serving.batch
    steps = _steps(deployment, "lifetime-value")
    prepare = steps["PrepareFeatures"]["Arguments"]
    command = prepare["AppSpecification"]["ContainerEntrypoint"][2]
    assert command.endswith("exec python3 -m mlops_runtime.jobs.batch_features")
    inputs = {i["InputName"]: i["S3Input"] for i in prepare["ProcessingInputs"]}
    assert inputs["data"]["S3Uri"] == "s3://210987654321-ltv-prod-data-orders-us-east-1/orders/"
    assert inputs["data"]["LocalPath"] == "/opt/ml/processing/input/data"
    (output,) = prepare["ProcessingOutputConfig"]["Outputs"]
    assert output["OutputName"] == "features"
    assert output["S3Output"]["LocalPath"] == "/opt/ml/processing/features"
    assert output["S3Output"]["S3Uri"] == {
        "Std:Join": {
            "On": "/",
            "Values": [PREPARED.rstrip("/"), {"Get": "Execution.PipelineExecutionId"}],
        }
    }
    assert prepare["ProcessingResources"]["ClusterConfig"]["VolumeSizeInGB"] == 100
    # its configuration: the model's features in the model's order, the source's format
    (file,) = serving.batch.config_files
    assert file.uri == inputs["config"]["S3Uri"]
    assert file.local_path == prepare["Environment"][FILE_ENV_VAR]
    config = BatchFeaturesConfig.from_json(render(file.content, REFS))
    assert config.format == "parquet"
    assert list(config.features) == [  # the spec's order, which is the model's input order
        "orders_12m",
        "revenue_12m",
        "days_since_last_order",
        "avg_basket",
        "channel",
        "country",
    ]
    assert config.features["channel"] == "categorical"


def test_the_transform_sends_the_prepared_lines_as_csv() -> None:
    transform = _steps(example("ltv", "prod"), "lifetime-value")["Transform"]["Arguments"]
    assert transform["TransformInput"] == {
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": {
                    "Get": "Steps.PrepareFeatures.ProcessingOutputConfig.Outputs['features']"
                    ".S3Output.S3Uri"
                },
            }
        },
        "ContentType": "text/csv",
        "SplitType": "Line",
    }
    assert transform["BatchStrategy"] == "MultiRecord"
    assert transform["TransformOutput"]["AssembleWith"] == "Line"
    # The request shape is one CreateTransformJob accepts (expressions given sample values).
    request = copy.deepcopy(transform)
    request["ModelName"] = "pipelines-model"
    request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] = PREPARED + "exec/"
    request["TransformOutput"]["S3OutputPath"] = "s3://out/exec"
    request["TransformOutput"]["KmsKeyId"] = REFS["key_arn"]
    request["TransformResources"] = {
        k: REFS["key_arn"] if k == "VolumeKmsKeyId" else v
        for k, v in request["TransformResources"].items()
    }
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateTransformJob").input_shape
    report = ParamValidator().validate({"TransformJobName": "job", **request}, shape)
    assert not report.has_errors(), report.generate_report()


def test_a_plain_s3_input_is_sent_as_it_is() -> None:
    steps = _steps(full("prod"), "bt")
    assert "PrepareFeatures" not in steps
    transform = steps["Transform"]["Arguments"]["TransformInput"]
    assert transform["DataSource"]["S3DataSource"]["S3Uri"] == "s3://acme-scoring-inputs/daily/"
    assert (transform["ContentType"], transform["SplitType"]) == ("text/csv", "Line")
    bt = full("prod").serving_for("bt")
    assert bt and bt.batch and bt.batch.config_files == () and bt.batch.features_uri is None


def _allowed(statements: Any, action: str, resource: str) -> bool:
    return any(
        action in s.actions and any(fnmatch.fnmatchcase(resource, r) for r in s.resources)
        for s in statements
    )


def test_the_batch_role_runs_the_step_and_the_transform_reads_its_lines() -> None:
    deployment = example("ltv", "prod")
    serving = deployment.serving_for("lifetime-value")
    assert serving and serving.batch
    statements = serving.role.policy.statements
    prepared = f"arn:aws:s3:::{ARTIFACTS}/batch-features/lifetime-value/exec/part-0.parquet"
    assert _allowed(statements, "s3:PutObject", prepared)
    assert _allowed(statements, "s3:GetObject", prepared)
    config = f"arn:aws:s3:::{ARTIFACTS}/code/config/ltv-prod-lifetime-value-batch/x.json"
    assert _allowed(statements, "s3:GetObject", config)
    assert _allowed(
        statements,
        "sagemaker:CreateProcessingJob",
        "arn:aws:sagemaker:us-east-1:${account}:processing-job/pipelines-abc",
    )
    assert not _allowed(statements, "s3:PutObject", f"arn:aws:s3:::{ARTIFACTS}/models/other/x")


def test_the_prepared_copy_expires_and_the_monitoring_job_reads_the_source() -> None:
    deployment = example("ltv", "prod")
    rules = {r.id: r for r in deployment.storage.bucket("artifacts").lifecycle}
    prepared = rules["prepared-features"]
    assert (prepared.prefix, prepared.expiration_days) == ("batch-features/", 7)
    churn = example("churn", "prod").storage.bucket("artifacts").lifecycle
    assert "prepared-features" not in {r.id for r in churn}  # no batch model there
    (job,) = [j for j in deployment.monitoring.jobs if j.model == "lifetime-value"]
    config = MonitorConfig.from_json(render(job.config, REFS))
    assert config.batch_input_uri == "s3://210987654321-ltv-prod-data-orders-us-east-1/orders/"
    assert (config.batch_input_format, config.batch_input_header) == ("parquet", True)
