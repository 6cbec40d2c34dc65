"""Runtime configuration: one JSON document per unit.

Each unit reads a frozen dataclass: a Lambda from the versioned S3 object its environment names
(``MLOPS_RUNTIME_CONFIG_OBJECT`` and ``MLOPS_RUNTIME_CONFIG_VERSION``, read once per cold start
by ``mlops_runtime.aws.config_object``), a Processing job from the file named by
``MLOPS_RUNTIME_CONFIG_FILE`` (the object, received as a ProcessingInput), the proxy sidecar
from ``MLOPS_RUNTIME_CONFIG``. The Pulumi components build the same dataclass and upload its
JSON to the artifacts bucket (SSE-KMS, system key). Unknown keys
are rejected, so a typo in a component fails the first invocation loudly instead of being ignored.
Every field carries its documentation (``metadata["doc"]``), rendered by ``reference_markdown``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field
from typing import Any, TypeVar

ENV_VAR = "MLOPS_RUNTIME_CONFIG"
"""The environment variable holding a unit's configuration (the Lambdas)."""
FILE_ENV_VAR = "MLOPS_RUNTIME_CONFIG_FILE"
"""The environment variable naming a file that holds the configuration (the Processing jobs:
a job's environment values are limited to 256 characters, so the document is shipped as a
ProcessingInput). Takes precedence over ``MLOPS_RUNTIME_CONFIG`` when set."""
OBJECT_ENV_VAR = "MLOPS_RUNTIME_CONFIG_OBJECT"
"""The environment variable naming a Lambda's configuration object, ``s3://<bucket>/<key>``
(Lambda allows 4 KB of environment variables per function: too little for the document of a
large system, so the environment only names it)."""
VERSION_ENV_VAR = "MLOPS_RUNTIME_CONFIG_VERSION"
"""The S3 version id of that object the function reads: each upload is a new version and a new
value here, so a changed configuration re-deploys the function and a cold start reads exactly
the version deployed with it."""

STRATEGIES = ("all_at_once", "canary", "linear")
TASKS = ("classification", "regression")
FEATURE_KINDS = ("numeric", "categorical")
DATA_FORMATS = ("parquet", "csv", "jsonl")

T = TypeVar("T", bound="RuntimeConfig")


class ConfigError(ValueError):
    """The runtime configuration is missing or invalid."""


