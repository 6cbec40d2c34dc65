"""Serving alone, batch tier on a data source: the PrepareFeatures step's configuration is
uploaded (encrypted with the system key) before the pipeline that reads it, and the step runs
the runtime's preparation on the data source ahead of the transform."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops_runtime.contract.batch import BatchFeaturesConfig
from tests.components.test_unit_serving import serving
from tests.components.unit import KEY_ARN, Template
from tests.plan.conftest import mini

PIPELINE = "aws:sagemaker/pipeline:Pipeline"
CONFIG_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


@pytest.fixture(scope="module")
def batch() -> Template:
    tier = {"tier": "batch", "schedule": "cron(0 3 * * ? *)", "input": "ds"}
    return serving(mini(serving={**tier, "model_version": {"pinned": 4}}, monitors={}))


def _steps(template: Template) -> dict[str, Any]:
    pipeline = template.has_resource_properties(PIPELINE, {"pipelineName": "mini-dev-mm-batch"})
    return {s["Name"]: s for s in json.loads(pipeline.inputs["pipelineDefinition"])["Steps"]}


def test_the_preparation_config_is_uploaded_before_the_pipeline(batch: Template) -> None:
    config = batch.has_resource(
        CONFIG_OBJECT,
        {
            "name": "mm-serving-batch-config-preparefeatures",
            "inputs": {
                "bucket": "acme-mini-dev-artifacts-eu-west-1",
                "key": "code/config/mini-dev-mm-batch/PrepareFeatures.json",
                "serverSideEncryption": "aws:kms",
                "kmsKeyId": KEY_ARN,
            },
        },
    )
    parsed = BatchFeaturesConfig.from_json(config.inputs["content"])
    assert (list(parsed.features), parsed.format) == (["x", "c"], "parquet")
    pipeline = batch.has_resource_properties(PIPELINE, {"pipelineName": "mini-dev-mm-batch"})
    depends_on = [urn.rsplit("::", 1)[1] for urn in pipeline.depends_on]
    assert "mm-serving-batch-config-preparefeatures" in depends_on
    assert pipeline.name == "mm-serving-batch-pipeline"  # the logical name it always had


def test_the_step_prepares_the_data_source_for_the_transform(batch: Template) -> None:
    steps = _steps(batch)
    assert list(steps) == ["CreateModel", "PrepareFeatures", "Transform"]
    prepare = steps["PrepareFeatures"]["Arguments"]
    (data,) = [i for i in prepare["ProcessingInputs"] if i["InputName"] == "data"]
    assert data["S3Input"]["S3Uri"] == "s3://acme-mini-dev-data-ds-eu-west-1/p/"
    assert prepare["RoleArn"] == "arn:aws:iam::123456789012:role/mini-dev-mm-serve"
    assert prepare["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KEY_ARN
