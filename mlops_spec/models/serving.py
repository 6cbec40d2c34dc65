"""``models.<id>.serving``: how predictions are served: realtime, serverless or batch."""

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StringConstraints, model_validator

from mlops_spec.aws_catalog import SERVERLESS_MEMORY_MB
from mlops_spec.enums import RolloutStrategy
from mlops_spec.models.base import SpecModel
from mlops_spec.types import (
    HostingInstanceType,
    PositiveInt,
    Schedule,
    TransformInstanceType,
)


class PinnedVersion(SpecModel):
    """Serve one registered version; promotion and rollback are spec pull requests."""

    pinned: PositiveInt
    """Model package version number in the model's package group."""


ModelVersion = Literal["latest_approved"] | PinnedVersion


class Autoscaling(SpecModel):
    """Target-tracking autoscaling on invocations per instance."""

    min_instances: PositiveInt = 1
    """Smallest instance count; the endpoint starts with this many. Default: 1 — the endpoint
    runs one instance when idle."""
    max_instances: PositiveInt = 2
    """Largest instance count; equal to min_instances means a fixed size (no policy).
    Default: 2 — under load the policy adds a second instance, never a third."""
    target_invocations_per_instance: PositiveInt = 100
    """Invocations per instance per minute the policy holds. Default: 100 — instances are
    added above 100 invocations per instance per minute and removed well below it."""
    scale_in_cooldown_seconds: StrictInt = Field(default=300, ge=0, le=3600)
    """Seconds after a scale-in before the policy scales in again. Default: 300 — at most one
    scale-in every 5 minutes."""
    scale_out_cooldown_seconds: StrictInt = Field(default=60, ge=0, le=3600)
    """Seconds after a scale-out before the policy scales out again. Default: 60 — at most
    one scale-out a minute."""

    @model_validator(mode="after")
    def _order(self) -> "Autoscaling":
        if self.max_instances < self.min_instances:
            raise ValueError(
                f"max_instances ({self.max_instances}) is smaller than min_instances "
                f"({self.min_instances})"
            )
        return self

    @property
    def enabled(self) -> bool:
        return self.max_instances > self.min_instances


class Rollout(SpecModel):
    """How a new model version replaces the old one (SageMaker blue/green deployment)."""

    strategy: RolloutStrategy = RolloutStrategy.CANARY
    """all_at_once | canary | linear. Default: a canary sized to the fleet — the new fleet
    first takes one share of the traffic (see traffic_percent), then all of it after
    `bake_minutes`; with neither strategy nor traffic_percent written, a stack running one
    instance (autoscaling.min_instances: 1) rolls out all at once, since traffic moves a
    whole instance at a time (the development preset: all at once)."""
    traffic_percent: StrictFloat = Field(default=10, gt=0, le=100)
    """Canary size, or the size of each linear step, in percent of the instances (a canary
    at most 50, a linear step 10-50, and at least one instance of the stack's smallest
    fleet). Default: 10, raised to one instance when that is more — 50% of 2 instances, 34%
    of 3, 10% from 10 instances."""
    bake_minutes: StrictInt = Field(default=10, ge=0, le=60)
    """Wait between traffic shifts while the rollback alarms watch. Default: 10 — each
    traffic step is held 10 minutes before the next one."""
    termination_wait_minutes: StrictInt = Field(default=5, ge=0, le=60)
    """Keep the old fleet this long after the shift completes. Default: 5 — the old fleet
    can take the traffic back for 5 minutes, then it is deleted."""
    auto_rollback: StrictBool = True
    """Roll back when any of the model's `rollback` monitors alarms. Default: true — an alarm
    of a `rollback` monitor during the rollout returns all traffic to the old fleet."""


class RealtimeServing(SpecModel):
    """A real-time SageMaker endpoint."""

    tier: Literal["realtime"]
    """A real-time endpoint on dedicated instances."""
    instance_type: HostingInstanceType = "ml.m5.large"
    """Endpoint instance type. Default: ml.m5.large — each endpoint instance is an
    ml.m5.large."""
    cpu: StrictFloat | None = Field(default=None, gt=0, le=192)
    """CPU cores of each model pod (platform kubernetes; the twin of instance_type).
    Default: unset — on kubernetes 1 core, request = limit; refused on aws."""
    memory_gib: StrictFloat | None = Field(default=None, gt=0, le=2048)
    """Memory in GiB of each model pod (platform kubernetes). Default: unset — on kubernetes
    2 GiB, request = limit; refused on aws."""
    gpu: StrictInt = Field(default=0, ge=0, le=16)
    """GPUs of each model pod (platform kubernetes; needs `system.kubernetes.node_pools.gpu`).
    Default: 0 — no GPU is requested."""
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    """Instance count and scaling policy. Default: 1 to 2 instances at 100 invocations per
    instance per minute — a target-tracking policy adds the second instance under load
    (development: a fixed single instance, no policy)."""
    rollout: Rollout = Field(default_factory=Rollout)
    """How a new version replaces the old one. Default: a canary sized to the fleet (10% of
    the instances, or one instance when that is more; all at once on a single instance and
    in the development preset), 10 minutes bake, 5 minutes termination wait, auto-rollback —
    the canary takes its share of the traffic for 10 minutes, then all of it, unless a
    `rollback` monitor alarms."""
    data_capture_percent: StrictFloat = Field(default=100, ge=0, le=100)
    """Share of requests captured (to the capture bucket) for drift monitoring; 0 turns
    capture off. Default: 100 — every request and response is captured, encrypted with the
    system key."""
    model_version: ModelVersion = "latest_approved"
    """`latest_approved` (the deploy function rolls out each approved package) or
    `{pinned: N}` (Pulumi serves version N). Default: latest_approved — the deploy function
    creates the endpoint on the first approved package and rolls out each later one."""


