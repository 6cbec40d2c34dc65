"""Configuration of the Kubernetes loop controller (``python -m mlops_runtime.k8s``).

The planner (``mlops_spec.plan.k8s.controller``) builds a ``ControllerConfig`` and the
components put ``config.to_env()`` into the controller Deployment's environment
(``MLOPS_RUNTIME_CONFIG``), as every runtime unit receives its configuration. The controller
makes the AWS trigger's and deploy function's decisions (``mlops_runtime.core``) through the
Kubernetes adapters: the object store holds claims, run ledgers, the registry, rollout memory
and the audit log; training runs are ``batch/v1`` Jobs; ``latest_approved`` serving is an Argo
``Rollout`` whose pod template the controller patches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mlops_runtime.contract.config import (
    DataSourceTrigger,
    EndpointTarget,
    EvaluateConfig,
    ModelTrigger,
    ProfileConfig,
    ReferencePromotion,
    RuntimeConfig,
    TriggerConfig,
    _field,
    _require,
    compact_json,
)
from mlops_runtime.contract.holdout import HoldoutConfig
from mlops_runtime.contract.lineage import UNKNOWN, LineageConfig

DEFAULT_PORT = 8080
"""Port of the controller's webhook (Alertmanager) and schedule endpoints."""
FIELD_MANAGER = "mlops-controller"
"""The field manager of every write the controller makes to the API server (Pulumi owns every
field it does not write)."""
MODEL_DATA_ENV = "MLOPS_MODEL_DATA_URL"
"""The variable of a Rollout template's containers the controller sets to the served version's
artifact (the model fetcher unpacks it)."""
MANIFEST_FILE = "manifest.json"
"""A registry version's manifest, in its folder (the version's id: ``<store>registry/<model>/
versions/<N>``)."""
RESOURCES_SHAPE = "kubernetes"
"""What a Kubernetes endpoint target records as its instance type: the pod's resources are the
Rollout's (Pulumi's), not the controller's."""


@dataclass(frozen=True, kw_only=True)
class ObjectStoreSettings:
    """The S3 API object store that holds the loop's state (AWS S3 or an S3-compatible one)."""

    uri: str = _field(
        "s3://bucket/prefix/ under which the registry (registry/<model>/versions/<N>/manifest.json),"
        " claims, run ledgers, rollout memory and audit records are kept."
    )
    endpoint_url: str | None = _field(
        "S3 API endpoint of an S3-compatible store; null: AWS S3 (or AWS_ENDPOINT_URL_S3).", None
    )
    region: str | None = _field("Region of the store; null: the environment's.", None)
    kms_key_id: str | None = _field(
        "KMS key for SSE-KMS on AWS S3; null: the bucket's default encryption.", None
    )
    max_attempts: int = _field("Attempts per S3 call, the first included.", 5)

    @property
    def bucket(self) -> str:
        return urlsplit(self.uri).netloc

    @property
    def prefix(self) -> str:
        """The key prefix, '' or ending in '/'."""
        path = urlsplit(self.uri).path.strip("/")
        return f"{path}/" if path else ""

    def __post_init__(self) -> None:
        _require(
            self.uri.startswith("s3://") and bool(self.bucket),
            f"uri must be s3://bucket[/prefix], got {self.uri!r}",
        )
        _require(self.max_attempts >= 1, "max_attempts must be >= 1")


@dataclass(frozen=True, kw_only=True)
class LoopModel:
    """How the controller retrains and serves one model."""

    job_template: str = _field(
        "ConfigMap (in the controller's namespace) whose 'job.json' is the training Job "
        "template the trigger creates a Job from."
    )
    cooldown_hours: float = _field("Minimum hours between two started runs; 0 disables.", 0.0)
    max_runs_per_day: int | None = _field(
        "Most runs started per UTC day; null means unlimited.", None
    )
    rollout: str | None = _field(
        "Argo Rollout serving the model's latest approved version (serving latest_approved); "
        "null: the controller deploys nothing for this model.",
        None,
    )
    rollout_template: str | None = _field(
        "ConfigMap whose 'rollout.json' is the Rollout the controller creates on the first "
        "approved version (required with rollout).",
        None,
    )
    container: str = _field("The model container of the Rollout's pod template.", "model")
    references: ReferencePromotion | None = field(
        default=None,
        metadata={
            "doc": "The model's drift references, promoted to the current ones once the Rollout "
            "serves a version (as the AWS deploy function does); null: left alone."
        },
    )

    def __post_init__(self) -> None:
        _require(bool(self.job_template), "job_template must not be empty")
        _require(
            not self.rollout or bool(self.rollout_template),
            "rollout_template must name the Rollout's template ConfigMap when rollout is set",
        )


