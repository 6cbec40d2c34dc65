"""The ports: what the runtime's decisions need from a back end, as small Protocols.

The trigger, the deploy reconciler, the rollout, the champion lookup and the monitoring job
decide through these interfaces only; ``mlops_runtime.aws`` implements them with boto3 today
and ``mlops_runtime.memory`` in memory (tests, local runs). A Kubernetes back end adds a third
set of adapters without touching a decision:

| port | AWS adapter (``mlops_runtime.aws``) | Kubernetes back end (planned) |
|---|---|---|
| ``ClaimStore`` | DynamoDB item, conditional ``PutItem`` (``attribute_not_exists``) | object per key, ``PUT`` with ``If-None-Match: *``; a stale claim retaken with ``If-Match: <etag>`` |
| ``RunLedger`` | DynamoDB item, write conditional on ``version`` | object per model, ``PUT`` with ``If-Match: <etag>`` (``If-None-Match: *`` for the first) |
| ``AuditLog`` | DynamoDB item per record (TTL), plus the JSON log line | JSON log line, plus an object per record (or a log store) |
| ``RunStarter`` | ``StartPipelineExecution`` (``ClientRequestToken`` = the run token) | a ``Job`` named from the run token (``AlreadyExists`` = started), parameters as env |
| ``ModelRegistry`` | SageMaker model package group (``ListModelPackages``, ``DescribeModelPackage``), report from S3 | registry index object per group, package objects with metadata |
| ``RegistryWriter`` | ``UpdateModelPackage`` ``CustomerMetadataProperties`` | package object rewritten with ``If-Match: <etag>`` |
| ``EndpointDeployer`` | SageMaker Model, EndpointConfig, Endpoint (blue/green ``UpdateEndpoint``), Application Auto Scaling | a rollout resource (e.g. Argo Rollouts canary steps) and its HPA / KEDA scaler |
| ``MetricsSink`` | CloudWatch ``PutMetricData`` (namespace, dimensions) | Prometheus Pushgateway (job = namespace, labels = dimensions) |
| ``Notifier`` | SNS ``Publish`` to the alarm topic | Alertmanager (or a chat webhook) |
| ``RolloutMemory`` | DynamoDB item per endpoint, write conditional on ``version`` | object per endpoint, ``PUT`` with ``If-Match: <etag>`` |
| ``ObjectStore`` | S3 ``CopyObject`` (SSE-KMS with the system key) | S3-compatible ``CopyObject`` |

Every port method is synchronous and raises on failures it cannot classify; the exceptions
below are the outcomes a decision acts on. Values are plain frozen dataclasses so a port can
be implemented anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from mlops_runtime.contract.config import AutoscalingTarget, EndpointTarget

# --- outcomes a decision acts on ------------------------------------------------------------


class GroupNotFound(LookupError):
    """The model package group does not exist (the champion lookup fails the gate on it: only
    a group without an Approved package has no champion)."""


class AlreadyExists(RuntimeError):
    """A create lost a race: the resource exists (another invocation created it)."""


class UpdateInProgress(RuntimeError):
    """An update was refused because another one is still in progress."""


class ObjectMissing(LookupError):
    """An object to read or copy does not exist (never an access denied)."""


# --- retraining: claims, the run ledger, runs -----------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A won claim on an idempotency key; ``token`` identifies the owner for later writes."""

    key: str
    token: str


class ClaimStore(Protocol):
    """Idempotency claims: the first claim of a key wins, every later one sees a duplicate."""

    def claim(
        self,
        key: str,
        *,
        now: datetime,
        lease: timedelta,
        ttl: timedelta,
        details: Mapping[str, Any],
    ) -> Claim | Mapping[str, Any]:
        """Claim ``key`` with one conditional write: a ``Claim`` when won, else the record
        already stored (the duplicate: ``status``, ``claimed_at_iso``, the finished claim's
        details). A claim still ``claimed`` (its owner crashed) older than ``lease`` may be
        retaken; the record is forgotten after ``ttl``."""
        ...

    def finish(self, claim: Claim, status: str, details: Mapping[str, Any]) -> None:
        """Record the outcome of a won claim (only while ``claim.token`` owns it)."""
        ...

    def release(self, claim: Claim) -> None:
        """Give a claim back (the work failed) so a redelivered event can claim it again;
        nothing happens if another owner holds it now."""
        ...


@dataclass(frozen=True)
class LedgerState:
    """A model's run ledger as read; ``version`` 0 means nothing stored yet."""

    model: str
    last_started_at: float | None = None
    """Epoch seconds of the last started run."""
    day: str | None = None
    """UTC day (``YYYY-MM-DD``) that ``day_count`` counts."""
    day_count: int = 0
    version: int = 0


