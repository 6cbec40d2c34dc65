"""The batch pipeline's feature preparation: a ``PrepareFeatures`` Processing step before
``Transform`` when a batch model scores a data source.

A data source's objects are what the team stores (a CSV header, label, timestamp and id
columns, Parquet objects larger than a request may be): the step runs
``python -m mlops_runtime.jobs.batch_features`` on them and writes, per object and under the
object's own relative path, headerless CSV lines holding exactly the model's features in
the model's order, under ``s3://<artifacts>/batch-features/<model>/<execution id>/``. The
transform reads that prefix as ``text/csv`` split by line (any object size, requests of at
most ``max_payload_mb``). A plain ``s3://`` input is sent as it is: it is documented as
headerless CSV in the model's feature order already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_runtime.contract.batch import BatchFeaturesConfig
from mlops_spec.checks import model_features
from mlops_spec.models import ResolvedSpec
from mlops_spec.plan import iam, pipelines
from mlops_spec.plan.documents import Statement
from mlops_spec.plan.images import sklearn_image
from mlops_spec.plan.storage import PREPARED_FEATURES_PREFIX, StoragePlan

STEP = "PrepareFeatures"
OUTPUT = "features"
INPUT_DIR = f"{pipelines.PROCESSING}/input/data"
OUTPUT_DIR = f"{pipelines.PROCESSING}/features"
INSTANCE_TYPE = "ml.m5.xlarge"
VOLUME_GB = 100
"""Holds the data source's objects (downloaded) and the prepared copy of their features."""
CONTENT_TYPE = "text/csv"
SPLIT_TYPE = "Line"


@dataclass(frozen=True)
class FeaturePreparation:
    """The step, its configuration file and where it writes."""

    step: dict[str, Any]
    config_file: pipelines.ConfigFile
    prefix_uri: str
    """``s3://<artifacts>/batch-features/<model>/``; each execution writes under
    ``<prefix_uri><execution id>/``."""
    transform_input: dict[str, Any]
    """The step's output prefix as a pipeline expression: the Transform step's input (and its
    dependency on the step)."""


def plan_preparation(
    model_id: str,
    source: str,
    resolved: ResolvedSpec,
    storage: StoragePlan,
    pipeline: str,
    role_arn: str,
    partition: str,
) -> FeaturePreparation:
    """Prepare data source ``source`` for model ``model_id``'s batch pipeline ``pipeline``."""
    location = storage.location(source)
    spec_model = resolved.spec.models[model_id]
    config = BatchFeaturesConfig(
        model_id=model_id,
        features={
            name: str(kind) for name, kind in model_features(resolved.spec, spec_model).items()
        },
        format=location.format,
    )
    artifacts = storage.bucket("artifacts").name
    config_file = pipelines.config_file(
        artifacts, pipeline, STEP, "BatchFeaturesConfig", config.to_json()
    )
    prefix_uri = f"s3://{artifacts}/{PREPARED_FEATURES_PREFIX}{model_id}/"
    step = pipelines.processing_step(
        STEP,
        image=sklearn_image(resolved.spec.system.region, partition).uri,
        role_arn=role_arn,
        instance_type=INSTANCE_TYPE,
        code_uri=storage.code.uri,
        code_object_key=storage.code.object_key,
        module="mlops_runtime.jobs.batch_features",
        config=config_file,
        inputs=[pipelines.s3_input("data", location.uri, INPUT_DIR)],
        outputs=[(OUTPUT, pipelines.per_execution(prefix_uri), OUTPUT_DIR)],
        volume_size_gb=VOLUME_GB,
    )
    transform_input = {
        "Get": f"Steps.{STEP}.ProcessingOutputConfig.Outputs['{OUTPUT}'].S3Output.S3Uri"
    }
    return FeaturePreparation(step, config_file, prefix_uri, transform_input)


def grants(prefix_uri: str, storage: StoragePlan, pipeline: str) -> list[tuple[Statement, ...]]:
    """Run the step (read the runtime code and its config, write the prepared features under
    ``prefix_uri``) and let the transform read them."""
    artifacts = storage.bucket("artifacts")
    prefix = prefix_uri.removeprefix(f"s3://{artifacts.name}/")
    return [
        iam.s3_read(artifacts.arn, storage.code.object_key),
        iam.s3_read(artifacts.arn, pipelines.config_prefix(pipeline)),
        iam.s3_write(artifacts.arn, prefix),
        iam.s3_read(artifacts.arn, prefix),
    ]
