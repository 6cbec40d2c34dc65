"""``models.<id>.monitors``: what is watched, when it alarms, and what happens then."""

from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt, model_validator

from mlops_spec.enums import DriftMethod, MonitorAction, Percentile, QualityMetric, ResourceMetric
from mlops_spec.models.base import SpecModel
from mlops_spec.types import ColumnName, Identifier, Schedule

MAX_WINDOW_SECONDS = 7 * 86400
"""CloudWatch PutMetricAlarm: Period x EvaluationPeriods is at most 7 days..."""
MAX_SHORT_WINDOW_SECONDS = 86400
"""...and at most 1 day for periods under an hour (botocore's cloudwatch model, `Period`)."""


class MonitorBase(SpecModel):
    """Fields every monitor shares: its alarm's evaluation window and its action."""

    action: MonitorAction = MonitorAction.NOTIFY
    """notify (alarm topic only) | retrain (also starts the training pipeline) | rollback
    (also an auto-rollback alarm of the endpoint's deployments). Default: notify — the alarm
    only notifies the alarm topic."""
    periods: StrictInt = Field(default=3, ge=1, le=100)
    """Evaluation periods of the alarm. Default: 3 — the alarm judges the last 3 periods."""
    datapoints_to_alarm: StrictInt | None = Field(default=None, ge=1, le=100)
    """Breaching datapoints among `periods` that trigger the alarm. Default: unset — every
    one of the `periods` must breach."""
    period_seconds: Literal[10, 30, 60, 300, 900, 3600, 21600, 86400] = 60
    """Length of one period in seconds. Default: 60 — one datapoint a minute."""
    description: str | None = Field(default=None, max_length=512)
    """Shown in the alarm. Default: unset — the alarm is described as
    `<model>/<monitor>: <what it watches>` (e.g. "p99 model latency above 250 ms")."""

    @model_validator(mode="after")
    def _window(self) -> "MonitorBase":
        if self.datapoints_to_alarm is not None and self.datapoints_to_alarm > self.periods:
            raise ValueError(
                f"datapoints_to_alarm ({self.datapoints_to_alarm}) exceeds periods ({self.periods})"
            )
        limit = MAX_WINDOW_SECONDS if self.period_seconds >= 3600 else MAX_SHORT_WINDOW_SECONDS
        if self.window_seconds > limit:
            raise ValueError(
                f"the alarm's window, periods x period_seconds = {self.periods} x "
                f"{self.period_seconds} s, is {self.window_seconds} s; CloudWatch allows at "
                f"most {limit} s ({limit // 86400} day{'s' if limit > 86400 else ''}) for "
                f"{'periods of an hour or more' if limit > 86400 else 'periods under an hour'}: "
                f"set periods to {limit // self.period_seconds} or less"
            )
        return self

    @property
    def alarm_datapoints(self) -> int:
        """M of the alarm's "M out of N" (the planner's ``datapoints_to_alarm``)."""
        return self.datapoints_to_alarm or self.periods

    @property
    def window_seconds(self) -> int:
        """The alarm's evaluation window: ``periods`` periods of ``period_seconds``."""
        return self.periods * self.period_seconds

    @property
    def endpoint_metric(self) -> bool:
        """True for monitors on the endpoint's CloudWatch metrics (usable for rollback)."""
        return False


class LatencyMonitor(MonitorBase):
    """Model latency at a percentile (CloudWatch `ModelLatency`)."""

    type: Literal["latency"]
    """p-th percentile latency of the endpoint."""
    percentile: Percentile = Percentile.P99
    """Percentile watched: p50 | p90 | p95 | p99. Default: p99 — the alarm watches the
    slowest 1% of requests."""
    threshold_ms: StrictFloat = Field(gt=0)
    """Alarm when the percentile exceeds this many milliseconds."""

    @property
    def endpoint_metric(self) -> bool:
        return True


class ErrorRateMonitor(MonitorBase):
    """Share of invocations that return 5xx (`Invocation5XXErrors` / `Invocations`)."""

    type: Literal["error_rate"]
    """Server error rate of the endpoint."""
    threshold_percent: StrictFloat = Field(gt=0, le=100)
    """Alarm when the error rate exceeds this percentage."""
    include_4xx: bool = False
    """Also count client errors. Default: false — only 5xx responses count as errors."""

    @property
    def endpoint_metric(self) -> bool:
        return True


class InvocationsMonitor(MonitorBase):
    """Traffic out of its expected band (`Invocations` per period)."""

    type: Literal["invocations"]
    """Invocation count outside a band."""
    min: StrictFloat | None = Field(default=None, ge=0)
    """Alarm when a period's measured invocations are below this. A period without any
    request records no datapoint and does not alarm (an idle endpoint, or a latest_approved
    one before its first version): this catches traffic that drops, not traffic that stops.
    Default: unset — no alarm on too little traffic (set min, max or both)."""
    max: StrictFloat | None = Field(default=None, gt=0)
    """Alarm above this many invocations per period. Default: unset — no alarm on too much
    traffic (set min, max or both)."""

    @model_validator(mode="after")
    def _band(self) -> "InvocationsMonitor":
        if self.min is None and self.max is None:
            raise ValueError("set min or max (or both)")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self

    @property
    def endpoint_metric(self) -> bool:
        return True


