"""The lineage contract: what the training pipeline's lineage steps read and what they record.

The planner writes a :class:`LineageConfig` for the ``Inputs`` and ``Lineage`` steps of every
training pipeline (``python -m mlops_runtime.lineage_job``); the facts only a run knows (the
spec's hash, the commit and the stack the program deployed, the trigger, the execution) reach
the job as pipeline parameters in its environment (:data:`RUN_ENV`). The register step copies
the short facts into the package's ``CustomerMetadataProperties`` under :data:`METADATA` keys;
the whole record is ``lineage.json`` in the artifacts bucket (``mlops:lineage.uri``, its
SHA-256 in ``mlops:lineage.sha256``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mlops_runtime.contract.config import RuntimeConfig, _field, _require
from mlops_runtime.contract.events import TRIGGER_ID_PARAMETER

SCHEMA_VERSION = 1
"""``schema_version`` of ``lineage.json``."""
RECORD_FILE = "lineage.json"
SUMMARY_FILE = "summary.json"
"""The Lineage step's property file: ``uri``, ``sha256``, ``objects`` (strings)."""
INPUTS_FILE = "inputs.json"
"""The Inputs step's data manifest (every object read, before training)."""
IMAGE_FILE = "image.json"
"""The Inputs step's property file: ``uri`` (the image at its digest), ``digest``."""

PARAMETERS = {
    "spec_sha256": "SpecSha256",
    "commit": "Commit",
    "stack": "Stack",
    "trigger_id": TRIGGER_ID_PARAMETER,
}
"""Pipeline parameters (besides ``TriggerReason``) the program or the trigger sets."""
UNKNOWN = "unknown"
"""A parameter's value when nobody set it (metadata values may not be empty)."""

RUN_ENV = {
    "spec_sha256": "MLOPS_LINEAGE_SPEC_SHA256",
    "commit": "MLOPS_LINEAGE_COMMIT",
    "stack": "MLOPS_LINEAGE_STACK",
    "trigger_reason": "MLOPS_LINEAGE_TRIGGER_REASON",
    "trigger_id": "MLOPS_LINEAGE_TRIGGER_ID",
    "execution_arn": "MLOPS_LINEAGE_EXECUTION_ARN",
    "training_job": "MLOPS_LINEAGE_TRAINING_JOB",
    "model_artifacts": "MLOPS_LINEAGE_MODEL_ARTIFACTS",
}
"""Environment of the Lineage step: pipeline parameters and step properties (each value at
most 256 characters, a Processing job's limit)."""

METADATA = {
    "uri": "mlops:lineage.uri",
    "sha256": "mlops:lineage.sha256",
    "digest": "mlops:image.digest",
    "objects": "mlops:data.objects",
    "spec_sha256": "mlops:spec.sha256",
    "commit": "mlops:commit",
    "stack": "mlops:stack",
    "trigger_id": "mlops:trigger.id",
    "run": "mlops:run",
    "approval_id": "mlops:approval.id",
    "approved_by": "mlops:approval.by",
}
"""``CustomerMetadataProperties`` keys of a package's lineage (values: 1-256 characters)."""


@dataclass(frozen=True, kw_only=True)
class LineageSource:
    """One data source the run reads: a training channel or the holdout."""

    name: str = _field("Data source id (the channel's name).")
    uri: str = _field("s3://bucket/prefix/ the run reads (every object under it).")
    roles: tuple[str, ...] = _field("'train' (an input channel) and/or 'holdout'.")

    def __post_init__(self) -> None:
        _require(self.uri.startswith("s3://"), f"sources.{self.name}.uri: not an s3:// URI")
        bad = set(self.roles) - {"train", "holdout"}
        _require(bool(self.roles) and not bad, f"sources.{self.name}.roles: {sorted(bad)}")


@dataclass(frozen=True, kw_only=True)
class LineageConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.lineage_job`` (the Inputs and Lineage steps
    of a training pipeline)."""

    system: str = _field("System id.")
    model_id: str = _field("Model id.")
    pipeline_name: str = _field("The training pipeline.")
    image: str = _field("The training image as the spec writes it (a tag or a digest).")
    sources: tuple[LineageSource, ...] = _field("The data the run reads, in channel order.")
    records_uri: str = _field(
        "s3://bucket/prefix/ of the records: <prefix><execution id>/lineage.json."
    )
    instance_type: str = _field("Training instance type.")
    instance_count: int = _field("Training instances.", 1)
    spot: bool = _field("Managed spot training.", False)
    hyperparameters: Mapping[str, str] = _field(
        "Hyperparameters as passed to the job.", factory=dict
    )
    package_group: str = _field("Model package group the run registers into.")
    max_attempts: int = _field("Attempts per AWS call, the first included.", 5)

    def __post_init__(self) -> None:
        _require(bool(self.sources), "sources: at least one data source")
        _require(self.records_uri.startswith("s3://"), "records_uri: not an s3:// URI")
        _require(self.records_uri.endswith("/"), "records_uri: must end with '/'")
