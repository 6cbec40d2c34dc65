"""``data_sources``: where training and ground-truth data live, and its feature schema."""

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints, model_validator

from mlops_spec.enums import DataFormat, FeatureKind
from mlops_spec.models.base import SpecModel
from mlops_spec.types import ColumnName

BucketRef = Annotated[
    str,
    StringConstraints(
        pattern=r"^(create|arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]"
        r"|[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])$"
    ),
    Field(description="`create` (a managed, encrypted bucket) or an existing bucket name/ARN."),
]
Prefix = Annotated[str, StringConstraints(max_length=512, pattern=r"^([A-Za-z0-9!_.*'()\-]+/)*$")]


class DataSource(SpecModel):
    """A dataset in S3 with a known schema."""

    bucket: BucketRef = "create"
    """`create`: the framework creates and secures the bucket; otherwise the existing bucket's
    name or ARN (read-only access is granted). Default: create."""
    prefix: Prefix = ""
    """Key prefix of the data, ending in '/'. Default: the bucket root."""
    format: DataFormat = DataFormat.PARQUET
    """File format. Default: parquet."""
    features: dict[ColumnName, FeatureKind] = Field(default_factory=dict)
    """Feature columns and their kind (numeric | categorical); drift and bias monitors
    may only name these. Required for training sources. Default: none."""
    label: ColumnName | None = None
    """The label column (needed for training and model-quality monitors). Default: unset."""
    timestamp: ColumnName | None = None
    """The event-time column used for windows. Default: unset."""
    retrain_on_new_data: StrictBool = False
    """Start retraining of the models that read this source when new objects land under the
    prefix (S3 -> EventBridge). Default: false."""
    kind: Literal["training", "ground_truth"] = "training"
    """`ground_truth` sources hold labels joined to captured predictions for quality
    monitors. Default: training."""

    inference_id_column: ColumnName = "inference_id"
    """ground_truth sources: the column joining labels to captured inferences.
    Default: inference_id."""

    @model_validator(mode="after")
    def _columns_distinct(self) -> "DataSource":
        if self.kind == "training" and not self.features:
            raise ValueError("a training data source needs at least one feature")
        for role in ("label", "timestamp"):
            column = getattr(self, role)
            if column is not None and column in self.features:
                raise ValueError(
                    f"{role} column {column!r} is also listed under features; "
                    f"remove it from features"
                )
        return self

    @property
    def creates_bucket(self) -> bool:
        return self.bucket == "create"
