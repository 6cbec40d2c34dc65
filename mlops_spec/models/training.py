"""``models.<id>.training``: how a model is trained, on what, when, and when it is promoted."""

from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)

from mlops_spec.enums import QualityMetric, TrainingPlatform
from mlops_spec.models.base import SpecModel
from mlops_spec.types import (
    HyperparameterName,
    HyperparameterValue,
    Identifier,
    ImageUri,
    LambdaFunctionArn,
    PositiveInt,
    Schedule,
    SecurityGroupId,
    SubnetId,
    TrainingInstanceType,
    TransformInstanceType,
)

Task = Literal["classification", "regression"]

REGRESSION_METRICS = frozenset({QualityMetric.RMSE, QualityMetric.MAE, QualityMetric.R2})
"""Metrics of a regression (the others are classification metrics)."""
ERROR_METRICS = frozenset({QualityMetric.RMSE, QualityMetric.MAE})
"""Metrics where lower is better (a gate bounds them with `max`); the others are scores
(higher is better, bounded with `min`)."""


def metric_task(metric: QualityMetric) -> Task:
    """The task a quality metric measures."""
    return "regression" if metric in REGRESSION_METRICS else "classification"


class Gate(SpecModel):
    """The promotion gate the evaluation step applies to every candidate."""

    metric: QualityMetric
    """Metric computed on the holdout set (scikit-learn): auc | accuracy | f1 | precision |
    recall | rmse | mae | r2."""
    min: StrictFloat | None = None
    """Smallest acceptable value (for metrics where higher is better). Default: unset — no
    lower bound (set min, max or both)."""
    max: StrictFloat | None = None
    """Largest acceptable value (for error metrics such as rmse). Default: unset — no upper
    bound (set min, max or both)."""
    must_beat_champion_by: StrictFloat = Field(default=0.0, ge=0)
    """The candidate must improve on the current champion's metric by at least this much
    (absolute). Default: 0 — a candidate at least as good as the champion passes."""

    @model_validator(mode="after")
    def _bound(self) -> "Gate":
        if self.min is None and self.max is None:
            raise ValueError("set min or max (or both) for the gate's metric")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.metric not in ERROR_METRICS


class PrivateRegistry(SpecModel):
    """A training image in a private Docker registry (not ECR) that SageMaker reaches through
    your VPC: the training job runs in these subnets (``VpcConfig``) and pulls with
    ``TrainingImageConfig.TrainingRepositoryAccessMode: Vpc``."""

    model_config = ConfigDict(json_schema_extra={"required": ["subnets", "security_groups"]})

    subnets: list[SubnetId] = Field(
        default_factory=list, max_length=16, json_schema_extra={"minItems": 1}
    )
    """Subnets of your VPC the training job runs in (1-16; `VpcConfig.Subnets`): they need a
    route to the registry and to S3 (the job reads its inputs and writes the model there; an
    S3 gateway endpoint does), and the registry must accept TLS from them. Default: none —
    refused: SageMaker reaches a private registry only from subnets of your VPC."""
    security_groups: list[SecurityGroupId] = Field(
        default_factory=list, max_length=5, json_schema_extra={"minItems": 1}
    )
    """Security groups of the job's network interfaces (1-5; `VpcConfig.SecurityGroupIds`):
    they must allow outbound HTTPS to the registry and to S3. Default: none — refused: the
    job's network interfaces need security groups."""
    credentials_provider_arn: LambdaFunctionArn | None = None
    """The Lambda function that gives SageMaker the registry's credentials
    (``TrainingRepositoryCredentialsProviderArn``); the training job's role may invoke it.
    Default: unset — the registry is pulled from without authentication."""

    @model_validator(mode="after")
    def _network(self) -> "PrivateRegistry":
        missing = [k for k in ("subnets", "security_groups") if not getattr(self, k)]
        if missing:
            raise ValueError(
                "a private registry is reached only through your VPC: SageMaker runs the "
                "training job in `subnets` with `security_groups` (VpcConfig); declare "
                f"{' and '.join(missing)} (subnet-... and sg-... ids that reach the registry "
                "and S3)"
            )
        return self


PredictionOutput = Literal["label", "probability", "probabilities"]
TransformContentType = Literal["text/csv", "application/jsonlines"]


class Evaluation(SpecModel):
    """How the gate scores a candidate: its own serving container (the image and artifact the
    package will serve) transforms the holdout in a batch transform, and the evaluation step
    computes the gate's metric from the predictions and the holdout's labels. The model
    artifact is never loaded by the evaluation, so any SageMaker-contract container works
    (scikit-learn, XGBoost built-ins, PyTorch, your own)."""

    content_type: TransformContentType = "text/csv"
    """What the container is sent, one holdout row per line (split by line, several lines per
    request): `text/csv` — headerless CSV, the model's features in the model's order;
    `application/jsonlines` — one JSON array of those values per line. The container is asked
    to answer in the same type (Accept), one prediction per line. Default: text/csv — what
    the scikit-learn and XGBoost containers read."""
    output: PredictionOutput = "label"
    """What one prediction holds: `label` — the predicted class (classification) or value
    (regression); `probability` — the positive class's probability (binary classification,
    e.g. XGBoost `binary:logistic`; the label is the positive class at 0.5 or more);
    `probabilities` — one probability per class in the sorted order of the holdout's class
    labels (e.g. XGBoost `multi:softprob`; the label is the likeliest class). A JSON
    prediction may be a value, a list, or an object holding `predicted_label`, `label`,
    `prediction`, `score` or `probabilities`. Default: label — what a scikit-learn
    container's `predict` returns (auc needs a probability)."""
    instance_type: TransformInstanceType = "ml.m5.xlarge"
    """Instance type of the holdout's batch transform (one instance). Default: ml.m5.xlarge —
    the transform runs on one ml.m5.xlarge; a model that needs a GPU to serve needs a GPU
    type here."""
    max_payload_mb: StrictInt = Field(default=6, ge=1, le=100)
    """Largest request sent to the container, in MB (SageMaker's MaxPayloadInMB; one row must
    fit). Default: 6 — SageMaker's own default."""


