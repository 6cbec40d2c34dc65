"""Configuration of a batch model's run on Kubernetes (``python -m mlops_runtime.k8s.batch``),
written by the planner (``mlops_spec.plan.k8s.batch``) into the Job's ``MLOPS_RUNTIME_CONFIG``.

The run does what the AWS batch pipeline does after CreateModel: [PrepareFeatures] -> Transform,
against the model server beside it (a native sidecar), writing
``<output_uri>/<run>/<relative path>.out`` as the Transform step writes
``<output>/<execution id>/<relative path>.out``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mlops_runtime.contract.config import (
    RuntimeConfig,
    _field,
    _require,
    check_model_input,
    compact_json,
)

RUN_ENV = "MLOPS_RUN"
"""The run's name (the Job's, through the downward API): the output folder, like the AWS
pipeline's execution id. A retried pod of the same Job writes the same folder."""
BATCH_STRATEGIES = ("SingleRecord", "MultiRecord")


@dataclass(frozen=True, kw_only=True)
class BatchJobConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.k8s.batch``."""

    model_id: str = _field("Model id (logs).")
    input_uri: str = _field("s3://bucket/prefix/ whose objects are scored (recursively).")
    output_uri: str = _field(
        "s3://bucket/prefix/ the predictions go under: <output_uri><run>/<relative path>.out."
    )
    features: Mapping[str, str] | None = _field(
        "Feature name -> 'numeric' or 'categorical' in the model's order: each object is first "
        "reduced to these columns as headerless CSV (a data-source input, as the AWS "
        "PrepareFeatures step does). Null: the objects are sent as they are.",
        None,
    )
    format: str | None = _field("The data source's format (with features).", None)
    content_type: str = _field("The requests' Content-Type (ContentType).", "text/csv")
    batch_strategy: str = _field("SingleRecord or MultiRecord (BatchStrategy).", "MultiRecord")
    max_payload_mb: int = _field("Largest request in MB (MaxPayloadInMB).", 6)
    model_url: str = _field("The model server (the native sidecar).", "http://127.0.0.1:8080")
    ping_deadline_seconds: float = _field(
        "How long the model server may take to answer /ping with 200 at start.", 600.0
    )
    kms_key_id: str | None = _field(
        "SSE-KMS key of the outputs (TransformOutput.KmsKeyId); null: the bucket's default.", None
    )

    def __post_init__(self) -> None:
        for name in ("input_uri", "output_uri"):
            uri = getattr(self, name)
            _require(uri.startswith("s3://") and len(uri) > 5, f"{name} must be s3://...")
        if self.features is not None:
            check_model_input(self.model_id, self.features, self.format or "")
        else:
            _require(self.format is None, "format applies with features only")
        _require(
            self.batch_strategy in BATCH_STRATEGIES,
            f"batch_strategy must be one of {list(BATCH_STRATEGIES)}, got {self.batch_strategy!r}",
        )
        _require(1 <= self.max_payload_mb <= 100, "max_payload_mb must be 1-100")
        _require(self.ping_deadline_seconds > 0, "ping_deadline_seconds must be > 0")

    def to_json(self) -> str:
        """Compact JSON keeping ``features`` in order (the column order of every line)."""
        return compact_json(self.to_dict())