class RunLedger(Protocol):
    """Per-model state behind cooldown and the daily cap, written with optimistic locking."""

    def read(self, model: str) -> LedgerState:
        """The model's ledger, strongly consistent (``version`` 0 when none)."""
        ...

    def write(self, state: LedgerState, *, expected_version: int) -> bool:
        """Store ``state`` if the stored version is still ``expected_version`` (0: none
        stored); False when another writer got there first."""
        ...

    def delete(self, model: str, *, expected_version: int) -> bool:
        """Remove the ledger if its version is still ``expected_version``; False otherwise."""
        ...


@dataclass(frozen=True)
class RunRequest:
    """Start one run of a training pipeline."""

    pipeline: str
    """Pipeline name (or ARN): what to run."""
    token: str
    """Idempotency token: starting twice with one token starts one run."""
    parameters: Mapping[str, str]
    description: str


class RunStarter(Protocol):
    """Starts training (or any pipeline) runs."""

    def start(self, request: RunRequest) -> str:
        """Start the run; its id (a SageMaker pipeline execution ARN, a Job name)."""
        ...


# --- the model registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class PackageRef:
    """A registered model package, as a listing shows it."""

    arn: str
    version: int
    created_at: float
    """Epoch seconds."""


@dataclass(frozen=True)
class Package:
    """A model package with what the runtime reads from it."""

    arn: str
    version: int
    status: str
    """Approval status: ``Approved``, ``Rejected`` or ``PendingManualApproval``."""
    metadata: Mapping[str, str] = field(default_factory=dict)
    """Customer metadata (``mlops:verdict``, ``mlops:metric.<name>``, ...)."""
    quality_report_uri: str | None = None
    """Where its model-quality statistics (an ``evaluation.json``) are, if recorded."""
    image: str | None = None
    """Image of its first inference container."""
    model_data_url: str | None = None
    """Model artifact of its first inference container."""


class ModelRegistry(Protocol):
    """Reads the model registry: the latest approved package (the champion) and packages."""

    def latest_approved(self, group: str) -> PackageRef | None:
        """The group's most recently created Approved package (a tie in creation time goes
        to the higher version); None when it has none. Raises ``GroupNotFound``."""
        ...

    def approved_packages(self, group: str) -> list[PackageRef]:
        """Every Approved package of the group, newest first (the order of
        ``latest_approved``). Raises ``GroupNotFound``."""
        ...

    def package(self, arn: str) -> Package:
        """One package, with its approval status and metadata."""
        ...

    def quality_report(self, uri: str) -> Mapping[str, Any]:
        """The JSON document at a package's ``quality_report_uri``."""
        ...


class RegistryWriter(Protocol):
    """Writes package metadata (e.g. a rollout's outcome recorded on the package)."""

    def set_metadata(self, arn: str, values: Mapping[str, str]) -> None:
        """Add or replace customer metadata entries of one package."""
        ...


# --- serving --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """One version of an endpoint, named by content: the package it serves and the back
    end's own request documents (for SageMaker: CreateModel, CreateEndpointConfig,
    CreateEndpoint and UpdateEndpoint, built by ``mlops_runtime.aws.endpoint_requests``)."""

    endpoint: str
    variant: str
    package_arn: str
    model_name: str
    config_name: str
    """The revision's name; the endpoint serves this release when it serves this config."""
    instance_type: str | None
    """None for serverless variants."""
    strategy: str
    """Traffic shifting of an update: ``all_at_once``, ``canary`` or ``linear``."""
    autoscaling: AutoscalingTarget | None
    requests: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class EndpointState:
    """What an endpoint is doing now."""

    name: str
    status: str
    """``InService``, ``Creating``, ``Updating``, ``SystemUpdating``, ``RollingBack``,
    ``Failed``, ``OutOfService`` or ``Deleting`` (SageMaker's words)."""
    config_name: str
    """The revision it serves (after an auto-rollback: the previous one again)."""
    failure_reason: str | None = None
    pending_config: str | None = None
    """The revision an update in progress is rolling out (SageMaker:
    ``PendingDeploymentSummary.EndpointConfigName``, present while Creating or Updating)."""
    rollback_alarms: tuple[str, ...] = ()
    """Alarms of the last deployment's auto-rollback (``LastDeploymentConfig``): what could
    have rolled it back."""


@dataclass(frozen=True)
class Served:
    """What one revision (endpoint config) serves."""

    packages: frozenset[str]
    instance_types: Mapping[str, str]
    """Variant name -> instance type (instance-based variants)."""


