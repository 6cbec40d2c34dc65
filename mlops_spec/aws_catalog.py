"""Facts about AWS taken from the service model botocore ships (read offline, no network).

The SageMaker model is read straight from botocore's data directory (about 25 ms) rather
than through ``botocore.session`` (about 150 ms of imports), to keep `mlops validate` quick.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _sagemaker_model() -> dict[str, Any]:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed; it ships the SageMaker service model")
    root = Path(next(iter(spec.submodule_search_locations))) / "data" / "sagemaker"
    latest = max(p for p in root.iterdir() if p.is_dir())
    for name in ("service-2.json.gz", "service-2.json"):
        path = latest / name
        if path.exists():
            raw = path.read_bytes()
            return json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)
    raise RuntimeError(f"no SageMaker service model under {latest}")


@cache
def _sagemaker_enum(shape: str) -> frozenset[str]:
    return frozenset(_sagemaker_model()["shapes"][shape]["enum"])


def training_instance_types() -> frozenset[str]:
    """Instance types SageMaker training jobs accept."""
    return _sagemaker_enum("TrainingInstanceType")


def hosting_instance_types() -> frozenset[str]:
    """Instance types real-time endpoint production variants accept."""
    return _sagemaker_enum("ProductionVariantInstanceType")


def transform_instance_types() -> frozenset[str]:
    """Instance types batch transform jobs accept."""
    return _sagemaker_enum("TransformInstanceType")


SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)

LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
"""The retention periods CloudWatch Logs accepts (PutRetentionPolicy)."""
