"""``models.<id>.serving``: how predictions are served: realtime, serverless or batch."""

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StringConstraints, model_validator

from mlops_spec.aws_catalog import SERVERLESS_MEMORY_MB
from mlops_spec.enums import RolloutStrategy
from mlops_spec.models.base import SpecModel
from mlops_spec.types import HostingInstanceType, PositiveInt, Schedule, TransformInstanceType


class PinnedVersion(SpecModel):
    """Serve one registered version; promotion and rollback are spec pull requests."""

    pinned: PositiveInt
    """Model package version number in the model's package group."""


ModelVersion = Literal["latest_approved"] | PinnedVersion


class Autoscaling(SpecModel):
    """Target-tracking autoscaling on invocations per instance."""

    min_instances: PositiveInt = 1
    """Smallest instance count. Default: 1."""
    max_instances: PositiveInt = 2
    """Largest instance count; equal to min_instances means a fixed size (no policy).
    Default: 2."""
    target_invocations_per_instance: PositiveInt = 100
    """Invocations per instance per minute the policy holds. Default: 100."""
    scale_in_cooldown_seconds: StrictInt = Field(default=300, ge=0, le=3600)
    """Default: 300."""
    scale_out_cooldown_seconds: StrictInt = Field(default=60, ge=0, le=3600)
    """Default: 60."""

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
    """all_at_once | canary | linear. Default: canary."""
    traffic_percent: StrictFloat = Field(default=10, gt=0, le=100)
    """Canary size, or the size of each linear step, in percent of capacity. Default: 10."""
    bake_minutes: StrictInt = Field(default=10, ge=0, le=60)
    """Wait between traffic shifts while the rollback alarms watch. Default: 10."""
    termination_wait_minutes: StrictInt = Field(default=5, ge=0, le=60)
    """Keep the old fleet this long after the shift completes. Default: 5."""
    auto_rollback: StrictBool = True
    """Roll back when any of the model's `rollback` monitors alarms. Default: true."""


class RealtimeServing(SpecModel):
    """A real-time SageMaker endpoint."""

    tier: Literal["realtime"]
    """A real-time endpoint on dedicated instances."""
    instance_type: HostingInstanceType = "ml.m5.large"
    """Endpoint instance type. Default: ml.m5.large."""
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    """Default: 1-2 instances at 100 invocations per instance."""
    rollout: Rollout = Field(default_factory=Rollout)
    """Default: 10% canary, 10 minutes bake, auto-rollback on."""
    data_capture_percent: StrictFloat = Field(default=100, ge=0, le=100)
    """Share of requests captured (to the capture bucket) for drift monitoring; 0 turns
    capture off. Default: 100."""
    model_version: ModelVersion = "latest_approved"
    """`latest_approved` (the deploy function rolls out each approved package) or
    `{pinned: N}`. Default: latest_approved."""


class ServerlessServing(SpecModel):
    """A serverless SageMaker endpoint."""

    tier: Literal["serverless"]
    """A serverless endpoint: pay per request, scales to zero."""
    memory_mb: StrictInt = 2048
    """Memory size: 1024-6144 in 1024 steps. Default: 2048."""
    max_concurrency: StrictInt = Field(default=5, ge=1, le=200)
    """Concurrent invocations (1-200). Default: 5."""
    provisioned_concurrency: StrictInt | None = Field(default=None, ge=1, le=200)
    """Pre-warmed concurrency, at most max_concurrency. Default: unset."""
    data_capture_percent: StrictFloat = Field(default=0, ge=0, le=100)
    """Serverless endpoints do not support data capture; must stay 0. Default: 0."""
    model_version: ModelVersion = "latest_approved"
    """As for realtime. Default: latest_approved."""

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


S3Uri = Annotated[str, StringConstraints(pattern=r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")]


class BatchServing(SpecModel):
    """Scheduled batch transform."""

    tier: Literal["batch"]
    """Batch transform on a schedule."""
    instance_type: TransformInstanceType = "ml.m5.xlarge"
    """Transform instance type. Default: ml.m5.xlarge."""
    instance_count: PositiveInt = 1
    """Default: 1."""
    schedule: Schedule
    """When the batch job runs (paused in development mode)."""
    input: Annotated[str, StringConstraints(min_length=1)]
    """A data source id, or an s3:// URI prefix, to score."""
    output: S3Uri | None = None
    """Where predictions go. Default: the system's reports bucket under batch/<model>/."""
    max_payload_mb: StrictInt = Field(default=6, ge=1, le=100)
    """Default: 6."""
    model_version: ModelVersion = "latest_approved"
    """Default: latest_approved."""


Serving = Annotated[RealtimeServing | ServerlessServing | BatchServing, Field(discriminator="tier")]