class EndpointDeployer(Protocol):
    """Creates, updates and describes endpoints and their autoscaling."""

    def release(self, target: EndpointTarget, package_arn: str) -> Release:
        """``target`` serving ``package_arn``, in this back end's documents (pure)."""
        ...

    def describe(self, endpoint: str) -> EndpointState | None:
        """The endpoint's state; None when it does not exist."""
        ...

    def served(self, config_name: str) -> Served:
        """The packages and instance types of a revision."""
        ...

    def prepare(self, release: Release) -> None:
        """Create the release's model and revision unless they exist (idempotent; a
        concurrent creator winning is fine)."""
        ...

    def create(self, release: Release) -> None:
        """Create the endpoint on the prepared revision. Raises ``AlreadyExists``."""
        ...

    def update(self, release: Release) -> None:
        """Start a blue/green update onto the prepared revision, shifting traffic as the
        release says and rolling back on its alarms. Raises ``UpdateInProgress``."""
        ...

    def apply_autoscaling(self, endpoint: str, variant: str, scaling: AutoscalingTarget) -> bool:
        """Register the variant's scaling as ``scaling`` says, writing only what differs; True
        when something changed. The endpoint must be InService."""
        ...

    def remove_autoscaling(self, endpoint: str, variant: str) -> bool:
        """Remove the variant's scaling registration; True if there was one."""
        ...


# --- rollout memory -------------------------------------------------------------------------


@dataclass(frozen=True)
class StartedRollout:
    """An update the deploy function started and has not yet seen end."""

    package_arn: str
    config_name: str
    """The revision the update asked for."""
    previous_config: str
    """The revision the endpoint served when the update started."""
    started_at: str
    """ISO time."""


@dataclass(frozen=True)
class RolledBack:
    """A package whose rollout ended with the endpoint not serving it (an alarm rolled it back,
    or the new fleet failed): never deployed again automatically on this endpoint."""

    package_arn: str
    config_name: str
    """The revision the update asked for."""
    served_config: str
    """The revision the endpoint served once the update had ended."""
    detected_at: str
    """ISO time."""
    reason: str
    notified: bool = False
    """People were told (``Notifier``)."""


@dataclass(frozen=True)
class EndpointMemory:
    """What the deploy function remembers about one endpoint; ``version`` 0: nothing stored."""

    endpoint: str
    started: StartedRollout | None = None
    rolled_back: tuple[RolledBack, ...] = ()
    """Oldest first."""
    reference_package: str | None = None
    """The package whose drift references are the model's current ones (promoted once the
    endpoint was seen serving it)."""
    version: int = 0

    @property
    def rolled_back_packages(self) -> frozenset[str]:
        return frozenset(entry.package_arn for entry in self.rolled_back)


class RolloutMemory(Protocol):
    """Per-endpoint rollout memory that outlives a function's container, written with
    optimistic locking."""

    def read(self, endpoint: str) -> EndpointMemory:
        """The endpoint's memory, strongly consistent (``version`` 0 when none)."""
        ...

    def write(self, memory: EndpointMemory, *, expected_version: int) -> bool:
        """Store ``memory`` if the stored version is still ``expected_version`` (0: none
        stored); False when another writer got there first."""
        ...


# --- objects --------------------------------------------------------------------------------


class ObjectStore(Protocol):
    """Copies objects (drift references) within the system's storage."""

    def copy(self, source: str, destination: str, *, kms_key_id: str | None) -> None:
        """Copy the object at URI ``source`` to URI ``destination`` (encrypted with
        ``kms_key_id`` when set). Raises ``ObjectMissing`` when ``source`` does not exist."""
        ...


# --- metrics, notifications, audit ----------------------------------------------------------


@dataclass(frozen=True)
class Gauge:
    """One measured value of a named series."""

    name: str
    dimensions: tuple[tuple[str, str], ...]
    value: float
    unit: str = "None"
    """``Count`` for counts, else ``None``."""


class MetricsSink(Protocol):
    """Publishes gauges that alarms watch."""

    def publish(self, namespace: str, at: datetime, gauges: Sequence[Gauge]) -> None:
        """Publish every gauge, timestamped ``at``."""
        ...


class Notifier(Protocol):
    """Tells people about a decision."""

    def notify(self, subject: str, message: str) -> None:
        """Send one notification."""
        ...


class AuditLog(Protocol):
    """Keeps one record per decision."""

    def append(self, entry: Mapping[str, Any], *, expires_at: datetime | None) -> None:
        """Store ``entry`` (``unit``, ``model``, ``decision``, ``decided_at`` and details),
        forgotten after ``expires_at`` when set."""
        ...

    def records(self, unit: str, model: str | None) -> list[dict[str, Any]]:
        """A unit's records for one model, oldest first (for operators and tests)."""
        ...