class Training(SpecModel):
    """A training pipeline: train -> evaluate -> gate -> register."""

    platform: TrainingPlatform = TrainingPlatform.SAGEMAKER
    """Where training runs: sagemaker | kubernetes. Default: sagemaker — a SageMaker pipeline
    trains, evaluates and registers the model (the AWS components build no kubernetes
    training)."""
    image: ImageUri
    """Training container image: an image URI with a tag or digest. SageMaker pulls it from
    ECR in the system's region (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`,
    your account's or AWS's), or from a private registry declared in `private_registry`. A
    model with `serving` serves this image from its registered package, so it must then be
    in ECR in the system's region."""
    private_registry: PrivateRegistry | None = None
    """Pull `image` from a private Docker registry (not ECR) through your VPC: the subnets and
    security groups the training job runs in, and the Lambda function giving SageMaker the
    registry's credentials. Only for models without `serving` or `gate` (both run the
    registered package's image, which SageMaker pulls from ECR). Default: unset — the image
    must be in ECR in the system's region."""
    entry_point: Annotated[str, StringConstraints(min_length=1, max_length=256)] = "train.py"
    """Script or module the image runs (`SAGEMAKER_PROGRAM`). Default: train.py — the container
    runs train.py."""
    hyperparameters: dict[HyperparameterName, HyperparameterValue | int | float | bool] = Field(
        default_factory=dict
    )
    """Passed to the training job (values are sent as strings). Default: none — the job gets
    no hyperparameters."""
    instance_type: TrainingInstanceType | None = "ml.m5.xlarge"
    """SageMaker training instance type (sagemaker platform). Default: ml.m5.xlarge — each
    training instance is an ml.m5.xlarge."""
    instance_count: PositiveInt = 1
    """Training instances. Default: 1 — one instance (from 2, traffic between them is
    encrypted)."""
    cpu: StrictFloat | None = Field(default=None, gt=0, le=192)
    """CPU cores (kubernetes platform). Default: unset — required with platform kubernetes,
    unused on sagemaker."""
    memory_gib: StrictFloat | None = Field(default=None, gt=0, le=2048)
    """Memory in GiB (kubernetes platform). Default: unset — required with platform
    kubernetes, unused on sagemaker."""
    gpu: StrictInt = Field(default=0, ge=0, le=16)
    """GPUs (kubernetes platform). Default: 0 — no GPU is requested."""
    spot: StrictBool = True
    """Use managed spot training (with checkpointing). Default: true — jobs run on spot
    capacity, checkpoint to the artifacts bucket, and wait up to `max_wait_minutes` for
    capacity."""
    max_runtime_minutes: StrictInt = Field(default=120, ge=1, le=40320)
    """Stop the job after this long (SageMaker allows up to 28 days). Default: 120 — a job
    still training after 2 hours is stopped and the run fails."""
    max_wait_minutes: StrictInt | None = Field(default=None, ge=1, le=40320)
    """With spot: longest wait for capacity plus runtime; must be >= max_runtime_minutes.
    Default: 2 x max_runtime_minutes (at most 28 days) — a spot job not done by then is
    stopped; unused without spot."""
    volume_size_gb: StrictInt = Field(default=30, ge=1, le=16384)
    """Training volume size in GB. Default: 30 — each instance gets a 30 GB volume encrypted
    with the system key."""
    inputs: list[Identifier] = Field(min_length=1)
    """Ids of the data_sources the job reads (channels named after them)."""
    task: Task | None = None
    """What the model predicts: classification | regression. The gate's and the
    model_quality monitors' metrics must be metrics of the task (classification: auc,
    accuracy, f1, precision, recall; regression: rmse, mae, r2), and bias monitors need
    classification. Default: unset — inferred from the spec: classification when
    `positive_label` is set or a classification metric or bias monitor is used, regression
    when a regression metric is used; a model whose metrics disagree is refused until it
    declares its task."""
    positive_label: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    """The class counted as positive for binary metrics (auc, f1, precision, recall) in the
    gate, and by bias and model-quality monitors. Written as text (`"1"`, `"churned"`).
    Default: unset — the last class in sorted order counts as positive."""
    holdout: Identifier | None = None
    """Data source the evaluation step scores the candidate on (needs a label column).
    Default: unset — the gate scores the candidate on the first of `inputs`."""
    schedule: Schedule | None = None
    """Retrain on this EventBridge schedule (`cron(...)` or `rate(...)`; created paused in
    development). Default: unset — no scheduled runs: the model retrains on new data,
    `retrain` alarms, or by hand."""
    gate: Gate | None = None
    """Promotion gate. Default: unset — no evaluation step: every candidate that trains is
    registered."""
    evaluation: Evaluation = Field(default_factory=Evaluation)
    """With a gate: how the candidate's serving container scores the holdout (what it is sent
    and what it returns). Default: text/csv in, one label per line out, on one
    ml.m5.xlarge — a scikit-learn container's contract."""

    @model_validator(mode="after")
    def _platform_fields(self) -> "Training":
        if self.platform is TrainingPlatform.KUBERNETES:
            if self.cpu is None or self.memory_gib is None:
                raise ValueError("kubernetes training needs cpu and memory_gib")
        elif self.instance_type is None:
            raise ValueError(
                "sagemaker training needs instance_type; `instance_type: null` unsets it "
                "(remove the null to train on the default ml.m5.xlarge)"
            )
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