class ServerlessServing(SpecModel):
    """A serverless SageMaker endpoint."""

    tier: Literal["serverless"]
    """A serverless endpoint: pay per request, scales to zero."""
    memory_mb: StrictInt = 2048
    """Memory size: 1024-6144 in 1024 steps. Default: 2048 — each invocation runs with 2 GB
    of memory."""
    max_concurrency: StrictInt = Field(default=5, ge=1, le=200)
    """Concurrent invocations (1-200). Default: 5 — a sixth concurrent request is
    throttled."""
    provisioned_concurrency: StrictInt | None = Field(default=None, ge=1, le=200)
    """Pre-warmed concurrency, at most max_concurrency. Default: unset — nothing is kept
    warm: the first requests after an idle period wait for a cold start."""
    data_capture_percent: StrictFloat = Field(default=0, ge=0, le=100)
    """Serverless endpoints do not support data capture; must stay 0. Default: 0 — nothing
    is captured."""
    model_version: ModelVersion = "latest_approved"
    """`latest_approved` or `{pinned: N}`, as for realtime. Default: latest_approved — the
    deploy function creates the endpoint on the first approved package and rolls out each
    later one."""

    @model_validator(mode="after")
    def _limits(self) -> "ServerlessServing":
        if self.memory_mb not in SERVERLESS_MEMORY_MB:
            raise ValueError(
                f"memory_mb {self.memory_mb} is not allowed; use one of "
                f"{', '.join(map(str, SERVERLESS_MEMORY_MB))}"
            )
        if self.provisioned_concurrency and self.provisioned_concurrency > self.max_concurrency:
            raise ValueError(
                f"provisioned_concurrency ({self.provisioned_concurrency}) exceeds "
                f"max_concurrency ({self.max_concurrency})"
            )
        if self.data_capture_percent:
            raise ValueError("serverless endpoints cannot capture data; set 0 or use realtime")
        return self


class BatchServing(SpecModel):
    """Scheduled batch transform."""

    tier: Literal["batch"]
    """Batch transform on a schedule."""
    instance_type: TransformInstanceType = "ml.m5.xlarge"
    """Transform instance type. Default: ml.m5.xlarge — the transform runs on ml.m5.xlarge
    instances."""
    cpu: StrictFloat | None = Field(default=None, gt=0, le=192)
    """CPU cores of the batch job's model server (platform kubernetes; the twin of
    instance_type). Default: unset — on kubernetes 2 cores, request = limit; refused on aws."""
    memory_gib: StrictFloat | None = Field(default=None, gt=0, le=2048)
    """Memory in GiB of the batch job's model server (platform kubernetes). Default: unset —
    on kubernetes 4 GiB, request = limit; refused on aws."""
    gpu: StrictInt = Field(default=0, ge=0, le=16)
    """GPUs of the batch job's model server (platform kubernetes; needs
    `system.kubernetes.node_pools.gpu`). Default: 0 — no GPU is requested."""
    instance_count: PositiveInt = 1
    """Transform instances. Default: 1 — one instance scores the whole input."""
    schedule: Schedule
    """When the batch job runs: an EventBridge `cron(...)` or `rate(...)` expression (created
    paused in development)."""
    input: Annotated[str, StringConstraints(min_length=1)]
    """A data source id, or an s3:// URI prefix, to score. A data source's objects (any format,
    with their header and extra columns) are first reduced to the model's features, in the
    model's order, as CSV lines; an s3:// prefix is sent as it is, so it must hold headerless
    CSV in the model's feature order."""
    output: Annotated[str, StringConstraints(min_length=1)] | None = None
    """Where predictions go: a data source id of kind `output` (its bucket and prefix, as each
    stack's overlay sets them; the transform may write only there) or an s3:// URI prefix.
    Default: unset — predictions are written to the system's reports bucket under
    batch/<model>/."""
    max_payload_mb: StrictInt = Field(default=6, ge=1, le=100)
    """Largest request, in MB, the transform sends to the model container. Default: 6 —
    CSV lines (prepared from the data source, or the s3:// input's) are batched into requests
    of at most 6 MB."""
    model_version: ModelVersion = "latest_approved"
    """`latest_approved` or `{pinned: N}`. Default: latest_approved — each run first looks up
    the latest approved package and transforms with it."""


Serving = Annotated[RealtimeServing | ServerlessServing | BatchServing, Field(discriminator="tier")]
