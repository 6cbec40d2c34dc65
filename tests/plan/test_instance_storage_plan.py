"""Volume keys and local instance storage: SageMaker refuses ``VolumeKmsKeyId`` for instance types
with local NVMe storage (training, processing, transform), so the plan leaves it out for them
and keeps it, with the system key, for EBS-backed types. Every instance type the spec accepts
and every type botocore's SageMaker model names is covered."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest

from mlops_spec import aws_catalog
from mlops_spec.aws_catalog import EBS_ONLY_FAMILIES, INSTANCE_STORAGE_FAMILIES, instance_family
from mlops_spec.plan import pipelines
from tests.plan.conftest import mini

KEY = "${key_arn}"
ENUMS = (
    "TrainingInstanceType",
    "ProcessingInstanceType",
    "TransformInstanceType",
    "ProductionVariantInstanceType",
)


def botocore_types(shape: str) -> list[str]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    return sorted(model.shape_for(shape).enum)


def test_every_family_botocore_names_is_classified_once() -> None:
    families = {instance_family(t) for shape in ENUMS for t in botocore_types(shape)}
    assert not INSTANCE_STORAGE_FAMILIES & EBS_ONLY_FAMILIES
    unclassified = families - INSTANCE_STORAGE_FAMILIES - EBS_ONLY_FAMILIES
    assert unclassified == set(), "add each new family to one table in aws_catalog"


def test_the_families_aws_documents() -> None:
    # AWS's ResourceConfig.VolumeSizeInGB documentation: "ML instance families with the
    # NVMe-type instance storage include ml.p4d, ml.g4dn, and ml.g5 ... ML instance families
    # that use EBS volumes include ml.c5 and ml.p2"; the d-suffixed families carry NVMe disks.
    for family in ("p4d", "g4dn", "g5", "g6", "p3dn", "p5", "m5d", "c5d", "r5d"):
        assert family in INSTANCE_STORAGE_FAMILIES, family
    for family in ("c5", "p2", "p3", "m5", "t3", "inf2"):
        assert family in EBS_ONLY_FAMILIES, family


def _train(instance_type: str) -> dict[str, Any]:
    return pipelines.training_step(
        image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1",
        role_arn="arn:aws:iam::${account}:role/r",
        entry_point="train.py",
        instance_type=instance_type,
        instance_count=1,
        volume_size_gb=30,
        spot=False,
        max_runtime_seconds=3600,
        max_wait_seconds=None,
        hyperparameters={},
        channels=[("train", "s3://b/p/", "text/csv")],
        output_uri="s3://b/out",
        checkpoint_uri=None,
    )["Arguments"]


@pytest.mark.parametrize("instance_type", sorted(aws_catalog.training_instance_types()))
def test_training_volume_key_only_on_ebs_backed_types(instance_type: str) -> None:
    arguments = _train(instance_type)
    ebs = instance_family(instance_type) in EBS_ONLY_FAMILIES
    assert ("VolumeKmsKeyId" in arguments["ResourceConfig"]) is ebs
    if ebs:
        assert arguments["ResourceConfig"]["VolumeKmsKeyId"] == KEY
    assert arguments["OutputDataConfig"]["KmsKeyId"] == KEY  # the S3 output always is


@pytest.mark.parametrize("instance_type", botocore_types("ProcessingInstanceType"))
def test_processing_volume_key_only_on_ebs_backed_types(instance_type: str) -> None:
    step = pipelines.processing_step(
        "Step",
        image="img",
        role_arn="arn:aws:iam::${account}:role/r",
        instance_type=instance_type,
        code_uri="s3://b/code.zip",
        code_object_key="code.zip",
        module="mlops_runtime.profile_job",
        outputs=[("out", "s3://b/out", "/opt/ml/processing/out")],
    )["Arguments"]
    cluster = step["ProcessingResources"]["ClusterConfig"]
    assert ("VolumeKmsKeyId" in cluster) is (instance_family(instance_type) in EBS_ONLY_FAMILIES)
    assert step["ProcessingOutputConfig"]["KmsKeyId"] == KEY


@pytest.mark.parametrize("instance_type", sorted(aws_catalog.transform_instance_types()))
def test_transform_volume_key_only_on_ebs_backed_types(instance_type: str) -> None:
    arguments = pipelines.transform_step(
        input_uri="s3://b/in/",
        content_type="text/csv",
        split_type="Line",
        output_prefix="s3://b/out/",
        instance_type=instance_type,
        instance_count=1,
        max_payload_mb=6,
    )["Arguments"]
    resources = arguments["TransformResources"]
    assert ("VolumeKmsKeyId" in resources) is (instance_family(instance_type) in EBS_ONLY_FAMILIES)
    assert arguments["TransformOutput"]["KmsKeyId"] == KEY


def _step(definition: str, name: str) -> dict[str, Any]:
    (found,) = [s for s in json.loads(definition)["Steps"] if s["Name"] == name]
    return found["Arguments"]


def test_a_gpu_training_job_is_planned_without_a_volume_key() -> None:
    training = mini(
        training={
            "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1",
            "inputs": ["ds"],
            "instance_type": "ml.g5.2xlarge",
        }
    ).training_for("mm")
    resources = _step(training.definition, "Train")["ResourceConfig"]
    assert resources == {"InstanceType": "ml.g5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
    default = mini().training_for("mm")
    assert _step(default.definition, "Train")["ResourceConfig"]["VolumeKmsKeyId"] == KEY


def test_a_gpu_batch_transform_is_planned_without_a_volume_key() -> None:
    serving = {
        "tier": "batch",
        "model_version": {"pinned": 2},
        "instance_type": "ml.g4dn.xlarge",
        "schedule": "cron(0 2 * * ? *)",
        "input": "s3://acme-scoring-inputs/in/",
    }
    plan = mini(serving=serving, monitors={}).serving_for("mm")
    assert plan is not None and plan.batch is not None
    resources = _step(plan.batch.definition, "Transform")["TransformResources"]
    assert resources == {"InstanceType": "ml.g4dn.xlarge", "InstanceCount": 1}