class ResourceMonitor(MonitorBase):
    """Instance CPU, memory, disk or GPU utilisation (`/aws/sagemaker/Endpoints`)."""

    type: Literal["resource"]
    """Instance utilisation."""
    resource: ResourceMetric
    """cpu | memory | disk | gpu."""
    threshold_percent: StrictFloat = Field(gt=0, le=100)
    """Alarm above this utilisation (CPU is normalised per instance, not per core)."""

    @property
    def endpoint_metric(self) -> bool:
        return True


class ScheduledMonitorBase(MonitorBase):
    """Monitors computed by a scheduled job over a window of captured data."""

    schedule: Schedule = "rate(1 day)"
    """When the monitoring job runs: an EventBridge `cron(...)` or `rate(...)` expression
    (created paused in development). One job run measures every scheduled monitor of the
    model, on the schedule of its first data_drift monitor (else its first scheduled
    monitor, ids in order); another monitor may repeat that schedule or leave it out.
    Default: rate(1 day) — the job runs once a day (when this monitor sets the job's
    schedule)."""
    window_hours: StrictInt = Field(default=24, ge=1, le=24 * 31)
    """How much captured data each run reads. Default: 24 — each run reads the last 24 hours
    of data."""
    period_seconds: Literal[3600, 21600, 86400] = 86400
    """Alarm period in seconds; matches the schedule. Default: 86400 — one datapoint a day."""
    periods: StrictInt = Field(default=1, ge=1, le=100)
    """Evaluation periods of the alarm. Default: 1 — one breaching run alarms."""


class DataDriftMonitor(ScheduledMonitorBase):
    """Drift of input features against the training reference profile."""

    type: Literal["data_drift"]
    """Input feature drift against the reference profile."""
    method: DriftMethod = DriftMethod.PSI
    """psi | ks | chi2 | classifier (chi2 is used for categorical features when method is ks).
    Default: psi — each feature's population stability index against the reference
    profile."""
    threshold: StrictFloat = Field(default=0.2, gt=0)
    """psi: index above which a feature drifts; ks/chi2: significance level (Bonferroni
    corrected); classifier: ROC AUC. Default: 0.2 — with psi, a feature whose index exceeds
    0.2 drifts."""
    features: list[ColumnName] | None = None
    """Features to watch. Default: unset — every feature of the model's inputs is watched."""
    max_drifted_share: StrictFloat = Field(default=0.0, ge=0, lt=1)
    """Alarm when the share of drifted features exceeds this. Default: 0 — one drifted
    feature alarms."""


class PredictionDriftMonitor(ScheduledMonitorBase):
    """Drift of the model's outputs against the training-time predictions."""

    type: Literal["prediction_drift"]
    """Output drift against training-time predictions."""
    method: DriftMethod = DriftMethod.PSI
    """Test comparing served predictions with training-time predictions, as for data_drift.
    Default: psi — the population stability index of the predictions."""
    threshold: StrictFloat = Field(default=0.1, gt=0)
    """Drift threshold in the method's terms, as for data_drift. Default: 0.1 — with psi, the
    predictions drift when their index exceeds 0.1."""


class GroundTruth(SpecModel):
    """Where labels for served predictions arrive."""

    data_source: Identifier
    """Id of a data source of kind ground_truth with a label (joined on the inference id)."""


class ModelQualityMonitor(ScheduledMonitorBase):
    """A quality metric on served predictions joined with ground truth."""

    type: Literal["model_quality"]
    """Quality metric against ground truth."""
    metric: QualityMetric
    """Metric to compute: auc | accuracy | f1 | precision | recall | rmse | mae | r2."""
    min: StrictFloat | None = None
    """Alarm below this. Default: unset — no lower bound (set min, max or both)."""
    max: StrictFloat | None = None
    """Alarm above this (error metrics). Default: unset — no upper bound (set min, max or
    both)."""
    ground_truth: GroundTruth
    """Where the labels come from."""

    @model_validator(mode="after")
    def _bound(self) -> "ModelQualityMonitor":
        if self.min is None and self.max is None:
            raise ValueError("set min or max for the quality metric")
        return self


class BiasMonitor(ScheduledMonitorBase):
    """Demographic parity difference of positive predictions across a sensitive feature."""

    type: Literal["bias"]
    """Demographic parity across a sensitive feature."""
    sensitive_feature: ColumnName
    """A categorical feature of the model's inputs whose groups are compared."""
    max_demographic_parity_difference: StrictFloat = Field(default=0.1, gt=0, le=1)
    """Alarm above this difference in positive rates between groups. Default: 0.1 — alarms
    when two groups' positive rates differ by more than 10 percentage points."""


Monitor = Annotated[
    LatencyMonitor
    | ErrorRateMonitor
    | InvocationsMonitor
    | ResourceMonitor
    | DataDriftMonitor
    | PredictionDriftMonitor
    | ModelQualityMonitor
    | BiasMonitor,
    Field(discriminator="type"),
]

SCHEDULED_MONITOR_TYPES = (
    DataDriftMonitor,
    PredictionDriftMonitor,
    ModelQualityMonitor,
    BiasMonitor,
)
