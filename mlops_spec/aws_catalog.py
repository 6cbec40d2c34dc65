"""Facts about AWS taken from the service model botocore ships (no network)."""

from __future__ import annotations

from functools import cache

import botocore.session


@cache
def _sagemaker_enum(shape: str) -> frozenset[str]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    return frozenset(model.shape_for(shape).enum)


def training_instance_types() -> frozenset[str]:
    """Instance types SageMaker training jobs accept."""
    return _sagemaker_enum("TrainingInstanceType")


def hosting_instance_types() -> frozenset[str]:
    """Instance types real-time endpoint production variants accept."""
    return _sagemaker_enum("ProductionVariantInstanceType")


def transform_instance_types() -> frozenset[str]:
    """Instance types batch transform jobs accept."""
    return _sagemaker_enum("TransformInstanceType")


def processing_instance_types() -> frozenset[str]:
    """Instance types processing jobs (evaluation, monitoring) accept."""
    return _sagemaker_enum("ProcessingInstanceType")


SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
SERVERLESS_MAX_CONCURRENCY = (1, 200)
