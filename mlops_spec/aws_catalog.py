"""Facts about AWS taken from the service model botocore ships (read offline, no network).

The SageMaker model is read straight from botocore's data directory (about 25 ms) rather
than through ``botocore.session`` (about 150 ms of imports), and what is read from it is kept
between commands (``mlops_spec.botocore_cache``), to keep `mlops validate` quick.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

from mlops_spec.botocore_cache import cached


@cache
def _sagemaker_path() -> Path:
    """The installed botocore's newest SageMaker service model file."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed; it ships the SageMaker service model")
    root = Path(next(iter(spec.submodule_search_locations))) / "data" / "sagemaker"
    latest = max(p for p in root.iterdir() if p.is_dir())
    for name in ("service-2.json.gz", "service-2.json"):
        if (latest / name).exists():
            return latest / name
    raise RuntimeError(f"no SageMaker service model under {latest}")


@cache
def _sagemaker_text() -> str:
    """The SageMaker service model's JSON text."""
    path = _sagemaker_path()
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode()


def _sagemaker_model() -> dict[str, Any]:
    model: dict[str, Any] = json.loads(_sagemaker_text())
    return model


def _enum_shape(text: str, shape: str) -> list[str] | None:
    """The values of string shape ``shape``, decoding only its own object (the whole model,
    2.7 MB of JSON, takes about 17 ms to decode); None unless exactly one object under that
    key is a string enum (a structure's member refers to a shape and holds no enum)."""
    decoder, found = json.JSONDecoder(), []
    key = f'"{shape}":'
    start = text.find(key)
    while start >= 0:
        at = start + len(key)
        while text[at].isspace():
            at += 1
        if text[at] == "{":
            value, _ = decoder.raw_decode(text, at)
            if value.get("type") == "string" and isinstance(value.get("enum"), list):
                found.append(value["enum"])
        start = text.find(key, at)
    return found[0] if len(found) == 1 else None


@cache
def _sagemaker_enum(shape: str) -> frozenset[str]:
    """A string shape's values, kept between commands (``mlops_spec.botocore_cache``)."""
    return frozenset(
        cached(_sagemaker_path(), f"enum:{shape}", lambda: _read_enum(shape), _strings)
    )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _read_enum(shape: str) -> list[str]:
    values = _enum_shape(_sagemaker_text(), shape)
    enum: list[str] = values if values is not None else _sagemaker_model()["shapes"][shape]["enum"]
    return enum


def training_instance_types() -> frozenset[str]:
    """Instance types SageMaker training jobs accept."""
    return _sagemaker_enum("TrainingInstanceType")


def hosting_instance_types() -> frozenset[str]:
    """Instance types real-time endpoint production variants accept."""
    return _sagemaker_enum("ProductionVariantInstanceType")


def transform_instance_types() -> frozenset[str]:
    """Instance types batch transform jobs accept."""
    return _sagemaker_enum("TransformInstanceType")


INSTANCE_STORAGE_FAMILIES = frozenset(
    {
        "c5d",
        "c6gd",
        "dl1",
        "g4dn",
        "g5",
        "g6",
        "g6e",
        "g7",
        "g7e",
        "m5d",
        "m6gd",
        "p3dn",
        "p4d",
        "p4de",
        "p5",
        "p5e",
        "p5en",
        "p6-b200",
        "p6-b300",
        "p6e-gb200",
        "r5d",
        "r6gd",
        "r7gd",
        "trn1",
        "trn1n",
        "trn2",
    }
)
"""Instance families with local NVMe instance storage (EC2's "instance store volumes"): SageMaker
mounts that storage instead of an EBS volume, encrypts it with a hardware module, and refuses
``VolumeKmsKeyId`` (training, processing, transform) and an endpoint config's ``KmsKeyId`` for
them. ``g7`` and ``g7e`` are listed unverified (newer than the documentation read offline):
omitting the key on an EBS-only type still runs the job, its volume encrypted by a key
SageMaker holds; sending it to an instance-storage type fails the job."""

EBS_ONLY_FAMILIES = frozenset(
    {
        "c4",
        "c5",
        "c5n",
        "c6g",
        "c6gn",
        "c6i",
        "c6in",
        "c7g",
        "c7i",
        "c7i-flex",
        "c8g",
        "c8i",
        "c8i-flex",
        "inf1",
        "inf2",
        "m4",
        "m5",
        "m6g",
        "m6i",
        "m7i",
        "m7i-flex",
        "m8g",
        "m8i",
        "m8i-flex",
        "p2",
        "p3",
        "r5",
        "r6g",
        "r6i",
        "r7i",
        "r8g",
        "r8i",
        "r8i-flex",
        "t2",
        "t3",
    }
)
"""Instance families whose storage is an EBS volume, which ``VolumeKmsKeyId`` encrypts with the
system key. A test keeps both tables covering every family botocore's instance-type enums name."""


def instance_family(instance_type: str) -> str:
    """``ml.g4dn.xlarge`` -> ``g4dn``."""
    return instance_type.split(".")[1] if instance_type.count(".") >= 2 else instance_type


def has_instance_storage(instance_type: str) -> bool:
    """Whether SageMaker refuses a volume KMS key for ``instance_type`` (local NVMe storage).
    A family in neither table (a newer botocore) counts as having it: the job then runs."""
    return instance_family(instance_type) not in EBS_ONLY_FAMILIES


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