@dataclass(frozen=True, kw_only=True)
class ControllerConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.k8s`` (the loop controller)."""

    system: str = _field("System name (logs and audit records).")
    namespace: str = _field("Namespace of the Jobs, ConfigMaps and Rollouts it manages.")
    store: ObjectStoreSettings = field(
        metadata={"doc": "Where the registry, claims, ledgers and audit records are kept."}
    )
    models: Mapping[str, LoopModel] = _field("Model id -> how it is retrained and served.")
    alerts: Mapping[str, str] = _field(
        "Alert name (the PrometheusRule alert of a monitor whose action is 'retrain') -> model id.",
        factory=dict,
    )
    data_sources: tuple[DataSourceTrigger, ...] = _field(
        "Buckets/prefixes polled for new objects, which retrain models.", ()
    )
    poll_seconds: int = _field("Seconds between two polls of the data sources.", 300)
    reconcile_seconds: int = _field("Seconds between two deploy reconciles of every Rollout.", 30)
    port: int = _field("Port of the webhook and schedule endpoints.", DEFAULT_PORT)
    api_server: str | None = _field(
        "API server URL; null: in-cluster (KUBERNETES_SERVICE_HOST, the service account's token "
        "and CA).",
        None,
    )
    audit_ttl_days: int = _field("Audit record retention in days; 0 keeps them forever.", 90)

    def __post_init__(self) -> None:
        _require(bool(self.system), "system must not be empty")
        _require(bool(self.namespace), "namespace must not be empty")
        _require(bool(self.models), "models must configure at least one model")
        named = list(self.alerts.values())
        named += [model for source in self.data_sources for model in source.models]
        unknown = sorted(set(named) - set(self.models))
        _require(not unknown, f"unknown model id(s) {unknown}; configured: {sorted(self.models)}")
        _require(self.poll_seconds >= 1, "poll_seconds must be >= 1")
        _require(self.reconcile_seconds >= 1, "reconcile_seconds must be >= 1")
        _require(self.audit_ttl_days >= 0, "audit_ttl_days must be >= 0")

    def trigger_config(self) -> TriggerConfig:
        """The trigger's configuration, as the shared decisions read it: a model's "pipeline"
        is its Job template; ``table_name`` names the store that holds claims and ledgers."""
        return TriggerConfig(
            system=self.system,
            table_name=self.store.uri,
            models={
                model: ModelTrigger(
                    pipeline_name=spec.job_template,
                    cooldown_hours=spec.cooldown_hours,
                    max_runs_per_day=spec.max_runs_per_day,
                )
                for model, spec in self.models.items()
            },
            alarms=dict(self.alerts),
            data_sources=self.data_sources,
            audit_ttl_days=self.audit_ttl_days,
        )

    def endpoint_targets(self) -> dict[str, EndpointTarget]:
        """Registry model -> the Rollout serving its latest approved version, as the deploy
        decisions read it (the SageMaker-only fields are unused here)."""
        return {
            model: EndpointTarget(
                model_id=model,
                endpoint_name=spec.rollout,
                execution_role_arn="",
                instance_type=RESOURCES_SHAPE,
                variant_name=spec.container,
                references=spec.references,
            )
            for model, spec in self.models.items()
            if spec.rollout
        }


MODEL_SERVER_URL = "http://127.0.0.1:8080"
"""Where the register container reaches the candidate's model server (the Job's native
sidecar, SageMaker's serving contract: ``/ping``, ``/invocations``)."""