def _field(doc: str, default: Any = MISSING, factory: Any = MISSING) -> Any:
    """A dataclass field carrying its documentation."""
    if factory is not MISSING:
        return field(default_factory=factory, metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


class RuntimeConfig:
    """Mixin: JSON and environment round trip for a frozen configuration dataclass."""

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        """Build and validate from plain JSON data."""
        return _convert(cls, data, cls.__name__)

    @classmethod
    def from_json(cls: type[T], text: str) -> T:
        """Parse the JSON document."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"the configuration is not valid JSON: {error}") from error
        return cls.from_dict(data)

    @classmethod
    def from_env(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
        """Read the file named by ``MLOPS_RUNTIME_CONFIG_FILE`` when set, else
        ``MLOPS_RUNTIME_CONFIG``, from the environment."""
        env = os.environ if environ is None else environ
        path = env.get(FILE_ENV_VAR)
        if path:
            try:
                with open(path, encoding="utf-8") as handle:
                    return cls.from_json(handle.read())
            except OSError as error:
                raise ConfigError(f"cannot read {FILE_ENV_VAR}={path}: {error}") from error
        text = env.get(ENV_VAR)
        if not text:
            raise ConfigError(f"environment variable {ENV_VAR} is not set or empty")
        return cls.from_json(text)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (tuples as lists)."""
        return _plain(self)

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no whitespace."""
        return _CANONICAL.encode(self.to_dict())

    def to_env(self) -> dict[str, str]:
        """The environment entry to give the Lambda function or Processing job."""
        return {ENV_VAR: self.to_json()}


# --- retraining trigger ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ModelTrigger:
    """How one model is retrained."""

    pipeline_name: str = _field("SageMaker pipeline name (or ARN) started for this model.")
    cooldown_hours: float = _field("Minimum hours between two started runs; 0 disables.", 0.0)
    max_runs_per_day: int | None = _field(
        "Most runs started per UTC day; null means unlimited.", None
    )

    def __post_init__(self) -> None:
        _require(bool(self.pipeline_name), "pipeline_name must not be empty")
        _require(
            self.cooldown_hours >= 0, f"cooldown_hours must be >= 0, got {self.cooldown_hours}"
        )
        _require(
            self.max_runs_per_day is None or self.max_runs_per_day >= 1,
            f"max_runs_per_day must be >= 1 or null, got {self.max_runs_per_day}",
        )


@dataclass(frozen=True, kw_only=True)
class DataSourceTrigger:
    """New objects under ``s3://bucket/prefix`` retrain ``models``."""

    bucket: str = _field("Bucket name whose 'Object Created' events retrain.")
    prefix: str = _field("Key prefix that must match; empty matches the whole bucket.", "")
    models: tuple[str, ...] = _field("Model ids retrained by new data here.")

    def __post_init__(self) -> None:
        _require(bool(self.bucket), "bucket must not be empty")
        _require(bool(self.models), "models must name at least one model")


@dataclass(frozen=True, kw_only=True)
class TriggerConfig(RuntimeConfig):
    """Configuration of ``mlops_runtime.trigger.handler``."""

    system: str = _field("System name (logs and audit records).")
    table_name: str = _field(
        "DynamoDB table for idempotency, run ledger and audit: hash key 'pk' (S), range key "
        "'sk' (S), TTL attribute 'expires_at'."
    )
    models: Mapping[str, ModelTrigger] = _field("Model id -> how it is retrained.")
    alarms: Mapping[str, str] = _field(
        "CloudWatch alarm name -> model id, for monitors whose action is 'retrain'.", factory=dict
    )
    data_sources: tuple[DataSourceTrigger, ...] = _field(
        "Buckets/prefixes whose new objects retrain models.", ()
    )
    audit_ttl_days: int = _field("Audit record retention in days; 0 keeps them forever.", 90)
    max_attempts: int = _field(
        "Attempts per AWS call, the first included (botocore standard retry mode).", 5
    )

    def __post_init__(self) -> None:
        _require(bool(self.system), "system must not be empty")
        _require(bool(self.table_name), "table_name must not be empty")
        _require(bool(self.models), "models must configure at least one model")
        known = set(self.models)
        named = list(self.alarms.values())
        named += [model for source in self.data_sources for model in source.models]
        unknown = sorted(set(named) - known)
        _require(not unknown, f"unknown model id(s) {unknown}; configured: {sorted(known)}")
        _require(self.audit_ttl_days >= 0, "audit_ttl_days must be >= 0")
        _require(self.max_attempts >= 1, "max_attempts must be >= 1")


# --- evaluation and champion gate -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GateConfig:
    """The promotion gate applied to the candidate's holdout metrics."""

    metric: str = _field("Gate metric: auc, accuracy, f1, precision, recall, rmse, mae or r2.")
    min_value: float | None = _field("The candidate must reach at least this value.", None)
    max_value: float | None = _field("The candidate must stay at or below this value.", None)
    min_improvement: float = _field(
        "Margin by which the candidate must beat the champion (in the metric's better "
        "direction); 0 means 'at least as good'.",
        0.0,
    )
    higher_is_better: bool | None = _field(
        "Direction of the metric; null derives it (rmse and mae lower, others higher).", None
    )

    def __post_init__(self) -> None:
        _require(bool(self.metric), "metric must not be empty")
        _require(self.min_improvement >= 0, "min_improvement must be >= 0")
        if self.min_value is not None and self.max_value is not None:
            _require(self.min_value <= self.max_value, "min_value must be <= max_value")


@dataclass(frozen=True, kw_only=True)
class EvaluateConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.evaluate``."""

    model_id: str = _field("Model id (recorded in evaluation.json).")
    task: str = _field("'classification' or 'regression'.")
    label: str = _field("Label column of the holdout set.")
    gate: GateConfig = field(metadata={"doc": "The champion gate."})
    model_package_group: str | None = _field(
        "Model package group whose latest Approved package is the champion; null: no champion.",
        None,
    )
    features: tuple[str, ...] = _field(
        "Feature columns in model input order; empty: every column except the label.", ()
    )
    positive_label: str | None = _field(
        "Positive class for binary metrics (compared as text); null: the model's last class.",
        None,
    )
    content_type: str = _field(
        "What the holdout's transform output is: 'text/csv' (label, then the container's "
        "values, per line) or 'application/jsonlines' ({label, SageMakerOutput} per line).",
        "text/csv",
    )
    output: str = _field(
        "What one prediction holds: 'label', 'probability' (the positive class's) or "
        "'probabilities' (one per class, sorted class order).",
        "label",
    )
    max_attempts: int = _field(
        "Attempts per AWS call, the first included (botocore standard retry mode).", 5
    )

    def __post_init__(self) -> None:
        _require(self.task in TASKS, f"task must be one of {list(TASKS)}, got {self.task!r}")
        _require(
            self.content_type in ("text/csv", "application/jsonlines"),
            f"content_type must be text/csv or application/jsonlines, got {self.content_type!r}",
        )
        _require(
            self.output in ("label", "probability", "probabilities"),
            f"output must be label, probability or probabilities, got {self.output!r}",
        )
        _require(
            self.task == "classification" or self.output == "label",
            f"a regression scores one predicted value per row (output label), got {self.output!r}",
        )
        _require(bool(self.label), "label must not be empty")
        _require(self.label not in self.features, "features must not include the label")
        _require(self.max_attempts >= 1, "max_attempts must be >= 1")


# --- deploy ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TrafficShift:
    """Blue/green traffic shifting of an endpoint update, in the spec's words
    (``serving.rollout``)."""

    strategy: str = _field("'all_at_once', 'canary' or 'linear'.", "all_at_once")
    step_percent: int = _field("Canary size, or linear step, in percent of capacity.", 10)
    bake_minutes: int = _field(
        "Minutes between traffic shifts while the rollback alarms watch (WaitIntervalInSeconds).",
        10,
    )
    termination_wait_minutes: int = _field(
        "Minutes the old fleet is kept after the last shift, still watching the alarms "
        "(TerminationWaitInSeconds).",
        5,
    )
    max_rollout_minutes: int | None = _field(
        "Upper bound of the whole rollout (MaximumExecutionTimeoutInSeconds, 10-480); null: AWS "
        "default.",
        None,
    )

    def __post_init__(self) -> None:
        _require(self.strategy in STRATEGIES, f"strategy must be one of {list(STRATEGIES)}")
        _require(1 <= self.step_percent <= 100, "step_percent must be within 1..100")
        _require(0 <= self.bake_minutes <= 60, "bake_minutes must be within 0..60")
        _require(
            0 <= self.termination_wait_minutes <= 60,
            "termination_wait_minutes must be within 0..60",
        )
        _require(
            self.max_rollout_minutes is None or 10 <= self.max_rollout_minutes <= 480,
            "max_rollout_minutes must be within 10..480 or null",
        )


@dataclass(frozen=True, kw_only=True)
class DataCapture:
    """Data capture settings repeated in every endpoint config the deploy Lambda creates."""

    destination_s3_uri: str = _field("DataCaptureConfig.DestinationS3Uri.")
    sampling_percent: int = _field("InitialSamplingPercentage.", 100)
    kms_key_id: str | None = _field("KMS key for captured objects.", None)
    csv_content_types: tuple[str, ...] = _field("Content types captured as CSV.", ("text/csv",))
    json_content_types: tuple[str, ...] = _field(
        "Content types captured as JSON.", ("application/json",)
    )

    def __post_init__(self) -> None:
        _require(self.destination_s3_uri.startswith("s3://"), "destination_s3_uri must be s3://")
        _require(0 <= self.sampling_percent <= 100, "sampling_percent must be within 0..100")


@dataclass(frozen=True, kw_only=True)
class AutoscalingTarget:
    """Target tracking on invocations per instance of the endpoint's variant."""

    min_capacity: int = _field("MinCapacity of the scalable target (instances).")
    max_capacity: int = _field("MaxCapacity of the scalable target (instances).")
    target_invocations_per_instance: float = _field(
        "TargetValue of SageMakerVariantInvocationsPerInstance (invocations per instance per "
        "minute)."
    )
    scale_in_cooldown_seconds: int = _field("ScaleInCooldown of the policy, in seconds.")
    scale_out_cooldown_seconds: int = _field("ScaleOutCooldown of the policy, in seconds.")
    policy_name: str = _field("Name of the target-tracking scaling policy.")

    def __post_init__(self) -> None:
        _require(self.min_capacity >= 1, f"min_capacity must be >= 1, got {self.min_capacity}")
        _require(
            self.max_capacity >= self.min_capacity,
            f"max_capacity ({self.max_capacity}) must be >= min_capacity ({self.min_capacity})",
        )
        _require(
            self.target_invocations_per_instance > 0,
            "target_invocations_per_instance must be > 0",
        )
        _require(
            self.scale_in_cooldown_seconds >= 0 and self.scale_out_cooldown_seconds >= 0,
            "cooldowns must be >= 0",
        )
        _require(0 < len(self.policy_name) <= 256, "policy_name must be 1..256 characters long")


REFERENCE_METADATA = "mlops:reference"
"""Package metadata key: the s3:// prefix of the package's own drift references (the training
pipeline's Profile step wrote them there, per execution; its register step records it)."""
REFERENCE_FILES = ("profile.json", "predictions.json")


@dataclass(frozen=True, kw_only=True)
class ReferencePromotion:
    """Where a model's drift references live: each package's own, and the current ones the
    monitoring job reads, which the deploy function replaces with the references of the package
    the endpoint is seen serving (never a candidate's merely registered or approved)."""

    current_uri: str = _field(
        "s3://bucket/prefix/ of the current references (the monitoring job's profile_uri and "
        "prediction profile_uri are objects under it)."
    )
    packages_uri: str = _field(
        "s3://bucket/prefix/ under which every package's references lie (a package's "
        f"{REFERENCE_METADATA!r} metadata names its own prefix); other prefixes are refused."
    )
    files: tuple[str, ...] = _field(
        f"Objects copied from the package's prefix to current_uri, e.g. {list(REFERENCE_FILES)}.",
        ("profile.json",),
    )
    kms_key_id: str | None = _field(
        "KMS key (SSE-KMS) of the copies; null: the bucket's default.", None
    )

    def __post_init__(self) -> None:
        for name in ("current_uri", "packages_uri"):
            uri = getattr(self, name)
            _require(
                uri.startswith("s3://") and uri.endswith("/"),
                f"{name} must be an s3:// prefix ending in '/', got {uri!r}",
            )
        _require(
            bool(self.files) and all(f and "/" not in f for f in self.files),
            "files must name at least one object, without '/'",
        )


@dataclass(frozen=True, kw_only=True)
class EndpointTarget:
    """The endpoint that serves a model package group's latest approved package."""

    model_id: str = _field("Model id (logs, audit, resource names).")
    endpoint_name: str = _field(
        "Endpoint serving the group; the deploy function creates it on the first approval and "
        "updates it on later ones (Pulumi does not create latest_approved endpoints)."
    )
    execution_role_arn: str = _field("Role the SageMaker Model runs as (needs iam:PassRole).")
    instance_type: str | None = _field("Instance type; null for a serverless variant.", None)
    initial_instance_count: int = _field("Instances of the new fleet.", 1)
    serverless_memory_mb: int | None = _field("Serverless memory; set for serverless.", None)
    serverless_max_concurrency: int | None = _field("Serverless max concurrency.", None)
    serverless_provisioned_concurrency: int | None = _field(
        "Serverless provisioned concurrency (ProvisionedConcurrency, <= max concurrency); null: "
        "none.",
        None,
    )
    variant_name: str = _field("Production variant name.", "AllTraffic")
    traffic: TrafficShift = field(
        default_factory=TrafficShift, metadata={"doc": "Blue/green traffic shifting."}
    )
    rollback_alarms: tuple[str, ...] = _field(
        "CloudWatch alarms that roll the update back (AutoRollbackConfiguration, at most 10).",
        (),
    )
    data_capture: DataCapture | None = field(
        default=None, metadata={"doc": "Data capture; null disables it."}
    )
    kms_key_id: str | None = _field("KMS key for the endpoint's ML storage volume.", None)
    environment: Mapping[str, str] = _field("Environment of the model container.", factory=dict)
    tags: Mapping[str, str] = _field(
        "Tags on the created Model, EndpointConfig and Endpoint.", factory=dict
    )
    autoscaling: AutoscalingTarget | None = field(
        default=None,
        metadata={
            "doc": "Target-tracking autoscaling of the variant, registered by the deploy "
            "function once the endpoint is InService; null: none (an existing registration "
            "is left alone)."
        },
    )
    references: ReferencePromotion | None = field(
        default=None,
        metadata={
            "doc": "The model's drift references, promoted to the current ones once the "
            "endpoint serves a package; null: the deploy function leaves references alone."
        },
    )

    @property
    def serverless(self) -> bool:
        return self.serverless_memory_mb is not None

    def __post_init__(self) -> None:
        _require(bool(self.endpoint_name), "endpoint_name must not be empty")
        _require(
            (self.instance_type is None) == self.serverless,
            "set exactly one of instance_type and serverless_memory_mb",
        )
        _require(self.initial_instance_count >= 1, "initial_instance_count must be >= 1")
        _require(len(self.rollback_alarms) <= 10, "at most 10 rollback_alarms")
        _require(
            self.autoscaling is None or not self.serverless,
            "autoscaling applies to instance-based variants, not serverless ones",
        )
        provisioned = self.serverless_provisioned_concurrency
        _require(
            provisioned is None or self.serverless,
            "serverless_provisioned_concurrency applies to serverless variants only",
        )
        _require(
            provisioned is None
            or (
                provisioned >= 1
                and (
                    self.serverless_max_concurrency is None
                    or provisioned <= self.serverless_max_concurrency
                )
            ),
            f"serverless_provisioned_concurrency must be >= 1 and <= "
            f"serverless_max_concurrency, got {provisioned}",
        )


@dataclass(frozen=True, kw_only=True)
class DeployConfig(RuntimeConfig):
    """Configuration of ``mlops_runtime.deploy.handler`` (serving mode ``latest_approved``)."""

    system: str = _field("System name (logs and audit records).")
    endpoints: Mapping[str, EndpointTarget] = _field(
        "Model package group name -> the endpoint serving its latest approved package."
    )
    table_name: str | None = _field(
        "DynamoDB table (same layout as the trigger's) for audit records and each endpoint's "
        "rollout memory (the update started, the packages that rolled back); the deploy "
        "function refuses to run without it (null only where a configuration is parsed for "
        "its endpoints).",
        None,
    )
    audit_ttl_days: int = _field("Audit record retention in days; 0 keeps them forever.", 90)
    max_attempts: int = _field(
        "Attempts per AWS call, the first included (botocore standard retry mode).", 5
    )
    notification_topic_arn: str | None = _field(
        "SNS topic (the system's alarm topic) told when a rollout is rolled back; null: the "
        "audit record and the log only.",
        None,
    )

    def __post_init__(self) -> None:
        _require(bool(self.endpoints), "endpoints must configure at least one group")
        _require(
            self.notification_topic_arn is None or self.notification_topic_arn.startswith("arn:"),
            "notification_topic_arn must be an SNS topic ARN",
        )
        _require(self.audit_ttl_days >= 0, "audit_ttl_days must be >= 0")
        _require(self.max_attempts >= 1, "max_attempts must be >= 1")


# --- monitoring job -------------------------------------------------------------------------

DRIFT_METHODS = ("psi", "ks", "chi2", "classifier")
SOURCES = ("capture", "batch")
BATCH_FIELDS = ("batch_input_uri", "batch_input_format", "batch_output_uri")
QUALITY_METRICS = ("auc", "accuracy", "f1", "precision", "recall", "rmse", "mae", "r2")


def _window(hours: int) -> None:
    _require(hours >= 1, f"window_hours must be >= 1, got {hours}")


@dataclass(frozen=True, kw_only=True)
class PredictionDriftCheck:
    """Drift of the endpoint's predictions against the model's predictions on the holdout."""

    profile_uri: str = _field(
        "s3:// URI of the prediction profile (predictions.json: the drift engine's profile of "
        "the evaluation step's holdout predictions, copied next to profile.json)."
    )
    method: str = _field(
        "psi, ks, chi2 or classifier; ks and chi2 both mean the p-value test of the "
        "predictions' kind (ks for numbers, chi2 for labels).",
        "psi",
    )
    threshold: float = _field(
        "psi and classifier: drifted when the statistic is above it; ks and chi2: drifted when "
        "the p-value is below it.",
        0.1,
    )
    window_hours: int = _field(
        "Hours of captured traffic (batch: output objects) compared, ending at the run time.", 24
    )

    def __post_init__(self) -> None:
        _require(self.profile_uri.startswith("s3://"), "profile_uri must be an s3:// URI")
        _require(
            self.method in DRIFT_METHODS,
            f"method must be one of {list(DRIFT_METHODS)}, got {self.method!r}",
        )
        _require(self.threshold > 0, f"threshold must be > 0, got {self.threshold}")
        _window(self.window_hours)


@dataclass(frozen=True, kw_only=True)
class BiasCheck:
    """Demographic parity difference of the positive-prediction rate across the groups of a
    sensitive input feature."""

    feature: str = _field("Sensitive input feature (a categorical feature of the profile).")
    positive_label: str | None = _field(
        "Predicted label counted as positive (compared as text); null: the last of the sorted "
        "classes (the reference predictions', else the captured ones'), as scikit-learn orders "
        "classes_.",
        None,
    )
    score_threshold: float = _field(
        "When the endpoint returns scores (numbers in [0, 1], not all 0/1): positive at or "
        "above this.",
        0.5,
    )
    min_group_rows: int = _field("Groups with fewer captured rows in the window are ignored.", 30)
    window_hours: int = _field(
        "Hours of captured traffic (batch: output objects joined with their input rows) "
        "analysed, ending at the run time.",
        24,
    )

    def __post_init__(self) -> None:
        _require(bool(self.feature), "feature must not be empty")
        _require(0 < self.score_threshold < 1, "score_threshold must be within (0, 1)")
        _require(self.min_group_rows >= 1, "min_group_rows must be >= 1")
        _window(self.window_hours)


@dataclass(frozen=True, kw_only=True)
class QualityCheck:
    """Quality of served predictions: captured requests joined by inference id
    (``eventMetadata.inferenceId``) with ground-truth labels."""

    ground_truth_uri: str = _field(
        "s3://bucket/prefix/ of the ground-truth objects; those modified since the window "
        "started are read."
    )
    format: str = _field("Format of the ground-truth objects: 'parquet', 'csv' or 'jsonl'.")
    label: str = _field("Label column of the ground truth.")
    inference_id_column: str = _field(
        "Ground-truth column holding the InferenceId the client sent to InvokeEndpoint.",
        "inference_id",
    )
    metrics: tuple[str, ...] = _field(
        "Metrics computed: auc, accuracy, f1, precision, recall, rmse, mae or r2."
    )
    positive_label: str | None = _field(
        "Positive class for binary metrics (compared as text); null: the last of the sorted "
        "classes.",
        None,
    )
    score_threshold: float = _field(
        "When the endpoint returns scores: predicted positive at or above this (accuracy, "
        "f1, precision, recall).",
        0.5,
    )
    window_hours: int = _field("Hours of captured traffic joined, ending at the run time.", 24)

    def __post_init__(self) -> None:
        _require(self.ground_truth_uri.startswith("s3://"), "ground_truth_uri must be an s3:// URI")
        _require(
            self.format in DATA_FORMATS,
            f"format must be one of {list(DATA_FORMATS)}, got {self.format!r}",
        )
        _require(bool(self.label) and bool(self.inference_id_column), "columns must be named")
        _require(bool(self.metrics), "metrics must name at least one metric")
        bad = [metric for metric in self.metrics if metric not in QUALITY_METRICS]
        _require(not bad, f"metrics must be among {list(QUALITY_METRICS)}, got {bad}")
        _require(0 < self.score_threshold < 1, "score_threshold must be within (0, 1)")
        _window(self.window_hours)


@dataclass(frozen=True, kw_only=True)
class MonitorConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.monitoring_job``."""

    system: str = _field("System name; the metric namespace defaults to 'MLOps/<system>'.")
    model_id: str = _field("Model id: the 'Model' metric dimension.")
    environment: str = _field("Environment (stack) name: the 'Environment' metric dimension.")
    endpoint_name: str = _field(
        "Endpoint whose captured requests are analysed (source 'capture'); empty for 'batch'.",
        "",
    )
    profile_uri: str = _field("s3:// URI of the reference profile JSON (drift engine format).")
    source: str = _field(
        "What the job reads: 'capture' (the endpoint's data capture under capture_uri) or "
        "'batch' (the batch transform's input objects under batch_input_uri and its output "
        "objects under batch_output_uri).",
        "capture",
    )
    capture_uri: str | None = _field(
        "The endpoint's DataCaptureConfig.DestinationS3Uri; objects are read from "
        "<capture_uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/. Required for source 'capture', "
        "null for 'batch'.",
        None,
    )
    batch_input_uri: str | None = _field(
        "Source 'batch': s3://bucket/prefix/ the batch transform reads (TransformInput S3Uri); "
        "objects modified within a check's window are its input data.",
        None,
    )
    batch_input_format: str | None = _field(
        "Source 'batch': format of the input objects, 'parquet', 'csv' or 'jsonl' (csv and "
        "jsonl may be gzipped, ending in .gz).",
        None,
    )
    batch_input_header: bool = _field(
        "Source 'batch', csv input: the first line of each object names the columns; false: "
        "headerless lines in the profile's feature order (as text/csv reaches the model).",
        True,
    )
    batch_output_uri: str | None = _field(
        "Source 'batch': s3://bucket/prefix/ the transform writes to (S3OutputPath without "
        "the execution id); <prefix><execution id>/<input key>.out objects modified within a "
        "check's window are its predictions. Required with prediction_drift or bias.",
        None,
    )
    reports_bucket: str = _field("Bucket receiving the JSON and HTML drift reports.")
    reports_prefix: str = _field(
        "Report key prefix; keys are <prefix>/<model>/yyyy/mm/dd/<HHMMSS>Z/drift.{json,html}.",
        "drift",
    )
    window_hours: int = _field(
        "Hours of captured traffic (batch: input objects, by LastModified) the data-drift "
        "check analyses, ending at the run time (the job reads the longest window of its "
        "checks).",
        24,
    )
    namespace: str | None = _field("CloudWatch namespace; null: 'MLOps/<system>'.", None)
    variants: tuple[str, ...] = _field("Variants to read; empty: every variant found.", ())
    methods: Mapping[str, str] = _field(
        "Feature -> drift method override (psi, ks, chi2, ...); empty: engine defaults.",
        factory=dict,
    )
    thresholds: Mapping[str, float] = _field(
        "Feature -> drift threshold override; empty: engine defaults.", factory=dict
    )
    max_corrupt_fraction: float = _field(
        "Fail the job when more than this fraction of captured records (batch: input and "
        "output objects) is unreadable.",
        0.05,
    )
    max_attempts: int = _field(
        "Attempts per AWS call, the first included (botocore standard retry mode).", 5
    )
    data_drift: bool = _field(
        "Measure input-feature drift against profile_uri (DriftScore and the per-feature "
        "series); false when the model has no data_drift monitor.",
        True,
    )
    prediction_drift: PredictionDriftCheck | None = field(
        default=None,
        metadata={"doc": "Prediction drift (PredictionDrift); null: not measured."},
    )
    bias: BiasCheck | None = field(
        default=None,
        metadata={"doc": "Demographic parity (DemographicParityDifference); null: not measured."},
    )
    model_quality: QualityCheck | None = field(
        default=None,
        metadata={"doc": "Quality against ground truth (ModelQuality); null: not measured."},
    )

    @property
    def metric_namespace(self) -> str:
        return self.namespace or f"MLOps/{self.system}"

    def __post_init__(self) -> None:
        _require(self.profile_uri.startswith("s3://"), "profile_uri must be an s3:// URI")
        _require(
            self.source in SOURCES, f"source must be one of {list(SOURCES)}, got {self.source!r}"
        )
        if self.source == "capture":
            self._check_capture()
        else:
            self._check_batch()
        _require(self.window_hours >= 1, "window_hours must be >= 1")
        _require(0 <= self.max_corrupt_fraction <= 1, "max_corrupt_fraction must be within 0..1")
        _require(self.max_attempts >= 1, "max_attempts must be >= 1")
        _require(
            self.data_drift or any((self.prediction_drift, self.bias, self.model_quality)),
            "nothing to measure: enable data_drift or configure prediction_drift, bias or "
            "model_quality",
        )

    def _check_capture(self) -> None:
        _require(
            bool(self.capture_uri) and str(self.capture_uri).startswith("s3://"),
            "capture_uri must be an s3:// URI (source 'capture')",
        )
        _require(bool(self.endpoint_name), "endpoint_name must not be empty (source 'capture')")
        given = [name for name in BATCH_FIELDS if getattr(self, name) is not None]
        _require(not given, f"{given} apply to source 'batch' only; source is 'capture'")

    def _check_batch(self) -> None:
        _require(self.capture_uri is None, "capture_uri applies to source 'capture' only")
        _require(
            bool(self.batch_input_uri) and str(self.batch_input_uri).startswith("s3://"),
            "batch_input_uri must be an s3:// URI (source 'batch')",
        )
        _require(
            self.batch_input_format in DATA_FORMATS,
            f"batch_input_format must be one of {list(DATA_FORMATS)}, got "
            f"{self.batch_input_format!r}",
        )
        if self.prediction_drift or self.bias:
            _require(
                bool(self.batch_output_uri) and str(self.batch_output_uri).startswith("s3://"),
                "batch_output_uri must be an s3:// URI when prediction_drift or bias is measured",
            )
        _require(
            self.bias is None or self.batch_input_format != "parquet",
            "bias cannot be measured on parquet batch input: the transform sends each object "
            "as one request (SplitType None), so predictions cannot be paired with rows",
        )
        _require(
            self.model_quality is None,
            "model_quality needs inference ids, which batch transform does not have; it is "
            "measured for source 'capture' only",
        )

    @property
    def checks_window_hours(self) -> int:
        """Hours of capture the job reads: the longest window of its checks."""
        checks = (self.prediction_drift, self.bias, self.model_quality)
        return max([self.window_hours, *(check.window_hours for check in checks if check)])


def check_model_input(model_id: str, features: Mapping[str, str], data_format: str) -> None:
    """What every job that reads a model's input declares: its id, typed features, a format."""
    _require(bool(model_id), "model_id must not be empty")
    _require(bool(features), "features must name at least one feature")
    bad = {name: kind for name, kind in features.items() if kind not in FEATURE_KINDS}
    _require(not bad, f"feature kinds must be one of {list(FEATURE_KINDS)}, got {bad}")
    _require(
        data_format in DATA_FORMATS,
        f"format must be one of {list(DATA_FORMATS)}, got {data_format!r}",
    )


# --- reference profile job -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProfileConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.profile_job``."""

    model_id: str = _field("Model id (logs and the profile's source).")
    features: Mapping[str, str] = _field(
        "Feature name -> 'numeric' or 'categorical', in model input order; the profile holds "
        "exactly these."
    )
    format: str = _field(
        "Format of the training data files: 'parquet', 'csv' or 'jsonl' (files of other "
        "formats under the input are skipped)."
    )
    sample_rows: int = _field(
        "Most rows profiled; larger data is reduced to a seeded uniform random sample of "
        "this many rows.",
        1_000_000,
    )
    copy_predictions: bool = _field(
        "Also copy the evaluation step's predictions.json (input "
        "/opt/ml/processing/input/evaluation) next to profile.json, so the prediction "
        "reference changes together with the feature reference; false without an evaluation "
        "step.",
        False,
    )

    def __post_init__(self) -> None:
        check_model_input(self.model_id, self.features, self.format)
        _require(self.sample_rows >= 1, f"sample_rows must be >= 1, got {self.sample_rows}")

    def to_json(self) -> str:
        """Compact JSON keeping ``features`` in order (not sorted: the order is the model's
        input order, which the monitor reads headerless CSV captures in)."""
        return compact_json(self.to_dict())


# --- alarm notifier (chat webhook) ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class NotifyConfig(RuntimeConfig):
    """Configuration of ``mlops_runtime.notify.handler`` (alarm topic -> chat webhook)."""

    system: str = _field("System name, shown in every message.")
    environment: str = _field("Environment (stack) name, shown in every message.")
    webhook_parameter: str = _field(
        "SSM parameter (SecureString) holding the webhook URL; read with decryption, cached "
        "per container, never logged."
    )
    timeout_seconds: int = _field("Timeout of one POST to the webhook, in seconds.", 5)
    max_attempts: int = _field(
        "POST attempts per message, the first included (HTTP 5xx, 429 and network errors are "
        "retried; other 4xx are not); also the attempts of the SSM call.",
        3,
    )

    def __post_init__(self) -> None:
        _require(bool(self.system), "system must not be empty")
        _require(bool(self.environment), "environment must not be empty")
        _require(
            self.webhook_parameter.startswith("/") and len(self.webhook_parameter) > 1,
            f"webhook_parameter must be an SSM parameter name starting with '/', "
            f"got {self.webhook_parameter!r}",
        )
        _require(1 <= self.timeout_seconds <= 60, "timeout_seconds must be within 1..60")
        _require(1 <= self.max_attempts <= 10, "max_attempts must be within 1..10")


CONFIGS: tuple[type[RuntimeConfig], ...] = (
    TriggerConfig,
    EvaluateConfig,
    DeployConfig,
    MonitorConfig,
    ProfileConfig,
    NotifyConfig,
)


# --- (de)serialisation ----------------------------------------------------------------------


def _convert(tp: Any, value: Any, path: str) -> Any:
    """``value`` (plain JSON) converted to the annotated type ``tp``, or a ConfigError."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, path)
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(tp, value, path)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{path}: expected a list, got {_kind(value)}")
        (item,) = typing.get_args(tp)[:1]
        return tuple(_convert(item, element, f"{path}[{i}]") for i, element in enumerate(value))
    if origin in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: expected an object, got {_kind(value)}")
        _, item = typing.get_args(tp)
        return {str(k): _convert(item, v, f"{path}.{k}") for k, v in value.items()}
    if tp is bool and not isinstance(value, bool):
        raise ConfigError(f"{path}: expected true or false, got {value!r}")
    if tp is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{path}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if tp is str and not isinstance(value, str):
        raise ConfigError(f"{path}: expected a string, got {value!r}")
    return value


def _convert_dataclass(tp: Any, value: Any, path: str) -> Any:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{path}: expected an object, got {_kind(value)}")
    hints = typing.get_type_hints(tp)
    fields = {f.name: f for f in dataclasses.fields(tp)}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {unknown}; allowed: {sorted(fields)}")
    kwargs = {}
    for name, spec in fields.items():
        if name in value:
            kwargs[name] = _convert(hints[name], value[name], f"{path}.{name}")
        elif spec.default is MISSING and spec.default_factory is MISSING:
            raise ConfigError(f"{path}.{name}: required field is missing")
    try:
        return tp(**kwargs)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def _kind(value: Any) -> str:
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return names.get(type(value), repr(value))


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
"""``json.dumps(data, sort_keys=True, separators=(",", ":"))``, built once (``dumps`` builds an
encoder per call when given options)."""
_COMPACT = json.JSONEncoder(separators=(",", ":"))

_LEAVES = frozenset({str, int, float, bool, type(None)})
"""Types ``_plain`` returns as they are, by exact type (subclasses take the general path,
which returns them as they are too)."""
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
"""Each dataclass's field names, read once per class (``dataclasses.fields`` per value was
most of ``to_dict``)."""


def compact_json(data: Any) -> str:
    """``json.dumps(data, separators=(",", ":"))``: no whitespace, keys in their order."""
    return _COMPACT.encode(data)


def _plain(value: Any) -> Any:
    """Plain JSON data: a dataclass as a dict of its fields, a mapping as a dict with text
    keys, a list or tuple as a list, anything else as it is. The common exact types first;
    ``_plain_other`` decides the rest (and learns each dataclass's fields)."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is not None:
        data = {}
        for name in names:
            item = getattr(value, name)
            data[name] = item if type(item) in _LEAVES else _plain(item)
        return data
    if kind is dict:
        return {str(k): v if type(v) in _LEAVES else _plain(v) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [v if type(v) in _LEAVES else _plain(v) for v in value]
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
    """``_plain`` of any value, in the order of precedence (a ``str`` subclass is a leaf even
    if it is also a dataclass; a dataclass even if it is also a mapping)."""
    if value is None or isinstance(value, str | int | float):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        _FIELD_NAMES[type(value)] = tuple(f.name for f in dataclasses.fields(value))
        return _plain(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def reference_markdown() -> str:
    """Markdown tables documenting every configuration dataclass and field (for the docs)."""
    seen: list[Any] = []

    def collect(tp: Any) -> None:
        for arg in typing.get_args(tp):
            collect(arg)
        if dataclasses.is_dataclass(tp) and tp not in seen:
            seen.append(tp)
            for hint in typing.get_type_hints(tp).values():
                collect(hint)

    for config in CONFIGS:
        collect(config)
    blocks = []
    for tp in seen:
        hints = typing.get_type_hints(tp)
        rows = [f"### `{tp.__name__}`", "", (tp.__doc__ or "").strip(), ""]
        rows += ["| field | type | default | meaning |", "|---|---|---|---|"]
        for spec in dataclasses.fields(tp):
            rows.append(
                f"| `{spec.name}` | `{_type_name(hints[spec.name])}` | {_default(spec)} "
                f"| {spec.metadata.get('doc', '')} |"
            )
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks) + "\n"


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in typing.get_args(tp))
    if origin is tuple:
        return f"list[{_type_name(typing.get_args(tp)[0])}]"
    if origin in (Mapping, dict):
        return f"map[str, {_type_name(typing.get_args(tp)[1])}]"
    return "null" if tp is type(None) else getattr(tp, "__name__", str(tp))


def _default(spec: dataclasses.Field[Any]) -> str:
    if spec.default is not MISSING:
        return f"`{json.dumps(_plain(spec.default))}`"
    if spec.default_factory is not MISSING:
        return f"`{json.dumps(_plain(spec.default_factory()))}`"
    return "required"
