"""``data_sources``: where training and ground-truth data live, and its feature schema."""

from typing import Literal

from pydantic import Field, StrictBool, model_validator

from mlops_spec.enums import DataFormat, FeatureKind
from mlops_spec.models.base import SpecModel
from mlops_spec.types import BucketRef, ColumnName, Identifier, KeyPrefix


class DataSource(SpecModel):
    """A dataset in S3 with a known schema."""

    bucket: BucketRef = "create"
    """`create` (the framework creates and secures the bucket) or an existing bucket's name or
    ARN (read-only access is granted). Default: create — a bucket
    `<namespace>-<system>-<env>-data-<id>-<region>` is created, encrypted with the system
    key, versioned, TLS-only, with all public access blocked."""
    prefix: KeyPrefix = ""
    """Key prefix of the data, ending in '/'. Default: '' — every object in the bucket belongs
    to this data source."""
    format: DataFormat = DataFormat.PARQUET
    """File format: parquet | csv | jsonl. Default: parquet — jobs read the objects as
    Parquet."""
    features: dict[ColumnName, FeatureKind] = Field(default_factory=dict)
    """Feature columns and their kind (numeric | categorical); drift and bias monitors
    may only name these. Required for training sources. Default: none — allowed only for a
    ground_truth or output source."""
    header: StrictBool = True
    """csv only: whether the first line of every object names the columns. `false` — the
    objects are headerless and `columns` gives their names in file order; only a gate's
    holdout may be headerless (its preparation step is the one reader that takes `columns`).
    Default: true — the first line of every object is the header."""
    columns: list[ColumnName] | None = None
    """With `header: false`: every column of the objects, in file order (must name each
    feature, the label and the timestamp). Default: unset — the header row names the
    columns (refused with `header: false`)."""
    label: ColumnName | None = None
    """The label column. Default: unset — the source can be neither a gate's holdout nor
    ground truth for model-quality monitors (both are refused at load time)."""
    timestamp: ColumnName | None = None
    """The event-time column. Default: unset — nothing changes: no job reads this column yet
    (monitoring windows follow capture time)."""
    retrain_on_new_data: StrictBool = False
    """Start retraining of the models that read this source when new objects land under the
    prefix (S3 -> EventBridge). Default: false — new objects start nothing; models retrain on
    their schedule or on `retrain` alarms only."""
    kind: Literal["training", "ground_truth", "output"] = "training"
    """`training` (features models train on), `ground_truth` (labels joined to captured
    predictions for quality monitors) or `output` (where a batch model writes its predictions:
    `serving.output` names it; no features needed). Default: training — the source needs at
    least one feature and may be a training input, holdout or batch input."""
    inference_id_column: ColumnName = "inference_id"
    """ground_truth sources: the column joining labels to captured inferences.
    Default: inference_id — labels are joined on a column named `inference_id`."""
    moved_from: Identifier | None = None
    """The id this data source had before a rename. Its Pulumi resources take the former
    names as aliases and a created bucket keeps the former id's name (and its objects); the
    new-data rule takes the new id. Must not be a current data source's id. Keep it while the
    bucket lives: removing it renames, hence replaces, the bucket. Default: unset — the
    source was not renamed: a new id would replace its created bucket."""

    @model_validator(mode="after")
    def _columns_distinct(self) -> "DataSource":
        if self.kind == "training" and not self.features:
            raise ValueError("a training data source needs at least one feature")
        self._check_layout()
        for role in ("label", "timestamp"):
            column = getattr(self, role)
            if column is not None and column in self.features:
                raise ValueError(
                    f"{role} column {column!r} is also listed under features; "
                    f"remove it from features"
                )
        return self

    def _check_layout(self) -> None:
        """``header``/``columns``: headerless objects are csv and name every column read."""
        if self.header and self.columns is not None:
            raise ValueError(
                "columns is only for headerless csv (header: false); remove columns, or set "
                "header: false if the objects have no header row"
            )
        if self.header:
            return
        if self.format is not DataFormat.CSV:
            raise ValueError(
                f"header: false is for csv objects; {self.format} objects name their columns "
                "themselves (remove header)"
            )
        if not self.columns:
            raise ValueError(
                "header: false needs columns: the names of the objects' columns in file order"
            )
        repeated = sorted({c for c in self.columns if self.columns.count(c) > 1})
        if repeated:
            raise ValueError(f"columns names {repeated} more than once")
        named = [*self.features, *(c for c in (self.label, self.timestamp) if c)]
        missing = [c for c in named if c not in self.columns]
        if missing:
            raise ValueError(
                f"columns lacks {missing}: list every feature, the label and the timestamp "
                "in the objects' column order"
            )

    @property
    def creates_bucket(self) -> bool:
        return self.bucket == "create"

    def shares_objects_with(self, other: "DataSource") -> bool:
        """Both in one existing bucket, one prefix inside the other (a source with
        ``bucket: create`` has a bucket of its own)."""
        if self.creates_bucket or other.creates_bucket:
            return False
        same_bucket = self.bucket.rsplit(":", 1)[-1] == other.bucket.rsplit(":", 1)[-1]
        return same_bucket and (
            self.prefix.startswith(other.prefix) or other.prefix.startswith(self.prefix)
        )