@dataclass(frozen=True, kw_only=True)
class FinishGate:
    """The gate on the cluster: the AWS pipeline's PrepareHoldout, ScoreHoldout and Evaluate,
    run by the register container against the candidate's model server (the Job's sidecar)."""

    holdout: HoldoutConfig = field(
        metadata={"doc": "PrepareHoldout's configuration (mlops_runtime.jobs.holdout)."}
    )
    holdout_uri: str = _field("s3://bucket/prefix/ of the holdout data source (every object).")
    evaluation: EvaluateConfig = field(
        metadata={
            "doc": "Evaluate's configuration (mlops_runtime.evaluate); model_package_group is "
            "the registry's model (the champion: its latest Approved version)."
        }
    )
    max_payload_mb: int = _field(
        "Largest request sent to the model server, in MB (SageMaker's MaxPayloadInMB).", 6
    )
    server_url: str = _field("The model server's base URL.", MODEL_SERVER_URL)

    def __post_init__(self) -> None:
        _require(
            self.holdout_uri.startswith("s3://") and self.holdout_uri.endswith("/"),
            f"holdout_uri must be s3://bucket/prefix/ ending in '/', got {self.holdout_uri!r}",
        )
        _require(
            self.holdout.content_type == self.evaluation.content_type,
            "holdout.content_type and evaluation.content_type must be the same",
        )
        _require(1 <= self.max_payload_mb <= 100, "max_payload_mb must be 1..100")


@dataclass(frozen=True, kw_only=True)
class FinishLineage:
    """The run's lineage record on the cluster (``mlops_runtime.core.lineage``): what the
    planner knows (the record's configuration, the spec's hash, the commit, the stack); the
    trigger's id arrives as the Job's ``MLOPS_TRIGGER_ID``."""

    config: LineageConfig = field(
        metadata={"doc": "The record's configuration (sources: every channel and the holdout)."}
    )
    spec_sha256: str = _field("SHA-256 of the resolved spec (the planner's).", UNKNOWN)
    commit: str = _field("The repository commit the program deployed.", UNKNOWN)
    stack: str = _field("The stack.", UNKNOWN)


@dataclass(frozen=True, kw_only=True)
class FinishConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.k8s.finish``: the training Job's register
    container (upload the model, score the holdout against the candidate's model server,
    evaluate and gate, profile the training data, record the lineage, register the version)."""

    model_id: str = _field("Model id: the registry's model (registry/<model>/).")
    store: ObjectStoreSettings = field(metadata={"doc": "The store holding the registry."})
    image: str = _field("The image the version is served from (the training image).")
    artifacts_uri: str = _field(
        "s3://bucket/prefix/ under which each run's model.tar.gz is written (<prefix><run>/)."
    )
    references_uri: str = _field(
        "s3://bucket/prefix/ under which each run's drift references are written (<prefix><run>/)."
    )
    manual_approval: bool = _field(
        "Register as PendingManualApproval (a person approves with mlops approve); false: "
        "Approved.",
        True,
    )
    profile: ProfileConfig | None = field(
        default=None,
        metadata={"doc": "Profile the training data (the drift reference); null: no profile."},
    )
    profile_channel: str | None = _field(
        "Input channel whose files are profiled (/opt/ml/input/data/<channel>).", None
    )
    current_references_uri: str | None = _field(
        "s3://bucket/prefix/ where the profile is also written: the model's current drift "
        "references, for a model no controller deploys (as the AWS Profile step writes them); "
        "null: only the run's own (a controller promotes them once the version is served).",
        None,
    )
    root: str = _field("The SageMaker training layout's root in the pod.", "/opt/ml")
    gate: FinishGate | None = field(
        default=None,
        metadata={"doc": "Score, evaluate and gate the candidate; null: no gate."},
    )
    lineage: FinishLineage | None = field(
        default=None, metadata={"doc": "Record the run's lineage; null: no record."}
    )

    def to_json(self) -> str:
        """Compact JSON keeping the holdout's features in order (the column order of every
        line sent to the model server)."""
        return compact_json(self.to_dict())

    def __post_init__(self) -> None:
        _require(bool(self.model_id), "model_id must not be empty")
        _require(
            self.gate is None or self.gate.evaluation.model_package_group == self.model_id,
            "gate.evaluation.model_package_group must be model_id (the champion's registry)",
        )
        for name in ("artifacts_uri", "references_uri", "current_references_uri"):
            value = getattr(self, name)
            if value is None:
                continue
            _require(
                value.startswith("s3://") and value.endswith("/"),
                f"{name} must be s3://bucket/prefix/ ending in '/', got {value!r}",
            )
        _require(
            self.profile is None or bool(self.profile_channel),
            "profile_channel must name the channel to profile when profile is set",
        )
