"""``models.<id>.training``: how a model is trained, on what, when, and when it is promoted."""

from typing import Annotated

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StringConstraints, model_validator

from mlops_spec.enums import QualityMetric, TrainingPlatform
from mlops_spec.models.base import SpecModel
from mlops_spec.types import Identifier, ImageUri, PositiveInt, Schedule, TrainingInstanceType

HyperparameterValue = Annotated[str, StringConstraints(max_length=2500)]


class Gate(SpecModel):
    """The promotion gate the evaluation step applies to every candidate."""

    metric: QualityMetric
    """Metric computed on the holdout set (scikit-learn)."""
    min: StrictFloat | None = None
    """Smallest acceptable value (for metrics where higher is better). Default: unset."""
    max: StrictFloat | None = None
    """Largest acceptable value (for error metrics such as rmse). Default: unset."""
    must_beat_champion_by: StrictFloat = Field(default=0.0, ge=0)
    """The candidate must improve on the current champion's metric by at least this much
    (absolute). 0 means 'at least as good'. Default: 0."""

    @model_validator(mode="after")
    def _bound(self) -> "Gate":
        if self.min is None and self.max is None:
            raise ValueError("set min or max (or both) for the gate's metric")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.metric not in (QualityMetric.RMSE, QualityMetric.MAE)


class Training(SpecModel):
    """A training pipeline: train -> evaluate -> gate -> register."""

    platform: TrainingPlatform = TrainingPlatform.SAGEMAKER
    """Where training runs. Default: sagemaker."""
    image: ImageUri
    """Training container image (ECR URI with tag or digest)."""
    entry_point: Annotated[str, StringConstraints(min_length=1, max_length=256)] = "train.py"
    """Script or module the image runs. Default: train.py."""
    hyperparameters: dict[
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,255}$")],
        HyperparameterValue | int | float | bool,
    ] = Field(default_factory=dict)
    """Passed to the training job (values are sent as strings). Default: none."""
    instance_type: TrainingInstanceType | None = "ml.m5.xlarge"
    """SageMaker training instance type (sagemaker platform). Default: ml.m5.xlarge."""
    instance_count: PositiveInt = 1
    """Training instances. Default: 1."""
    cpu: StrictFloat | None = Field(default=None, gt=0, le=192)
    """CPU cores (kubernetes platform). Default: unset."""
    memory_gib: StrictFloat | None = Field(default=None, gt=0, le=2048)
    """Memory in GiB (kubernetes platform). Default: unset."""
    gpu: StrictInt = Field(default=0, ge=0, le=16)
    """GPUs (kubernetes platform). Default: 0."""
    spot: StrictBool = True
    """Use managed spot training (with checkpointing). Default: true."""
    max_runtime_minutes: StrictInt = Field(default=120, ge=1, le=40320)
    """Stop the job after this long (SageMaker allows up to 28 days). Default: 120."""
    max_wait_minutes: StrictInt | None = Field(default=None, ge=1, le=40320)
    """With spot: longest wait for capacity plus runtime; must be >= max_runtime_minutes.
    Default: 2 x max_runtime_minutes."""
    volume_size_gb: StrictInt = Field(default=30, ge=1, le=16384)
    """Training volume size. Default: 30."""
    inputs: list[Identifier] = Field(min_length=1)
    """Ids of the data_sources the job reads (channels named after them)."""
    positive_label: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    """The class counted as positive for binary metrics (auc, f1, precision, recall) in the
    gate, and by bias and model-quality monitors. Written as text (`"1"`, `"churned"`).
    Default: the last class in sorted order."""
    holdout: Identifier | None = None
    """Data source the evaluation step scores the candidate on (needs a label column).
    Default: the first of `inputs`."""
    schedule: Schedule | None = None
    """Retrain on this schedule (paused in development mode). Default: unset, no schedule."""
    gate: Gate | None = None
    """Promotion gate. Default: unset, every candidate that trains is registered."""

    @model_validator(mode="after")
    def _platform_fields(self) -> "Training":
        if self.platform is TrainingPlatform.KUBERNETES:
            if self.cpu is None or self.memory_gib is None:
                raise ValueError("kubernetes training needs cpu and memory_gib")
        elif self.instance_type is None:
            raise ValueError("sagemaker training needs instance_type")
        if (
            self.max_wait_minutes is not None
            and self.spot
            and self.max_wait_minutes < self.max_runtime_minutes
        ):
            raise ValueError(
                f"max_wait_minutes ({self.max_wait_minutes}) must be >= max_runtime_minutes "
                f"({self.max_runtime_minutes})"
            )
        return self

    @property
    def holdout_source(self) -> str:
        """The data source the gate evaluates on."""
        return self.holdout or self.inputs[0]

    @property
    def effective_max_wait_minutes(self) -> int | None:
        if not self.spot:
            return None
        return self.max_wait_minutes or min(2 * self.max_runtime_minutes, 40320)
